from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.append_match_event_response_400 import AppendMatchEventResponse400
from ...models.append_match_event_response_401 import AppendMatchEventResponse401
from ...models.append_match_event_response_404 import AppendMatchEventResponse404
from ...models.append_match_event_response_408 import AppendMatchEventResponse408
from ...models.append_match_event_response_409 import AppendMatchEventResponse409
from ...models.append_match_event_response_413 import AppendMatchEventResponse413
from ...models.append_match_event_response_415 import AppendMatchEventResponse415
from ...models.append_match_event_response_422 import AppendMatchEventResponse422
from ...models.append_match_event_response_429 import AppendMatchEventResponse429
from ...models.append_match_event_response_500 import AppendMatchEventResponse500
from ...models.append_match_event_response_503 import AppendMatchEventResponse503
from ...models.end_event import EndEvent
from ...models.event_accepted import EventAccepted
from ...models.join_event import JoinEvent
from ...models.score_event import ScoreEvent
from ...types import UNSET, Unset
from typing import cast
from uuid import UUID



def _get_kwargs(
    id: UUID,
    *,
    body: EndEvent | JoinEvent | ScoreEvent,
    idempotency_key: str | Unset = UNSET,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key



    

    

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/matches/{id}/events".format(id=quote(str(id), safe=""),),
    }

    
    if isinstance(body, JoinEvent):
        _kwargs["json"] = body.to_dict()
    elif isinstance(body, ScoreEvent):
        _kwargs["json"] = body.to_dict()
    else:
        _kwargs["json"] = body.to_dict()


    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> AppendMatchEventResponse400 | AppendMatchEventResponse401 | AppendMatchEventResponse404 | AppendMatchEventResponse408 | AppendMatchEventResponse409 | AppendMatchEventResponse413 | AppendMatchEventResponse415 | AppendMatchEventResponse422 | AppendMatchEventResponse429 | AppendMatchEventResponse500 | AppendMatchEventResponse503 | EventAccepted | None:
    if response.status_code == 200:
        response_200 = EventAccepted.from_dict(response.json())



        return response_200

    if response.status_code == 202:
        response_202 = EventAccepted.from_dict(response.json())



        return response_202

    if response.status_code == 400:
        response_400 = AppendMatchEventResponse400.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = AppendMatchEventResponse401.from_dict(response.json())



        return response_401

    if response.status_code == 404:
        response_404 = AppendMatchEventResponse404.from_dict(response.json())



        return response_404

    if response.status_code == 408:
        response_408 = AppendMatchEventResponse408.from_dict(response.json())



        return response_408

    if response.status_code == 409:
        response_409 = AppendMatchEventResponse409.from_dict(response.json())



        return response_409

    if response.status_code == 413:
        response_413 = AppendMatchEventResponse413.from_dict(response.json())



        return response_413

    if response.status_code == 415:
        response_415 = AppendMatchEventResponse415.from_dict(response.json())



        return response_415

    if response.status_code == 422:
        response_422 = AppendMatchEventResponse422.from_dict(response.json())



        return response_422

    if response.status_code == 429:
        response_429 = AppendMatchEventResponse429.from_dict(response.json())



        return response_429

    if response.status_code == 500:
        response_500 = AppendMatchEventResponse500.from_dict(response.json())



        return response_500

    if response.status_code == 503:
        response_503 = AppendMatchEventResponse503.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[AppendMatchEventResponse400 | AppendMatchEventResponse401 | AppendMatchEventResponse404 | AppendMatchEventResponse408 | AppendMatchEventResponse409 | AppendMatchEventResponse413 | AppendMatchEventResponse415 | AppendMatchEventResponse422 | AppendMatchEventResponse429 | AppendMatchEventResponse500 | AppendMatchEventResponse503 | EventAccepted]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    body: EndEvent | JoinEvent | ScoreEvent,
    idempotency_key: str | Unset = UNSET,

) -> Response[AppendMatchEventResponse400 | AppendMatchEventResponse401 | AppendMatchEventResponse404 | AppendMatchEventResponse408 | AppendMatchEventResponse409 | AppendMatchEventResponse413 | AppendMatchEventResponse415 | AppendMatchEventResponse422 | AppendMatchEventResponse429 | AppendMatchEventResponse500 | AppendMatchEventResponse503 | EventAccepted]:
    """ Append an event to a match's log

    Args:
        id (UUID):
        idempotency_key (str | Unset):
        body (EndEvent | JoinEvent | ScoreEvent):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AppendMatchEventResponse400 | AppendMatchEventResponse401 | AppendMatchEventResponse404 | AppendMatchEventResponse408 | AppendMatchEventResponse409 | AppendMatchEventResponse413 | AppendMatchEventResponse415 | AppendMatchEventResponse422 | AppendMatchEventResponse429 | AppendMatchEventResponse500 | AppendMatchEventResponse503 | EventAccepted]
     """


    kwargs = _get_kwargs(
        id=id,
body=body,
idempotency_key=idempotency_key,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    body: EndEvent | JoinEvent | ScoreEvent,
    idempotency_key: str | Unset = UNSET,

) -> AppendMatchEventResponse400 | AppendMatchEventResponse401 | AppendMatchEventResponse404 | AppendMatchEventResponse408 | AppendMatchEventResponse409 | AppendMatchEventResponse413 | AppendMatchEventResponse415 | AppendMatchEventResponse422 | AppendMatchEventResponse429 | AppendMatchEventResponse500 | AppendMatchEventResponse503 | EventAccepted | None:
    """ Append an event to a match's log

    Args:
        id (UUID):
        idempotency_key (str | Unset):
        body (EndEvent | JoinEvent | ScoreEvent):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AppendMatchEventResponse400 | AppendMatchEventResponse401 | AppendMatchEventResponse404 | AppendMatchEventResponse408 | AppendMatchEventResponse409 | AppendMatchEventResponse413 | AppendMatchEventResponse415 | AppendMatchEventResponse422 | AppendMatchEventResponse429 | AppendMatchEventResponse500 | AppendMatchEventResponse503 | EventAccepted
     """


    return sync_detailed(
        id=id,
client=client,
body=body,
idempotency_key=idempotency_key,

    ).parsed

