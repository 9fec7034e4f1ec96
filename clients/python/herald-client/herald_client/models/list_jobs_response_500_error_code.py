from typing import Literal

ListJobsResponse500ErrorCode = Literal['internal']

LIST_JOBS_RESPONSE_500_ERROR_CODE_VALUES: set[ListJobsResponse500ErrorCode] = { 'internal',  }

def check_list_jobs_response_500_error_code(value: str) -> ListJobsResponse500ErrorCode:
    if value in LIST_JOBS_RESPONSE_500_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_JOBS_RESPONSE_500_ERROR_CODE_VALUES!r}")
