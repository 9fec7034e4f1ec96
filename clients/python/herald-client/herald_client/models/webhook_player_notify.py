from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
from typing import Literal, cast

if TYPE_CHECKING:
  from ..models.webhook_recipient import WebhookRecipient





T = TypeVar("T", bound="WebhookPlayerNotify")



@_attrs_define
class WebhookPlayerNotify:
    """ 
        Attributes:
            channel (Literal['webhook']):
            recipient (WebhookRecipient):
     """

    channel: Literal['webhook']
    recipient: WebhookRecipient





    def to_dict(self) -> dict[str, Any]:
        from ..models.webhook_recipient import WebhookRecipient # noqa: PLC0415
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
        from ..models.webhook_recipient import WebhookRecipient # noqa: PLC0415
        d = dict(src_dict)
        channel = cast(Literal['webhook'] , d.pop("channel"))
        if channel != 'webhook':
            raise ValueError(f"channel must match const 'webhook', got '{channel}'")

        recipient = WebhookRecipient.from_dict(d.pop("recipient"))




        webhook_player_notify = cls(
            channel=channel,
            recipient=recipient,
        )

        return webhook_player_notify

