from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.accepted import Accepted
from ...models.create_notification_response_400 import CreateNotificationResponse400
from ...models.create_notification_response_401 import CreateNotificationResponse401
from ...models.create_notification_response_408 import CreateNotificationResponse408
from ...models.create_notification_response_413 import CreateNotificationResponse413
from ...models.create_notification_response_415 import CreateNotificationResponse415
from ...models.create_notification_response_422 import CreateNotificationResponse422
from ...models.create_notification_response_429 import CreateNotificationResponse429
from ...models.create_notification_response_500 import CreateNotificationResponse500
from ...models.create_notification_response_503 import CreateNotificationResponse503
from ...models.email_body_notification import EmailBodyNotification
from ...models.email_template_notification import EmailTemplateNotification
from ...models.log_body_notification import LogBodyNotification
from ...models.log_template_notification import LogTemplateNotification
from ...models.push_body_notification import PushBodyNotification
from ...models.push_template_notification import PushTemplateNotification
from ...models.sms_body_notification import SmsBodyNotification
from ...models.sms_template_notification import SmsTemplateNotification
from ...models.webhook_body_notification import WebhookBodyNotification
from ...models.webhook_template_notification import WebhookTemplateNotification
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    *,
    body: EmailBodyNotification | EmailTemplateNotification | LogBodyNotification | LogTemplateNotification | PushBodyNotification | PushTemplateNotification | SmsBodyNotification | SmsTemplateNotification | WebhookBodyNotification | WebhookTemplateNotification,
    idempotency_key: str | Unset = UNSET,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key



    

    

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/notifications",
    }

    
    if isinstance(body, LogBodyNotification):
        _kwargs["json"] = body.to_dict()
    elif isinstance(body, LogTemplateNotification):
        _kwargs["json"] = body.to_dict()
    elif isinstance(body, WebhookBodyNotification):
        _kwargs["json"] = body.to_dict()
    elif isinstance(body, WebhookTemplateNotification):
        _kwargs["json"] = body.to_dict()
    elif isinstance(body, EmailBodyNotification):
        _kwargs["json"] = body.to_dict()
    elif isinstance(body, EmailTemplateNotification):
        _kwargs["json"] = body.to_dict()
    elif isinstance(body, SmsBodyNotification):
        _kwargs["json"] = body.to_dict()
    elif isinstance(body, SmsTemplateNotification):
        _kwargs["json"] = body.to_dict()
    elif isinstance(body, PushBodyNotification):
        _kwargs["json"] = body.to_dict()
    else:
        _kwargs["json"] = body.to_dict()


    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Accepted | CreateNotificationResponse400 | CreateNotificationResponse401 | CreateNotificationResponse408 | CreateNotificationResponse413 | CreateNotificationResponse415 | CreateNotificationResponse422 | CreateNotificationResponse429 | CreateNotificationResponse500 | CreateNotificationResponse503 | None:
    if response.status_code == 200:
        response_200 = Accepted.from_dict(response.json())



        return response_200

    if response.status_code == 202:
        response_202 = Accepted.from_dict(response.json())



        return response_202

    if response.status_code == 400:
        response_400 = CreateNotificationResponse400.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = CreateNotificationResponse401.from_dict(response.json())



        return response_401

    if response.status_code == 408:
        response_408 = CreateNotificationResponse408.from_dict(response.json())



        return response_408

    if response.status_code == 413:
        response_413 = CreateNotificationResponse413.from_dict(response.json())



        return response_413

    if response.status_code == 415:
        response_415 = CreateNotificationResponse415.from_dict(response.json())



        return response_415

    if response.status_code == 422:
        response_422 = CreateNotificationResponse422.from_dict(response.json())



        return response_422

    if response.status_code == 429:
        response_429 = CreateNotificationResponse429.from_dict(response.json())



        return response_429

    if response.status_code == 500:
        response_500 = CreateNotificationResponse500.from_dict(response.json())



        return response_500

    if response.status_code == 503:
        response_503 = CreateNotificationResponse503.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Accepted | CreateNotificationResponse400 | CreateNotificationResponse401 | CreateNotificationResponse408 | CreateNotificationResponse413 | CreateNotificationResponse415 | CreateNotificationResponse422 | CreateNotificationResponse429 | CreateNotificationResponse500 | CreateNotificationResponse503]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: EmailBodyNotification | EmailTemplateNotification | LogBodyNotification | LogTemplateNotification | PushBodyNotification | PushTemplateNotification | SmsBodyNotification | SmsTemplateNotification | WebhookBodyNotification | WebhookTemplateNotification,
    idempotency_key: str | Unset = UNSET,

) -> Response[Accepted | CreateNotificationResponse400 | CreateNotificationResponse401 | CreateNotificationResponse408 | CreateNotificationResponse413 | CreateNotificationResponse415 | CreateNotificationResponse422 | CreateNotificationResponse429 | CreateNotificationResponse500 | CreateNotificationResponse503]:
    """ Enqueue one notification

    Args:
        idempotency_key (str | Unset):
        body (EmailBodyNotification | EmailTemplateNotification | LogBodyNotification |
            LogTemplateNotification | PushBodyNotification | PushTemplateNotification |
            SmsBodyNotification | SmsTemplateNotification | WebhookBodyNotification |
            WebhookTemplateNotification): A notification; its channel selects which addresses and
            limits apply.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Accepted | CreateNotificationResponse400 | CreateNotificationResponse401 | CreateNotificationResponse408 | CreateNotificationResponse413 | CreateNotificationResponse415 | CreateNotificationResponse422 | CreateNotificationResponse429 | CreateNotificationResponse500 | CreateNotificationResponse503]
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
    body: EmailBodyNotification | EmailTemplateNotification | LogBodyNotification | LogTemplateNotification | PushBodyNotification | PushTemplateNotification | SmsBodyNotification | SmsTemplateNotification | WebhookBodyNotification | WebhookTemplateNotification,
    idempotency_key: str | Unset = UNSET,

) -> Accepted | CreateNotificationResponse400 | CreateNotificationResponse401 | CreateNotificationResponse408 | CreateNotificationResponse413 | CreateNotificationResponse415 | CreateNotificationResponse422 | CreateNotificationResponse429 | CreateNotificationResponse500 | CreateNotificationResponse503 | None:
    """ Enqueue one notification

    Args:
        idempotency_key (str | Unset):
        body (EmailBodyNotification | EmailTemplateNotification | LogBodyNotification |
            LogTemplateNotification | PushBodyNotification | PushTemplateNotification |
            SmsBodyNotification | SmsTemplateNotification | WebhookBodyNotification |
            WebhookTemplateNotification): A notification; its channel selects which addresses and
            limits apply.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Accepted | CreateNotificationResponse400 | CreateNotificationResponse401 | CreateNotificationResponse408 | CreateNotificationResponse413 | CreateNotificationResponse415 | CreateNotificationResponse422 | CreateNotificationResponse429 | CreateNotificationResponse500 | CreateNotificationResponse503
     """


    return sync_detailed(
        client=client,
body=body,
idempotency_key=idempotency_key,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: EmailBodyNotification | EmailTemplateNotification | LogBodyNotification | LogTemplateNotification | PushBodyNotification | PushTemplateNotification | SmsBodyNotification | SmsTemplateNotification | WebhookBodyNotification | WebhookTemplateNotification,
    idempotency_key: str | Unset = UNSET,

) -> Response[Accepted | CreateNotificationResponse400 | CreateNotificationResponse401 | CreateNotificationResponse408 | CreateNotificationResponse413 | CreateNotificationResponse415 | CreateNotificationResponse422 | CreateNotificationResponse429 | CreateNotificationResponse500 | CreateNotificationResponse503]:
    """ Enqueue one notification

    Args:
        idempotency_key (str | Unset):
        body (EmailBodyNotification | EmailTemplateNotification | LogBodyNotification |
            LogTemplateNotification | PushBodyNotification | PushTemplateNotification |
            SmsBodyNotification | SmsTemplateNotification | WebhookBodyNotification |
            WebhookTemplateNotification): A notification; its channel selects which addresses and
            limits apply.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Accepted | CreateNotificationResponse400 | CreateNotificationResponse401 | CreateNotificationResponse408 | CreateNotificationResponse413 | CreateNotificationResponse415 | CreateNotificationResponse422 | CreateNotificationResponse429 | CreateNotificationResponse500 | CreateNotificationResponse503]
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
    body: EmailBodyNotification | EmailTemplateNotification | LogBodyNotification | LogTemplateNotification | PushBodyNotification | PushTemplateNotification | SmsBodyNotification | SmsTemplateNotification | WebhookBodyNotification | WebhookTemplateNotification,
    idempotency_key: str | Unset = UNSET,

) -> Accepted | CreateNotificationResponse400 | CreateNotificationResponse401 | CreateNotificationResponse408 | CreateNotificationResponse413 | CreateNotificationResponse415 | CreateNotificationResponse422 | CreateNotificationResponse429 | CreateNotificationResponse500 | CreateNotificationResponse503 | None:
    """ Enqueue one notification

    Args:
        idempotency_key (str | Unset):
        body (EmailBodyNotification | EmailTemplateNotification | LogBodyNotification |
            LogTemplateNotification | PushBodyNotification | PushTemplateNotification |
            SmsBodyNotification | SmsTemplateNotification | WebhookBodyNotification |
            WebhookTemplateNotification): A notification; its channel selects which addresses and
            limits apply.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Accepted | CreateNotificationResponse400 | CreateNotificationResponse401 | CreateNotificationResponse408 | CreateNotificationResponse413 | CreateNotificationResponse415 | CreateNotificationResponse422 | CreateNotificationResponse429 | CreateNotificationResponse500 | CreateNotificationResponse503
     """


    return (await asyncio_detailed(
        client=client,
body=body,
idempotency_key=idempotency_key,

    )).parsed
