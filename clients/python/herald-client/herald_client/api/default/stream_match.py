from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.stream_match_response_200 import StreamMatchResponse200
from ...models.stream_match_response_400 import StreamMatchResponse400
from ...models.stream_match_response_401 import StreamMatchResponse401
from ...models.stream_match_response_403 import StreamMatchResponse403
from ...models.stream_match_response_404 import StreamMatchResponse404
from ...models.stream_match_response_429 import StreamMatchResponse429
from ...models.stream_match_response_500 import StreamMatchResponse500
from ...models.stream_match_response_503 import StreamMatchResponse503
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
        "url": "/v1/matches/{id}/stream".format(id=quote(str(id), safe=""),),
        "params": params,
    }


    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> StreamMatchResponse200 | StreamMatchResponse400 | StreamMatchResponse401 | StreamMatchResponse403 | StreamMatchResponse404 | StreamMatchResponse429 | StreamMatchResponse500 | StreamMatchResponse503 | None:
    if response.status_code == 200:
        response_200 = StreamMatchResponse200.from_dict(response.text)



        return response_200

    if response.status_code == 400:
        response_400 = StreamMatchResponse400.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = StreamMatchResponse401.from_dict(response.json())



        return response_401

    if response.status_code == 403:
        response_403 = StreamMatchResponse403.from_dict(response.json())



        return response_403

    if response.status_code == 404:
        response_404 = StreamMatchResponse404.from_dict(response.json())



        return response_404

    if response.status_code == 429:
        response_429 = StreamMatchResponse429.from_dict(response.json())



        return response_429

    if response.status_code == 500:
        response_500 = StreamMatchResponse500.from_dict(response.json())



        return response_500

    if response.status_code == 503:
        response_503 = StreamMatchResponse503.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[StreamMatchResponse200 | StreamMatchResponse400 | StreamMatchResponse401 | StreamMatchResponse403 | StreamMatchResponse404 | StreamMatchResponse429 | StreamMatchResponse500 | StreamMatchResponse503]:
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

) -> Response[StreamMatchResponse200 | StreamMatchResponse400 | StreamMatchResponse401 | StreamMatchResponse403 | StreamMatchResponse404 | StreamMatchResponse429 | StreamMatchResponse500 | StreamMatchResponse503]:
    """ Follow a match live over Server-Sent Events (docs/streams.md)

     Messages: event (id = seq), state, ended (then the server closes). Resume with Last-Event-ID or
    ?after=. A heartbeat comment every STREAM_HEARTBEAT_MS.

    Args:
        id (UUID):
        after (int | Unset):
        token (str | Unset):
        last_event_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[StreamMatchResponse200 | StreamMatchResponse400 | StreamMatchResponse401 | StreamMatchResponse403 | StreamMatchResponse404 | StreamMatchResponse429 | StreamMatchResponse500 | StreamMatchResponse503]
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

) -> StreamMatchResponse200 | StreamMatchResponse400 | StreamMatchResponse401 | StreamMatchResponse403 | StreamMatchResponse404 | StreamMatchResponse429 | StreamMatchResponse500 | StreamMatchResponse503 | None:
    """ Follow a match live over Server-Sent Events (docs/streams.md)

     Messages: event (id = seq), state, ended (then the server closes). Resume with Last-Event-ID or
    ?after=. A heartbeat comment every STREAM_HEARTBEAT_MS.

    Args:
        id (UUID):
        after (int | Unset):
        token (str | Unset):
        last_event_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        StreamMatchResponse200 | StreamMatchResponse400 | StreamMatchResponse401 | StreamMatchResponse403 | StreamMatchResponse404 | StreamMatchResponse429 | StreamMatchResponse500 | StreamMatchResponse503
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

) -> Response[StreamMatchResponse200 | StreamMatchResponse400 | StreamMatchResponse401 | StreamMatchResponse403 | StreamMatchResponse404 | StreamMatchResponse429 | StreamMatchResponse500 | StreamMatchResponse503]:
    """ Follow a match live over Server-Sent Events (docs/streams.md)

     Messages: event (id = seq), state, ended (then the server closes). Resume with Last-Event-ID or
    ?after=. A heartbeat comment every STREAM_HEARTBEAT_MS.

    Args:
        id (UUID):
        after (int | Unset):
        token (str | Unset):
        last_event_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[StreamMatchResponse200 | StreamMatchResponse400 | StreamMatchResponse401 | StreamMatchResponse403 | StreamMatchResponse404 | StreamMatchResponse429 | StreamMatchResponse500 | StreamMatchResponse503]
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

) -> StreamMatchResponse200 | StreamMatchResponse400 | StreamMatchResponse401 | StreamMatchResponse403 | StreamMatchResponse404 | StreamMatchResponse429 | StreamMatchResponse500 | StreamMatchResponse503 | None:
    """ Follow a match live over Server-Sent Events (docs/streams.md)

     Messages: event (id = seq), state, ended (then the server closes). Resume with Last-Event-ID or
    ?after=. A heartbeat comment every STREAM_HEARTBEAT_MS.

    Args:
        id (UUID):
        after (int | Unset):
        token (str | Unset):
        last_event_id (int | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        StreamMatchResponse200 | StreamMatchResponse400 | StreamMatchResponse401 | StreamMatchResponse403 | StreamMatchResponse404 | StreamMatchResponse429 | StreamMatchResponse500 | StreamMatchResponse503
     """


    return (await asyncio_detailed(
        id=id,
client=client,
after=after,
token=token,
last_event_id=last_event_id,

    )).parsed
