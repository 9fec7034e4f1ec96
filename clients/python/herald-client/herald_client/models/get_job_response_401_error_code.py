from typing import Literal

GetJobResponse401ErrorCode = Literal['unauthorized']

GET_JOB_RESPONSE_401_ERROR_CODE_VALUES: set[GetJobResponse401ErrorCode] = { 'unauthorized',  }

def check_get_job_response_401_error_code(value: str) -> GetJobResponse401ErrorCode:
    if value in GET_JOB_RESPONSE_401_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {GET_JOB_RESPONSE_401_ERROR_CODE_VALUES!r}")
