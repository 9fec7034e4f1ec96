from typing import Literal

ListQueuesResponse500ErrorCode = Literal['internal']

LIST_QUEUES_RESPONSE_500_ERROR_CODE_VALUES: set[ListQueuesResponse500ErrorCode] = { 'internal',  }

def check_list_queues_response_500_error_code(value: str) -> ListQueuesResponse500ErrorCode:
    if value in LIST_QUEUES_RESPONSE_500_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_QUEUES_RESPONSE_500_ERROR_CODE_VALUES!r}")
