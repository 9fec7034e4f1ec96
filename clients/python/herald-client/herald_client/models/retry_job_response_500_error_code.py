from typing import Literal

RetryJobResponse500ErrorCode = Literal['internal']

RETRY_JOB_RESPONSE_500_ERROR_CODE_VALUES: set[RetryJobResponse500ErrorCode] = { 'internal',  }

def check_retry_job_response_500_error_code(value: str) -> RetryJobResponse500ErrorCode:
    if value in RETRY_JOB_RESPONSE_500_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RETRY_JOB_RESPONSE_500_ERROR_CODE_VALUES!r}")
