from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="QueuesQueuesItemCounts")



@_attrs_define
class QueuesQueuesItemCounts:
    """ 
        Attributes:
            pending (int):
            scheduled (int):
            running (int):
            succeeded (int):
            dead (int):
            cancelled (int):
     """

    pending: int
    scheduled: int
    running: int
    succeeded: int
    dead: int
    cancelled: int





    def to_dict(self) -> dict[str, Any]:
        pending = self.pending

        scheduled = self.scheduled

        running = self.running

        succeeded = self.succeeded

        dead = self.dead

        cancelled = self.cancelled


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "pending": pending,
            "scheduled": scheduled,
            "running": running,
            "succeeded": succeeded,
            "dead": dead,
            "cancelled": cancelled,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        pending = d.pop("pending")

        scheduled = d.pop("scheduled")

        running = d.pop("running")

        succeeded = d.pop("succeeded")

        dead = d.pop("dead")

        cancelled = d.pop("cancelled")

        queues_queues_item_counts = cls(
            pending=pending,
            scheduled=scheduled,
            running=running,
            succeeded=succeeded,
            dead=dead,
            cancelled=cancelled,
        )

        return queues_queues_item_counts

