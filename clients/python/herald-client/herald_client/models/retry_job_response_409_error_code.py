from typing import Literal

RetryJobResponse409ErrorCode = Literal['invalid_state']

RETRY_JOB_RESPONSE_409_ERROR_CODE_VALUES: set[RetryJobResponse409ErrorCode] = { 'invalid_state',  }

def check_retry_job_response_409_error_code(value: str) -> RetryJobResponse409ErrorCode:
    if value in RETRY_JOB_RESPONSE_409_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RETRY_JOB_RESPONSE_409_ERROR_CODE_VALUES!r}")
