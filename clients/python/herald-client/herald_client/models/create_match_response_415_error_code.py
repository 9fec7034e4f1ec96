from typing import Literal

CreateMatchResponse415ErrorCode = Literal['unsupported_media_type']

CREATE_MATCH_RESPONSE_415_ERROR_CODE_VALUES: set[CreateMatchResponse415ErrorCode] = { 'unsupported_media_type',  }

def check_create_match_response_415_error_code(value: str) -> CreateMatchResponse415ErrorCode:
    if value in CREATE_MATCH_RESPONSE_415_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_MATCH_RESPONSE_415_ERROR_CODE_VALUES!r}")
