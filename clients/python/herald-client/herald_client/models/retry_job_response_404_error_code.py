from typing import Literal

RetryJobResponse404ErrorCode = Literal['not_found']

RETRY_JOB_RESPONSE_404_ERROR_CODE_VALUES: set[RetryJobResponse404ErrorCode] = { 'not_found',  }

def check_retry_job_response_404_error_code(value: str) -> RetryJobResponse404ErrorCode:
    if value in RETRY_JOB_RESPONSE_404_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RETRY_JOB_RESPONSE_404_ERROR_CODE_VALUES!r}")
