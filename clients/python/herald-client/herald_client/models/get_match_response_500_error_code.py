from typing import Literal

GetMatchResponse500ErrorCode = Literal['internal']

GET_MATCH_RESPONSE_500_ERROR_CODE_VALUES: set[GetMatchResponse500ErrorCode] = { 'internal',  }

def check_get_match_response_500_error_code(value: str) -> GetMatchResponse500ErrorCode:
    if value in GET_MATCH_RESPONSE_500_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {GET_MATCH_RESPONSE_500_ERROR_CODE_VALUES!r}")
