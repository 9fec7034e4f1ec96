from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.list_workers_response_401 import ListWorkersResponse401
from ...models.list_workers_response_429 import ListWorkersResponse429
from ...models.list_workers_response_500 import ListWorkersResponse500
from ...models.list_workers_response_503 import ListWorkersResponse503
from ...models.workers import Workers
from typing import cast



def _get_kwargs(
    
) -> dict[str, Any]:
    

    

    

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/workers",
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ListWorkersResponse401 | ListWorkersResponse429 | ListWorkersResponse500 | ListWorkersResponse503 | Workers | None:
    if response.status_code == 200:
        response_200 = Workers.from_dict(response.json())



        return response_200

    if response.status_code == 401:
        response_401 = ListWorkersResponse401.from_dict(response.json())



        return response_401

    if response.status_code == 429:
        response_429 = ListWorkersResponse429.from_dict(response.json())



        return response_429

    if response.status_code == 500:
        response_500 = ListWorkersResponse500.from_dict(response.json())



        return response_500

    if response.status_code == 503:
        response_503 = ListWorkersResponse503.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[ListWorkersResponse401 | ListWorkersResponse429 | ListWorkersResponse500 | ListWorkersResponse503 | Workers]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,

) -> Response[ListWorkersResponse401 | ListWorkersResponse429 | ListWorkersResponse500 | ListWorkersResponse503 | Workers]:
    """ Live workers from the registry

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ListWorkersResponse401 | ListWorkersResponse429 | ListWorkersResponse500 | ListWorkersResponse503 | Workers]
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

) -> ListWorkersResponse401 | ListWorkersResponse429 | ListWorkersResponse500 | ListWorkersResponse503 | Workers | None:
    """ Live workers from the registry

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ListWorkersResponse401 | ListWorkersResponse429 | ListWorkersResponse500 | ListWorkersResponse503 | Workers
     """


    return sync_detailed(
        client=client,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,

) -> Response[ListWorkersResponse401 | ListWorkersResponse429 | ListWorkersResponse500 | ListWorkersResponse503 | Workers]:
    """ Live workers from the registry

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ListWorkersResponse401 | ListWorkersResponse429 | ListWorkersResponse500 | ListWorkersResponse503 | Workers]
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

) -> ListWorkersResponse401 | ListWorkersResponse429 | ListWorkersResponse500 | ListWorkersResponse503 | Workers | None:
    """ Live workers from the registry

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ListWorkersResponse401 | ListWorkersResponse429 | ListWorkersResponse500 | ListWorkersResponse503 | Workers
     """


    return (await asyncio_detailed(
        client=client,

    )).parsed
