from typing import Literal

CreateNotificationBatchResponse500ErrorCode = Literal['internal']

CREATE_NOTIFICATION_BATCH_RESPONSE_500_ERROR_CODE_VALUES: set[CreateNotificationBatchResponse500ErrorCode] = { 'internal',  }

def check_create_notification_batch_response_500_error_code(value: str) -> CreateNotificationBatchResponse500ErrorCode:
    if value in CREATE_NOTIFICATION_BATCH_RESPONSE_500_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_NOTIFICATION_BATCH_RESPONSE_500_ERROR_CODE_VALUES!r}")
