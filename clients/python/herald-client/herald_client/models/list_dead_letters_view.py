from typing import Literal

ListDeadLettersView = Literal['full', 'summary']

LIST_DEAD_LETTERS_VIEW_VALUES: set[ListDeadLettersView] = { 'full', 'summary',  }

def check_list_dead_letters_view(value: str) -> ListDeadLettersView:
    if value in LIST_DEAD_LETTERS_VIEW_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_DEAD_LETTERS_VIEW_VALUES!r}")
