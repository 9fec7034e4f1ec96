from typing import Literal

CancelJobResponse409ErrorCode = Literal['invalid_state']

CANCEL_JOB_RESPONSE_409_ERROR_CODE_VALUES: set[CancelJobResponse409ErrorCode] = { 'invalid_state',  }

def check_cancel_job_response_409_error_code(value: str) -> CancelJobResponse409ErrorCode:
    if value in CANCEL_JOB_RESPONSE_409_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CANCEL_JOB_RESPONSE_409_ERROR_CODE_VALUES!r}")
