from typing import Literal

ListWorkersResponse503ErrorCode = Literal['unavailable']

LIST_WORKERS_RESPONSE_503_ERROR_CODE_VALUES: set[ListWorkersResponse503ErrorCode] = { 'unavailable',  }

def check_list_workers_response_503_error_code(value: str) -> ListWorkersResponse503ErrorCode:
    if value in LIST_WORKERS_RESPONSE_503_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_WORKERS_RESPONSE_503_ERROR_CODE_VALUES!r}")
