from typing import Literal

RetryJobResponse429ErrorCode = Literal['rate_limited']

RETRY_JOB_RESPONSE_429_ERROR_CODE_VALUES: set[RetryJobResponse429ErrorCode] = { 'rate_limited',  }

def check_retry_job_response_429_error_code(value: str) -> RetryJobResponse429ErrorCode:
    if value in RETRY_JOB_RESPONSE_429_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RETRY_JOB_RESPONSE_429_ERROR_CODE_VALUES!r}")
