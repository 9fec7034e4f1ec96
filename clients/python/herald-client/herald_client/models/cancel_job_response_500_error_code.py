from typing import Literal

CancelJobResponse500ErrorCode = Literal['internal']

CANCEL_JOB_RESPONSE_500_ERROR_CODE_VALUES: set[CancelJobResponse500ErrorCode] = { 'internal',  }

def check_cancel_job_response_500_error_code(value: str) -> CancelJobResponse500ErrorCode:
    if value in CANCEL_JOB_RESPONSE_500_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CANCEL_JOB_RESPONSE_500_ERROR_CODE_VALUES!r}")
