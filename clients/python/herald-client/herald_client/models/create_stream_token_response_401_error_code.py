from typing import Literal

CreateStreamTokenResponse401ErrorCode = Literal['unauthorized']

CREATE_STREAM_TOKEN_RESPONSE_401_ERROR_CODE_VALUES: set[CreateStreamTokenResponse401ErrorCode] = { 'unauthorized',  }

def check_create_stream_token_response_401_error_code(value: str) -> CreateStreamTokenResponse401ErrorCode:
    if value in CREATE_STREAM_TOKEN_RESPONSE_401_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_STREAM_TOKEN_RESPONSE_401_ERROR_CODE_VALUES!r}")
