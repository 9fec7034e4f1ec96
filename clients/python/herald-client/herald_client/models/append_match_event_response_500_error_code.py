from typing import Literal

AppendMatchEventResponse500ErrorCode = Literal['internal']

APPEND_MATCH_EVENT_RESPONSE_500_ERROR_CODE_VALUES: set[AppendMatchEventResponse500ErrorCode] = { 'internal',  }

def check_append_match_event_response_500_error_code(value: str) -> AppendMatchEventResponse500ErrorCode:
    if value in APPEND_MATCH_EVENT_RESPONSE_500_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {APPEND_MATCH_EVENT_RESPONSE_500_ERROR_CODE_VALUES!r}")
