from typing import Literal

AppendMatchEventResponse401ErrorCode = Literal['unauthorized']

APPEND_MATCH_EVENT_RESPONSE_401_ERROR_CODE_VALUES: set[AppendMatchEventResponse401ErrorCode] = { 'unauthorized',  }

def check_append_match_event_response_401_error_code(value: str) -> AppendMatchEventResponse401ErrorCode:
    if value in APPEND_MATCH_EVENT_RESPONSE_401_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {APPEND_MATCH_EVENT_RESPONSE_401_ERROR_CODE_VALUES!r}")
