from typing import Literal

CreateStreamTokenResponse422ErrorCode = Literal['forbidden_target', 'validation_failed']

CREATE_STREAM_TOKEN_RESPONSE_422_ERROR_CODE_VALUES: set[CreateStreamTokenResponse422ErrorCode] = { 'forbidden_target', 'validation_failed',  }

def check_create_stream_token_response_422_error_code(value: str) -> CreateStreamTokenResponse422ErrorCode:
    if value in CREATE_STREAM_TOKEN_RESPONSE_422_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_STREAM_TOKEN_RESPONSE_422_ERROR_CODE_VALUES!r}")
