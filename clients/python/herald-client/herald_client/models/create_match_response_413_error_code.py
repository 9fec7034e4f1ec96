from typing import Literal

CreateMatchResponse413ErrorCode = Literal['payload_too_large']

CREATE_MATCH_RESPONSE_413_ERROR_CODE_VALUES: set[CreateMatchResponse413ErrorCode] = { 'payload_too_large',  }

def check_create_match_response_413_error_code(value: str) -> CreateMatchResponse413ErrorCode:
    if value in CREATE_MATCH_RESPONSE_413_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_MATCH_RESPONSE_413_ERROR_CODE_VALUES!r}")
