from typing import Literal

ReadyStore = Literal['ok', 'unavailable']

READY_STORE_VALUES: set[ReadyStore] = { 'ok', 'unavailable',  }

def check_ready_store(value: str) -> ReadyStore:
    if value in READY_STORE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {READY_STORE_VALUES!r}")
