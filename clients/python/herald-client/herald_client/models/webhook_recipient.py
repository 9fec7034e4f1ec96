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






T = TypeVar("T", bound="WebhookRecipient")



@_attrs_define
class WebhookRecipient:
    """ 
        Attributes:
            address (str): An absolute http(s) URL without credentials. Its host is a DNS name whose last label starts with
                a letter, a dotted-quad IPv4 address or a bracketed IPv6 address (no IPv4 shorthand such as 127.1), then an RFC
                3986 path, query and fragment (non-ASCII and characters such as spaces, { } | \\ ^ are percent-encoded). A URL
                naming a loopback, private, link-local or otherwise internal IP literal, or localhost, is refused with 422
                forbidden_target unless WEBHOOK_ALLOWED_CIDRS allows it.
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




        webhook_recipient = cls(
            address=address,
            timezone=timezone,
        )

        return webhook_recipient

