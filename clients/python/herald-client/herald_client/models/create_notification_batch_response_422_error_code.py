from typing import Literal

CreateNotificationBatchResponse422ErrorCode = Literal['forbidden_target', 'idempotency_key_reused', 'validation_failed']

CREATE_NOTIFICATION_BATCH_RESPONSE_422_ERROR_CODE_VALUES: set[CreateNotificationBatchResponse422ErrorCode] = { 'forbidden_target', 'idempotency_key_reused', 'validation_failed',  }

def check_create_notification_batch_response_422_error_code(value: str) -> CreateNotificationBatchResponse422ErrorCode:
    if value in CREATE_NOTIFICATION_BATCH_RESPONSE_422_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_NOTIFICATION_BATCH_RESPONSE_422_ERROR_CODE_VALUES!r}")
