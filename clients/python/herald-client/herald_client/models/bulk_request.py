from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast
from uuid import UUID

if TYPE_CHECKING:
  from ..models.bulk_filter import BulkFilter





T = TypeVar("T", bound="BulkRequest")



@_attrs_define
class BulkRequest:
    """ 
        Attributes:
            filter_ (BulkFilter): Every field that is set must match; {} selects all of the tenant's jobs in the starting
                status
            limit (int | Unset): The most jobs this call selects Default: 1000.
            cursor (UUID | Unset): nextCursor of the previous call with the same filter: carry on below it
     """

    filter_: BulkFilter
    limit: int | Unset = 1000
    cursor: UUID | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.bulk_filter import BulkFilter # noqa: PLC0415
        filter_ = self.filter_.to_dict()

        limit = self.limit

        cursor: str | Unset = UNSET
        if not isinstance(self.cursor, Unset):
            cursor = str(self.cursor)


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "filter": filter_,
        })
        if limit is not UNSET:
            field_dict["limit"] = limit
        if cursor is not UNSET:
            field_dict["cursor"] = cursor

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.bulk_filter import BulkFilter # noqa: PLC0415
        d = dict(src_dict)
        filter_ = BulkFilter.from_dict(d.pop("filter"))




        limit = d.pop("limit", UNSET)

        _cursor = d.pop("cursor", UNSET)
        cursor: UUID | Unset
        if isinstance(_cursor,  Unset):
            cursor = UNSET
        else:
            cursor = UUID(_cursor)




        bulk_request = cls(
            filter_=filter_,
            limit=limit,
            cursor=cursor,
        )

        return bulk_request

