from typing import Literal

CancelJobsResponse413ErrorCode = Literal['payload_too_large']

CANCEL_JOBS_RESPONSE_413_ERROR_CODE_VALUES: set[CancelJobsResponse413ErrorCode] = { 'payload_too_large',  }

def check_cancel_jobs_response_413_error_code(value: str) -> CancelJobsResponse413ErrorCode:
    if value in CANCEL_JOBS_RESPONSE_413_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CANCEL_JOBS_RESPONSE_413_ERROR_CODE_VALUES!r}")
