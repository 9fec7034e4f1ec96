from typing import Literal

ErrorErrorCode = Literal['forbidden', 'forbidden_target', 'idempotency_key_reused', 'internal', 'invalid_field', 'invalid_query', 'invalid_state', 'malformed_json', 'match_ended', 'method_not_allowed', 'not_configured', 'not_found', 'payload_too_large', 'rate_limited', 'request_timeout', 'too_many_streams', 'unauthorized', 'unavailable', 'unreadable_body', 'unsupported_media_type', 'validation_failed']

ERROR_ERROR_CODE_VALUES: set[ErrorErrorCode] = { 'forbidden', 'forbidden_target', 'idempotency_key_reused', 'internal', 'invalid_field', 'invalid_query', 'invalid_state', 'malformed_json', 'match_ended', 'method_not_allowed', 'not_configured', 'not_found', 'payload_too_large', 'rate_limited', 'request_timeout', 'too_many_streams', 'unauthorized', 'unavailable', 'unreadable_body', 'unsupported_media_type', 'validation_failed',  }

def check_error_error_code(value: str) -> ErrorErrorCode:
    if value in ERROR_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {ERROR_ERROR_CODE_VALUES!r}")
