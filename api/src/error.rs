//! The API's one error type and its one mapping to HTTP (`docs/api.md`): clients get a
//! status, a stable `code` and a safe message as `{"error":{"code","message"}}`; the
//! cause of a 5xx goes to the log only.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_core::notification::ValidationError;
use herald_core::StoreError;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON, or is JSON of the wrong shape (unknown field, wrong
    /// type); or a query parameter is unusable. The message names the field.
    #[error("{message}")]
    BadRequest {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    #[error("missing or invalid API key")]
    Unauthorized,
    #[error("not found")]
    NotFound,
    /// The job is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The client stopped sending its body: a slow or stalled upload does not get to
    /// hold a connection and a task for ever.
    #[error("the request body did not arrive within {}s", .0.as_secs())]
    RequestTimeout(Duration),
    #[error("the body must be application/json")]
    UnsupportedMediaType,
    /// Well-formed, but a value is not acceptable.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// A webhook URL names an internal address (the SSRF guard, `docs/channels.md`) that
    /// `WEBHOOK_ALLOWED_CIDRS` does not allow. 422 like a validation error, with its
    /// own code so a client can tell "fix the URL" from "ask the operator".
    #[error(transparent)]
    ForbiddenTarget(ValidationError),
    /// A replay of an `Idempotency-Key` whose body differs from the first request's
    /// (Stripe's rule): answering with the first job's id would tell the client a
    /// request it never made was stored.
    #[error("this Idempotency-Key was already used with a different request body")]
    IdempotencyKeyReused,
    /// An event for a match that has finished (succeeded, dead or cancelled).
    #[error("the match is {0}: it takes no more events")]
    MatchEnded(herald_core::JobStatus),
    #[error("rate limit exceeded")]
    RateLimited { retry_after: Duration },
    /// Allowed, but not from here (a browser origin, another player's event).
    #[error("{0}")]
    Forbidden(String),
    /// A feature the operator has not configured (e.g. player tokens).
    #[error("{0}")]
    NotConfigured(String),
    /// `STREAM_MAX_CONNECTIONS` streams are open on this instance already.
    #[error("this instance has as many live streams open as it takes; try again shortly (or another instance)")]
    StreamsFull { retry_after: Duration },
    /// The store could not take or give the data; nothing was done.
    #[error("service unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// A 400 about one field (of the body, or a query parameter).
    pub fn bad_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code: "invalid_field",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// The same error for an item of a larger document: a validation error's field
    /// gets the prefix (`notifications[3]` + `recipient.address`); others are unchanged.
    pub fn within(self, prefix: &str) -> Self {
        match self {
            ApiError::Validation(v) => ApiError::Validation(v.within(prefix)),
            ApiError::ForbiddenTarget(v) => ApiError::ForbiddenTarget(v.within(prefix)),
            other => other,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_)
            | ApiError::ForbiddenTarget(_)
            | ApiError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::MatchEnded(_) => StatusCode::CONFLICT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotConfigured(_) | ApiError::StreamsFull { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. } => code,
            ApiError::Unauthorized => "unauthorized",
            ApiError::NotFound => "not_found",
            ApiError::Conflict(_) => "invalid_state",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::RequestTimeout(_) => "request_timeout",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Validation(_) => "validation_failed",
            ApiError::ForbiddenTarget(_) => "forbidden_target",
            ApiError::IdempotencyKeyReused => "idempotency_key_reused",
            ApiError::MatchEnded(_) => "match_ended",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotConfigured(_) => "not_configured",
            ApiError::StreamsFull { .. } => "too_many_streams",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::InvalidTransition(t) => ApiError::Conflict(format!(
                "the job is {}: {}",
                t.from,
                conflict_reason(t.from)
            )),
            StoreError::MatchFinished { status } => ApiError::MatchEnded(status),
            StoreError::IdempotencyKeyReused => ApiError::IdempotencyKeyReused,
            StoreError::Unavailable(cause) => ApiError::Unavailable(cause),
            other => ApiError::Internal(anyhow::Error::new(other)),
        }
    }
}

fn conflict_reason(from: herald_core::JobStatus) -> &'static str {
    use herald_core::JobStatus::*;
    match from {
        Running => "only a waiting job can be cancelled, only a dead job re-driven",
        Succeeded | Cancelled => "it is finished",
        Pending | Scheduled => "only a dead job can be re-driven",
        Dead => "only a waiting job can be cancelled",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            ApiError::Unavailable(cause) => {
                tracing::warn!(error = format!("{cause:#}"), "request failed: unavailable")
            }
            ApiError::Internal(cause) => {
                tracing::error!(
                    error = format!("{cause:#}"),
                    "request failed: internal error"
                )
            }
            _ => {}
        }
        let message = match &self {
            ApiError::Validation(v) | ApiError::ForbiddenTarget(v) => v.to_string(),
            other => other.to_string(),
        };
        let mut error = json!({ "code": self.code(), "message": message });
        match &self {
            ApiError::Validation(v) | ApiError::ForbiddenTarget(v) => {
                error["field"] = json!(v.field)
            }
            ApiError::BadRequest {
                field: Some(field), ..
            } => error["field"] = json!(field),
            _ => {}
        }
        let mut response = (status, Json(json!({ "error": error }))).into_response();
        if let ApiError::RateLimited { retry_after } | ApiError::StreamsFull { retry_after } = self
        {
            // Whole seconds, rounded up: a client that waits this long gets a token.
            let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}
