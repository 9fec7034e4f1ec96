from typing import Literal

LoggedEventType = Literal['end', 'join', 'score']

LOGGED_EVENT_TYPE_VALUES: set[LoggedEventType] = { 'end', 'join', 'score',  }

def check_logged_event_type(value: str) -> LoggedEventType:
    if value in LOGGED_EVENT_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LOGGED_EVENT_TYPE_VALUES!r}")
