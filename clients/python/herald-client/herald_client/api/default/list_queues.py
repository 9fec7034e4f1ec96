from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.list_queues_response_401 import ListQueuesResponse401
from ...models.list_queues_response_429 import ListQueuesResponse429
from ...models.list_queues_response_500 import ListQueuesResponse500
from ...models.list_queues_response_503 import ListQueuesResponse503
from ...models.queues import Queues
from typing import cast



def _get_kwargs(
    
) -> dict[str, Any]:
    

    

    

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/queues",
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ListQueuesResponse401 | ListQueuesResponse429 | ListQueuesResponse500 | ListQueuesResponse503 | Queues | None:
    if response.status_code == 200:
        response_200 = Queues.from_dict(response.json())



        return response_200

    if response.status_code == 401:
        response_401 = ListQueuesResponse401.from_dict(response.json())



        return response_401

    if response.status_code == 429:
        response_429 = ListQueuesResponse429.from_dict(response.json())



        return response_429

    if response.status_code == 500:
        response_500 = ListQueuesResponse500.from_dict(response.json())



        return response_500

    if response.status_code == 503:
        response_503 = ListQueuesResponse503.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[ListQueuesResponse401 | ListQueuesResponse429 | ListQueuesResponse500 | ListQueuesResponse503 | Queues]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,

) -> Response[ListQueuesResponse401 | ListQueuesResponse429 | ListQueuesResponse500 | ListQueuesResponse503 | Queues]:
    """ This tenant's queues per kind and priority: counts by state and queue lag

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ListQueuesResponse401 | ListQueuesResponse429 | ListQueuesResponse500 | ListQueuesResponse503 | Queues]
     """


    kwargs = _get_kwargs(
        
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient | Client,

) -> ListQueuesResponse401 | ListQueuesResponse429 | ListQueuesResponse500 | ListQueuesResponse503 | Queues | None:
    """ This tenant's queues per kind and priority: counts by state and queue lag

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ListQueuesResponse401 | ListQueuesResponse429 | ListQueuesResponse500 | ListQueuesResponse503 | Queues
     """


    return sync_detailed(
        client=client,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,

) -> Response[ListQueuesResponse401 | ListQueuesResponse429 | ListQueuesResponse500 | ListQueuesResponse503 | Queues]:
    """ This tenant's queues per kind and priority: counts by state and queue lag

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ListQueuesResponse401 | ListQueuesResponse429 | ListQueuesResponse500 | ListQueuesResponse503 | Queues]
     """


    kwargs = _get_kwargs(
        
    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient | Client,

) -> ListQueuesResponse401 | ListQueuesResponse429 | ListQueuesResponse500 | ListQueuesResponse503 | Queues | None:
    """ This tenant's queues per kind and priority: counts by state and queue lag

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ListQueuesResponse401 | ListQueuesResponse429 | ListQueuesResponse500 | ListQueuesResponse503 | Queues
     """


    return (await asyncio_detailed(
        client=client,

    )).parsed
