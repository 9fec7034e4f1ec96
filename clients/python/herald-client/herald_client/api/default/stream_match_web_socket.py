from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.stream_match_web_socket_response_400 import StreamMatchWebSocketResponse400
from ...models.stream_match_web_socket_response_401 import StreamMatchWebSocketResponse401
from ...models.stream_match_web_socket_response_403 import StreamMatchWebSocketResponse403
from ...models.stream_match_web_socket_response_404 import StreamMatchWebSocketResponse404
from ...models.stream_match_web_socket_response_429 import StreamMatchWebSocketResponse429
from ...models.stream_match_web_socket_response_500 import StreamMatchWebSocketResponse500
from ...models.stream_match_web_socket_response_503 import StreamMatchWebSocketResponse503
from ...types import UNSET, Unset
from typing import cast
from uuid import UUID



def _get_kwargs(
    id: UUID,
    *,
    after: int | Unset = UNSET,
    token: str | Unset = UNSET,
    last_event_id: int | Unset = UNSET,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(last_event_id, Unset):
        headers["Last-Event-ID"] = str(last_event_id)




    

    params: dict[str, Any] = {}

    params["after"] = after

    params["token"] = token


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/matches/{id}/ws".format(id=quote(str(id), safe=""),),
        "params": params,
    }


    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | StreamMatchWebSocketResponse400 | StreamMatchWebSocketResponse401 | StreamMatchWebSocketResponse403 | StreamMatchWebSocketResponse404 | StreamMatchWebSocketResponse429 | StreamMatchWebSocketResponse500 | StreamMatchWebSocketResponse503 | None:
    if response.status_code == 101:
        response_101 = cast(Any, None)
        return response_101

    if response.status_code == 400:
        response_400 = StreamMatchWebSocketResponse400.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = StreamMatchWebSocketResponse401.from_dict(response.json())



        return response_401

    if response.status_code == 403:
        response_403 = StreamMatchWebSocketResponse403.from_dict(response.json())



        return response_403

    if response.status_code == 404:
        response_404 = StreamMatchWebSocketResponse404.from_dict(response.json())



        return response_404

    if response.status_code == 429:
        response_429 = StreamMatchWebSocketResponse429.from_dict(response.json())



        return response_429

    if response.status_code == 500:
        response_500 = StreamMatchWebSocketResponse500.from_dict(response.json())



        return response_500

    if response.status_code == 503:
        response_503 = StreamMatchWebSocketResponse503.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Any | StreamMatchWebSocketResponse400 | StreamMatchWebSocketResponse401 | StreamMatchWebSocketResponse403 | StreamMatchWebSocketResponse404 | StreamMatchWebSocketResponse429 | StreamMatchWebSocketResponse500 | StreamMatchWebSocketResponse503]:
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
    after: int | Unset = UNSET,
    token: str | Unset = UNSET,
    last_event_id: int | Unset = UNSET,

) -> Response[Any | StreamMatchWebSocketResponse400 | StreamMatchWebSocketResponse401 | StreamMatchWebSocketResponse403 | StreamMatchWebSocketResponse404 | StreamMatchWebSocketResponse429 | StreamMatchWebSocketResponse500 | StreamMatchWebSocketResponse503]:
    """ Follow a match live over a WebSocket, and send a player's own events (docs/streams.md)

    Args:
        id (UUID):
        after (int | Unset):
        token (str | Unset):
        last_event_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | StreamMatchWebSocketResponse400 | StreamMatchWebSocketResponse401 | StreamMatchWebSocketResponse403 | StreamMatchWebSocketResponse404 | StreamMatchWebSocketResponse429 | StreamMatchWebSocketResponse500 | StreamMatchWebSocketResponse503]
     """


    kwargs = _get_kwargs(
        id=id,
after=after,
token=token,
last_event_id=last_event_id,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    after: int | Unset = UNSET,
    token: str | Unset = UNSET,
    last_event_id: int | Unset = UNSET,

) -> Any | StreamMatchWebSocketResponse400 | StreamMatchWebSocketResponse401 | StreamMatchWebSocketResponse403 | StreamMatchWebSocketResponse404 | StreamMatchWebSocketResponse429 | StreamMatchWebSocketResponse500 | StreamMatchWebSocketResponse503 | None:
    """ Follow a match live over a WebSocket, and send a player's own events (docs/streams.md)

    Args:
        id (UUID):
        after (int | Unset):
        token (str | Unset):
        last_event_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | StreamMatchWebSocketResponse400 | StreamMatchWebSocketResponse401 | StreamMatchWebSocketResponse403 | StreamMatchWebSocketResponse404 | StreamMatchWebSocketResponse429 | StreamMatchWebSocketResponse500 | StreamMatchWebSocketResponse503
     """


    return sync_detailed(
        id=id,
client=client,
after=after,
token=token,
last_event_id=last_event_id,

    ).parsed

async def asyncio_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    after: int | Unset = UNSET,
    token: str | Unset = UNSET,
    last_event_id: int | Unset = UNSET,

) -> Response[Any | StreamMatchWebSocketResponse400 | StreamMatchWebSocketResponse401 | StreamMatchWebSocketResponse403 | StreamMatchWebSocketResponse404 | StreamMatchWebSocketResponse429 | StreamMatchWebSocketResponse500 | StreamMatchWebSocketResponse503]:
    """ Follow a match live over a WebSocket, and send a player's own events (docs/streams.md)

    Args:
        id (UUID):
        after (int | Unset):
        token (str | Unset):
        last_event_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | StreamMatchWebSocketResponse400 | StreamMatchWebSocketResponse401 | StreamMatchWebSocketResponse403 | StreamMatchWebSocketResponse404 | StreamMatchWebSocketResponse429 | StreamMatchWebSocketResponse500 | StreamMatchWebSocketResponse503]
     """


    kwargs = _get_kwargs(
        id=id,
after=after,
token=token,
last_event_id=last_event_id,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    after: int | Unset = UNSET,
    token: str | Unset = UNSET,
    last_event_id: int | Unset = UNSET,

) -> Any | StreamMatchWebSocketResponse400 | StreamMatchWebSocketResponse401 | StreamMatchWebSocketResponse403 | StreamMatchWebSocketResponse404 | StreamMatchWebSocketResponse429 | StreamMatchWebSocketResponse500 | StreamMatchWebSocketResponse503 | None:
    """ Follow a match live over a WebSocket, and send a player's own events (docs/streams.md)

    Args:
        id (UUID):
        after (int | Unset):
        token (str | Unset):
        last_event_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | StreamMatchWebSocketResponse400 | StreamMatchWebSocketResponse401 | StreamMatchWebSocketResponse403 | StreamMatchWebSocketResponse404 | StreamMatchWebSocketResponse429 | StreamMatchWebSocketResponse500 | StreamMatchWebSocketResponse503
     """


    return (await asyncio_detailed(
        id=id,
client=client,
after=after,
token=token,
last_event_id=last_event_id,

    )).parsed
