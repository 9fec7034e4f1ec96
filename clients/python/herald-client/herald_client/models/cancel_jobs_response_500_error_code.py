from typing import Literal

CancelJobsResponse500ErrorCode = Literal['internal']

CANCEL_JOBS_RESPONSE_500_ERROR_CODE_VALUES: set[CancelJobsResponse500ErrorCode] = { 'internal',  }

def check_cancel_jobs_response_500_error_code(value: str) -> CancelJobsResponse500ErrorCode:
    if value in CANCEL_JOBS_RESPONSE_500_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CANCEL_JOBS_RESPONSE_500_ERROR_CODE_VALUES!r}")
