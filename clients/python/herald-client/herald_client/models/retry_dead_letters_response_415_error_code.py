from typing import Literal

RetryDeadLettersResponse415ErrorCode = Literal['unsupported_media_type']

RETRY_DEAD_LETTERS_RESPONSE_415_ERROR_CODE_VALUES: set[RetryDeadLettersResponse415ErrorCode] = { 'unsupported_media_type',  }

def check_retry_dead_letters_response_415_error_code(value: str) -> RetryDeadLettersResponse415ErrorCode:
    if value in RETRY_DEAD_LETTERS_RESPONSE_415_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RETRY_DEAD_LETTERS_RESPONSE_415_ERROR_CODE_VALUES!r}")
