from typing import Literal

JobStatus = Literal['cancelled', 'dead', 'pending', 'running', 'scheduled', 'succeeded']

JOB_STATUS_VALUES: set[JobStatus] = { 'cancelled', 'dead', 'pending', 'running', 'scheduled', 'succeeded',  }

def check_job_status(value: str) -> JobStatus:
    if value in JOB_STATUS_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {JOB_STATUS_VALUES!r}")
