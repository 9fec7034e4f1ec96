from typing import Literal

CreateMatchResponse401ErrorCode = Literal['unauthorized']

CREATE_MATCH_RESPONSE_401_ERROR_CODE_VALUES: set[CreateMatchResponse401ErrorCode] = { 'unauthorized',  }

def check_create_match_response_401_error_code(value: str) -> CreateMatchResponse401ErrorCode:
    if value in CREATE_MATCH_RESPONSE_401_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_MATCH_RESPONSE_401_ERROR_CODE_VALUES!r}")
