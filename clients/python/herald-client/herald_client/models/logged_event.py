from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.logged_event_type import check_logged_event_type
from ..models.logged_event_type import LoggedEventType
from ..types import UNSET, Unset
from typing import cast
import datetime






T = TypeVar("T", bound="LoggedEvent")



@_attrs_define
class LoggedEvent:
    """ 
        Attributes:
            seq (int):
            type_ (LoggedEventType):
            at (datetime.datetime):
            player_id (str | Unset):
            points (int | Unset):
     """

    seq: int
    type_: LoggedEventType
    at: datetime.datetime
    player_id: str | Unset = UNSET
    points: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        seq = self.seq

        type_: str = self.type_

        at = self.at.isoformat()

        player_id = self.player_id

        points = self.points


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "seq": seq,
            "type": type_,
            "at": at,
        })
        if player_id is not UNSET:
            field_dict["playerId"] = player_id
        if points is not UNSET:
            field_dict["points"] = points

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        seq = d.pop("seq")

        type_ = check_logged_event_type(d.pop("type"))




        at = datetime.datetime.fromisoformat(d.pop("at"))




        player_id = d.pop("playerId", UNSET)

        points = d.pop("points", UNSET)

        logged_event = cls(
            seq=seq,
            type_=type_,
            at=at,
            player_id=player_id,
            points=points,
        )


        logged_event.additional_properties = d
        return logged_event

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
