from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.channel import Channel
from ..models.channel import check_channel
from ..models.job_kind import check_job_kind
from ..models.job_kind import JobKind
from ..models.priority import check_priority
from ..models.priority import Priority
from ..types import UNSET, Unset
from typing import cast
from uuid import UUID
import datetime






T = TypeVar("T", bound="BulkFilter")



@_attrs_define
class BulkFilter:
    """ Every field that is set must match; {} selects all of the tenant's jobs in the starting status

        Attributes:
            channel (Channel | Unset):
            kind (JobKind | Unset):
            priority (Priority | Unset):
            created_after (datetime.datetime | Unset): Created strictly after
            created_before (datetime.datetime | Unset): Created strictly before
            error_contains (str | Unset): lastError contains this text (case-sensitive, literal)
            ids (list[UUID] | Unset): Only these jobs; another tenant's id selects nothing
     """

    channel: Channel | Unset = UNSET
    kind: JobKind | Unset = UNSET
    priority: Priority | Unset = UNSET
    created_after: datetime.datetime | Unset = UNSET
    created_before: datetime.datetime | Unset = UNSET
    error_contains: str | Unset = UNSET
    ids: list[UUID] | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        channel: str | Unset = UNSET
        if not isinstance(self.channel, Unset):
            channel = self.channel


        kind: str | Unset = UNSET
        if not isinstance(self.kind, Unset):
            kind = self.kind


        priority: str | Unset = UNSET
        if not isinstance(self.priority, Unset):
            priority = self.priority


        created_after: str | Unset = UNSET
        if not isinstance(self.created_after, Unset):
            created_after = self.created_after.isoformat()

        created_before: str | Unset = UNSET
        if not isinstance(self.created_before, Unset):
            created_before = self.created_before.isoformat()

        error_contains = self.error_contains

        ids: list[str] | Unset = UNSET
        if not isinstance(self.ids, Unset):
            ids = []
            for ids_item_data in self.ids:
                ids_item = str(ids_item_data)
                ids.append(ids_item)




        field_dict: dict[str, Any] = {}

        field_dict.update({
        })
        if channel is not UNSET:
            field_dict["channel"] = channel
        if kind is not UNSET:
            field_dict["kind"] = kind
        if priority is not UNSET:
            field_dict["priority"] = priority
        if created_after is not UNSET:
            field_dict["createdAfter"] = created_after
        if created_before is not UNSET:
            field_dict["createdBefore"] = created_before
        if error_contains is not UNSET:
            field_dict["errorContains"] = error_contains
        if ids is not UNSET:
            field_dict["ids"] = ids

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        _channel = d.pop("channel", UNSET)
        channel: Channel | Unset
        if isinstance(_channel,  Unset):
            channel = UNSET
        else:
            channel = check_channel(_channel)




        _kind = d.pop("kind", UNSET)
        kind: JobKind | Unset
        if isinstance(_kind,  Unset):
            kind = UNSET
        else:
            kind = check_job_kind(_kind)




        _priority = d.pop("priority", UNSET)
        priority: Priority | Unset
        if isinstance(_priority,  Unset):
            priority = UNSET
        else:
            priority = check_priority(_priority)




        _created_after = d.pop("createdAfter", UNSET)
        created_after: datetime.datetime | Unset
        if isinstance(_created_after,  Unset):
            created_after = UNSET
        else:
            created_after = datetime.datetime.fromisoformat(_created_after)




        _created_before = d.pop("createdBefore", UNSET)
        created_before: datetime.datetime | Unset
        if isinstance(_created_before,  Unset):
            created_before = UNSET
        else:
            created_before = datetime.datetime.fromisoformat(_created_before)




        error_contains = d.pop("errorContains", UNSET)

        _ids = d.pop("ids", UNSET)
        ids: list[UUID] | Unset = UNSET
        if _ids is not UNSET:
            ids = []
            for ids_item_data in _ids:
                ids_item = UUID(ids_item_data)



                ids.append(ids_item)


        bulk_filter = cls(
            channel=channel,
            kind=kind,
            priority=priority,
            created_after=created_after,
            created_before=created_before,
            error_contains=error_contains,
            ids=ids,
        )

        return bulk_filter

