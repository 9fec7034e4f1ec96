from typing import Literal

CreateNotificationBatchResponse503ErrorCode = Literal['unavailable']

CREATE_NOTIFICATION_BATCH_RESPONSE_503_ERROR_CODE_VALUES: set[CreateNotificationBatchResponse503ErrorCode] = { 'unavailable',  }

def check_create_notification_batch_response_503_error_code(value: str) -> CreateNotificationBatchResponse503ErrorCode:
    if value in CREATE_NOTIFICATION_BATCH_RESPONSE_503_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_NOTIFICATION_BATCH_RESPONSE_503_ERROR_CODE_VALUES!r}")
