from typing import Literal

ListMatchEventsResponse500ErrorCode = Literal['internal']

LIST_MATCH_EVENTS_RESPONSE_500_ERROR_CODE_VALUES: set[ListMatchEventsResponse500ErrorCode] = { 'internal',  }

def check_list_match_events_response_500_error_code(value: str) -> ListMatchEventsResponse500ErrorCode:
    if value in LIST_MATCH_EVENTS_RESPONSE_500_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_MATCH_EVENTS_RESPONSE_500_ERROR_CODE_VALUES!r}")
