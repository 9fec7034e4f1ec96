from typing import Literal

CreateStreamTokenResponse408ErrorCode = Literal['request_timeout']

CREATE_STREAM_TOKEN_RESPONSE_408_ERROR_CODE_VALUES: set[CreateStreamTokenResponse408ErrorCode] = { 'request_timeout',  }

def check_create_stream_token_response_408_error_code(value: str) -> CreateStreamTokenResponse408ErrorCode:
    if value in CREATE_STREAM_TOKEN_RESPONSE_408_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_STREAM_TOKEN_RESPONSE_408_ERROR_CODE_VALUES!r}")
