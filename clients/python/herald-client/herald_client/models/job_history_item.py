from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.job_history_item_outcome import check_job_history_item_outcome
from ..models.job_history_item_outcome import JobHistoryItemOutcome
from ..types import UNSET, Unset
from typing import cast
import datetime






T = TypeVar("T", bound="JobHistoryItem")



@_attrs_define
class JobHistoryItem:
    """ 
        Attributes:
            at (datetime.datetime):
            attempt (int):
            worker (None | str):
            outcome (JobHistoryItemOutcome):
            error (str | Unset):
     """

    at: datetime.datetime
    attempt: int
    worker: None | str
    outcome: JobHistoryItemOutcome
    error: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        at = self.at.isoformat()

        attempt = self.attempt

        worker: None | str
        worker = self.worker

        outcome: str = self.outcome

        error = self.error


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "at": at,
            "attempt": attempt,
            "worker": worker,
            "outcome": outcome,
        })
        if error is not UNSET:
            field_dict["error"] = error

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        at = datetime.datetime.fromisoformat(d.pop("at"))




        attempt = d.pop("attempt")

        def _parse_worker(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        worker = _parse_worker(d.pop("worker"))


        outcome = check_job_history_item_outcome(d.pop("outcome"))




        error = d.pop("error", UNSET)

        job_history_item = cls(
            at=at,
            attempt=attempt,
            worker=worker,
            outcome=outcome,
            error=error,
        )


        job_history_item.additional_properties = d
        return job_history_item

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
