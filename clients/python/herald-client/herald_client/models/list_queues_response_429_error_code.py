from typing import Literal

ListQueuesResponse429ErrorCode = Literal['rate_limited']

LIST_QUEUES_RESPONSE_429_ERROR_CODE_VALUES: set[ListQueuesResponse429ErrorCode] = { 'rate_limited',  }

def check_list_queues_response_429_error_code(value: str) -> ListQueuesResponse429ErrorCode:
    if value in LIST_QUEUES_RESPONSE_429_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_QUEUES_RESPONSE_429_ERROR_CODE_VALUES!r}")
