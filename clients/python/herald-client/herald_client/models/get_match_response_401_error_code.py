from typing import Literal

GetMatchResponse401ErrorCode = Literal['unauthorized']

GET_MATCH_RESPONSE_401_ERROR_CODE_VALUES: set[GetMatchResponse401ErrorCode] = { 'unauthorized',  }

def check_get_match_response_401_error_code(value: str) -> GetMatchResponse401ErrorCode:
    if value in GET_MATCH_RESPONSE_401_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {GET_MATCH_RESPONSE_401_ERROR_CODE_VALUES!r}")
