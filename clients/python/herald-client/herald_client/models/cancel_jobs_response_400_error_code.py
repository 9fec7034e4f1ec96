from typing import Literal

CancelJobsResponse400ErrorCode = Literal['invalid_field', 'malformed_json', 'unreadable_body']

CANCEL_JOBS_RESPONSE_400_ERROR_CODE_VALUES: set[CancelJobsResponse400ErrorCode] = { 'invalid_field', 'malformed_json', 'unreadable_body',  }

def check_cancel_jobs_response_400_error_code(value: str) -> CancelJobsResponse400ErrorCode:
    if value in CANCEL_JOBS_RESPONSE_400_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CANCEL_JOBS_RESPONSE_400_ERROR_CODE_VALUES!r}")
