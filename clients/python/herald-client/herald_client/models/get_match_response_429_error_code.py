from typing import Literal

GetMatchResponse429ErrorCode = Literal['rate_limited']

GET_MATCH_RESPONSE_429_ERROR_CODE_VALUES: set[GetMatchResponse429ErrorCode] = { 'rate_limited',  }

def check_get_match_response_429_error_code(value: str) -> GetMatchResponse429ErrorCode:
    if value in GET_MATCH_RESPONSE_429_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {GET_MATCH_RESPONSE_429_ERROR_CODE_VALUES!r}")
