from typing import Literal

ListJobsResponse429ErrorCode = Literal['rate_limited']

LIST_JOBS_RESPONSE_429_ERROR_CODE_VALUES: set[ListJobsResponse429ErrorCode] = { 'rate_limited',  }

def check_list_jobs_response_429_error_code(value: str) -> ListJobsResponse429ErrorCode:
    if value in LIST_JOBS_RESPONSE_429_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_JOBS_RESPONSE_429_ERROR_CODE_VALUES!r}")
