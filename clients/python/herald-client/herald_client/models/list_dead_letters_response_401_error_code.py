from typing import Literal

ListDeadLettersResponse401ErrorCode = Literal['unauthorized']

LIST_DEAD_LETTERS_RESPONSE_401_ERROR_CODE_VALUES: set[ListDeadLettersResponse401ErrorCode] = { 'unauthorized',  }

def check_list_dead_letters_response_401_error_code(value: str) -> ListDeadLettersResponse401ErrorCode:
    if value in LIST_DEAD_LETTERS_RESPONSE_401_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_DEAD_LETTERS_RESPONSE_401_ERROR_CODE_VALUES!r}")
