from typing import Literal

ListWorkersResponse500ErrorCode = Literal['internal']

LIST_WORKERS_RESPONSE_500_ERROR_CODE_VALUES: set[ListWorkersResponse500ErrorCode] = { 'internal',  }

def check_list_workers_response_500_error_code(value: str) -> ListWorkersResponse500ErrorCode:
    if value in LIST_WORKERS_RESPONSE_500_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_WORKERS_RESPONSE_500_ERROR_CODE_VALUES!r}")
