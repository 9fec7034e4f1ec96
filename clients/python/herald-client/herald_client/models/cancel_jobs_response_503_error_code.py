from typing import Literal

CancelJobsResponse503ErrorCode = Literal['unavailable']

CANCEL_JOBS_RESPONSE_503_ERROR_CODE_VALUES: set[CancelJobsResponse503ErrorCode] = { 'unavailable',  }

def check_cancel_jobs_response_503_error_code(value: str) -> CancelJobsResponse503ErrorCode:
    if value in CANCEL_JOBS_RESPONSE_503_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CANCEL_JOBS_RESPONSE_503_ERROR_CODE_VALUES!r}")
