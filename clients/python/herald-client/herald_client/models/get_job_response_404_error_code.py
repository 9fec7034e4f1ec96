from typing import Literal

GetJobResponse404ErrorCode = Literal['not_found']

GET_JOB_RESPONSE_404_ERROR_CODE_VALUES: set[GetJobResponse404ErrorCode] = { 'not_found',  }

def check_get_job_response_404_error_code(value: str) -> GetJobResponse404ErrorCode:
    if value in GET_JOB_RESPONSE_404_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {GET_JOB_RESPONSE_404_ERROR_CODE_VALUES!r}")
