from typing import Literal

StreamMatchResponse400ErrorCode = Literal['invalid_field', 'invalid_query']

STREAM_MATCH_RESPONSE_400_ERROR_CODE_VALUES: set[StreamMatchResponse400ErrorCode] = { 'invalid_field', 'invalid_query',  }

def check_stream_match_response_400_error_code(value: str) -> StreamMatchResponse400ErrorCode:
    if value in STREAM_MATCH_RESPONSE_400_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {STREAM_MATCH_RESPONSE_400_ERROR_CODE_VALUES!r}")
