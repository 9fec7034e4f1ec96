from typing import Literal

CreateStreamTokenResponse400ErrorCode = Literal['invalid_field', 'malformed_json', 'unreadable_body']

CREATE_STREAM_TOKEN_RESPONSE_400_ERROR_CODE_VALUES: set[CreateStreamTokenResponse400ErrorCode] = { 'invalid_field', 'malformed_json', 'unreadable_body',  }

def check_create_stream_token_response_400_error_code(value: str) -> CreateStreamTokenResponse400ErrorCode:
    if value in CREATE_STREAM_TOKEN_RESPONSE_400_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_STREAM_TOKEN_RESPONSE_400_ERROR_CODE_VALUES!r}")
