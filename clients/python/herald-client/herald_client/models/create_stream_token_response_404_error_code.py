from typing import Literal

CreateStreamTokenResponse404ErrorCode = Literal['not_found']

CREATE_STREAM_TOKEN_RESPONSE_404_ERROR_CODE_VALUES: set[CreateStreamTokenResponse404ErrorCode] = { 'not_found',  }

def check_create_stream_token_response_404_error_code(value: str) -> CreateStreamTokenResponse404ErrorCode:
    if value in CREATE_STREAM_TOKEN_RESPONSE_404_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_STREAM_TOKEN_RESPONSE_404_ERROR_CODE_VALUES!r}")
