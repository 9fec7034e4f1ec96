from typing import Literal

ListWorkersResponse401ErrorCode = Literal['unauthorized']

LIST_WORKERS_RESPONSE_401_ERROR_CODE_VALUES: set[ListWorkersResponse401ErrorCode] = { 'unauthorized',  }

def check_list_workers_response_401_error_code(value: str) -> ListWorkersResponse401ErrorCode:
    if value in LIST_WORKERS_RESPONSE_401_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_WORKERS_RESPONSE_401_ERROR_CODE_VALUES!r}")
