from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.email_body_notification import EmailBodyNotification
  from ..models.email_template_notification import EmailTemplateNotification
  from ..models.log_body_notification import LogBodyNotification
  from ..models.log_template_notification import LogTemplateNotification
  from ..models.push_body_notification import PushBodyNotification
  from ..models.push_template_notification import PushTemplateNotification
  from ..models.sms_body_notification import SmsBodyNotification
  from ..models.sms_template_notification import SmsTemplateNotification
  from ..models.webhook_body_notification import WebhookBodyNotification
  from ..models.webhook_template_notification import WebhookTemplateNotification





T = TypeVar("T", bound="Batch")



@_attrs_define
class Batch:
    """ 
        Attributes:
            notifications (list[EmailBodyNotification | EmailTemplateNotification | LogBodyNotification |
                LogTemplateNotification | PushBodyNotification | PushTemplateNotification | SmsBodyNotification |
                SmsTemplateNotification | WebhookBodyNotification | WebhookTemplateNotification]):
     """

    notifications: list[EmailBodyNotification | EmailTemplateNotification | LogBodyNotification | LogTemplateNotification | PushBodyNotification | PushTemplateNotification | SmsBodyNotification | SmsTemplateNotification | WebhookBodyNotification | WebhookTemplateNotification]





    def to_dict(self) -> dict[str, Any]:
        from ..models.email_body_notification import EmailBodyNotification # noqa: PLC0415
        from ..models.email_template_notification import EmailTemplateNotification # noqa: PLC0415
        from ..models.log_body_notification import LogBodyNotification # noqa: PLC0415
        from ..models.log_template_notification import LogTemplateNotification # noqa: PLC0415
        from ..models.push_body_notification import PushBodyNotification # noqa: PLC0415
        from ..models.push_template_notification import PushTemplateNotification # noqa: PLC0415
        from ..models.sms_body_notification import SmsBodyNotification # noqa: PLC0415
        from ..models.sms_template_notification import SmsTemplateNotification # noqa: PLC0415
        from ..models.webhook_body_notification import WebhookBodyNotification # noqa: PLC0415
        from ..models.webhook_template_notification import WebhookTemplateNotification # noqa: PLC0415
        notifications = []
        for notifications_item_data in self.notifications:
            notifications_item: dict[str, Any]
            if isinstance(notifications_item_data, LogBodyNotification):
                notifications_item = notifications_item_data.to_dict()
            elif isinstance(notifications_item_data, LogTemplateNotification):
                notifications_item = notifications_item_data.to_dict()
            elif isinstance(notifications_item_data, WebhookBodyNotification):
                notifications_item = notifications_item_data.to_dict()
            elif isinstance(notifications_item_data, WebhookTemplateNotification):
                notifications_item = notifications_item_data.to_dict()
            elif isinstance(notifications_item_data, EmailBodyNotification):
                notifications_item = notifications_item_data.to_dict()
            elif isinstance(notifications_item_data, EmailTemplateNotification):
                notifications_item = notifications_item_data.to_dict()
            elif isinstance(notifications_item_data, SmsBodyNotification):
                notifications_item = notifications_item_data.to_dict()
            elif isinstance(notifications_item_data, SmsTemplateNotification):
                notifications_item = notifications_item_data.to_dict()
            elif isinstance(notifications_item_data, PushBodyNotification):
                notifications_item = notifications_item_data.to_dict()
            else:
                notifications_item = notifications_item_data.to_dict()

            notifications.append(notifications_item)




        field_dict: dict[str, Any] = {}

        field_dict.update({
            "notifications": notifications,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.email_body_notification import EmailBodyNotification # noqa: PLC0415
        from ..models.email_template_notification import EmailTemplateNotification # noqa: PLC0415
        from ..models.log_body_notification import LogBodyNotification # noqa: PLC0415
        from ..models.log_template_notification import LogTemplateNotification # noqa: PLC0415
        from ..models.push_body_notification import PushBodyNotification # noqa: PLC0415
        from ..models.push_template_notification import PushTemplateNotification # noqa: PLC0415
        from ..models.sms_body_notification import SmsBodyNotification # noqa: PLC0415
        from ..models.sms_template_notification import SmsTemplateNotification # noqa: PLC0415
        from ..models.webhook_body_notification import WebhookBodyNotification # noqa: PLC0415
        from ..models.webhook_template_notification import WebhookTemplateNotification # noqa: PLC0415
        d = dict(src_dict)
        notifications = []
        _notifications = d.pop("notifications")
        for notifications_item_data in (_notifications):
            def _parse_notifications_item(data: object) -> EmailBodyNotification | EmailTemplateNotification | LogBodyNotification | LogTemplateNotification | PushBodyNotification | PushTemplateNotification | SmsBodyNotification | SmsTemplateNotification | WebhookBodyNotification | WebhookTemplateNotification:
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_log_notification_type_0 = LogBodyNotification.from_dict(data)



                    return componentsschemas_log_notification_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_log_notification_type_1 = LogTemplateNotification.from_dict(data)



                    return componentsschemas_log_notification_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_webhook_notification_type_0 = WebhookBodyNotification.from_dict(data)



                    return componentsschemas_webhook_notification_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_webhook_notification_type_1 = WebhookTemplateNotification.from_dict(data)



                    return componentsschemas_webhook_notification_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_email_notification_type_0 = EmailBodyNotification.from_dict(data)



                    return componentsschemas_email_notification_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_email_notification_type_1 = EmailTemplateNotification.from_dict(data)



                    return componentsschemas_email_notification_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_sms_notification_type_0 = SmsBodyNotification.from_dict(data)



                    return componentsschemas_sms_notification_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_sms_notification_type_1 = SmsTemplateNotification.from_dict(data)



                    return componentsschemas_sms_notification_type_1
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                try:
                    if not isinstance(data, dict):
                        raise TypeError()
                    componentsschemas_push_notification_type_0 = PushBodyNotification.from_dict(data)



                    return componentsschemas_push_notification_type_0
                except (TypeError, ValueError, AttributeError, KeyError):
                    pass
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_push_notification_type_1 = PushTemplateNotification.from_dict(data)



                return componentsschemas_push_notification_type_1

            notifications_item = _parse_notifications_item(notifications_item_data)

            notifications.append(notifications_item)


        batch = cls(
            notifications=notifications,
        )

        return batch

