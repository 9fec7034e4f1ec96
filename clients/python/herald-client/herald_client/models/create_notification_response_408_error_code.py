from typing import Literal

CreateNotificationResponse408ErrorCode = Literal['request_timeout']

CREATE_NOTIFICATION_RESPONSE_408_ERROR_CODE_VALUES: set[CreateNotificationResponse408ErrorCode] = { 'request_timeout',  }

def check_create_notification_response_408_error_code(value: str) -> CreateNotificationResponse408ErrorCode:
    if value in CREATE_NOTIFICATION_RESPONSE_408_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_NOTIFICATION_RESPONSE_408_ERROR_CODE_VALUES!r}")
