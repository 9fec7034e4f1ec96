from typing import Literal

StreamMatchWebSocketResponse400ErrorCode = Literal['invalid_field', 'invalid_query']

STREAM_MATCH_WEB_SOCKET_RESPONSE_400_ERROR_CODE_VALUES: set[StreamMatchWebSocketResponse400ErrorCode] = { 'invalid_field', 'invalid_query',  }

def check_stream_match_web_socket_response_400_error_code(value: str) -> StreamMatchWebSocketResponse400ErrorCode:
    if value in STREAM_MATCH_WEB_SOCKET_RESPONSE_400_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {STREAM_MATCH_WEB_SOCKET_RESPONSE_400_ERROR_CODE_VALUES!r}")
