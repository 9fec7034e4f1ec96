from typing import Literal

StreamMatchWebSocketResponse404ErrorCode = Literal['not_found']

STREAM_MATCH_WEB_SOCKET_RESPONSE_404_ERROR_CODE_VALUES: set[StreamMatchWebSocketResponse404ErrorCode] = { 'not_found',  }

def check_stream_match_web_socket_response_404_error_code(value: str) -> StreamMatchWebSocketResponse404ErrorCode:
    if value in STREAM_MATCH_WEB_SOCKET_RESPONSE_404_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {STREAM_MATCH_WEB_SOCKET_RESPONSE_404_ERROR_CODE_VALUES!r}")
