from typing import Literal

CreateMatchResponse500ErrorCode = Literal['internal']

CREATE_MATCH_RESPONSE_500_ERROR_CODE_VALUES: set[CreateMatchResponse500ErrorCode] = { 'internal',  }

def check_create_match_response_500_error_code(value: str) -> CreateMatchResponse500ErrorCode:
    if value in CREATE_MATCH_RESPONSE_500_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_MATCH_RESPONSE_500_ERROR_CODE_VALUES!r}")
