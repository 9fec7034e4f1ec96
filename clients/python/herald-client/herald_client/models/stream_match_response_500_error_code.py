from typing import Literal

StreamMatchResponse500ErrorCode = Literal['internal']

STREAM_MATCH_RESPONSE_500_ERROR_CODE_VALUES: set[StreamMatchResponse500ErrorCode] = { 'internal',  }

def check_stream_match_response_500_error_code(value: str) -> StreamMatchResponse500ErrorCode:
    if value in STREAM_MATCH_RESPONSE_500_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {STREAM_MATCH_RESPONSE_500_ERROR_CODE_VALUES!r}")
