from typing import Literal

GetJobResponse429ErrorCode = Literal['rate_limited']

GET_JOB_RESPONSE_429_ERROR_CODE_VALUES: set[GetJobResponse429ErrorCode] = { 'rate_limited',  }

def check_get_job_response_429_error_code(value: str) -> GetJobResponse429ErrorCode:
    if value in GET_JOB_RESPONSE_429_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {GET_JOB_RESPONSE_429_ERROR_CODE_VALUES!r}")
