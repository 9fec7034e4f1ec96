from typing import Literal

StreamMatchWebSocketResponse401ErrorCode = Literal['unauthorized']

STREAM_MATCH_WEB_SOCKET_RESPONSE_401_ERROR_CODE_VALUES: set[StreamMatchWebSocketResponse401ErrorCode] = { 'unauthorized',  }

def check_stream_match_web_socket_response_401_error_code(value: str) -> StreamMatchWebSocketResponse401ErrorCode:
    if value in STREAM_MATCH_WEB_SOCKET_RESPONSE_401_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {STREAM_MATCH_WEB_SOCKET_RESPONSE_401_ERROR_CODE_VALUES!r}")
