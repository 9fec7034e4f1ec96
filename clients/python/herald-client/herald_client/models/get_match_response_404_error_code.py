from typing import Literal

GetMatchResponse404ErrorCode = Literal['not_found']

GET_MATCH_RESPONSE_404_ERROR_CODE_VALUES: set[GetMatchResponse404ErrorCode] = { 'not_found',  }

def check_get_match_response_404_error_code(value: str) -> GetMatchResponse404ErrorCode:
    if value in GET_MATCH_RESPONSE_404_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {GET_MATCH_RESPONSE_404_ERROR_CODE_VALUES!r}")
