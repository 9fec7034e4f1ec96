from typing import Literal

ListJobsResponse503ErrorCode = Literal['unavailable']

LIST_JOBS_RESPONSE_503_ERROR_CODE_VALUES: set[ListJobsResponse503ErrorCode] = { 'unavailable',  }

def check_list_jobs_response_503_error_code(value: str) -> ListJobsResponse503ErrorCode:
    if value in LIST_JOBS_RESPONSE_503_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_JOBS_RESPONSE_503_ERROR_CODE_VALUES!r}")
