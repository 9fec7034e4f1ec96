from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.job_status import check_job_status
from ..models.job_status import JobStatus
from ..models.match_view_type import check_match_view_type
from ..models.match_view_type import MatchViewType
from ..types import UNSET, Unset
from typing import cast
from uuid import UUID
import datetime

if TYPE_CHECKING:
  from ..models.match_view_metadata import MatchViewMetadata
  from ..models.match_view_result_type_0 import MatchViewResultType0
  from ..models.match_view_state import MatchViewState
  from ..models.player import Player





T = TypeVar("T", bound="MatchView")



@_attrs_define
class MatchView:
    """ 
        Attributes:
            id (UUID):
            type_ (MatchViewType):
            status (JobStatus):
            hosted_by (None | str): The worker hosting the match while it runs
            state (MatchViewState): {"scores": {playerId: points}, "joined": [...]}; before a host starts the match, the
                state it starts from
            state_version (int):
            applied_seq (int): The last event folded into state
            last_seq (int): The last event appended
            started_at (datetime.datetime | None):
            ends_at (datetime.datetime | None):
            result (MatchViewResultType0 | None):
            players (list[Player]):
            duration_sec (int):
            attempts (int):
            last_error (None | str):
            created_at (datetime.datetime):
            completed_at (datetime.datetime | None):
            metadata (MatchViewMetadata | Unset):
     """

    id: UUID
    type_: MatchViewType
    status: JobStatus
    hosted_by: None | str
    state: MatchViewState
    state_version: int
    applied_seq: int
    last_seq: int
    started_at: datetime.datetime | None
    ends_at: datetime.datetime | None
    result: MatchViewResultType0 | None
    players: list[Player]
    duration_sec: int
    attempts: int
    last_error: None | str
    created_at: datetime.datetime
    completed_at: datetime.datetime | None
    metadata: MatchViewMetadata | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.match_view_metadata import MatchViewMetadata # noqa: PLC0415
        from ..models.match_view_result_type_0 import MatchViewResultType0 # noqa: PLC0415
        from ..models.match_view_state import MatchViewState # noqa: PLC0415
        from ..models.player import Player # noqa: PLC0415
        id = str(self.id)

        type_: str = self.type_

        status: str = self.status

        hosted_by: None | str
        hosted_by = self.hosted_by

        state = self.state.to_dict()

        state_version = self.state_version

        applied_seq = self.applied_seq

        last_seq = self.last_seq

        started_at: None | str
        if isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        ends_at: None | str
        if isinstance(self.ends_at, datetime.datetime):
            ends_at = self.ends_at.isoformat()
        else:
            ends_at = self.ends_at

        result: dict[str, Any] | None
        if isinstance(self.result, MatchViewResultType0):
            result = self.result.to_dict()
        else:
            result = self.result

        players = []
        for players_item_data in self.players:
            players_item = players_item_data.to_dict()
            players.append(players_item)



        duration_sec = self.duration_sec

        attempts = self.attempts

        last_error: None | str
        last_error = self.last_error

        created_at = self.created_at.isoformat()

        completed_at: None | str
        if isinstance(self.completed_at, datetime.datetime):
            completed_at = self.completed_at.isoformat()
        else:
            completed_at = self.completed_at

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "id": id,
            "type": type_,
            "status": status,
            "hostedBy": hosted_by,
            "state": state,
            "stateVersion": state_version,
            "appliedSeq": applied_seq,
            "lastSeq": last_seq,
            "startedAt": started_at,
            "endsAt": ends_at,
            "result": result,
            "players": players,
            "durationSec": duration_sec,
            "attempts": attempts,
            "lastError": last_error,
            "createdAt": created_at,
            "completedAt": completed_at,
        })
        if metadata is not UNSET:
            field_dict["metadata"] = metadata

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.match_view_metadata import MatchViewMetadata # noqa: PLC0415
        from ..models.match_view_result_type_0 import MatchViewResultType0 # noqa: PLC0415
        from ..models.match_view_state import MatchViewState # noqa: PLC0415
        from ..models.player import Player # noqa: PLC0415
        d = dict(src_dict)
        id = UUID(d.pop("id"))




        type_ = check_match_view_type(d.pop("type"))




        status = check_job_status(d.pop("status"))




        def _parse_hosted_by(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        hosted_by = _parse_hosted_by(d.pop("hostedBy"))


        state = MatchViewState.from_dict(d.pop("state"))




        state_version = d.pop("stateVersion")

        applied_seq = d.pop("appliedSeq")

        last_seq = d.pop("lastSeq")

        def _parse_started_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                started_at_type_0 = datetime.datetime.fromisoformat(data)



                return started_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        started_at = _parse_started_at(d.pop("startedAt"))


        def _parse_ends_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                ends_at_type_0 = datetime.datetime.fromisoformat(data)



                return ends_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        ends_at = _parse_ends_at(d.pop("endsAt"))


        def _parse_result(data: object) -> MatchViewResultType0 | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                result_type_0 = MatchViewResultType0.from_dict(data)



                return result_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MatchViewResultType0 | None, data)

        result = _parse_result(d.pop("result"))


        players = []
        _players = d.pop("players")
        for players_item_data in (_players):
            players_item = Player.from_dict(players_item_data)



            players.append(players_item)


        duration_sec = d.pop("durationSec")

        attempts = d.pop("attempts")

        def _parse_last_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_error = _parse_last_error(d.pop("lastError"))


        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))




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


        _metadata = d.pop("metadata", UNSET)
        metadata: MatchViewMetadata | Unset
        if isinstance(_metadata,  Unset):
            metadata = UNSET
        else:
            metadata = MatchViewMetadata.from_dict(_metadata)




        match_view = cls(
            id=id,
            type_=type_,
            status=status,
            hosted_by=hosted_by,
            state=state,
            state_version=state_version,
            applied_seq=applied_seq,
            last_seq=last_seq,
            started_at=started_at,
            ends_at=ends_at,
            result=result,
            players=players,
            duration_sec=duration_sec,
            attempts=attempts,
            last_error=last_error,
            created_at=created_at,
            completed_at=completed_at,
            metadata=metadata,
        )


        match_view.additional_properties = d
        return match_view

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
