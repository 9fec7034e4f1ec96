from typing import Literal

CreateMatchResponse422ErrorCode = Literal['forbidden_target', 'idempotency_key_reused', 'validation_failed']

CREATE_MATCH_RESPONSE_422_ERROR_CODE_VALUES: set[CreateMatchResponse422ErrorCode] = { 'forbidden_target', 'idempotency_key_reused', 'validation_failed',  }

def check_create_match_response_422_error_code(value: str) -> CreateMatchResponse422ErrorCode:
    if value in CREATE_MATCH_RESPONSE_422_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_MATCH_RESPONSE_422_ERROR_CODE_VALUES!r}")
