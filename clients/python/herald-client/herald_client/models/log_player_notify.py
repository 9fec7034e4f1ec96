from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
from typing import Literal, cast

if TYPE_CHECKING:
  from ..models.log_recipient import LogRecipient





T = TypeVar("T", bound="LogPlayerNotify")



@_attrs_define
class LogPlayerNotify:
    """ 
        Attributes:
            channel (Literal['log']):
            recipient (LogRecipient):
     """

    channel: Literal['log']
    recipient: LogRecipient





    def to_dict(self) -> dict[str, Any]:
        from ..models.log_recipient import LogRecipient # noqa: PLC0415
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
        from ..models.log_recipient import LogRecipient # noqa: PLC0415
        d = dict(src_dict)
        channel = cast(Literal['log'] , d.pop("channel"))
        if channel != 'log':
            raise ValueError(f"channel must match const 'log', got '{channel}'")

        recipient = LogRecipient.from_dict(d.pop("recipient"))




        log_player_notify = cls(
            channel=channel,
            recipient=recipient,
        )

        return log_player_notify

