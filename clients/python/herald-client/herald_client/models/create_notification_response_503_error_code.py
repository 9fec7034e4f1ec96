from typing import Literal

CreateNotificationResponse503ErrorCode = Literal['unavailable']

CREATE_NOTIFICATION_RESPONSE_503_ERROR_CODE_VALUES: set[CreateNotificationResponse503ErrorCode] = { 'unavailable',  }

def check_create_notification_response_503_error_code(value: str) -> CreateNotificationResponse503ErrorCode:
    if value in CREATE_NOTIFICATION_RESPONSE_503_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_NOTIFICATION_RESPONSE_503_ERROR_CODE_VALUES!r}")
