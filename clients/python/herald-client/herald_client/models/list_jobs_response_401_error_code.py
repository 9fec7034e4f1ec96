from typing import Literal

ListJobsResponse401ErrorCode = Literal['unauthorized']

LIST_JOBS_RESPONSE_401_ERROR_CODE_VALUES: set[ListJobsResponse401ErrorCode] = { 'unauthorized',  }

def check_list_jobs_response_401_error_code(value: str) -> ListJobsResponse401ErrorCode:
    if value in LIST_JOBS_RESPONSE_401_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_JOBS_RESPONSE_401_ERROR_CODE_VALUES!r}")
