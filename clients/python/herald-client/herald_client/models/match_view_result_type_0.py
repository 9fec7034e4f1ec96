from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.match_view_result_type_0_ended_by import check_match_view_result_type_0_ended_by
from ..models.match_view_result_type_0_ended_by import MatchViewResultType0EndedBy
from typing import cast

if TYPE_CHECKING:
  from ..models.match_view_result_type_0_standings_item import MatchViewResultType0StandingsItem





T = TypeVar("T", bound="MatchViewResultType0")



@_attrs_define
class MatchViewResultType0:
    """ 
        Attributes:
            standings (list[MatchViewResultType0StandingsItem]):
            ended_by (MatchViewResultType0EndedBy):
     """

    standings: list[MatchViewResultType0StandingsItem]
    ended_by: MatchViewResultType0EndedBy
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.match_view_result_type_0_standings_item import MatchViewResultType0StandingsItem # noqa: PLC0415
        standings = []
        for standings_item_data in self.standings:
            standings_item = standings_item_data.to_dict()
            standings.append(standings_item)



        ended_by: str = self.ended_by


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "standings": standings,
            "endedBy": ended_by,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.match_view_result_type_0_standings_item import MatchViewResultType0StandingsItem # noqa: PLC0415
        d = dict(src_dict)
        standings = []
        _standings = d.pop("standings")
        for standings_item_data in (_standings):
            standings_item = MatchViewResultType0StandingsItem.from_dict(standings_item_data)



            standings.append(standings_item)


        ended_by = check_match_view_result_type_0_ended_by(d.pop("endedBy"))




        match_view_result_type_0 = cls(
            standings=standings,
            ended_by=ended_by,
        )


        match_view_result_type_0.additional_properties = d
        return match_view_result_type_0

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
