from typing import Literal

CreateStreamTokenResponse415ErrorCode = Literal['unsupported_media_type']

CREATE_STREAM_TOKEN_RESPONSE_415_ERROR_CODE_VALUES: set[CreateStreamTokenResponse415ErrorCode] = { 'unsupported_media_type',  }

def check_create_stream_token_response_415_error_code(value: str) -> CreateStreamTokenResponse415ErrorCode:
    if value in CREATE_STREAM_TOKEN_RESPONSE_415_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_STREAM_TOKEN_RESPONSE_415_ERROR_CODE_VALUES!r}")
