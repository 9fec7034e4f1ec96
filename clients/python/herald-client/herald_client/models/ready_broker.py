from typing import Literal

ReadyBroker = Literal['embedded', 'ok', 'unavailable']

READY_BROKER_VALUES: set[ReadyBroker] = { 'embedded', 'ok', 'unavailable',  }

def check_ready_broker(value: str) -> ReadyBroker:
    if value in READY_BROKER_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {READY_BROKER_VALUES!r}")
