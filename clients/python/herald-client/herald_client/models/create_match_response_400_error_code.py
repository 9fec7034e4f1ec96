from typing import Literal

CreateMatchResponse400ErrorCode = Literal['invalid_field', 'malformed_json', 'unreadable_body']

CREATE_MATCH_RESPONSE_400_ERROR_CODE_VALUES: set[CreateMatchResponse400ErrorCode] = { 'invalid_field', 'malformed_json', 'unreadable_body',  }

def check_create_match_response_400_error_code(value: str) -> CreateMatchResponse400ErrorCode:
    if value in CREATE_MATCH_RESPONSE_400_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_MATCH_RESPONSE_400_ERROR_CODE_VALUES!r}")
