from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.email_player_notify import EmailPlayerNotify
  from ..models.log_player_notify import LogPlayerNotify
  from ..models.push_player_notify import PushPlayerNotify
  from ..models.sms_player_notify import SmsPlayerNotify
  from ..models.webhook_player_notify import WebhookPlayerNotify





T = TypeVar("T", bound="Player")



@_attrs_define
class Player:
    """ 
        Attributes:
            id (str):
            notify (EmailPlayerNotify | LogPlayerNotify | PushPlayerNotify | SmsPlayerNotify | WebhookPlayerNotify): Where
                the player's result notification goes (validated like a notification's recipient)
     """

    id: str
    notify: EmailPlayerNotify | LogPlayerNotify | PushPlayerNotify | SmsPlayerNotify | WebhookPlayerNotify





    def to_dict(self) -> dict[str, Any]:
        from ..models.email_player_notify import EmailPlayerNotify # noqa: PLC0415
        from ..models.log_player_notify import LogPlayerNotify # noqa: PLC0415
        from ..models.push_player_notify import PushPlayerNotify # noqa: PLC0415
        from ..models.sms_player_notify import SmsPlayerNotify # noqa: PLC0415
        from ..models.webhook_player_notify import WebhookPlayerNotify # noqa: PLC0415
        id = self.id

        notify: dict[str, Any]
        if isinstance(self.notify, LogPlayerNotify):
            notify = self.notify.to_dict()
        elif isinstance(self.notify, WebhookPlayerNotify):
            notify = self.notify.to_dict()
        elif isinstance(self.notify, EmailPlayerNotify):
            notify = self.notify.to_dict()
        elif isinstance(self.notify, SmsPlayerNotify):
            notify = self.notify.to_dict()
        else:
            notify = self.notify.to_dict()



        field_dict: dict[str, Any] = {}

        field_dict.update({
            "id": id,
            "notify": notify,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.email_player_notify import EmailPlayerNotify # noqa: PLC0415
        from ..models.log_player_notify import LogPlayerNotify # noqa: PLC0415
        from ..models.push_player_notify import PushPlayerNotify # noqa: PLC0415
        from ..models.sms_player_notify import SmsPlayerNotify # noqa: PLC0415
        from ..models.webhook_player_notify import WebhookPlayerNotify # noqa: PLC0415
        d = dict(src_dict)
        id = d.pop("id")

        def _parse_notify(data: object) -> EmailPlayerNotify | LogPlayerNotify | PushPlayerNotify | SmsPlayerNotify | WebhookPlayerNotify:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_player_notify_type_0 = LogPlayerNotify.from_dict(data)



                return componentsschemas_player_notify_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_player_notify_type_1 = WebhookPlayerNotify.from_dict(data)



                return componentsschemas_player_notify_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_player_notify_type_2 = EmailPlayerNotify.from_dict(data)



                return componentsschemas_player_notify_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_player_notify_type_3 = SmsPlayerNotify.from_dict(data)



                return componentsschemas_player_notify_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_player_notify_type_4 = PushPlayerNotify.from_dict(data)



            return componentsschemas_player_notify_type_4

        notify = _parse_notify(d.pop("notify"))


        player = cls(
            id=id,
            notify=notify,
        )

        return player

