from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.job_kind import check_job_kind
from ...models.job_kind import JobKind
from ...models.job_page import JobPage
from ...models.list_dead_letters_response_400 import ListDeadLettersResponse400
from ...models.list_dead_letters_response_401 import ListDeadLettersResponse401
from ...models.list_dead_letters_response_429 import ListDeadLettersResponse429
from ...models.list_dead_letters_response_500 import ListDeadLettersResponse500
from ...models.list_dead_letters_response_503 import ListDeadLettersResponse503
from ...types import UNSET, Unset
from typing import cast
from uuid import UUID



def _get_kwargs(
    *,
    kind: JobKind | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: UUID | Unset = UNSET,

) -> dict[str, Any]:
    

    

    params: dict[str, Any] = {}

    json_kind: str | Unset = UNSET
    if not isinstance(kind, Unset):
        json_kind = kind

    params["kind"] = json_kind

    params["limit"] = limit

    json_cursor: str | Unset = UNSET
    if not isinstance(cursor, Unset):
        json_cursor = str(cursor)
    params["cursor"] = json_cursor


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/dead-letters",
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> JobPage | ListDeadLettersResponse400 | ListDeadLettersResponse401 | ListDeadLettersResponse429 | ListDeadLettersResponse500 | ListDeadLettersResponse503 | None:
    if response.status_code == 200:
        response_200 = JobPage.from_dict(response.json())



        return response_200

    if response.status_code == 400:
        response_400 = ListDeadLettersResponse400.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = ListDeadLettersResponse401.from_dict(response.json())



        return response_401

    if response.status_code == 429:
        response_429 = ListDeadLettersResponse429.from_dict(response.json())



        return response_429

    if response.status_code == 500:
        response_500 = ListDeadLettersResponse500.from_dict(response.json())



        return response_500

    if response.status_code == 503:
        response_503 = ListDeadLettersResponse503.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[JobPage | ListDeadLettersResponse400 | ListDeadLettersResponse401 | ListDeadLettersResponse429 | ListDeadLettersResponse500 | ListDeadLettersResponse503]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    kind: JobKind | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: UUID | Unset = UNSET,

) -> Response[JobPage | ListDeadLettersResponse400 | ListDeadLettersResponse401 | ListDeadLettersResponse429 | ListDeadLettersResponse500 | ListDeadLettersResponse503]:
    """ This tenant's dead jobs, newest first

    Args:
        kind (JobKind | Unset):
        limit (int | Unset):  Default: 50.
        cursor (UUID | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobPage | ListDeadLettersResponse400 | ListDeadLettersResponse401 | ListDeadLettersResponse429 | ListDeadLettersResponse500 | ListDeadLettersResponse503]
     """


    kwargs = _get_kwargs(
        kind=kind,
limit=limit,
cursor=cursor,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient | Client,
    kind: JobKind | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: UUID | Unset = UNSET,

) -> JobPage | ListDeadLettersResponse400 | ListDeadLettersResponse401 | ListDeadLettersResponse429 | ListDeadLettersResponse500 | ListDeadLettersResponse503 | None:
    """ This tenant's dead jobs, newest first

    Args:
        kind (JobKind | Unset):
        limit (int | Unset):  Default: 50.
        cursor (UUID | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobPage | ListDeadLettersResponse400 | ListDeadLettersResponse401 | ListDeadLettersResponse429 | ListDeadLettersResponse500 | ListDeadLettersResponse503
     """


    return sync_detailed(
        client=client,
kind=kind,
limit=limit,
cursor=cursor,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    kind: JobKind | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: UUID | Unset = UNSET,

) -> Response[JobPage | ListDeadLettersResponse400 | ListDeadLettersResponse401 | ListDeadLettersResponse429 | ListDeadLettersResponse500 | ListDeadLettersResponse503]:
    """ This tenant's dead jobs, newest first

    Args:
        kind (JobKind | Unset):
        limit (int | Unset):  Default: 50.
        cursor (UUID | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobPage | ListDeadLettersResponse400 | ListDeadLettersResponse401 | ListDeadLettersResponse429 | ListDeadLettersResponse500 | ListDeadLettersResponse503]
     """


    kwargs = _get_kwargs(
        kind=kind,
limit=limit,
cursor=cursor,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    kind: JobKind | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: UUID | Unset = UNSET,

) -> JobPage | ListDeadLettersResponse400 | ListDeadLettersResponse401 | ListDeadLettersResponse429 | ListDeadLettersResponse500 | ListDeadLettersResponse503 | None:
    """ This tenant's dead jobs, newest first

    Args:
        kind (JobKind | Unset):
        limit (int | Unset):  Default: 50.
        cursor (UUID | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobPage | ListDeadLettersResponse400 | ListDeadLettersResponse401 | ListDeadLettersResponse429 | ListDeadLettersResponse500 | ListDeadLettersResponse503
     """


    return (await asyncio_detailed(
        client=client,
kind=kind,
limit=limit,
cursor=cursor,

    )).parsed
