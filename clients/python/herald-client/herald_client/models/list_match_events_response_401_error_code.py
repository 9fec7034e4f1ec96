from typing import Literal

ListMatchEventsResponse401ErrorCode = Literal['unauthorized']

LIST_MATCH_EVENTS_RESPONSE_401_ERROR_CODE_VALUES: set[ListMatchEventsResponse401ErrorCode] = { 'unauthorized',  }

def check_list_match_events_response_401_error_code(value: str) -> ListMatchEventsResponse401ErrorCode:
    if value in LIST_MATCH_EVENTS_RESPONSE_401_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_MATCH_EVENTS_RESPONSE_401_ERROR_CODE_VALUES!r}")
