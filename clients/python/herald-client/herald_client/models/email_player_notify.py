from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
from typing import Literal, cast

if TYPE_CHECKING:
  from ..models.email_recipient import EmailRecipient





T = TypeVar("T", bound="EmailPlayerNotify")



@_attrs_define
class EmailPlayerNotify:
    """ 
        Attributes:
            channel (Literal['email']):
            recipient (EmailRecipient):
     """

    channel: Literal['email']
    recipient: EmailRecipient





    def to_dict(self) -> dict[str, Any]:
        from ..models.email_recipient import EmailRecipient # noqa: PLC0415
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
        from ..models.email_recipient import EmailRecipient # noqa: PLC0415
        d = dict(src_dict)
        channel = cast(Literal['email'] , d.pop("channel"))
        if channel != 'email':
            raise ValueError(f"channel must match const 'email', got '{channel}'")

        recipient = EmailRecipient.from_dict(d.pop("recipient"))




        email_player_notify = cls(
            channel=channel,
            recipient=recipient,
        )

        return email_player_notify

