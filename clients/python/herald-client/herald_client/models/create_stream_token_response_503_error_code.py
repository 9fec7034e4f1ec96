from typing import Literal

CreateStreamTokenResponse503ErrorCode = Literal['not_configured', 'unavailable']

CREATE_STREAM_TOKEN_RESPONSE_503_ERROR_CODE_VALUES: set[CreateStreamTokenResponse503ErrorCode] = { 'not_configured', 'unavailable',  }

def check_create_stream_token_response_503_error_code(value: str) -> CreateStreamTokenResponse503ErrorCode:
    if value in CREATE_STREAM_TOKEN_RESPONSE_503_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_STREAM_TOKEN_RESPONSE_503_ERROR_CODE_VALUES!r}")
