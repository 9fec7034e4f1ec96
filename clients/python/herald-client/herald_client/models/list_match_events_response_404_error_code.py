from typing import Literal

ListMatchEventsResponse404ErrorCode = Literal['not_found']

LIST_MATCH_EVENTS_RESPONSE_404_ERROR_CODE_VALUES: set[ListMatchEventsResponse404ErrorCode] = { 'not_found',  }

def check_list_match_events_response_404_error_code(value: str) -> ListMatchEventsResponse404ErrorCode:
    if value in LIST_MATCH_EVENTS_RESPONSE_404_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_MATCH_EVENTS_RESPONSE_404_ERROR_CODE_VALUES!r}")
