from typing import Literal

RetryDeadLettersResponse429ErrorCode = Literal['rate_limited']

RETRY_DEAD_LETTERS_RESPONSE_429_ERROR_CODE_VALUES: set[RetryDeadLettersResponse429ErrorCode] = { 'rate_limited',  }

def check_retry_dead_letters_response_429_error_code(value: str) -> RetryDeadLettersResponse429ErrorCode:
    if value in RETRY_DEAD_LETTERS_RESPONSE_429_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RETRY_DEAD_LETTERS_RESPONSE_429_ERROR_CODE_VALUES!r}")
