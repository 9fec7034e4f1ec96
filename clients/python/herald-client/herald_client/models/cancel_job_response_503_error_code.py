from typing import Literal

CancelJobResponse503ErrorCode = Literal['unavailable']

CANCEL_JOB_RESPONSE_503_ERROR_CODE_VALUES: set[CancelJobResponse503ErrorCode] = { 'unavailable',  }

def check_cancel_job_response_503_error_code(value: str) -> CancelJobResponse503ErrorCode:
    if value in CANCEL_JOB_RESPONSE_503_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CANCEL_JOB_RESPONSE_503_ERROR_CODE_VALUES!r}")
