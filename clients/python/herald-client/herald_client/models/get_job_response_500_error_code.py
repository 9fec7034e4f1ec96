from typing import Literal

GetJobResponse500ErrorCode = Literal['internal']

GET_JOB_RESPONSE_500_ERROR_CODE_VALUES: set[GetJobResponse500ErrorCode] = { 'internal',  }

def check_get_job_response_500_error_code(value: str) -> GetJobResponse500ErrorCode:
    if value in GET_JOB_RESPONSE_500_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {GET_JOB_RESPONSE_500_ERROR_CODE_VALUES!r}")
