from typing import Literal

CreateMatchResponse503ErrorCode = Literal['unavailable']

CREATE_MATCH_RESPONSE_503_ERROR_CODE_VALUES: set[CreateMatchResponse503ErrorCode] = { 'unavailable',  }

def check_create_match_response_503_error_code(value: str) -> CreateMatchResponse503ErrorCode:
    if value in CREATE_MATCH_RESPONSE_503_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_MATCH_RESPONSE_503_ERROR_CODE_VALUES!r}")
