from typing import Literal

AppendMatchEventResponse413ErrorCode = Literal['payload_too_large']

APPEND_MATCH_EVENT_RESPONSE_413_ERROR_CODE_VALUES: set[AppendMatchEventResponse413ErrorCode] = { 'payload_too_large',  }

def check_append_match_event_response_413_error_code(value: str) -> AppendMatchEventResponse413ErrorCode:
    if value in APPEND_MATCH_EVENT_RESPONSE_413_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {APPEND_MATCH_EVENT_RESPONSE_413_ERROR_CODE_VALUES!r}")
