from typing import Literal

CancelJobsResponse415ErrorCode = Literal['unsupported_media_type']

CANCEL_JOBS_RESPONSE_415_ERROR_CODE_VALUES: set[CancelJobsResponse415ErrorCode] = { 'unsupported_media_type',  }

def check_cancel_jobs_response_415_error_code(value: str) -> CancelJobsResponse415ErrorCode:
    if value in CANCEL_JOBS_RESPONSE_415_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CANCEL_JOBS_RESPONSE_415_ERROR_CODE_VALUES!r}")
