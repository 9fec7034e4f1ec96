from typing import Literal

MatchViewType = Literal['scoreboard']

MATCH_VIEW_TYPE_VALUES: set[MatchViewType] = { 'scoreboard',  }

def check_match_view_type(value: str) -> MatchViewType:
    if value in MATCH_VIEW_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {MATCH_VIEW_TYPE_VALUES!r}")
