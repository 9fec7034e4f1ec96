from typing import Literal

JobHistoryItemOutcome = Literal['cancelled', 'dead', 'lease_expired', 'released', 'retrying', 'snoozed', 'succeeded']

JOB_HISTORY_ITEM_OUTCOME_VALUES: set[JobHistoryItemOutcome] = { 'cancelled', 'dead', 'lease_expired', 'released', 'retrying', 'snoozed', 'succeeded',  }

def check_job_history_item_outcome(value: str) -> JobHistoryItemOutcome:
    if value in JOB_HISTORY_ITEM_OUTCOME_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {JOB_HISTORY_ITEM_OUTCOME_VALUES!r}")
