from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.create_stream_token_response_400 import CreateStreamTokenResponse400
from ...models.create_stream_token_response_401 import CreateStreamTokenResponse401
from ...models.create_stream_token_response_404 import CreateStreamTokenResponse404
from ...models.create_stream_token_response_408 import CreateStreamTokenResponse408
from ...models.create_stream_token_response_413 import CreateStreamTokenResponse413
from ...models.create_stream_token_response_415 import CreateStreamTokenResponse415
from ...models.create_stream_token_response_422 import CreateStreamTokenResponse422
from ...models.create_stream_token_response_429 import CreateStreamTokenResponse429
from ...models.create_stream_token_response_500 import CreateStreamTokenResponse500
from ...models.create_stream_token_response_503 import CreateStreamTokenResponse503
from ...models.issued_token import IssuedToken
from ...models.token_request import TokenRequest
from typing import cast
from uuid import UUID



def _get_kwargs(
    id: UUID,
    *,
    body: TokenRequest,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}


    

    

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/matches/{id}/tokens".format(id=quote(str(id), safe=""),),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> CreateStreamTokenResponse400 | CreateStreamTokenResponse401 | CreateStreamTokenResponse404 | CreateStreamTokenResponse408 | CreateStreamTokenResponse413 | CreateStreamTokenResponse415 | CreateStreamTokenResponse422 | CreateStreamTokenResponse429 | CreateStreamTokenResponse500 | CreateStreamTokenResponse503 | IssuedToken | None:
    if response.status_code == 200:
        response_200 = IssuedToken.from_dict(response.json())



        return response_200

    if response.status_code == 400:
        response_400 = CreateStreamTokenResponse400.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = CreateStreamTokenResponse401.from_dict(response.json())



        return response_401

    if response.status_code == 404:
        response_404 = CreateStreamTokenResponse404.from_dict(response.json())



        return response_404

    if response.status_code == 408:
        response_408 = CreateStreamTokenResponse408.from_dict(response.json())



        return response_408

    if response.status_code == 413:
        response_413 = CreateStreamTokenResponse413.from_dict(response.json())



        return response_413

    if response.status_code == 415:
        response_415 = CreateStreamTokenResponse415.from_dict(response.json())



        return response_415

    if response.status_code == 422:
        response_422 = CreateStreamTokenResponse422.from_dict(response.json())



        return response_422

    if response.status_code == 429:
        response_429 = CreateStreamTokenResponse429.from_dict(response.json())



        return response_429

    if response.status_code == 500:
        response_500 = CreateStreamTokenResponse500.from_dict(response.json())



        return response_500

    if response.status_code == 503:
        response_503 = CreateStreamTokenResponse503.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[CreateStreamTokenResponse400 | CreateStreamTokenResponse401 | CreateStreamTokenResponse404 | CreateStreamTokenResponse408 | CreateStreamTokenResponse413 | CreateStreamTokenResponse415 | CreateStreamTokenResponse422 | CreateStreamTokenResponse429 | CreateStreamTokenResponse500 | CreateStreamTokenResponse503 | IssuedToken]:
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
    body: TokenRequest,

) -> Response[CreateStreamTokenResponse400 | CreateStreamTokenResponse401 | CreateStreamTokenResponse404 | CreateStreamTokenResponse408 | CreateStreamTokenResponse413 | CreateStreamTokenResponse415 | CreateStreamTokenResponse422 | CreateStreamTokenResponse429 | CreateStreamTokenResponse500 | CreateStreamTokenResponse503 | IssuedToken]:
    """ Issue a short-lived player token for this match's streams (STREAM_TOKEN_SECRET)

    Args:
        id (UUID):
        body (TokenRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreateStreamTokenResponse400 | CreateStreamTokenResponse401 | CreateStreamTokenResponse404 | CreateStreamTokenResponse408 | CreateStreamTokenResponse413 | CreateStreamTokenResponse415 | CreateStreamTokenResponse422 | CreateStreamTokenResponse429 | CreateStreamTokenResponse500 | CreateStreamTokenResponse503 | IssuedToken]
     """


    kwargs = _get_kwargs(
        id=id,
body=body,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    body: TokenRequest,

) -> CreateStreamTokenResponse400 | CreateStreamTokenResponse401 | CreateStreamTokenResponse404 | CreateStreamTokenResponse408 | CreateStreamTokenResponse413 | CreateStreamTokenResponse415 | CreateStreamTokenResponse422 | CreateStreamTokenResponse429 | CreateStreamTokenResponse500 | CreateStreamTokenResponse503 | IssuedToken | None:
    """ Issue a short-lived player token for this match's streams (STREAM_TOKEN_SECRET)

    Args:
        id (UUID):
        body (TokenRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreateStreamTokenResponse400 | CreateStreamTokenResponse401 | CreateStreamTokenResponse404 | CreateStreamTokenResponse408 | CreateStreamTokenResponse413 | CreateStreamTokenResponse415 | CreateStreamTokenResponse422 | CreateStreamTokenResponse429 | CreateStreamTokenResponse500 | CreateStreamTokenResponse503 | IssuedToken
     """


    return sync_detailed(
        id=id,
client=client,
body=body,

    ).parsed

async def asyncio_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    body: TokenRequest,

) -> Response[CreateStreamTokenResponse400 | CreateStreamTokenResponse401 | CreateStreamTokenResponse404 | CreateStreamTokenResponse408 | CreateStreamTokenResponse413 | CreateStreamTokenResponse415 | CreateStreamTokenResponse422 | CreateStreamTokenResponse429 | CreateStreamTokenResponse500 | CreateStreamTokenResponse503 | IssuedToken]:
    """ Issue a short-lived player token for this match's streams (STREAM_TOKEN_SECRET)

    Args:
        id (UUID):
        body (TokenRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreateStreamTokenResponse400 | CreateStreamTokenResponse401 | CreateStreamTokenResponse404 | CreateStreamTokenResponse408 | CreateStreamTokenResponse413 | CreateStreamTokenResponse415 | CreateStreamTokenResponse422 | CreateStreamTokenResponse429 | CreateStreamTokenResponse500 | CreateStreamTokenResponse503 | IssuedToken]
     """


    kwargs = _get_kwargs(
        id=id,
body=body,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    body: TokenRequest,

) -> CreateStreamTokenResponse400 | CreateStreamTokenResponse401 | CreateStreamTokenResponse404 | CreateStreamTokenResponse408 | CreateStreamTokenResponse413 | CreateStreamTokenResponse415 | CreateStreamTokenResponse422 | CreateStreamTokenResponse429 | CreateStreamTokenResponse500 | CreateStreamTokenResponse503 | IssuedToken | None:
    """ Issue a short-lived player token for this match's streams (STREAM_TOKEN_SECRET)

    Args:
        id (UUID):
        body (TokenRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreateStreamTokenResponse400 | CreateStreamTokenResponse401 | CreateStreamTokenResponse404 | CreateStreamTokenResponse408 | CreateStreamTokenResponse413 | CreateStreamTokenResponse415 | CreateStreamTokenResponse422 | CreateStreamTokenResponse429 | CreateStreamTokenResponse500 | CreateStreamTokenResponse503 | IssuedToken
     """


    return (await asyncio_detailed(
        id=id,
client=client,
body=body,

    )).parsed
