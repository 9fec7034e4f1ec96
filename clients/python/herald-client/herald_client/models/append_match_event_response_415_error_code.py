from typing import Literal

AppendMatchEventResponse415ErrorCode = Literal['unsupported_media_type']

APPEND_MATCH_EVENT_RESPONSE_415_ERROR_CODE_VALUES: set[AppendMatchEventResponse415ErrorCode] = { 'unsupported_media_type',  }

def check_append_match_event_response_415_error_code(value: str) -> AppendMatchEventResponse415ErrorCode:
    if value in APPEND_MATCH_EVENT_RESPONSE_415_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {APPEND_MATCH_EVENT_RESPONSE_415_ERROR_CODE_VALUES!r}")
