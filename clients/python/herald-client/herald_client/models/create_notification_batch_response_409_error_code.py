from typing import Literal

CreateNotificationBatchResponse409ErrorCode = Literal['invalid_state']

CREATE_NOTIFICATION_BATCH_RESPONSE_409_ERROR_CODE_VALUES: set[CreateNotificationBatchResponse409ErrorCode] = { 'invalid_state',  }

def check_create_notification_batch_response_409_error_code(value: str) -> CreateNotificationBatchResponse409ErrorCode:
    if value in CREATE_NOTIFICATION_BATCH_RESPONSE_409_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_NOTIFICATION_BATCH_RESPONSE_409_ERROR_CODE_VALUES!r}")
