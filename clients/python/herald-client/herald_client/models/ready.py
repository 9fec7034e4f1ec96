from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.ready_broker import check_ready_broker
from ..models.ready_broker import ReadyBroker
from ..models.ready_status import check_ready_status
from ..models.ready_status import ReadyStatus
from ..models.ready_store import check_ready_store
from ..models.ready_store import ReadyStore
from typing import cast






T = TypeVar("T", bound="Ready")



@_attrs_define
class Ready:
    """ 
        Attributes:
            status (ReadyStatus):
            store (ReadyStore):
            broker (ReadyBroker):
     """

    status: ReadyStatus
    store: ReadyStore
    broker: ReadyBroker
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        status: str = self.status

        store: str = self.store

        broker: str = self.broker


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "status": status,
            "store": store,
            "broker": broker,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        status = check_ready_status(d.pop("status"))




        store = check_ready_store(d.pop("store"))




        broker = check_ready_broker(d.pop("broker"))




        ready = cls(
            status=status,
            store=store,
            broker=broker,
        )


        ready.additional_properties = d
        return ready

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
