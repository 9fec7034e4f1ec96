from typing import Literal

AppendMatchEventResponse408ErrorCode = Literal['request_timeout']

APPEND_MATCH_EVENT_RESPONSE_408_ERROR_CODE_VALUES: set[AppendMatchEventResponse408ErrorCode] = { 'request_timeout',  }

def check_append_match_event_response_408_error_code(value: str) -> AppendMatchEventResponse408ErrorCode:
    if value in APPEND_MATCH_EVENT_RESPONSE_408_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {APPEND_MATCH_EVENT_RESPONSE_408_ERROR_CODE_VALUES!r}")
