from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
from typing import Literal, cast

if TYPE_CHECKING:
  from ..models.push_recipient import PushRecipient





T = TypeVar("T", bound="PushPlayerNotify")



@_attrs_define
class PushPlayerNotify:
    """ 
        Attributes:
            channel (Literal['push']):
            recipient (PushRecipient):
     """

    channel: Literal['push']
    recipient: PushRecipient





    def to_dict(self) -> dict[str, Any]:
        from ..models.push_recipient import PushRecipient # noqa: PLC0415
        channel = self.channel

        recipient = self.recipient.to_dict()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "channel": channel,
            "recipient": recipient,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.push_recipient import PushRecipient # noqa: PLC0415
        d = dict(src_dict)
        channel = cast(Literal['push'] , d.pop("channel"))
        if channel != 'push':
            raise ValueError(f"channel must match const 'push', got '{channel}'")

        recipient = PushRecipient.from_dict(d.pop("recipient"))




        push_player_notify = cls(
            channel=channel,
            recipient=recipient,
        )

        return push_player_notify

