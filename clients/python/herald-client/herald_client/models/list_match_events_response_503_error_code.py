from typing import Literal

ListMatchEventsResponse503ErrorCode = Literal['unavailable']

LIST_MATCH_EVENTS_RESPONSE_503_ERROR_CODE_VALUES: set[ListMatchEventsResponse503ErrorCode] = { 'unavailable',  }

def check_list_match_events_response_503_error_code(value: str) -> ListMatchEventsResponse503ErrorCode:
    if value in LIST_MATCH_EVENTS_RESPONSE_503_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_MATCH_EVENTS_RESPONSE_503_ERROR_CODE_VALUES!r}")
