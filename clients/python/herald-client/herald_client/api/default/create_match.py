from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.accepted import Accepted
from ...models.create_match_response_400 import CreateMatchResponse400
from ...models.create_match_response_401 import CreateMatchResponse401
from ...models.create_match_response_408 import CreateMatchResponse408
from ...models.create_match_response_413 import CreateMatchResponse413
from ...models.create_match_response_415 import CreateMatchResponse415
from ...models.create_match_response_422 import CreateMatchResponse422
from ...models.create_match_response_429 import CreateMatchResponse429
from ...models.create_match_response_500 import CreateMatchResponse500
from ...models.create_match_response_503 import CreateMatchResponse503
from ...models.match import Match
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    *,
    body: Match,
    idempotency_key: str | Unset = UNSET,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key



    

    

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/matches",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Accepted | CreateMatchResponse400 | CreateMatchResponse401 | CreateMatchResponse408 | CreateMatchResponse413 | CreateMatchResponse415 | CreateMatchResponse422 | CreateMatchResponse429 | CreateMatchResponse500 | CreateMatchResponse503 | None:
    if response.status_code == 200:
        response_200 = Accepted.from_dict(response.json())



        return response_200

    if response.status_code == 202:
        response_202 = Accepted.from_dict(response.json())



        return response_202

    if response.status_code == 400:
        response_400 = CreateMatchResponse400.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = CreateMatchResponse401.from_dict(response.json())



        return response_401

    if response.status_code == 408:
        response_408 = CreateMatchResponse408.from_dict(response.json())



        return response_408

    if response.status_code == 413:
        response_413 = CreateMatchResponse413.from_dict(response.json())



        return response_413

    if response.status_code == 415:
        response_415 = CreateMatchResponse415.from_dict(response.json())



        return response_415

    if response.status_code == 422:
        response_422 = CreateMatchResponse422.from_dict(response.json())



        return response_422

    if response.status_code == 429:
        response_429 = CreateMatchResponse429.from_dict(response.json())



        return response_429

    if response.status_code == 500:
        response_500 = CreateMatchResponse500.from_dict(response.json())



        return response_500

    if response.status_code == 503:
        response_503 = CreateMatchResponse503.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Accepted | CreateMatchResponse400 | CreateMatchResponse401 | CreateMatchResponse408 | CreateMatchResponse413 | CreateMatchResponse415 | CreateMatchResponse422 | CreateMatchResponse429 | CreateMatchResponse500 | CreateMatchResponse503]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: Match,
    idempotency_key: str | Unset = UNSET,

) -> Response[Accepted | CreateMatchResponse400 | CreateMatchResponse401 | CreateMatchResponse408 | CreateMatchResponse413 | CreateMatchResponse415 | CreateMatchResponse422 | CreateMatchResponse429 | CreateMatchResponse500 | CreateMatchResponse503]:
    """ Create a match; a worker hosts it until it ends

    Args:
        idempotency_key (str | Unset):
        body (Match):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Accepted | CreateMatchResponse400 | CreateMatchResponse401 | CreateMatchResponse408 | CreateMatchResponse413 | CreateMatchResponse415 | CreateMatchResponse422 | CreateMatchResponse429 | CreateMatchResponse500 | CreateMatchResponse503]
     """


    kwargs = _get_kwargs(
        body=body,
idempotency_key=idempotency_key,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient | Client,
    body: Match,
    idempotency_key: str | Unset = UNSET,

) -> Accepted | CreateMatchResponse400 | CreateMatchResponse401 | CreateMatchResponse408 | CreateMatchResponse413 | CreateMatchResponse415 | CreateMatchResponse422 | CreateMatchResponse429 | CreateMatchResponse500 | CreateMatchResponse503 | None:
    """ Create a match; a worker hosts it until it ends

    Args:
        idempotency_key (str | Unset):
        body (Match):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Accepted | CreateMatchResponse400 | CreateMatchResponse401 | CreateMatchResponse408 | CreateMatchResponse413 | CreateMatchResponse415 | CreateMatchResponse422 | CreateMatchResponse429 | CreateMatchResponse500 | CreateMatchResponse503
     """


    return sync_detailed(
        client=client,
body=body,
idempotency_key=idempotency_key,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: Match,
    idempotency_key: str | Unset = UNSET,

) -> Response[Accepted | CreateMatchResponse400 | CreateMatchResponse401 | CreateMatchResponse408 | CreateMatchResponse413 | CreateMatchResponse415 | CreateMatchResponse422 | CreateMatchResponse429 | CreateMatchResponse500 | CreateMatchResponse503]:
    """ Create a match; a worker hosts it until it ends

    Args:
        idempotency_key (str | Unset):
        body (Match):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Accepted | CreateMatchResponse400 | CreateMatchResponse401 | CreateMatchResponse408 | CreateMatchResponse413 | CreateMatchResponse415 | CreateMatchResponse422 | CreateMatchResponse429 | CreateMatchResponse500 | CreateMatchResponse503]
     """


    kwargs = _get_kwargs(
        body=body,
idempotency_key=idempotency_key,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: Match,
    idempotency_key: str | Unset = UNSET,

) -> Accepted | CreateMatchResponse400 | CreateMatchResponse401 | CreateMatchResponse408 | CreateMatchResponse413 | CreateMatchResponse415 | CreateMatchResponse422 | CreateMatchResponse429 | CreateMatchResponse500 | CreateMatchResponse503 | None:
    """ Create a match; a worker hosts it until it ends

    Args:
        idempotency_key (str | Unset):
        body (Match):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Accepted | CreateMatchResponse400 | CreateMatchResponse401 | CreateMatchResponse408 | CreateMatchResponse413 | CreateMatchResponse415 | CreateMatchResponse422 | CreateMatchResponse429 | CreateMatchResponse500 | CreateMatchResponse503
     """


    return (await asyncio_detailed(
        client=client,
body=body,
idempotency_key=idempotency_key,

    )).parsed
