from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import Literal, cast






T = TypeVar("T", bound="JoinEvent")



@_attrs_define
class JoinEvent:
    """ A player joins; playerId names a player of the match (another is a 422)

        Attributes:
            type_ (Literal['join']):
            player_id (str):
     """

    type_: Literal['join']
    player_id: str





    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        player_id = self.player_id


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "type": type_,
            "playerId": player_id,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        type_ = cast(Literal['join'] , d.pop("type"))
        if type_ != 'join':
            raise ValueError(f"type must match const 'join', got '{type_}'")

        player_id = d.pop("playerId")

        join_event = cls(
            type_=type_,
            player_id=player_id,
        )

        return join_event

