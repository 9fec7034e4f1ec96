from typing import Literal

ListDeadLettersResponse500ErrorCode = Literal['internal']

LIST_DEAD_LETTERS_RESPONSE_500_ERROR_CODE_VALUES: set[ListDeadLettersResponse500ErrorCode] = { 'internal',  }

def check_list_dead_letters_response_500_error_code(value: str) -> ListDeadLettersResponse500ErrorCode:
    if value in LIST_DEAD_LETTERS_RESPONSE_500_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_DEAD_LETTERS_RESPONSE_500_ERROR_CODE_VALUES!r}")
