from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.accepted import Accepted
from ...models.retry_job_response_401 import RetryJobResponse401
from ...models.retry_job_response_404 import RetryJobResponse404
from ...models.retry_job_response_409 import RetryJobResponse409
from ...models.retry_job_response_429 import RetryJobResponse429
from ...models.retry_job_response_500 import RetryJobResponse500
from ...models.retry_job_response_503 import RetryJobResponse503
from typing import cast
from uuid import UUID



def _get_kwargs(
    id: UUID,

) -> dict[str, Any]:
    

    

    

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/jobs/{id}/retry".format(id=quote(str(id), safe=""),),
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Accepted | RetryJobResponse401 | RetryJobResponse404 | RetryJobResponse409 | RetryJobResponse429 | RetryJobResponse500 | RetryJobResponse503 | None:
    if response.status_code == 202:
        response_202 = Accepted.from_dict(response.json())



        return response_202

    if response.status_code == 401:
        response_401 = RetryJobResponse401.from_dict(response.json())



        return response_401

    if response.status_code == 404:
        response_404 = RetryJobResponse404.from_dict(response.json())



        return response_404

    if response.status_code == 409:
        response_409 = RetryJobResponse409.from_dict(response.json())



        return response_409

    if response.status_code == 429:
        response_429 = RetryJobResponse429.from_dict(response.json())



        return response_429

    if response.status_code == 500:
        response_500 = RetryJobResponse500.from_dict(response.json())



        return response_500

    if response.status_code == 503:
        response_503 = RetryJobResponse503.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Accepted | RetryJobResponse401 | RetryJobResponse404 | RetryJobResponse409 | RetryJobResponse429 | RetryJobResponse500 | RetryJobResponse503]:
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

) -> Response[Accepted | RetryJobResponse401 | RetryJobResponse404 | RetryJobResponse409 | RetryJobResponse429 | RetryJobResponse500 | RetryJobResponse503]:
    """ Re-drive a dead job

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Accepted | RetryJobResponse401 | RetryJobResponse404 | RetryJobResponse409 | RetryJobResponse429 | RetryJobResponse500 | RetryJobResponse503]
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

) -> Accepted | RetryJobResponse401 | RetryJobResponse404 | RetryJobResponse409 | RetryJobResponse429 | RetryJobResponse500 | RetryJobResponse503 | None:
    """ Re-drive a dead job

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Accepted | RetryJobResponse401 | RetryJobResponse404 | RetryJobResponse409 | RetryJobResponse429 | RetryJobResponse500 | RetryJobResponse503
     """


    return sync_detailed(
        id=id,
client=client,

    ).parsed

async def asyncio_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,

) -> Response[Accepted | RetryJobResponse401 | RetryJobResponse404 | RetryJobResponse409 | RetryJobResponse429 | RetryJobResponse500 | RetryJobResponse503]:
    """ Re-drive a dead job

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Accepted | RetryJobResponse401 | RetryJobResponse404 | RetryJobResponse409 | RetryJobResponse429 | RetryJobResponse500 | RetryJobResponse503]
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

) -> Accepted | RetryJobResponse401 | RetryJobResponse404 | RetryJobResponse409 | RetryJobResponse429 | RetryJobResponse500 | RetryJobResponse503 | None:
    """ Re-drive a dead job

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Accepted | RetryJobResponse401 | RetryJobResponse404 | RetryJobResponse409 | RetryJobResponse429 | RetryJobResponse500 | RetryJobResponse503
     """


    return (await asyncio_detailed(
        id=id,
client=client,

    )).parsed
