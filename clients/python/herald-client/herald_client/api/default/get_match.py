from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.get_match_response_401 import GetMatchResponse401
from ...models.get_match_response_404 import GetMatchResponse404
from ...models.get_match_response_429 import GetMatchResponse429
from ...models.get_match_response_500 import GetMatchResponse500
from ...models.get_match_response_503 import GetMatchResponse503
from ...models.match_view import MatchView
from typing import cast
from uuid import UUID



def _get_kwargs(
    id: UUID,

) -> dict[str, Any]:
    

    

    

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/matches/{id}".format(id=quote(str(id), safe=""),),
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> GetMatchResponse401 | GetMatchResponse404 | GetMatchResponse429 | GetMatchResponse500 | GetMatchResponse503 | MatchView | None:
    if response.status_code == 200:
        response_200 = MatchView.from_dict(response.json())



        return response_200

    if response.status_code == 401:
        response_401 = GetMatchResponse401.from_dict(response.json())



        return response_401

    if response.status_code == 404:
        response_404 = GetMatchResponse404.from_dict(response.json())



        return response_404

    if response.status_code == 429:
        response_429 = GetMatchResponse429.from_dict(response.json())



        return response_429

    if response.status_code == 500:
        response_500 = GetMatchResponse500.from_dict(response.json())



        return response_500

    if response.status_code == 503:
        response_503 = GetMatchResponse503.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[GetMatchResponse401 | GetMatchResponse404 | GetMatchResponse429 | GetMatchResponse500 | GetMatchResponse503 | MatchView]:
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

) -> Response[GetMatchResponse401 | GetMatchResponse404 | GetMatchResponse429 | GetMatchResponse500 | GetMatchResponse503 | MatchView]:
    """ A match: status, host, state, progress, result

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[GetMatchResponse401 | GetMatchResponse404 | GetMatchResponse429 | GetMatchResponse500 | GetMatchResponse503 | MatchView]
     """


    kwargs = _get_kwargs(
        id=id,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,

) -> GetMatchResponse401 | GetMatchResponse404 | GetMatchResponse429 | GetMatchResponse500 | GetMatchResponse503 | MatchView | None:
    """ A match: status, host, state, progress, result

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        GetMatchResponse401 | GetMatchResponse404 | GetMatchResponse429 | GetMatchResponse500 | GetMatchResponse503 | MatchView
     """


    return sync_detailed(
        id=id,
client=client,

    ).parsed

async def asyncio_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,

) -> Response[GetMatchResponse401 | GetMatchResponse404 | GetMatchResponse429 | GetMatchResponse500 | GetMatchResponse503 | MatchView]:
    """ A match: status, host, state, progress, result

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[GetMatchResponse401 | GetMatchResponse404 | GetMatchResponse429 | GetMatchResponse500 | GetMatchResponse503 | MatchView]
     """


    kwargs = _get_kwargs(
        id=id,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,

) -> GetMatchResponse401 | GetMatchResponse404 | GetMatchResponse429 | GetMatchResponse500 | GetMatchResponse503 | MatchView | None:
    """ A match: status, host, state, progress, result

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        GetMatchResponse401 | GetMatchResponse404 | GetMatchResponse429 | GetMatchResponse500 | GetMatchResponse503 | MatchView
     """


    return (await asyncio_detailed(
        id=id,
client=client,

    )).parsed
