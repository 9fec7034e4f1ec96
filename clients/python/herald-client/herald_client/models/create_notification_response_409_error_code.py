from typing import Literal

CreateNotificationResponse409ErrorCode = Literal['invalid_state']

CREATE_NOTIFICATION_RESPONSE_409_ERROR_CODE_VALUES: set[CreateNotificationResponse409ErrorCode] = { 'invalid_state',  }

def check_create_notification_response_409_error_code(value: str) -> CreateNotificationResponse409ErrorCode:
    if value in CREATE_NOTIFICATION_RESPONSE_409_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_NOTIFICATION_RESPONSE_409_ERROR_CODE_VALUES!r}")
