from typing import Literal

RetryDeadLettersResponse422ErrorCode = Literal['forbidden_target', 'validation_failed']

RETRY_DEAD_LETTERS_RESPONSE_422_ERROR_CODE_VALUES: set[RetryDeadLettersResponse422ErrorCode] = { 'forbidden_target', 'validation_failed',  }

def check_retry_dead_letters_response_422_error_code(value: str) -> RetryDeadLettersResponse422ErrorCode:
    if value in RETRY_DEAD_LETTERS_RESPONSE_422_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RETRY_DEAD_LETTERS_RESPONSE_422_ERROR_CODE_VALUES!r}")
