from typing import Literal

GetJobResponse503ErrorCode = Literal['unavailable']

GET_JOB_RESPONSE_503_ERROR_CODE_VALUES: set[GetJobResponse503ErrorCode] = { 'unavailable',  }

def check_get_job_response_503_error_code(value: str) -> GetJobResponse503ErrorCode:
    if value in GET_JOB_RESPONSE_503_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {GET_JOB_RESPONSE_503_ERROR_CODE_VALUES!r}")
