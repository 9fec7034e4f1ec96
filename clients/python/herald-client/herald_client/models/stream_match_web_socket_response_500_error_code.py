from typing import Literal

StreamMatchWebSocketResponse500ErrorCode = Literal['internal']

STREAM_MATCH_WEB_SOCKET_RESPONSE_500_ERROR_CODE_VALUES: set[StreamMatchWebSocketResponse500ErrorCode] = { 'internal',  }

def check_stream_match_web_socket_response_500_error_code(value: str) -> StreamMatchWebSocketResponse500ErrorCode:
    if value in STREAM_MATCH_WEB_SOCKET_RESPONSE_500_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {STREAM_MATCH_WEB_SOCKET_RESPONSE_500_ERROR_CODE_VALUES!r}")
