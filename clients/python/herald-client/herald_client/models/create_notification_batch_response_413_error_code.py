from typing import Literal

CreateNotificationBatchResponse413ErrorCode = Literal['payload_too_large']

CREATE_NOTIFICATION_BATCH_RESPONSE_413_ERROR_CODE_VALUES: set[CreateNotificationBatchResponse413ErrorCode] = { 'payload_too_large',  }

def check_create_notification_batch_response_413_error_code(value: str) -> CreateNotificationBatchResponse413ErrorCode:
    if value in CREATE_NOTIFICATION_BATCH_RESPONSE_413_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_NOTIFICATION_BATCH_RESPONSE_413_ERROR_CODE_VALUES!r}")
