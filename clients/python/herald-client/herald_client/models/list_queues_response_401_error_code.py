from typing import Literal

ListQueuesResponse401ErrorCode = Literal['unauthorized']

LIST_QUEUES_RESPONSE_401_ERROR_CODE_VALUES: set[ListQueuesResponse401ErrorCode] = { 'unauthorized',  }

def check_list_queues_response_401_error_code(value: str) -> ListQueuesResponse401ErrorCode:
    if value in LIST_QUEUES_RESPONSE_401_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_QUEUES_RESPONSE_401_ERROR_CODE_VALUES!r}")
