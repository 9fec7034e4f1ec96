from typing import Literal

GetMatchResponse503ErrorCode = Literal['unavailable']

GET_MATCH_RESPONSE_503_ERROR_CODE_VALUES: set[GetMatchResponse503ErrorCode] = { 'unavailable',  }

def check_get_match_response_503_error_code(value: str) -> GetMatchResponse503ErrorCode:
    if value in GET_MATCH_RESPONSE_503_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {GET_MATCH_RESPONSE_503_ERROR_CODE_VALUES!r}")
