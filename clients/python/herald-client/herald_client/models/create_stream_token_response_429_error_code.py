from typing import Literal

CreateStreamTokenResponse429ErrorCode = Literal['rate_limited']

CREATE_STREAM_TOKEN_RESPONSE_429_ERROR_CODE_VALUES: set[CreateStreamTokenResponse429ErrorCode] = { 'rate_limited',  }

def check_create_stream_token_response_429_error_code(value: str) -> CreateStreamTokenResponse429ErrorCode:
    if value in CREATE_STREAM_TOKEN_RESPONSE_429_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_STREAM_TOKEN_RESPONSE_429_ERROR_CODE_VALUES!r}")
