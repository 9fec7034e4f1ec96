from typing import Literal

ListJobsView = Literal['full', 'summary']

LIST_JOBS_VIEW_VALUES: set[ListJobsView] = { 'full', 'summary',  }

def check_list_jobs_view(value: str) -> ListJobsView:
    if value in LIST_JOBS_VIEW_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {LIST_JOBS_VIEW_VALUES!r}")
