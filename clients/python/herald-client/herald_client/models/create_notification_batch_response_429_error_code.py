from typing import Literal

CreateNotificationBatchResponse429ErrorCode = Literal['rate_limited']

CREATE_NOTIFICATION_BATCH_RESPONSE_429_ERROR_CODE_VALUES: set[CreateNotificationBatchResponse429ErrorCode] = { 'rate_limited',  }

def check_create_notification_batch_response_429_error_code(value: str) -> CreateNotificationBatchResponse429ErrorCode:
    if value in CREATE_NOTIFICATION_BATCH_RESPONSE_429_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_NOTIFICATION_BATCH_RESPONSE_429_ERROR_CODE_VALUES!r}")
