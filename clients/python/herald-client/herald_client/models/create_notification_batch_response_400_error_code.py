from typing import Literal

CreateNotificationBatchResponse400ErrorCode = Literal['invalid_field', 'malformed_json', 'unreadable_body']

CREATE_NOTIFICATION_BATCH_RESPONSE_400_ERROR_CODE_VALUES: set[CreateNotificationBatchResponse400ErrorCode] = { 'invalid_field', 'malformed_json', 'unreadable_body',  }

def check_create_notification_batch_response_400_error_code(value: str) -> CreateNotificationBatchResponse400ErrorCode:
    if value in CREATE_NOTIFICATION_BATCH_RESPONSE_400_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_NOTIFICATION_BATCH_RESPONSE_400_ERROR_CODE_VALUES!r}")
