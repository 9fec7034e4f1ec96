from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.batch import Batch
from ...models.batch_accepted import BatchAccepted
from ...models.create_notification_batch_response_400 import CreateNotificationBatchResponse400
from ...models.create_notification_batch_response_401 import CreateNotificationBatchResponse401
from ...models.create_notification_batch_response_408 import CreateNotificationBatchResponse408
from ...models.create_notification_batch_response_413 import CreateNotificationBatchResponse413
from ...models.create_notification_batch_response_415 import CreateNotificationBatchResponse415
from ...models.create_notification_batch_response_422 import CreateNotificationBatchResponse422
from ...models.create_notification_batch_response_429 import CreateNotificationBatchResponse429
from ...models.create_notification_batch_response_500 import CreateNotificationBatchResponse500
from ...models.create_notification_batch_response_503 import CreateNotificationBatchResponse503
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    *,
    body: Batch,
    idempotency_key: str | Unset = UNSET,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key



    

    

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/notifications/batch",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> BatchAccepted | CreateNotificationBatchResponse400 | CreateNotificationBatchResponse401 | CreateNotificationBatchResponse408 | CreateNotificationBatchResponse413 | CreateNotificationBatchResponse415 | CreateNotificationBatchResponse422 | CreateNotificationBatchResponse429 | CreateNotificationBatchResponse500 | CreateNotificationBatchResponse503 | None:
    if response.status_code == 200:
        response_200 = BatchAccepted.from_dict(response.json())



        return response_200

    if response.status_code == 202:
        response_202 = BatchAccepted.from_dict(response.json())



        return response_202

    if response.status_code == 400:
        response_400 = CreateNotificationBatchResponse400.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = CreateNotificationBatchResponse401.from_dict(response.json())



        return response_401

    if response.status_code == 408:
        response_408 = CreateNotificationBatchResponse408.from_dict(response.json())



        return response_408

    if response.status_code == 413:
        response_413 = CreateNotificationBatchResponse413.from_dict(response.json())



        return response_413

    if response.status_code == 415:
        response_415 = CreateNotificationBatchResponse415.from_dict(response.json())



        return response_415

    if response.status_code == 422:
        response_422 = CreateNotificationBatchResponse422.from_dict(response.json())



        return response_422

    if response.status_code == 429:
        response_429 = CreateNotificationBatchResponse429.from_dict(response.json())



        return response_429

    if response.status_code == 500:
        response_500 = CreateNotificationBatchResponse500.from_dict(response.json())



        return response_500

    if response.status_code == 503:
        response_503 = CreateNotificationBatchResponse503.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[BatchAccepted | CreateNotificationBatchResponse400 | CreateNotificationBatchResponse401 | CreateNotificationBatchResponse408 | CreateNotificationBatchResponse413 | CreateNotificationBatchResponse415 | CreateNotificationBatchResponse422 | CreateNotificationBatchResponse429 | CreateNotificationBatchResponse500 | CreateNotificationBatchResponse503]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: Batch,
    idempotency_key: str | Unset = UNSET,

) -> Response[BatchAccepted | CreateNotificationBatchResponse400 | CreateNotificationBatchResponse401 | CreateNotificationBatchResponse408 | CreateNotificationBatchResponse413 | CreateNotificationBatchResponse415 | CreateNotificationBatchResponse422 | CreateNotificationBatchResponse429 | CreateNotificationBatchResponse500 | CreateNotificationBatchResponse503]:
    """ Enqueue up to 1000 notifications, validated all-or-nothing

    Args:
        idempotency_key (str | Unset):
        body (Batch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BatchAccepted | CreateNotificationBatchResponse400 | CreateNotificationBatchResponse401 | CreateNotificationBatchResponse408 | CreateNotificationBatchResponse413 | CreateNotificationBatchResponse415 | CreateNotificationBatchResponse422 | CreateNotificationBatchResponse429 | CreateNotificationBatchResponse500 | CreateNotificationBatchResponse503]
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
    body: Batch,
    idempotency_key: str | Unset = UNSET,

) -> BatchAccepted | CreateNotificationBatchResponse400 | CreateNotificationBatchResponse401 | CreateNotificationBatchResponse408 | CreateNotificationBatchResponse413 | CreateNotificationBatchResponse415 | CreateNotificationBatchResponse422 | CreateNotificationBatchResponse429 | CreateNotificationBatchResponse500 | CreateNotificationBatchResponse503 | None:
    """ Enqueue up to 1000 notifications, validated all-or-nothing

    Args:
        idempotency_key (str | Unset):
        body (Batch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BatchAccepted | CreateNotificationBatchResponse400 | CreateNotificationBatchResponse401 | CreateNotificationBatchResponse408 | CreateNotificationBatchResponse413 | CreateNotificationBatchResponse415 | CreateNotificationBatchResponse422 | CreateNotificationBatchResponse429 | CreateNotificationBatchResponse500 | CreateNotificationBatchResponse503
     """


    return sync_detailed(
        client=client,
body=body,
idempotency_key=idempotency_key,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: Batch,
    idempotency_key: str | Unset = UNSET,

) -> Response[BatchAccepted | CreateNotificationBatchResponse400 | CreateNotificationBatchResponse401 | CreateNotificationBatchResponse408 | CreateNotificationBatchResponse413 | CreateNotificationBatchResponse415 | CreateNotificationBatchResponse422 | CreateNotificationBatchResponse429 | CreateNotificationBatchResponse500 | CreateNotificationBatchResponse503]:
    """ Enqueue up to 1000 notifications, validated all-or-nothing

    Args:
        idempotency_key (str | Unset):
        body (Batch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BatchAccepted | CreateNotificationBatchResponse400 | CreateNotificationBatchResponse401 | CreateNotificationBatchResponse408 | CreateNotificationBatchResponse413 | CreateNotificationBatchResponse415 | CreateNotificationBatchResponse422 | CreateNotificationBatchResponse429 | CreateNotificationBatchResponse500 | CreateNotificationBatchResponse503]
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
    body: Batch,
    idempotency_key: str | Unset = UNSET,

) -> BatchAccepted | CreateNotificationBatchResponse400 | CreateNotificationBatchResponse401 | CreateNotificationBatchResponse408 | CreateNotificationBatchResponse413 | CreateNotificationBatchResponse415 | CreateNotificationBatchResponse422 | CreateNotificationBatchResponse429 | CreateNotificationBatchResponse500 | CreateNotificationBatchResponse503 | None:
    """ Enqueue up to 1000 notifications, validated all-or-nothing

    Args:
        idempotency_key (str | Unset):
        body (Batch):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BatchAccepted | CreateNotificationBatchResponse400 | CreateNotificationBatchResponse401 | CreateNotificationBatchResponse408 | CreateNotificationBatchResponse413 | CreateNotificationBatchResponse415 | CreateNotificationBatchResponse422 | CreateNotificationBatchResponse429 | CreateNotificationBatchResponse500 | CreateNotificationBatchResponse503
     """


    return (await asyncio_detailed(
        client=client,
body=body,
idempotency_key=idempotency_key,

    )).parsed
