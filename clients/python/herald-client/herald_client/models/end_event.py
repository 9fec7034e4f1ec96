from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import Literal, cast






T = TypeVar("T", bound="EndEvent")



@_attrs_define
class EndEvent:
    """ Ends the match now

        Attributes:
            type_ (Literal['end']):
     """

    type_: Literal['end']





    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "type": type_,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        type_ = cast(Literal['end'] , d.pop("type"))
        if type_ != 'end':
            raise ValueError(f"type must match const 'end', got '{type_}'")

        end_event = cls(
            type_=type_,
        )

        return end_event

