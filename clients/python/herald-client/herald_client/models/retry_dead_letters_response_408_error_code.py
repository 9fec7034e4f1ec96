from typing import Literal

RetryDeadLettersResponse408ErrorCode = Literal['request_timeout']

RETRY_DEAD_LETTERS_RESPONSE_408_ERROR_CODE_VALUES: set[RetryDeadLettersResponse408ErrorCode] = { 'request_timeout',  }

def check_retry_dead_letters_response_408_error_code(value: str) -> RetryDeadLettersResponse408ErrorCode:
    if value in RETRY_DEAD_LETTERS_RESPONSE_408_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RETRY_DEAD_LETTERS_RESPONSE_408_ERROR_CODE_VALUES!r}")
