from typing import Literal

StreamMatchResponse403ErrorCode = Literal['forbidden']

STREAM_MATCH_RESPONSE_403_ERROR_CODE_VALUES: set[StreamMatchResponse403ErrorCode] = { 'forbidden',  }

def check_stream_match_response_403_error_code(value: str) -> StreamMatchResponse403ErrorCode:
    if value in STREAM_MATCH_RESPONSE_403_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {STREAM_MATCH_RESPONSE_403_ERROR_CODE_VALUES!r}")
