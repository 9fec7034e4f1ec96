from typing import Literal

ListMatchEventsResponse400ErrorCode = Literal['invalid_field', 'invalid_query']

LIST_MATCH_EVENTS_RESPONSE_400_ERROR_CODE_VALUES: set[ListMatchEventsResponse400ErrorCode] = { 'invalid_field', 'invalid_query',  }

def check_list_match_events_response_400_error_code(value: str) -> ListMatchEventsResponse400ErrorCode:
    if value in LIST_MATCH_EVENTS_RESPONSE_400_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_MATCH_EVENTS_RESPONSE_400_ERROR_CODE_VALUES!r}")
