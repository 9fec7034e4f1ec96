from typing import Literal

ListWorkersResponse429ErrorCode = Literal['rate_limited']

LIST_WORKERS_RESPONSE_429_ERROR_CODE_VALUES: set[ListWorkersResponse429ErrorCode] = { 'rate_limited',  }

def check_list_workers_response_429_error_code(value: str) -> ListWorkersResponse429ErrorCode:
    if value in LIST_WORKERS_RESPONSE_429_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_WORKERS_RESPONSE_429_ERROR_CODE_VALUES!r}")
