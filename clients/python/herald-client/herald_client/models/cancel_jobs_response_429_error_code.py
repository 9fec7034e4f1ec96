from typing import Literal

CancelJobsResponse429ErrorCode = Literal['rate_limited']

CANCEL_JOBS_RESPONSE_429_ERROR_CODE_VALUES: set[CancelJobsResponse429ErrorCode] = { 'rate_limited',  }

def check_cancel_jobs_response_429_error_code(value: str) -> CancelJobsResponse429ErrorCode:
    if value in CANCEL_JOBS_RESPONSE_429_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CANCEL_JOBS_RESPONSE_429_ERROR_CODE_VALUES!r}")
