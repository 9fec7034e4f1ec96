from typing import Literal

StreamMatchWebSocketResponse429ErrorCode = Literal['rate_limited']

STREAM_MATCH_WEB_SOCKET_RESPONSE_429_ERROR_CODE_VALUES: set[StreamMatchWebSocketResponse429ErrorCode] = { 'rate_limited',  }

def check_stream_match_web_socket_response_429_error_code(value: str) -> StreamMatchWebSocketResponse429ErrorCode:
    if value in STREAM_MATCH_WEB_SOCKET_RESPONSE_429_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {STREAM_MATCH_WEB_SOCKET_RESPONSE_429_ERROR_CODE_VALUES!r}")
