from typing import Literal

ListDeadLettersResponse400ErrorCode = Literal['invalid_field', 'invalid_query']

LIST_DEAD_LETTERS_RESPONSE_400_ERROR_CODE_VALUES: set[ListDeadLettersResponse400ErrorCode] = { 'invalid_field', 'invalid_query',  }

def check_list_dead_letters_response_400_error_code(value: str) -> ListDeadLettersResponse400ErrorCode:
    if value in LIST_DEAD_LETTERS_RESPONSE_400_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_DEAD_LETTERS_RESPONSE_400_ERROR_CODE_VALUES!r}")
