from typing import Literal

ListDeadLettersResponse429ErrorCode = Literal['rate_limited']

LIST_DEAD_LETTERS_RESPONSE_429_ERROR_CODE_VALUES: set[ListDeadLettersResponse429ErrorCode] = { 'rate_limited',  }

def check_list_dead_letters_response_429_error_code(value: str) -> ListDeadLettersResponse429ErrorCode:
    if value in LIST_DEAD_LETTERS_RESPONSE_429_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_DEAD_LETTERS_RESPONSE_429_ERROR_CODE_VALUES!r}")
