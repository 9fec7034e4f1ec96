from typing import Literal

CreateNotificationResponse401ErrorCode = Literal['unauthorized']

CREATE_NOTIFICATION_RESPONSE_401_ERROR_CODE_VALUES: set[CreateNotificationResponse401ErrorCode] = { 'unauthorized',  }

def check_create_notification_response_401_error_code(value: str) -> CreateNotificationResponse401ErrorCode:
    if value in CREATE_NOTIFICATION_RESPONSE_401_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_NOTIFICATION_RESPONSE_401_ERROR_CODE_VALUES!r}")
