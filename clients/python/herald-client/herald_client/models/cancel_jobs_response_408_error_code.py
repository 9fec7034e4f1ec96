from typing import Literal

CancelJobsResponse408ErrorCode = Literal['request_timeout']

CANCEL_JOBS_RESPONSE_408_ERROR_CODE_VALUES: set[CancelJobsResponse408ErrorCode] = { 'request_timeout',  }

def check_cancel_jobs_response_408_error_code(value: str) -> CancelJobsResponse408ErrorCode:
    if value in CANCEL_JOBS_RESPONSE_408_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CANCEL_JOBS_RESPONSE_408_ERROR_CODE_VALUES!r}")
