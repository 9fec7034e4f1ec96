from typing import Literal

CreateNotificationResponse429ErrorCode = Literal['rate_limited']

CREATE_NOTIFICATION_RESPONSE_429_ERROR_CODE_VALUES: set[CreateNotificationResponse429ErrorCode] = { 'rate_limited',  }

def check_create_notification_response_429_error_code(value: str) -> CreateNotificationResponse429ErrorCode:
    if value in CREATE_NOTIFICATION_RESPONSE_429_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_NOTIFICATION_RESPONSE_429_ERROR_CODE_VALUES!r}")
