from typing import Literal

AppendMatchEventResponse429ErrorCode = Literal['rate_limited']

APPEND_MATCH_EVENT_RESPONSE_429_ERROR_CODE_VALUES: set[AppendMatchEventResponse429ErrorCode] = { 'rate_limited',  }

def check_append_match_event_response_429_error_code(value: str) -> AppendMatchEventResponse429ErrorCode:
    if value in APPEND_MATCH_EVENT_RESPONSE_429_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {APPEND_MATCH_EVENT_RESPONSE_429_ERROR_CODE_VALUES!r}")