async def asyncio_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    body: EndEvent | JoinEvent | ScoreEvent,
    idempotency_key: str | Unset = UNSET,

) -> Response[AppendMatchEventResponse400 | AppendMatchEventResponse401 | AppendMatchEventResponse404 | AppendMatchEventResponse408 | AppendMatchEventResponse409 | AppendMatchEventResponse413 | AppendMatchEventResponse415 | AppendMatchEventResponse422 | AppendMatchEventResponse429 | AppendMatchEventResponse500 | AppendMatchEventResponse503 | EventAccepted]:
    """ Append an event to a match's log

    Args:
        id (UUID):
        idempotency_key (str | Unset):
        body (EndEvent | JoinEvent | ScoreEvent):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AppendMatchEventResponse400 | AppendMatchEventResponse401 | AppendMatchEventResponse404 | AppendMatchEventResponse408 | AppendMatchEventResponse409 | AppendMatchEventResponse413 | AppendMatchEventResponse415 | AppendMatchEventResponse422 | AppendMatchEventResponse429 | AppendMatchEventResponse500 | AppendMatchEventResponse503 | EventAccepted]
     """


    kwargs = _get_kwargs(
        id=id,
body=body,
idempotency_key=idempotency_key,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    body: EndEvent | JoinEvent | ScoreEvent,
    idempotency_key: str | Unset = UNSET,

) -> AppendMatchEventResponse400 | AppendMatchEventResponse401 | AppendMatchEventResponse404 | AppendMatchEventResponse408 | AppendMatchEventResponse409 | AppendMatchEventResponse413 | AppendMatchEventResponse415 | AppendMatchEventResponse422 | AppendMatchEventResponse429 | AppendMatchEventResponse500 | AppendMatchEventResponse503 | EventAccepted | None:
    """ Append an event to a match's log

    Args:
        id (UUID):
        idempotency_key (str | Unset):
        body (EndEvent | JoinEvent | ScoreEvent):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AppendMatchEventResponse400 | AppendMatchEventResponse401 | AppendMatchEventResponse404 | AppendMatchEventResponse408 | AppendMatchEventResponse409 | AppendMatchEventResponse413 | AppendMatchEventResponse415 | AppendMatchEventResponse422 | AppendMatchEventResponse429 | AppendMatchEventResponse500 | AppendMatchEventResponse503 | EventAccepted
     """


    return (await asyncio_detailed(
        id=id,
client=client,
body=body,
idempotency_key=idempotency_key,

    )).parsed
