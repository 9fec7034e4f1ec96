from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.workers_workers_item_status import check_workers_workers_item_status
from ..models.workers_workers_item_status import WorkersWorkersItemStatus
from ..types import UNSET, Unset
from typing import cast
import datetime






T = TypeVar("T", bound="WorkersWorkersItem")



@_attrs_define
class WorkersWorkersItem:
    """ 
        Attributes:
            worker_id (str | Unset):
            hostname (str | Unset):
            pid (int | Unset):
            started_at (datetime.datetime | Unset):
            in_flight (int | Unset):
            capacity (int | Unset):
            active_matches (int | Unset):
            match_capacity (int | Unset):
            processed (int | Unset):
            last_seen (datetime.datetime | Unset):
            status (WorkersWorkersItemStatus | Unset):
     """

    worker_id: str | Unset = UNSET
    hostname: str | Unset = UNSET
    pid: int | Unset = UNSET
    started_at: datetime.datetime | Unset = UNSET
    in_flight: int | Unset = UNSET
    capacity: int | Unset = UNSET
    active_matches: int | Unset = UNSET
    match_capacity: int | Unset = UNSET
    processed: int | Unset = UNSET
    last_seen: datetime.datetime | Unset = UNSET
    status: WorkersWorkersItemStatus | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        worker_id = self.worker_id

        hostname = self.hostname

        pid = self.pid

        started_at: str | Unset = UNSET
        if not isinstance(self.started_at, Unset):
            started_at = self.started_at.isoformat()

        in_flight = self.in_flight

        capacity = self.capacity

        active_matches = self.active_matches

        match_capacity = self.match_capacity

        processed = self.processed

        last_seen: str | Unset = UNSET
        if not isinstance(self.last_seen, Unset):
            last_seen = self.last_seen.isoformat()

        status: str | Unset = UNSET
        if not isinstance(self.status, Unset):
            status = self.status



        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
        })
        if worker_id is not UNSET:
            field_dict["workerId"] = worker_id
        if hostname is not UNSET:
            field_dict["hostname"] = hostname
        if pid is not UNSET:
            field_dict["pid"] = pid
        if started_at is not UNSET:
            field_dict["startedAt"] = started_at
        if in_flight is not UNSET:
            field_dict["inFlight"] = in_flight
        if capacity is not UNSET:
            field_dict["capacity"] = capacity
        if active_matches is not UNSET:
            field_dict["activeMatches"] = active_matches
        if match_capacity is not UNSET:
            field_dict["matchCapacity"] = match_capacity
        if processed is not UNSET:
            field_dict["processed"] = processed
        if last_seen is not UNSET:
            field_dict["lastSeen"] = last_seen
        if status is not UNSET:
            field_dict["status"] = status

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        worker_id = d.pop("workerId", UNSET)

        hostname = d.pop("hostname", UNSET)

        pid = d.pop("pid", UNSET)

        _started_at = d.pop("startedAt", UNSET)
        started_at: datetime.datetime | Unset
        if isinstance(_started_at,  Unset):
            started_at = UNSET
        else:
            started_at = datetime.datetime.fromisoformat(_started_at)




        in_flight = d.pop("inFlight", UNSET)

        capacity = d.pop("capacity", UNSET)

        active_matches = d.pop("activeMatches", UNSET)

        match_capacity = d.pop("matchCapacity", UNSET)

        processed = d.pop("processed", UNSET)

        _last_seen = d.pop("lastSeen", UNSET)
        last_seen: datetime.datetime | Unset
        if isinstance(_last_seen,  Unset):
            last_seen = UNSET
        else:
            last_seen = datetime.datetime.fromisoformat(_last_seen)




        _status = d.pop("status", UNSET)
        status: WorkersWorkersItemStatus | Unset
        if isinstance(_status,  Unset):
            status = UNSET
        else:
            status = check_workers_workers_item_status(_status)




        workers_workers_item = cls(
            worker_id=worker_id,
            hostname=hostname,
            pid=pid,
            started_at=started_at,
            in_flight=in_flight,
            capacity=capacity,
            active_matches=active_matches,
            match_capacity=match_capacity,
            processed=processed,
            last_seen=last_seen,
            status=status,
        )


        workers_workers_item.additional_properties = d
        return workers_workers_item

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
