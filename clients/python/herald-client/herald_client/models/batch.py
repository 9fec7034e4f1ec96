from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast






T = TypeVar("T", bound="Batch")



@_attrs_define
class Batch:
    """ 
        Attributes:
            notifications (list[Any]):
     """

    notifications: list[Any]





    def to_dict(self) -> dict[str, Any]:
        notifications = []
        for notifications_item_data in self.notifications:
            notifications_item: Any
            notifications_item = notifications_item_data
            notifications.append(notifications_item)




        field_dict: dict[str, Any] = {}

        field_dict.update({
            "notifications": notifications,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        notifications = []
        _notifications = d.pop("notifications")
        for notifications_item_data in (_notifications):
            def _parse_notifications_item(data: object) -> Any:
                return cast(Any, data)

            notifications_item = _parse_notifications_item(notifications_item_data)

            notifications.append(notifications_item)


        batch = cls(
            notifications=notifications,
        )

        return batch

