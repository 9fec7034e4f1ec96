from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.job_kind import check_job_kind
from ..models.job_kind import JobKind
from ..models.job_status import check_job_status
from ..models.job_status import JobStatus
from ..models.priority import check_priority
from ..models.priority import Priority
from typing import cast
from uuid import UUID
import datetime

if TYPE_CHECKING:
  from ..models.job_history_item import JobHistoryItem
  from ..models.job_payload import JobPayload





T = TypeVar("T", bound="Job")



@_attrs_define
class Job:
    """ 
        Attributes:
            id (UUID):
            kind (JobKind):
            tenant (str):
            priority (Priority):
            status (JobStatus):
            payload (JobPayload): The validated request (a notification or a match)
            run_at (datetime.datetime):
            attempts (int):
            max_attempts (int):
            last_error (None | str):
            locked_by (None | str):
            locked_at (datetime.datetime | None):
            lock_expiry (datetime.datetime | None):
            lease_version (int):
            idempotency_key (None | str):
            created_at (datetime.datetime):
            updated_at (datetime.datetime):
            completed_at (datetime.datetime | None):
            history (list[JobHistoryItem]):
     """

    id: UUID
    kind: JobKind
    tenant: str
    priority: Priority
    status: JobStatus
    payload: JobPayload
    run_at: datetime.datetime
    attempts: int
    max_attempts: int
    last_error: None | str
    locked_by: None | str
    locked_at: datetime.datetime | None
    lock_expiry: datetime.datetime | None
    lease_version: int
    idempotency_key: None | str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    completed_at: datetime.datetime | None
    history: list[JobHistoryItem]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.job_history_item import JobHistoryItem # noqa: PLC0415
        from ..models.job_payload import JobPayload # noqa: PLC0415
        id = str(self.id)

        kind: str = self.kind

        tenant = self.tenant

        priority: str = self.priority

        status: str = self.status

        payload = self.payload.to_dict()

        run_at = self.run_at.isoformat()

        attempts = self.attempts

        max_attempts = self.max_attempts

        last_error: None | str
        last_error = self.last_error

        locked_by: None | str
        locked_by = self.locked_by

        locked_at: None | str
        if isinstance(self.locked_at, datetime.datetime):
            locked_at = self.locked_at.isoformat()
        else:
            locked_at = self.locked_at

        lock_expiry: None | str
        if isinstance(self.lock_expiry, datetime.datetime):
            lock_expiry = self.lock_expiry.isoformat()
        else:
            lock_expiry = self.lock_expiry

        lease_version = self.lease_version

        idempotency_key: None | str
        idempotency_key = self.idempotency_key

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        completed_at: None | str
        if isinstance(self.completed_at, datetime.datetime):
            completed_at = self.completed_at.isoformat()
        else:
            completed_at = self.completed_at

        history = []
        for history_item_data in self.history:
            history_item = history_item_data.to_dict()
            history.append(history_item)




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "id": id,
            "kind": kind,
            "tenant": tenant,
            "priority": priority,
            "status": status,
            "payload": payload,
            "runAt": run_at,
            "attempts": attempts,
            "maxAttempts": max_attempts,
            "lastError": last_error,
            "lockedBy": locked_by,
            "lockedAt": locked_at,
            "lockExpiry": lock_expiry,
            "leaseVersion": lease_version,
            "idempotencyKey": idempotency_key,
            "createdAt": created_at,
            "updatedAt": updated_at,
            "completedAt": completed_at,
            "history": history,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.job_history_item import JobHistoryItem # noqa: PLC0415
        from ..models.job_payload import JobPayload # noqa: PLC0415
        d = dict(src_dict)
        id = UUID(d.pop("id"))




        kind = check_job_kind(d.pop("kind"))




        tenant = d.pop("tenant")

        priority = check_priority(d.pop("priority"))




        status = check_job_status(d.pop("status"))




        payload = JobPayload.from_dict(d.pop("payload"))




        run_at = datetime.datetime.fromisoformat(d.pop("runAt"))




        attempts = d.pop("attempts")

        max_attempts = d.pop("maxAttempts")

        def _parse_last_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_error = _parse_last_error(d.pop("lastError"))


        def _parse_locked_by(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        locked_by = _parse_locked_by(d.pop("lockedBy"))


        def _parse_locked_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                locked_at_type_0 = datetime.datetime.fromisoformat(data)



                return locked_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        locked_at = _parse_locked_at(d.pop("lockedAt"))


        def _parse_lock_expiry(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                lock_expiry_type_0 = datetime.datetime.fromisoformat(data)



                return lock_expiry_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        lock_expiry = _parse_lock_expiry(d.pop("lockExpiry"))


        lease_version = d.pop("leaseVersion")

        def _parse_idempotency_key(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        idempotency_key = _parse_idempotency_key(d.pop("idempotencyKey"))


        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))




        updated_at = datetime.datetime.fromisoformat(d.pop("updatedAt"))




        def _parse_completed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                completed_at_type_0 = datetime.datetime.fromisoformat(data)



                return completed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        completed_at = _parse_completed_at(d.pop("completedAt"))


        history = []
        _history = d.pop("history")
        for history_item_data in (_history):
            history_item = JobHistoryItem.from_dict(history_item_data)



            history.append(history_item)


        job = cls(
            id=id,
            kind=kind,
            tenant=tenant,
            priority=priority,
            status=status,
            payload=payload,
            run_at=run_at,
            attempts=attempts,
            max_attempts=max_attempts,
            last_error=last_error,
            locked_by=locked_by,
            locked_at=locked_at,
            lock_expiry=lock_expiry,
            lease_version=lease_version,
            idempotency_key=idempotency_key,
            created_at=created_at,
            updated_at=updated_at,
            completed_at=completed_at,
            history=history,
        )


        job.additional_properties = d
        return job

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
