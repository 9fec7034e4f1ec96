from typing import Literal

CreateMatchResponse429ErrorCode = Literal['rate_limited']

CREATE_MATCH_RESPONSE_429_ERROR_CODE_VALUES: set[CreateMatchResponse429ErrorCode] = { 'rate_limited',  }

def check_create_match_response_429_error_code(value: str) -> CreateMatchResponse429ErrorCode:
    if value in CREATE_MATCH_RESPONSE_429_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_MATCH_RESPONSE_429_ERROR_CODE_VALUES!r}")
