from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.bulk_cancelled import BulkCancelled
from ...models.bulk_request import BulkRequest
from ...models.cancel_jobs_response_400 import CancelJobsResponse400
from ...models.cancel_jobs_response_401 import CancelJobsResponse401
from ...models.cancel_jobs_response_408 import CancelJobsResponse408
from ...models.cancel_jobs_response_413 import CancelJobsResponse413
from ...models.cancel_jobs_response_415 import CancelJobsResponse415
from ...models.cancel_jobs_response_422 import CancelJobsResponse422
from ...models.cancel_jobs_response_429 import CancelJobsResponse429
from ...models.cancel_jobs_response_500 import CancelJobsResponse500
from ...models.cancel_jobs_response_503 import CancelJobsResponse503
from typing import cast



def _get_kwargs(
    *,
    body: BulkRequest,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}


    

    

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/jobs/cancel",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> BulkCancelled | CancelJobsResponse400 | CancelJobsResponse401 | CancelJobsResponse408 | CancelJobsResponse413 | CancelJobsResponse415 | CancelJobsResponse422 | CancelJobsResponse429 | CancelJobsResponse500 | CancelJobsResponse503 | None:
    if response.status_code == 200:
        response_200 = BulkCancelled.from_dict(response.json())



        return response_200

    if response.status_code == 400:
        response_400 = CancelJobsResponse400.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = CancelJobsResponse401.from_dict(response.json())



        return response_401

    if response.status_code == 408:
        response_408 = CancelJobsResponse408.from_dict(response.json())



        return response_408

    if response.status_code == 413:
        response_413 = CancelJobsResponse413.from_dict(response.json())



        return response_413

    if response.status_code == 415:
        response_415 = CancelJobsResponse415.from_dict(response.json())



        return response_415

    if response.status_code == 422:
        response_422 = CancelJobsResponse422.from_dict(response.json())



        return response_422

    if response.status_code == 429:
        response_429 = CancelJobsResponse429.from_dict(response.json())



        return response_429

    if response.status_code == 500:
        response_500 = CancelJobsResponse500.from_dict(response.json())



        return response_500

    if response.status_code == 503:
        response_503 = CancelJobsResponse503.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[BulkCancelled | CancelJobsResponse400 | CancelJobsResponse401 | CancelJobsResponse408 | CancelJobsResponse413 | CancelJobsResponse415 | CancelJobsResponse422 | CancelJobsResponse429 | CancelJobsResponse500 | CancelJobsResponse503]:
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

) -> Response[BulkCancelled | CancelJobsResponse400 | CancelJobsResponse401 | CancelJobsResponse408 | CancelJobsResponse413 | CancelJobsResponse415 | CancelJobsResponse422 | CancelJobsResponse429 | CancelJobsResponse500 | CancelJobsResponse503]:
    """ Cancel this tenant's waiting jobs that match a filter, up to limit per call (resume with nextCursor)

    Args:
        body (BulkRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BulkCancelled | CancelJobsResponse400 | CancelJobsResponse401 | CancelJobsResponse408 | CancelJobsResponse413 | CancelJobsResponse415 | CancelJobsResponse422 | CancelJobsResponse429 | CancelJobsResponse500 | CancelJobsResponse503]
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

) -> BulkCancelled | CancelJobsResponse400 | CancelJobsResponse401 | CancelJobsResponse408 | CancelJobsResponse413 | CancelJobsResponse415 | CancelJobsResponse422 | CancelJobsResponse429 | CancelJobsResponse500 | CancelJobsResponse503 | None:
    """ Cancel this tenant's waiting jobs that match a filter, up to limit per call (resume with nextCursor)

    Args:
        body (BulkRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BulkCancelled | CancelJobsResponse400 | CancelJobsResponse401 | CancelJobsResponse408 | CancelJobsResponse413 | CancelJobsResponse415 | CancelJobsResponse422 | CancelJobsResponse429 | CancelJobsResponse500 | CancelJobsResponse503
     """


    return sync_detailed(
        client=client,
body=body,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: BulkRequest,

) -> Response[BulkCancelled | CancelJobsResponse400 | CancelJobsResponse401 | CancelJobsResponse408 | CancelJobsResponse413 | CancelJobsResponse415 | CancelJobsResponse422 | CancelJobsResponse429 | CancelJobsResponse500 | CancelJobsResponse503]:
    """ Cancel this tenant's waiting jobs that match a filter, up to limit per call (resume with nextCursor)

    Args:
        body (BulkRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BulkCancelled | CancelJobsResponse400 | CancelJobsResponse401 | CancelJobsResponse408 | CancelJobsResponse413 | CancelJobsResponse415 | CancelJobsResponse422 | CancelJobsResponse429 | CancelJobsResponse500 | CancelJobsResponse503]
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

) -> BulkCancelled | CancelJobsResponse400 | CancelJobsResponse401 | CancelJobsResponse408 | CancelJobsResponse413 | CancelJobsResponse415 | CancelJobsResponse422 | CancelJobsResponse429 | CancelJobsResponse500 | CancelJobsResponse503 | None:
    """ Cancel this tenant's waiting jobs that match a filter, up to limit per call (resume with nextCursor)

    Args:
        body (BulkRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BulkCancelled | CancelJobsResponse400 | CancelJobsResponse401 | CancelJobsResponse408 | CancelJobsResponse413 | CancelJobsResponse415 | CancelJobsResponse422 | CancelJobsResponse429 | CancelJobsResponse500 | CancelJobsResponse503
     """


    return (await asyncio_detailed(
        client=client,
body=body,

    )).parsed
