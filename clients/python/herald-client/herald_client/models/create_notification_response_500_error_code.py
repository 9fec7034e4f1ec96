from typing import Literal

CreateNotificationResponse500ErrorCode = Literal['internal']

CREATE_NOTIFICATION_RESPONSE_500_ERROR_CODE_VALUES: set[CreateNotificationResponse500ErrorCode] = { 'internal',  }

def check_create_notification_response_500_error_code(value: str) -> CreateNotificationResponse500ErrorCode:
    if value in CREATE_NOTIFICATION_RESPONSE_500_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_NOTIFICATION_RESPONSE_500_ERROR_CODE_VALUES!r}")
