from typing import Literal

CancelJobResponse429ErrorCode = Literal['rate_limited']

CANCEL_JOB_RESPONSE_429_ERROR_CODE_VALUES: set[CancelJobResponse429ErrorCode] = { 'rate_limited',  }

def check_cancel_job_response_429_error_code(value: str) -> CancelJobResponse429ErrorCode:
    if value in CANCEL_JOB_RESPONSE_429_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CANCEL_JOB_RESPONSE_429_ERROR_CODE_VALUES!r}")
