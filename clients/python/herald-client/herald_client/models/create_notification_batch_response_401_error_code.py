from typing import Literal

CreateNotificationBatchResponse401ErrorCode = Literal['unauthorized']

CREATE_NOTIFICATION_BATCH_RESPONSE_401_ERROR_CODE_VALUES: set[CreateNotificationBatchResponse401ErrorCode] = { 'unauthorized',  }

def check_create_notification_batch_response_401_error_code(value: str) -> CreateNotificationBatchResponse401ErrorCode:
    if value in CREATE_NOTIFICATION_BATCH_RESPONSE_401_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_NOTIFICATION_BATCH_RESPONSE_401_ERROR_CODE_VALUES!r}")
