from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.job_kind import check_job_kind
from ..models.job_kind import JobKind
from ..models.priority import check_priority
from ..models.priority import Priority
from typing import cast

if TYPE_CHECKING:
  from ..models.queues_queues_item_counts import QueuesQueuesItemCounts





T = TypeVar("T", bound="QueuesQueuesItem")



@_attrs_define
class QueuesQueuesItem:
    """ 
        Attributes:
            kind (JobKind):
            priority (Priority):
            counts (QueuesQueuesItemCounts):
            oldest_ready_age_seconds (float | None): Age of the oldest pending or scheduled job that is due; null when none
     """

    kind: JobKind
    priority: Priority
    counts: QueuesQueuesItemCounts
    oldest_ready_age_seconds: float | None





    def to_dict(self) -> dict[str, Any]:
        from ..models.queues_queues_item_counts import QueuesQueuesItemCounts # noqa: PLC0415
        kind: str = self.kind

        priority: str = self.priority

        counts = self.counts.to_dict()

        oldest_ready_age_seconds: float | None
        oldest_ready_age_seconds = self.oldest_ready_age_seconds


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "kind": kind,
            "priority": priority,
            "counts": counts,
            "oldestReadyAgeSeconds": oldest_ready_age_seconds,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.queues_queues_item_counts import QueuesQueuesItemCounts # noqa: PLC0415
        d = dict(src_dict)
        kind = check_job_kind(d.pop("kind"))




        priority = check_priority(d.pop("priority"))




        counts = QueuesQueuesItemCounts.from_dict(d.pop("counts"))




        def _parse_oldest_ready_age_seconds(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        oldest_ready_age_seconds = _parse_oldest_ready_age_seconds(d.pop("oldestReadyAgeSeconds"))


        queues_queues_item = cls(
            kind=kind,
            priority=priority,
            counts=counts,
            oldest_ready_age_seconds=oldest_ready_age_seconds,
        )

        return queues_queues_item

