from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.cancel_job_response_401 import CancelJobResponse401
from ...models.cancel_job_response_404 import CancelJobResponse404
from ...models.cancel_job_response_409 import CancelJobResponse409
from ...models.cancel_job_response_429 import CancelJobResponse429
from ...models.cancel_job_response_500 import CancelJobResponse500
from ...models.cancel_job_response_503 import CancelJobResponse503
from ...models.job import Job
from typing import cast
from uuid import UUID



def _get_kwargs(
    id: UUID,

) -> dict[str, Any]:
    

    

    

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/jobs/{id}/cancel".format(id=quote(str(id), safe=""),),
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> CancelJobResponse401 | CancelJobResponse404 | CancelJobResponse409 | CancelJobResponse429 | CancelJobResponse500 | CancelJobResponse503 | Job | None:
    if response.status_code == 200:
        response_200 = Job.from_dict(response.json())



        return response_200

    if response.status_code == 401:
        response_401 = CancelJobResponse401.from_dict(response.json())



        return response_401

    if response.status_code == 404:
        response_404 = CancelJobResponse404.from_dict(response.json())



        return response_404

    if response.status_code == 409:
        response_409 = CancelJobResponse409.from_dict(response.json())



        return response_409

    if response.status_code == 429:
        response_429 = CancelJobResponse429.from_dict(response.json())



        return response_429

    if response.status_code == 500:
        response_500 = CancelJobResponse500.from_dict(response.json())



        return response_500

    if response.status_code == 503:
        response_503 = CancelJobResponse503.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[CancelJobResponse401 | CancelJobResponse404 | CancelJobResponse409 | CancelJobResponse429 | CancelJobResponse500 | CancelJobResponse503 | Job]:
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

) -> Response[CancelJobResponse401 | CancelJobResponse404 | CancelJobResponse409 | CancelJobResponse429 | CancelJobResponse500 | CancelJobResponse503 | Job]:
    """ Cancel a waiting job

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CancelJobResponse401 | CancelJobResponse404 | CancelJobResponse409 | CancelJobResponse429 | CancelJobResponse500 | CancelJobResponse503 | Job]
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

) -> CancelJobResponse401 | CancelJobResponse404 | CancelJobResponse409 | CancelJobResponse429 | CancelJobResponse500 | CancelJobResponse503 | Job | None:
    """ Cancel a waiting job

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CancelJobResponse401 | CancelJobResponse404 | CancelJobResponse409 | CancelJobResponse429 | CancelJobResponse500 | CancelJobResponse503 | Job
     """


    return sync_detailed(
        id=id,
client=client,

    ).parsed

async def asyncio_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,

) -> Response[CancelJobResponse401 | CancelJobResponse404 | CancelJobResponse409 | CancelJobResponse429 | CancelJobResponse500 | CancelJobResponse503 | Job]:
    """ Cancel a waiting job

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CancelJobResponse401 | CancelJobResponse404 | CancelJobResponse409 | CancelJobResponse429 | CancelJobResponse500 | CancelJobResponse503 | Job]
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

) -> CancelJobResponse401 | CancelJobResponse404 | CancelJobResponse409 | CancelJobResponse429 | CancelJobResponse500 | CancelJobResponse503 | Job | None:
    """ Cancel a waiting job

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CancelJobResponse401 | CancelJobResponse404 | CancelJobResponse409 | CancelJobResponse429 | CancelJobResponse500 | CancelJobResponse503 | Job
     """


    return (await asyncio_detailed(
        id=id,
client=client,

    )).parsed
