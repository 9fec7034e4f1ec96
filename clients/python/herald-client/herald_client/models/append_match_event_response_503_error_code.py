from typing import Literal

AppendMatchEventResponse503ErrorCode = Literal['unavailable']

APPEND_MATCH_EVENT_RESPONSE_503_ERROR_CODE_VALUES: set[AppendMatchEventResponse503ErrorCode] = { 'unavailable',  }

def check_append_match_event_response_503_error_code(value: str) -> AppendMatchEventResponse503ErrorCode:
    if value in APPEND_MATCH_EVENT_RESPONSE_503_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {APPEND_MATCH_EVENT_RESPONSE_503_ERROR_CODE_VALUES!r}")
