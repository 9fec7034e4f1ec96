from typing import Literal

CreateMatchResponse408ErrorCode = Literal['request_timeout']

CREATE_MATCH_RESPONSE_408_ERROR_CODE_VALUES: set[CreateMatchResponse408ErrorCode] = { 'request_timeout',  }

def check_create_match_response_408_error_code(value: str) -> CreateMatchResponse408ErrorCode:
    if value in CREATE_MATCH_RESPONSE_408_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_MATCH_RESPONSE_408_ERROR_CODE_VALUES!r}")
