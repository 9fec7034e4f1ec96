from typing import Literal

RetryDeadLettersResponse413ErrorCode = Literal['payload_too_large']

RETRY_DEAD_LETTERS_RESPONSE_413_ERROR_CODE_VALUES: set[RetryDeadLettersResponse413ErrorCode] = { 'payload_too_large',  }

def check_retry_dead_letters_response_413_error_code(value: str) -> RetryDeadLettersResponse413ErrorCode:
    if value in RETRY_DEAD_LETTERS_RESPONSE_413_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RETRY_DEAD_LETTERS_RESPONSE_413_ERROR_CODE_VALUES!r}")
