from typing import Literal

CreateMatchResponse409ErrorCode = Literal['invalid_state']

CREATE_MATCH_RESPONSE_409_ERROR_CODE_VALUES: set[CreateMatchResponse409ErrorCode] = { 'invalid_state',  }

def check_create_match_response_409_error_code(value: str) -> CreateMatchResponse409ErrorCode:
    if value in CREATE_MATCH_RESPONSE_409_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_MATCH_RESPONSE_409_ERROR_CODE_VALUES!r}")
