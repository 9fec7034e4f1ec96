from typing import Literal

ListMatchEventsResponse429ErrorCode = Literal['rate_limited']

LIST_MATCH_EVENTS_RESPONSE_429_ERROR_CODE_VALUES: set[ListMatchEventsResponse429ErrorCode] = { 'rate_limited',  }

def check_list_match_events_response_429_error_code(value: str) -> ListMatchEventsResponse429ErrorCode:
    if value in LIST_MATCH_EVENTS_RESPONSE_429_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_MATCH_EVENTS_RESPONSE_429_ERROR_CODE_VALUES!r}")
