from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
from typing import Literal, cast

if TYPE_CHECKING:
  from ..models.sms_recipient import SmsRecipient





T = TypeVar("T", bound="SmsPlayerNotify")



@_attrs_define
class SmsPlayerNotify:
    """ 
        Attributes:
            channel (Literal['sms']):
            recipient (SmsRecipient):
     """

    channel: Literal['sms']
    recipient: SmsRecipient





    def to_dict(self) -> dict[str, Any]:
        from ..models.sms_recipient import SmsRecipient # noqa: PLC0415
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
        from ..models.sms_recipient import SmsRecipient # noqa: PLC0415
        d = dict(src_dict)
        channel = cast(Literal['sms'] , d.pop("channel"))
        if channel != 'sms':
            raise ValueError(f"channel must match const 'sms', got '{channel}'")

        recipient = SmsRecipient.from_dict(d.pop("recipient"))




        sms_player_notify = cls(
            channel=channel,
            recipient=recipient,
        )

        return sms_player_notify

