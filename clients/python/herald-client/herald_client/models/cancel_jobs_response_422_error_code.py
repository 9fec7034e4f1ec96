from typing import Literal

CancelJobsResponse422ErrorCode = Literal['forbidden_target', 'validation_failed']

CANCEL_JOBS_RESPONSE_422_ERROR_CODE_VALUES: set[CancelJobsResponse422ErrorCode] = { 'forbidden_target', 'validation_failed',  }

def check_cancel_jobs_response_422_error_code(value: str) -> CancelJobsResponse422ErrorCode:
    if value in CANCEL_JOBS_RESPONSE_422_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CANCEL_JOBS_RESPONSE_422_ERROR_CODE_VALUES!r}")
