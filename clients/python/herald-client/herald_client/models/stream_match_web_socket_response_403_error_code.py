from typing import Literal

StreamMatchWebSocketResponse403ErrorCode = Literal['forbidden']

STREAM_MATCH_WEB_SOCKET_RESPONSE_403_ERROR_CODE_VALUES: set[StreamMatchWebSocketResponse403ErrorCode] = { 'forbidden',  }

def check_stream_match_web_socket_response_403_error_code(value: str) -> StreamMatchWebSocketResponse403ErrorCode:
    if value in STREAM_MATCH_WEB_SOCKET_RESPONSE_403_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {STREAM_MATCH_WEB_SOCKET_RESPONSE_403_ERROR_CODE_VALUES!r}")
