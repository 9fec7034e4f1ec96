from typing import Literal

CreateNotificationResponse415ErrorCode = Literal['unsupported_media_type']

CREATE_NOTIFICATION_RESPONSE_415_ERROR_CODE_VALUES: set[CreateNotificationResponse415ErrorCode] = { 'unsupported_media_type',  }

def check_create_notification_response_415_error_code(value: str) -> CreateNotificationResponse415ErrorCode:
    if value in CREATE_NOTIFICATION_RESPONSE_415_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_NOTIFICATION_RESPONSE_415_ERROR_CODE_VALUES!r}")
