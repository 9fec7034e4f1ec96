from typing import Literal

RetryDeadLettersResponse401ErrorCode = Literal['unauthorized']

RETRY_DEAD_LETTERS_RESPONSE_401_ERROR_CODE_VALUES: set[RetryDeadLettersResponse401ErrorCode] = { 'unauthorized',  }

def check_retry_dead_letters_response_401_error_code(value: str) -> RetryDeadLettersResponse401ErrorCode:
    if value in RETRY_DEAD_LETTERS_RESPONSE_401_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RETRY_DEAD_LETTERS_RESPONSE_401_ERROR_CODE_VALUES!r}")
