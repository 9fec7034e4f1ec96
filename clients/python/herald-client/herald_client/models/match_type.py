from typing import Literal

MatchType = Literal['scoreboard']

MATCH_TYPE_VALUES: set[MatchType] = { 'scoreboard',  }

def check_match_type(value: str) -> MatchType:
    if value in MATCH_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {MATCH_TYPE_VALUES!r}")
