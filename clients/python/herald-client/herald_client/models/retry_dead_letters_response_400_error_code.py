from typing import Literal

RetryDeadLettersResponse400ErrorCode = Literal['invalid_field', 'malformed_json', 'unreadable_body']

RETRY_DEAD_LETTERS_RESPONSE_400_ERROR_CODE_VALUES: set[RetryDeadLettersResponse400ErrorCode] = { 'invalid_field', 'malformed_json', 'unreadable_body',  }

def check_retry_dead_letters_response_400_error_code(value: str) -> RetryDeadLettersResponse400ErrorCode:
    if value in RETRY_DEAD_LETTERS_RESPONSE_400_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RETRY_DEAD_LETTERS_RESPONSE_400_ERROR_CODE_VALUES!r}")
