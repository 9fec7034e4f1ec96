from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import Literal, cast






T = TypeVar("T", bound="ScoreEvent")



@_attrs_define
class ScoreEvent:
    """ Points for a player of the match (another is a 422)

        Attributes:
            type_ (Literal['score']):
            player_id (str):
            points (int):
     """

    type_: Literal['score']
    player_id: str
    points: int





    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        player_id = self.player_id

        points = self.points


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "type": type_,
            "playerId": player_id,
            "points": points,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        type_ = cast(Literal['score'] , d.pop("type"))
        if type_ != 'score':
            raise ValueError(f"type must match const 'score', got '{type_}'")

        player_id = d.pop("playerId")

        points = d.pop("points")

        score_event = cls(
            type_=type_,
            player_id=player_id,
            points=points,
        )

        return score_event

