from typing import Literal

AppendMatchEventResponse409ErrorCode = Literal['match_ended']

APPEND_MATCH_EVENT_RESPONSE_409_ERROR_CODE_VALUES: set[AppendMatchEventResponse409ErrorCode] = { 'match_ended',  }

def check_append_match_event_response_409_error_code(value: str) -> AppendMatchEventResponse409ErrorCode:
    if value in APPEND_MATCH_EVENT_RESPONSE_409_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {APPEND_MATCH_EVENT_RESPONSE_409_ERROR_CODE_VALUES!r}")
