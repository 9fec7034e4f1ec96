//! Liveness, readiness and metrics endpoints (no authentication: load balancers and
//! Prometheus call them).

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_core::dispatch::DispatchMode;
use serde_json::json;

use crate::error::ApiError;
use crate::AppState;

/// How long a readiness check may wait for the store or the broker.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The process is up and serving.
pub async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready to take jobs: the store answers and, unless embedded, the broker too.
pub async fn ready(State(state): State<AppState>) -> Response {
    let store_ok = matches!(
        tokio::time::timeout(CHECK_TIMEOUT, state.store.ping()).await,
        Ok(Ok(()))
    );
    let broker = match state.dispatch.mode() {
        DispatchMode::Embedded => "embedded",
        DispatchMode::RabbitMq => {
            match tokio::time::timeout(CHECK_TIMEOUT, state.dispatch.is_healthy()).await {
                Ok(true) => "ok",
                _ => "unavailable",
            }
        }
    };
    let ready = store_ok && broker != "unavailable";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "store": if store_ok { "ok" } else { "unavailable" },
        "broker": broker,
    });
    (status, Json(body)).into_response()
}

pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let text = state
        .metrics
        .render()
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("rendering metrics")))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

pub async fn method_not_allowed() -> Response {
    let body = json!({"error": {"code": "method_not_allowed", "message": "method not allowed on this route"}});
    (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
}
