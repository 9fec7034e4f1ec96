from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="MatchViewResultType0StandingsItem")



@_attrs_define
class MatchViewResultType0StandingsItem:
    """ 
        Attributes:
            player_id (str):
            points (int):
            rank (int):
     """

    player_id: str
    points: int
    rank: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        player_id = self.player_id

        points = self.points

        rank = self.rank


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "playerId": player_id,
            "points": points,
            "rank": rank,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        player_id = d.pop("playerId")

        points = d.pop("points")

        rank = d.pop("rank")

        match_view_result_type_0_standings_item = cls(
            player_id=player_id,
            points=points,
            rank=rank,
        )


        match_view_result_type_0_standings_item.additional_properties = d
        return match_view_result_type_0_standings_item

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
