from typing import Literal

MetricsResponse500ErrorCode = Literal['internal']

METRICS_RESPONSE_500_ERROR_CODE_VALUES: set[MetricsResponse500ErrorCode] = { 'internal',  }

def check_metrics_response_500_error_code(value: str) -> MetricsResponse500ErrorCode:
    if value in METRICS_RESPONSE_500_ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {METRICS_RESPONSE_500_ERROR_CODE_VALUES!r}")
