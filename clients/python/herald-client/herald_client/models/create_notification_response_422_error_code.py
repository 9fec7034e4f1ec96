from typing import Literal

CreateNotificationResponse422ErrorCode = Literal['forbidden_target', 'idempotency_key_reused', 'validation_failed']

CREATE_NOTIFICATION_RESPONSE_422_ERROR_CODE_VALUES: set[CreateNotificationResponse422ErrorCode] = { 'forbidden_target', 'idempotency_key_reused', 'validation_failed',  }

def check_create_notification_response_422_error_code(value: str) -> CreateNotificationResponse422ErrorCode:
    if value in CREATE_NOTIFICATION_RESPONSE_422_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_NOTIFICATION_RESPONSE_422_ERROR_CODE_VALUES!r}")
