from typing import Literal

MatchViewResultType0EndedBy = Literal['end', 'time']

MATCH_VIEW_RESULT_TYPE_0_ENDED_BY_VALUES: set[MatchViewResultType0EndedBy] = { 'end', 'time',  }

def check_match_view_result_type_0_ended_by(value: str) -> MatchViewResultType0EndedBy:
    if value in MATCH_VIEW_RESULT_TYPE_0_ENDED_BY_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {MATCH_VIEW_RESULT_TYPE_0_ENDED_BY_VALUES!r}")
