from typing import Literal

CreateStreamTokenResponse500ErrorCode = Literal['internal']

CREATE_STREAM_TOKEN_RESPONSE_500_ERROR_CODE_VALUES: set[CreateStreamTokenResponse500ErrorCode] = { 'internal',  }

def check_create_stream_token_response_500_error_code(value: str) -> CreateStreamTokenResponse500ErrorCode:
    if value in CREATE_STREAM_TOKEN_RESPONSE_500_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_STREAM_TOKEN_RESPONSE_500_ERROR_CODE_VALUES!r}")
