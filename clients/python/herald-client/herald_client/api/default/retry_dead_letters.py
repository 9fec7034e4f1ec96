from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.bulk_request import BulkRequest
from ...models.bulk_retried import BulkRetried
from ...models.retry_dead_letters_response_400 import RetryDeadLettersResponse400
from ...models.retry_dead_letters_response_401 import RetryDeadLettersResponse401
from ...models.retry_dead_letters_response_408 import RetryDeadLettersResponse408
from ...models.retry_dead_letters_response_413 import RetryDeadLettersResponse413
from ...models.retry_dead_letters_response_415 import RetryDeadLettersResponse415
from ...models.retry_dead_letters_response_422 import RetryDeadLettersResponse422
from ...models.retry_dead_letters_response_429 import RetryDeadLettersResponse429
from ...models.retry_dead_letters_response_500 import RetryDeadLettersResponse500
from ...models.retry_dead_letters_response_503 import RetryDeadLettersResponse503
from typing import cast



def _get_kwargs(
    *,
    body: BulkRequest,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}


    

    

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/dead-letters/retry",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> BulkRetried | RetryDeadLettersResponse400 | RetryDeadLettersResponse401 | RetryDeadLettersResponse408 | RetryDeadLettersResponse413 | RetryDeadLettersResponse415 | RetryDeadLettersResponse422 | RetryDeadLettersResponse429 | RetryDeadLettersResponse500 | RetryDeadLettersResponse503 | None:
    if response.status_code == 200:
        response_200 = BulkRetried.from_dict(response.json())



        return response_200

    if response.status_code == 400:
        response_400 = RetryDeadLettersResponse400.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = RetryDeadLettersResponse401.from_dict(response.json())



        return response_401

    if response.status_code == 408:
        response_408 = RetryDeadLettersResponse408.from_dict(response.json())



        return response_408

    if response.status_code == 413:
        response_413 = RetryDeadLettersResponse413.from_dict(response.json())



        return response_413

    if response.status_code == 415:
        response_415 = RetryDeadLettersResponse415.from_dict(response.json())



        return response_415

    if response.status_code == 422:
        response_422 = RetryDeadLettersResponse422.from_dict(response.json())



        return response_422

    if response.status_code == 429:
        response_429 = RetryDeadLettersResponse429.from_dict(response.json())



        return response_429

    if response.status_code == 500:
        response_500 = RetryDeadLettersResponse500.from_dict(response.json())



        return response_500

    if response.status_code == 503:
        response_503 = RetryDeadLettersResponse503.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[BulkRetried | RetryDeadLettersResponse400 | RetryDeadLettersResponse401 | RetryDeadLettersResponse408 | RetryDeadLettersResponse413 | RetryDeadLettersResponse415 | RetryDeadLettersResponse422 | RetryDeadLettersResponse429 | RetryDeadLettersResponse500 | RetryDeadLettersResponse503]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: BulkRequest,

) -> Response[BulkRetried | RetryDeadLettersResponse400 | RetryDeadLettersResponse401 | RetryDeadLettersResponse408 | RetryDeadLettersResponse413 | RetryDeadLettersResponse415 | RetryDeadLettersResponse422 | RetryDeadLettersResponse429 | RetryDeadLettersResponse500 | RetryDeadLettersResponse503]:
    """ Re-drive this tenant's dead jobs that match a filter, up to limit per call (resume with nextCursor)

    Args:
        body (BulkRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BulkRetried | RetryDeadLettersResponse400 | RetryDeadLettersResponse401 | RetryDeadLettersResponse408 | RetryDeadLettersResponse413 | RetryDeadLettersResponse415 | RetryDeadLettersResponse422 | RetryDeadLettersResponse429 | RetryDeadLettersResponse500 | RetryDeadLettersResponse503]
     """


    kwargs = _get_kwargs(
        body=body,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient | Client,
    body: BulkRequest,

) -> BulkRetried | RetryDeadLettersResponse400 | RetryDeadLettersResponse401 | RetryDeadLettersResponse408 | RetryDeadLettersResponse413 | RetryDeadLettersResponse415 | RetryDeadLettersResponse422 | RetryDeadLettersResponse429 | RetryDeadLettersResponse500 | RetryDeadLettersResponse503 | None:
    """ Re-drive this tenant's dead jobs that match a filter, up to limit per call (resume with nextCursor)

    Args:
        body (BulkRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BulkRetried | RetryDeadLettersResponse400 | RetryDeadLettersResponse401 | RetryDeadLettersResponse408 | RetryDeadLettersResponse413 | RetryDeadLettersResponse415 | RetryDeadLettersResponse422 | RetryDeadLettersResponse429 | RetryDeadLettersResponse500 | RetryDeadLettersResponse503
     """


    return sync_detailed(
        client=client,
body=body,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: BulkRequest,

) -> Response[BulkRetried | RetryDeadLettersResponse400 | RetryDeadLettersResponse401 | RetryDeadLettersResponse408 | RetryDeadLettersResponse413 | RetryDeadLettersResponse415 | RetryDeadLettersResponse422 | RetryDeadLettersResponse429 | RetryDeadLettersResponse500 | RetryDeadLettersResponse503]:
    """ Re-drive this tenant's dead jobs that match a filter, up to limit per call (resume with nextCursor)

    Args:
        body (BulkRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BulkRetried | RetryDeadLettersResponse400 | RetryDeadLettersResponse401 | RetryDeadLettersResponse408 | RetryDeadLettersResponse413 | RetryDeadLettersResponse415 | RetryDeadLettersResponse422 | RetryDeadLettersResponse429 | RetryDeadLettersResponse500 | RetryDeadLettersResponse503]
     """


    kwargs = _get_kwargs(
        body=body,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: BulkRequest,

) -> BulkRetried | RetryDeadLettersResponse400 | RetryDeadLettersResponse401 | RetryDeadLettersResponse408 | RetryDeadLettersResponse413 | RetryDeadLettersResponse415 | RetryDeadLettersResponse422 | RetryDeadLettersResponse429 | RetryDeadLettersResponse500 | RetryDeadLettersResponse503 | None:
    """ Re-drive this tenant's dead jobs that match a filter, up to limit per call (resume with nextCursor)

    Args:
        body (BulkRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BulkRetried | RetryDeadLettersResponse400 | RetryDeadLettersResponse401 | RetryDeadLettersResponse408 | RetryDeadLettersResponse413 | RetryDeadLettersResponse415 | RetryDeadLettersResponse422 | RetryDeadLettersResponse429 | RetryDeadLettersResponse500 | RetryDeadLettersResponse503
     """


    return (await asyncio_detailed(
        client=client,
body=body,

    )).parsed
