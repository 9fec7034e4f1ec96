from typing import Literal

AppendMatchEventResponse400ErrorCode = Literal['invalid_field', 'malformed_json', 'unreadable_body']

APPEND_MATCH_EVENT_RESPONSE_400_ERROR_CODE_VALUES: set[AppendMatchEventResponse400ErrorCode] = { 'invalid_field', 'malformed_json', 'unreadable_body',  }

def check_append_match_event_response_400_error_code(value: str) -> AppendMatchEventResponse400ErrorCode:
    if value in APPEND_MATCH_EVENT_RESPONSE_400_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {APPEND_MATCH_EVENT_RESPONSE_400_ERROR_CODE_VALUES!r}")
