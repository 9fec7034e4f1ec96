from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.time_zone import check_time_zone
from ..models.time_zone import TimeZone
from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="EmailRecipient")



@_attrs_define
class EmailRecipient:
    """ 
        Attributes:
            address (str): local@domain: an ASCII dot-atom local part of at most 64 characters and a domain of two or more
                labels of letters, digits and inner hyphens (at most 63 each).
            timezone (TimeZone | Unset): An IANA time zone name (tz database), spelled exactly, e.g. Europe/Paris: quiet
                hours are read in it (UTC when absent)
     """

    address: str
    timezone: TimeZone | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        address = self.address

        timezone: str | Unset = UNSET
        if not isinstance(self.timezone, Unset):
            timezone = self.timezone



        field_dict: dict[str, Any] = {}

        field_dict.update({
            "address": address,
        })
        if timezone is not UNSET:
            field_dict["timezone"] = timezone

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        address = d.pop("address")

        _timezone = d.pop("timezone", UNSET)
        timezone: TimeZone | Unset
        if isinstance(_timezone,  Unset):
            timezone = UNSET
        else:
            timezone = check_time_zone(_timezone)




        email_recipient = cls(
            address=address,
            timezone=timezone,
        )

        return email_recipient

