from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.cancel_jobs_response_422_error_code import CancelJobsResponse422ErrorCode
from ..models.cancel_jobs_response_422_error_code import check_cancel_jobs_response_422_error_code
from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="CancelJobsResponse422Error")



@_attrs_define
class CancelJobsResponse422Error:
    """ 
        Attributes:
            code (CancelJobsResponse422ErrorCode | Unset):
     """

    code: CancelJobsResponse422ErrorCode | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        code: str | Unset = UNSET
        if not isinstance(self.code, Unset):
            code = self.code



        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
        })
        if code is not UNSET:
            field_dict["code"] = code

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        _code = d.pop("code", UNSET)
        code: CancelJobsResponse422ErrorCode | Unset
        if isinstance(_code,  Unset):
            code = UNSET
        else:
            code = check_cancel_jobs_response_422_error_code(_code)




        cancel_jobs_response_422_error = cls(
            code=code,
        )


        cancel_jobs_response_422_error.additional_properties = d
        return cancel_jobs_response_422_error

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
