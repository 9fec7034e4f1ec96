from typing import Literal

RetryDeadLettersResponse503ErrorCode = Literal['unavailable']

RETRY_DEAD_LETTERS_RESPONSE_503_ERROR_CODE_VALUES: set[RetryDeadLettersResponse503ErrorCode] = { 'unavailable',  }

def check_retry_dead_letters_response_503_error_code(value: str) -> RetryDeadLettersResponse503ErrorCode:
    if value in RETRY_DEAD_LETTERS_RESPONSE_503_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RETRY_DEAD_LETTERS_RESPONSE_503_ERROR_CODE_VALUES!r}")
