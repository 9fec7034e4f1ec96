from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.match_type import check_match_type
from ..models.match_type import MatchType
from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.match_metadata import MatchMetadata
  from ..models.player import Player





T = TypeVar("T", bound="Match")



@_attrs_define
class Match:
    """ 
        Attributes:
            type_ (MatchType):
            players (list[Player]): Player ids are unique within the match (a repeated id is a 422)
            duration_sec (int): The match ends this long after a host starts it, or at an end event
            metadata (MatchMetadata | Unset): At most 8192 bytes as JSON
     """

    type_: MatchType
    players: list[Player]
    duration_sec: int
    metadata: MatchMetadata | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.match_metadata import MatchMetadata # noqa: PLC0415
        from ..models.player import Player # noqa: PLC0415
        type_: str = self.type_

        players = []
        for players_item_data in self.players:
            players_item = players_item_data.to_dict()
            players.append(players_item)



        duration_sec = self.duration_sec

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "type": type_,
            "players": players,
            "durationSec": duration_sec,
        })
        if metadata is not UNSET:
            field_dict["metadata"] = metadata

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.match_metadata import MatchMetadata # noqa: PLC0415
        from ..models.player import Player # noqa: PLC0415
        d = dict(src_dict)
        type_ = check_match_type(d.pop("type"))




        players = []
        _players = d.pop("players")
        for players_item_data in (_players):
            players_item = Player.from_dict(players_item_data)



            players.append(players_item)


        duration_sec = d.pop("durationSec")

        _metadata = d.pop("metadata", UNSET)
        metadata: MatchMetadata | Unset
        if isinstance(_metadata,  Unset):
            metadata = UNSET
        else:
            metadata = MatchMetadata.from_dict(_metadata)




        match = cls(
            type_=type_,
            players=players,
            duration_sec=duration_sec,
            metadata=metadata,
        )

        return match

