from typing import Literal

CreateStreamTokenResponse413ErrorCode = Literal['payload_too_large']

CREATE_STREAM_TOKEN_RESPONSE_413_ERROR_CODE_VALUES: set[CreateStreamTokenResponse413ErrorCode] = { 'payload_too_large',  }

def check_create_stream_token_response_413_error_code(value: str) -> CreateStreamTokenResponse413ErrorCode:
    if value in CREATE_STREAM_TOKEN_RESPONSE_413_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_STREAM_TOKEN_RESPONSE_413_ERROR_CODE_VALUES!r}")
