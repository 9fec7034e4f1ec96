from typing import Literal

ListJobsResponse400ErrorCode = Literal['invalid_field', 'invalid_query']

LIST_JOBS_RESPONSE_400_ERROR_CODE_VALUES: set[ListJobsResponse400ErrorCode] = { 'invalid_field', 'invalid_query',  }

def check_list_jobs_response_400_error_code(value: str) -> ListJobsResponse400ErrorCode:
    if value in LIST_JOBS_RESPONSE_400_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_JOBS_RESPONSE_400_ERROR_CODE_VALUES!r}")
