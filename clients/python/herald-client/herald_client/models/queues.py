from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.queues_queues_item import QueuesQueuesItem





T = TypeVar("T", bound="Queues")



@_attrs_define
class Queues:
    """ 
        Attributes:
            count_cap (int): A count equal to this means at least this many
            generated_at (datetime.datetime):
            queues (list[QueuesQueuesItem]):
     """

    count_cap: int
    generated_at: datetime.datetime
    queues: list[QueuesQueuesItem]





    def to_dict(self) -> dict[str, Any]:
        from ..models.queues_queues_item import QueuesQueuesItem # noqa: PLC0415
        count_cap = self.count_cap

        generated_at = self.generated_at.isoformat()

        queues = []
        for queues_item_data in self.queues:
            queues_item = queues_item_data.to_dict()
            queues.append(queues_item)




        field_dict: dict[str, Any] = {}

        field_dict.update({
            "countCap": count_cap,
            "generatedAt": generated_at,
            "queues": queues,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.queues_queues_item import QueuesQueuesItem # noqa: PLC0415
        d = dict(src_dict)
        count_cap = d.pop("countCap")

        generated_at = datetime.datetime.fromisoformat(d.pop("generatedAt"))




        queues = []
        _queues = d.pop("queues")
        for queues_item_data in (_queues):
            queues_item = QueuesQueuesItem.from_dict(queues_item_data)



            queues.append(queues_item)


        queues = cls(
            count_cap=count_cap,
            generated_at=generated_at,
            queues=queues,
        )

        return queues

