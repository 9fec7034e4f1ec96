from typing import Literal

RetryJobResponse401ErrorCode = Literal['unauthorized']

RETRY_JOB_RESPONSE_401_ERROR_CODE_VALUES: set[RetryJobResponse401ErrorCode] = { 'unauthorized',  }

def check_retry_job_response_401_error_code(value: str) -> RetryJobResponse401ErrorCode:
    if value in RETRY_JOB_RESPONSE_401_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RETRY_JOB_RESPONSE_401_ERROR_CODE_VALUES!r}")
