from typing import Literal

ListDeadLettersResponse503ErrorCode = Literal['unavailable']

LIST_DEAD_LETTERS_RESPONSE_503_ERROR_CODE_VALUES: set[ListDeadLettersResponse503ErrorCode] = { 'unavailable',  }

def check_list_dead_letters_response_503_error_code(value: str) -> ListDeadLettersResponse503ErrorCode:
    if value in LIST_DEAD_LETTERS_RESPONSE_503_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_DEAD_LETTERS_RESPONSE_503_ERROR_CODE_VALUES!r}")
