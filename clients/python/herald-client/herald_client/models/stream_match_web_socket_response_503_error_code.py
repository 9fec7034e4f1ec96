from typing import Literal

StreamMatchWebSocketResponse503ErrorCode = Literal['too_many_streams', 'unavailable']

STREAM_MATCH_WEB_SOCKET_RESPONSE_503_ERROR_CODE_VALUES: set[StreamMatchWebSocketResponse503ErrorCode] = { 'too_many_streams', 'unavailable',  }

def check_stream_match_web_socket_response_503_error_code(value: str) -> StreamMatchWebSocketResponse503ErrorCode:
    if value in STREAM_MATCH_WEB_SOCKET_RESPONSE_503_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {STREAM_MATCH_WEB_SOCKET_RESPONSE_503_ERROR_CODE_VALUES!r}")
