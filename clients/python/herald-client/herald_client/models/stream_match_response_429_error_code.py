from typing import Literal

StreamMatchResponse429ErrorCode = Literal['rate_limited']

STREAM_MATCH_RESPONSE_429_ERROR_CODE_VALUES: set[StreamMatchResponse429ErrorCode] = { 'rate_limited',  }

def check_stream_match_response_429_error_code(value: str) -> StreamMatchResponse429ErrorCode:
    if value in STREAM_MATCH_RESPONSE_429_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {STREAM_MATCH_RESPONSE_429_ERROR_CODE_VALUES!r}")
