from typing import Literal

ListQueuesResponse503ErrorCode = Literal['unavailable']

LIST_QUEUES_RESPONSE_503_ERROR_CODE_VALUES: set[ListQueuesResponse503ErrorCode] = { 'unavailable',  }

def check_list_queues_response_503_error_code(value: str) -> ListQueuesResponse503ErrorCode:
    if value in LIST_QUEUES_RESPONSE_503_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_QUEUES_RESPONSE_503_ERROR_CODE_VALUES!r}")
