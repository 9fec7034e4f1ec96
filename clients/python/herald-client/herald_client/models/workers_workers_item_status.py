from typing import Literal

WorkersWorkersItemStatus = Literal['active', 'idle']

WORKERS_WORKERS_ITEM_STATUS_VALUES: set[WorkersWorkersItemStatus] = { 'active', 'idle',  }

def check_workers_workers_item_status(value: str) -> WorkersWorkersItemStatus:
    if value in WORKERS_WORKERS_ITEM_STATUS_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {WORKERS_WORKERS_ITEM_STATUS_VALUES!r}")
