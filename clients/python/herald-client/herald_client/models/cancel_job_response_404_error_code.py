from typing import Literal

CancelJobResponse404ErrorCode = Literal['not_found']

CANCEL_JOB_RESPONSE_404_ERROR_CODE_VALUES: set[CancelJobResponse404ErrorCode] = { 'not_found',  }

def check_cancel_job_response_404_error_code(value: str) -> CancelJobResponse404ErrorCode:
    if value in CANCEL_JOB_RESPONSE_404_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CANCEL_JOB_RESPONSE_404_ERROR_CODE_VALUES!r}")
