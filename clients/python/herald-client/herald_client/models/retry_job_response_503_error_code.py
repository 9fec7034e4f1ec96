from typing import Literal

RetryJobResponse503ErrorCode = Literal['unavailable']

RETRY_JOB_RESPONSE_503_ERROR_CODE_VALUES: set[RetryJobResponse503ErrorCode] = { 'unavailable',  }

def check_retry_job_response_503_error_code(value: str) -> RetryJobResponse503ErrorCode:
    if value in RETRY_JOB_RESPONSE_503_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RETRY_JOB_RESPONSE_503_ERROR_CODE_VALUES!r}")
