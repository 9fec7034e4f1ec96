//! The worker's HTTP endpoints on `METRICS_PORT` (`docs/worker.md`): `/health`, `/metrics`,
//! `/resources`, `/stats`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use herald_core::store::StoreConfig;
use serde_json::json;

use crate::context::WorkerContext;
use crate::resources::Sampler;

/// How long `/health` and `/metrics` wait for the store before reporting it down.
const STORE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// A worker is live in the registry when heard from within this window.
pub const LIVE_WITHIN: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct AppState {
    pub ctx: Arc<WorkerContext>,
    pub sampler: Arc<Sampler>,
    /// False in embedded mode (no broker to be healthy about).
    pub broker_configured: bool,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/resources", get(resources))
        .route("/stats", get(stats))
        .with_state(state)
}

async fn store_reachable(ctx: &WorkerContext) -> bool {
    let ping = tokio::time::timeout(STORE_CHECK_TIMEOUT, ctx.store.ping()).await;
    let ok = matches!(ping, Ok(Ok(())));
    ctx.metrics.store_up.set(i64::from(ok));
    ok
}

/// 200 while the worker can reach its store or its broker (it can still make
/// progress, or will once the other returns); 503 when it can reach neither.
async fn health(State(state): State<AppState>) -> Response {
    let store = store_reachable(&state.ctx).await;
    let broker = state.ctx.metrics.broker_connected.get() == 1;
    let healthy = store || (state.broker_configured && broker);
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let broker_text = match (state.broker_configured, broker) {
        (false, _) => "disabled",
        (true, true) => "up",
        (true, false) => "down",
    };
    let body = json!({
        "status": if healthy { "ok" } else { "unavailable" },
        "store": if store { "up" } else { "down" },
        "broker": broker_text,
        "workerId": state.ctx.id.as_str(),
    });
    (status, Json(body)).into_response()
}

async fn stats(State(state): State<AppState>) -> Response {
    let capacity = state.ctx.config.concurrency as u64;
    Json(state.ctx.stats.view(
        state.ctx.id.as_str(),
        capacity,
        u64::from(state.ctx.config.max_matches),
    ))
    .into_response()
}

fn store_kind(config: &StoreConfig) -> &'static str {
    match config {
        StoreConfig::Sqlite(_) => "sqlite",
        StoreConfig::Mongo(_) => "mongodb",
    }
}

async fn resources(State(state): State<AppState>) -> Response {
    let usage = state.sampler.sample();
    let store = &state.ctx.config.store;
    let pool = state.ctx.store.connections();
    Json(json!({
        "cpu": usage.cpu_percent,
        "rss": usage.rss_bytes,
        "heap": usage.heap_bytes,
        "threads": usage.threads,
        "storePool": {
            "kind": store_kind(store),
            "size": pool.max,
            "open": pool.open,
            "inUse": pool.in_use,
        },
    }))
    .into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
    let ctx = &state.ctx;
    let m = &ctx.metrics;
    let usage = state.sampler.sample();
    m.cpu_percent.set(usage.cpu_percent);
    m.memory_bytes
        .set(i64::try_from(usage.rss_bytes).unwrap_or(i64::MAX));
    m.heap_bytes
        .set(i64::try_from(usage.heap_bytes).unwrap_or(i64::MAX));
    m.uptime_seconds.set(ctx.stats.uptime_secs());
    ctx.stats.refresh_circuits();
    let pool = ctx.store.connections();
    let gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    m.database_connections.set(gauge(pool.open));
    m.store_connections_in_use.set(gauge(pool.in_use));
    m.store_pool_max.set(gauge(pool.max));
    // The queue depth and lag gauges are refreshed by `retention` once per
    // PRUNE_INTERVAL_MS: a scrape never counts the jobs.
    if let Ok(Ok(workers)) =
        tokio::time::timeout(STORE_CHECK_TIMEOUT, ctx.store.live_workers(LIVE_WITHIN)).await
    {
        let active = workers
            .iter()
            .filter(|w| w.heartbeat.in_flight > 0 || w.heartbeat.active_matches > 0)
            .count();
        let matches: u64 = workers
            .iter()
            .map(|w| u64::from(w.heartbeat.active_matches))
            .sum();
        m.active_workers.set(i64::try_from(active).unwrap_or(0));
        m.idle_workers
            .set(i64::try_from(workers.len() - active).unwrap_or(0));
        m.active_matches.set(i64::try_from(matches).unwrap_or(0));
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        m.encode(),
    )
        .into_response()
}
