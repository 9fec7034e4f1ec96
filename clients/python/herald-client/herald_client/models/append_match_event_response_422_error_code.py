from typing import Literal

AppendMatchEventResponse422ErrorCode = Literal['forbidden_target', 'validation_failed']

APPEND_MATCH_EVENT_RESPONSE_422_ERROR_CODE_VALUES: set[AppendMatchEventResponse422ErrorCode] = { 'forbidden_target', 'validation_failed',  }

def check_append_match_event_response_422_error_code(value: str) -> AppendMatchEventResponse422ErrorCode:
    if value in APPEND_MATCH_EVENT_RESPONSE_422_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {APPEND_MATCH_EVENT_RESPONSE_422_ERROR_CODE_VALUES!r}")
