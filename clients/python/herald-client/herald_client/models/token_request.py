from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset






T = TypeVar("T", bound="TokenRequest")



@_attrs_define
class TokenRequest:
    """ 
        Attributes:
            ttl_sec (int):
            player_id (str | Unset): A player of the match: the token may then send join and score events as this player
                over the WebSocket. Absent: a spectator's token
     """

    ttl_sec: int
    player_id: str | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        ttl_sec = self.ttl_sec

        player_id = self.player_id


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "ttlSec": ttl_sec,
        })
        if player_id is not UNSET:
            field_dict["playerId"] = player_id

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        ttl_sec = d.pop("ttlSec")

        player_id = d.pop("playerId", UNSET)

        token_request = cls(
            ttl_sec=ttl_sec,
            player_id=player_id,
        )

        return token_request

