from typing import Literal

StreamMatchResponse401ErrorCode = Literal['unauthorized']

STREAM_MATCH_RESPONSE_401_ERROR_CODE_VALUES: set[StreamMatchResponse401ErrorCode] = { 'unauthorized',  }

def check_stream_match_response_401_error_code(value: str) -> StreamMatchResponse401ErrorCode:
    if value in STREAM_MATCH_RESPONSE_401_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {STREAM_MATCH_RESPONSE_401_ERROR_CODE_VALUES!r}")
