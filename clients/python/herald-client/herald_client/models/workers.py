from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.workers_workers_item import WorkersWorkersItem





T = TypeVar("T", bound="Workers")



@_attrs_define
class Workers:
    """ 
        Attributes:
            total_workers (int):
            active_workers (int): With jobs in flight or matches hosted
            idle_workers (int):
            total_matches (int):
            generated_at (datetime.datetime):
            workers (list[WorkersWorkersItem]):
     """

    total_workers: int
    active_workers: int
    idle_workers: int
    total_matches: int
    generated_at: datetime.datetime
    workers: list[WorkersWorkersItem]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.workers_workers_item import WorkersWorkersItem # noqa: PLC0415
        total_workers = self.total_workers

        active_workers = self.active_workers

        idle_workers = self.idle_workers

        total_matches = self.total_matches

        generated_at = self.generated_at.isoformat()

        workers = []
        for workers_item_data in self.workers:
            workers_item = workers_item_data.to_dict()
            workers.append(workers_item)




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "totalWorkers": total_workers,
            "activeWorkers": active_workers,
            "idleWorkers": idle_workers,
            "totalMatches": total_matches,
            "generatedAt": generated_at,
            "workers": workers,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.workers_workers_item import WorkersWorkersItem # noqa: PLC0415
        d = dict(src_dict)
        total_workers = d.pop("totalWorkers")

        active_workers = d.pop("activeWorkers")

        idle_workers = d.pop("idleWorkers")

        total_matches = d.pop("totalMatches")

        generated_at = datetime.datetime.fromisoformat(d.pop("generatedAt"))




        workers = []
        _workers = d.pop("workers")
        for workers_item_data in (_workers):
            workers_item = WorkersWorkersItem.from_dict(workers_item_data)



            workers.append(workers_item)


        workers = cls(
            total_workers=total_workers,
            active_workers=active_workers,
            idle_workers=idle_workers,
            total_matches=total_matches,
            generated_at=generated_at,
            workers=workers,
        )


        workers.additional_properties = d
        return workers

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
