from typing import Literal

RetryDeadLettersResponse500ErrorCode = Literal['internal']

RETRY_DEAD_LETTERS_RESPONSE_500_ERROR_CODE_VALUES: set[RetryDeadLettersResponse500ErrorCode] = { 'internal',  }

def check_retry_dead_letters_response_500_error_code(value: str) -> RetryDeadLettersResponse500ErrorCode:
    if value in RETRY_DEAD_LETTERS_RESPONSE_500_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RETRY_DEAD_LETTERS_RESPONSE_500_ERROR_CODE_VALUES!r}")
