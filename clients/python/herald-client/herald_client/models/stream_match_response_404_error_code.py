from typing import Literal

StreamMatchResponse404ErrorCode = Literal['not_found']

STREAM_MATCH_RESPONSE_404_ERROR_CODE_VALUES: set[StreamMatchResponse404ErrorCode] = { 'not_found',  }

def check_stream_match_response_404_error_code(value: str) -> StreamMatchResponse404ErrorCode:
    if value in STREAM_MATCH_RESPONSE_404_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {STREAM_MATCH_RESPONSE_404_ERROR_CODE_VALUES!r}")
