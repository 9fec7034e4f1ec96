from typing import Literal

AppendMatchEventResponse404ErrorCode = Literal['not_found']

APPEND_MATCH_EVENT_RESPONSE_404_ERROR_CODE_VALUES: set[AppendMatchEventResponse404ErrorCode] = { 'not_found',  }

def check_append_match_event_response_404_error_code(value: str) -> AppendMatchEventResponse404ErrorCode:
    if value in APPEND_MATCH_EVENT_RESPONSE_404_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {APPEND_MATCH_EVENT_RESPONSE_404_ERROR_CODE_VALUES!r}")
