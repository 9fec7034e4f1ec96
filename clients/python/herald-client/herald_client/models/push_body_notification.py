from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.priority import check_priority
from ..models.priority import Priority
from ..types import UNSET, Unset
from typing import cast
from typing import Literal, cast
import datetime

if TYPE_CHECKING:
  from ..models.push_body_notification_metadata import PushBodyNotificationMetadata
  from ..models.push_recipient import PushRecipient
  from ..models.quiet_hours import QuietHours





T = TypeVar("T", bound="PushBodyNotification")



@_attrs_define
class PushBodyNotification:
    """ A push notification with its text in body

        Attributes:
            channel (Literal['push']):
            recipient (PushRecipient):
            body (str): At most 4096 bytes as UTF-8 (so at most 4096 characters)
            subject (str | Unset): The push title; not blank
            priority (Priority | Unset):
            send_at (datetime.datetime | Unset): RFC 3339 with an offset, at most 366 days ahead (further is a 422); the job
                is scheduled until then, a past time sends now
            quiet_hours (QuietHours | Unset): A daily window in the recipient's time zone in which non-critical
                notifications wait; start > end wraps midnight. start and end differ (equal is a 422).
            max_attempts (int | Unset):  Default: 5.
            metadata (PushBodyNotificationMetadata | Unset): Opaque to Herald, returned with the job and passed to webhooks;
                at most 8192 bytes as JSON
     """

    channel: Literal['push']
    recipient: PushRecipient
    body: str
    subject: str | Unset = UNSET
    priority: Priority | Unset = UNSET
    send_at: datetime.datetime | Unset = UNSET
    quiet_hours: QuietHours | Unset = UNSET
    max_attempts: int | Unset = 5
    metadata: PushBodyNotificationMetadata | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.push_body_notification_metadata import PushBodyNotificationMetadata # noqa: PLC0415
        from ..models.push_recipient import PushRecipient # noqa: PLC0415
        from ..models.quiet_hours import QuietHours # noqa: PLC0415
        channel = self.channel

        recipient = self.recipient.to_dict()

        body = self.body

        subject = self.subject

        priority: str | Unset = UNSET
        if not isinstance(self.priority, Unset):
            priority = self.priority


        send_at: str | Unset = UNSET
        if not isinstance(self.send_at, Unset):
            send_at = self.send_at.isoformat()

        quiet_hours: dict[str, Any] | Unset = UNSET
        if not isinstance(self.quiet_hours, Unset):
            quiet_hours = self.quiet_hours.to_dict()

        max_attempts = self.max_attempts

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "channel": channel,
            "recipient": recipient,
            "body": body,
        })
        if subject is not UNSET:
            field_dict["subject"] = subject
        if priority is not UNSET:
            field_dict["priority"] = priority
        if send_at is not UNSET:
            field_dict["sendAt"] = send_at
        if quiet_hours is not UNSET:
            field_dict["quietHours"] = quiet_hours
        if max_attempts is not UNSET:
            field_dict["maxAttempts"] = max_attempts
        if metadata is not UNSET:
            field_dict["metadata"] = metadata

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.push_body_notification_metadata import PushBodyNotificationMetadata # noqa: PLC0415
        from ..models.push_recipient import PushRecipient # noqa: PLC0415
        from ..models.quiet_hours import QuietHours # noqa: PLC0415
        d = dict(src_dict)
        channel = cast(Literal['push'] , d.pop("channel"))
        if channel != 'push':
            raise ValueError(f"channel must match const 'push', got '{channel}'")

        recipient = PushRecipient.from_dict(d.pop("recipient"))




        body = d.pop("body")

        subject = d.pop("subject", UNSET)

        _priority = d.pop("priority", UNSET)
        priority: Priority | Unset
        if isinstance(_priority,  Unset):
            priority = UNSET
        else:
            priority = check_priority(_priority)




        _send_at = d.pop("sendAt", UNSET)
        send_at: datetime.datetime | Unset
        if isinstance(_send_at,  Unset):
            send_at = UNSET
        else:
            send_at = datetime.datetime.fromisoformat(_send_at)




        _quiet_hours = d.pop("quietHours", UNSET)
        quiet_hours: QuietHours | Unset
        if isinstance(_quiet_hours,  Unset):
            quiet_hours = UNSET
        else:
            quiet_hours = QuietHours.from_dict(_quiet_hours)




        max_attempts = d.pop("maxAttempts", UNSET)

        _metadata = d.pop("metadata", UNSET)
        metadata: PushBodyNotificationMetadata | Unset
        if isinstance(_metadata,  Unset):
            metadata = UNSET
        else:
            metadata = PushBodyNotificationMetadata.from_dict(_metadata)




        push_body_notification = cls(
            channel=channel,
            recipient=recipient,
            body=body,
            subject=subject,
            priority=priority,
            send_at=send_at,
            quiet_hours=quiet_hours,
            max_attempts=max_attempts,
            metadata=metadata,
        )

        return push_body_notification

