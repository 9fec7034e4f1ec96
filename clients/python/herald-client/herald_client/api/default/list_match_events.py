from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.event_page import EventPage
from ...models.list_match_events_response_400 import ListMatchEventsResponse400
from ...models.list_match_events_response_401 import ListMatchEventsResponse401
from ...models.list_match_events_response_404 import ListMatchEventsResponse404
from ...models.list_match_events_response_429 import ListMatchEventsResponse429
from ...models.list_match_events_response_500 import ListMatchEventsResponse500
from ...models.list_match_events_response_503 import ListMatchEventsResponse503
from ...types import UNSET, Unset
from typing import cast
from uuid import UUID



def _get_kwargs(
    id: UUID,
    *,
    after: int | Unset = 0,
    limit: int | Unset = 100,
    token: str | Unset = UNSET,

) -> dict[str, Any]:
    

    

    params: dict[str, Any] = {}

    params["after"] = after

    params["limit"] = limit

    params["token"] = token


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/matches/{id}/events".format(id=quote(str(id), safe=""),),
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> EventPage | ListMatchEventsResponse400 | ListMatchEventsResponse401 | ListMatchEventsResponse404 | ListMatchEventsResponse429 | ListMatchEventsResponse500 | ListMatchEventsResponse503 | None:
    if response.status_code == 200:
        response_200 = EventPage.from_dict(response.json())



        return response_200

    if response.status_code == 400:
        response_400 = ListMatchEventsResponse400.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = ListMatchEventsResponse401.from_dict(response.json())



        return response_401

    if response.status_code == 404:
        response_404 = ListMatchEventsResponse404.from_dict(response.json())



        return response_404

    if response.status_code == 429:
        response_429 = ListMatchEventsResponse429.from_dict(response.json())



        return response_429

    if response.status_code == 500:
        response_500 = ListMatchEventsResponse500.from_dict(response.json())



        return response_500

    if response.status_code == 503:
        response_503 = ListMatchEventsResponse503.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[EventPage | ListMatchEventsResponse400 | ListMatchEventsResponse401 | ListMatchEventsResponse404 | ListMatchEventsResponse429 | ListMatchEventsResponse500 | ListMatchEventsResponse503]:
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
    after: int | Unset = 0,
    limit: int | Unset = 100,
    token: str | Unset = UNSET,

) -> Response[EventPage | ListMatchEventsResponse400 | ListMatchEventsResponse401 | ListMatchEventsResponse404 | ListMatchEventsResponse429 | ListMatchEventsResponse500 | ListMatchEventsResponse503]:
    """ Read a match's event log after a seq, ascending (cursor-paged); a tenant key or a player token

    Args:
        id (UUID):
        after (int | Unset):  Default: 0.
        limit (int | Unset):  Default: 100.
        token (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventPage | ListMatchEventsResponse400 | ListMatchEventsResponse401 | ListMatchEventsResponse404 | ListMatchEventsResponse429 | ListMatchEventsResponse500 | ListMatchEventsResponse503]
     """


    kwargs = _get_kwargs(
        id=id,
after=after,
limit=limit,
token=token,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    after: int | Unset = 0,
    limit: int | Unset = 100,
    token: str | Unset = UNSET,

) -> EventPage | ListMatchEventsResponse400 | ListMatchEventsResponse401 | ListMatchEventsResponse404 | ListMatchEventsResponse429 | ListMatchEventsResponse500 | ListMatchEventsResponse503 | None:
    """ Read a match's event log after a seq, ascending (cursor-paged); a tenant key or a player token

    Args:
        id (UUID):
        after (int | Unset):  Default: 0.
        limit (int | Unset):  Default: 100.
        token (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventPage | ListMatchEventsResponse400 | ListMatchEventsResponse401 | ListMatchEventsResponse404 | ListMatchEventsResponse429 | ListMatchEventsResponse500 | ListMatchEventsResponse503
     """


    return sync_detailed(
        id=id,
client=client,
after=after,
limit=limit,
token=token,

    ).parsed

async def asyncio_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    after: int | Unset = 0,
    limit: int | Unset = 100,
    token: str | Unset = UNSET,

) -> Response[EventPage | ListMatchEventsResponse400 | ListMatchEventsResponse401 | ListMatchEventsResponse404 | ListMatchEventsResponse429 | ListMatchEventsResponse500 | ListMatchEventsResponse503]:
    """ Read a match's event log after a seq, ascending (cursor-paged); a tenant key or a player token

    Args:
        id (UUID):
        after (int | Unset):  Default: 0.
        limit (int | Unset):  Default: 100.
        token (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[EventPage | ListMatchEventsResponse400 | ListMatchEventsResponse401 | ListMatchEventsResponse404 | ListMatchEventsResponse429 | ListMatchEventsResponse500 | ListMatchEventsResponse503]
     """


    kwargs = _get_kwargs(
        id=id,
after=after,
limit=limit,
token=token,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    after: int | Unset = 0,
    limit: int | Unset = 100,
    token: str | Unset = UNSET,

) -> EventPage | ListMatchEventsResponse400 | ListMatchEventsResponse401 | ListMatchEventsResponse404 | ListMatchEventsResponse429 | ListMatchEventsResponse500 | ListMatchEventsResponse503 | None:
    """ Read a match's event log after a seq, ascending (cursor-paged); a tenant key or a player token

    Args:
        id (UUID):
        after (int | Unset):  Default: 0.
        limit (int | Unset):  Default: 100.
        token (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        EventPage | ListMatchEventsResponse400 | ListMatchEventsResponse401 | ListMatchEventsResponse404 | ListMatchEventsResponse429 | ListMatchEventsResponse500 | ListMatchEventsResponse503
     """


    return (await asyncio_detailed(
        id=id,
client=client,
after=after,
limit=limit,
token=token,

    )).parsed
