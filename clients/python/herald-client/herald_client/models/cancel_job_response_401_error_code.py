from typing import Literal

CancelJobResponse401ErrorCode = Literal['unauthorized']

CANCEL_JOB_RESPONSE_401_ERROR_CODE_VALUES: set[CancelJobResponse401ErrorCode] = { 'unauthorized',  }

def check_cancel_job_response_401_error_code(value: str) -> CancelJobResponse401ErrorCode:
    if value in CANCEL_JOB_RESPONSE_401_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CANCEL_JOB_RESPONSE_401_ERROR_CODE_VALUES!r}")
