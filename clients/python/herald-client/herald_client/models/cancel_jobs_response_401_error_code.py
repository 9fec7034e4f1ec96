from typing import Literal

CancelJobsResponse401ErrorCode = Literal['unauthorized']

CANCEL_JOBS_RESPONSE_401_ERROR_CODE_VALUES: set[CancelJobsResponse401ErrorCode] = { 'unauthorized',  }

def check_cancel_jobs_response_401_error_code(value: str) -> CancelJobsResponse401ErrorCode:
    if value in CANCEL_JOBS_RESPONSE_401_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CANCEL_JOBS_RESPONSE_401_ERROR_CODE_VALUES!r}")
