//! herald-api: Herald's HTTP API (`docs/api.md`).
//!
//! A request to enqueue is validated, stored durably, then published to RabbitMQ with
//! publisher confirms, and only then answered 202. The store is the source of truth:
//! if the publish fails the job is still stored and a worker's poller dispatches it;
//! if the store fails the answer is 503 and nothing is published. Without
//! `RABBITMQ_URL` the API runs in embedded mode and only stores.
//!
//! # Entry points (stable: other crates' tests start the API with these)
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! // The binary: config from the environment, a bound listener, a shutdown future.
//! let config = herald_api::Config::from_env(&herald_core::config::Env::process())?;
//! let listener = tokio::net::TcpListener::bind(("0.0.0.0", config.port)).await?;
//! herald_api::run(config, listener, async { /* SIGTERM */ }).await?;
//!
//! // Tests: start in-process on 127.0.0.1:<free port>, then shut down gracefully.
//! # let config = herald_api::Config::from_env(&herald_core::config::Env::process())?;
//! let server = herald_api::Server::start(config).await?;
//! let base = server.url(); // "http://127.0.0.1:PORT"
//! server.shutdown().await?;
//! # Ok(()) }
//! ```
//!
//! Layout:
//! - [`config`] — `Config::from_env`, every variable checked at start-up;
//! - [`auth`] — API keys (hashed), tenants, per-key token-bucket rate limits;
//! - [`notifications`] — the enqueue routes: validate, store, publish, answer;
//! - [`matches`] — create a match, append its events, read its state;
//! - [`streams`] — live match streams (SSE, WebSocket), the event log read, player tokens;
//! - [`jobs`] — read, list, cancel, re-drive, dead letters (tenant-scoped);
//! - [`workers`] — the live workers from the registry;
//! - [`console`] — the web console at `/console` (server-rendered, same store calls);
//! - [`probes`] — `/health`, `/ready`, `/metrics`;
//! - [`openapi`] — the OpenAPI document served at `/openapi.json`;
//! - [`error`] — the one error type and its mapping to status codes;
//! - [`extract`] — body and query reading (415, 413 while streaming, 400);
//! - [`metrics`] — the Prometheus registry and the request-tracking middleware;
//! - [`serve`] — the server loop: header-read and keep-alive timeouts, a connection cap.

// The OpenAPI document is one large `json!` literal.
#![recursion_limit = "512"]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;
use herald_core::clock::SystemClock;
use herald_core::dispatch::{Dispatch, DispatchMode};
use herald_core::ssrf::TargetGuard;
use herald_core::{Clock, Store};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_http::trace::TraceLayer;

pub mod auth;
pub mod bulk;
pub mod config;
pub mod console;
pub mod error;
pub mod extract;
pub mod jobs;
pub mod matches;
pub mod metrics;
pub mod notifications;
pub mod openapi;
pub mod probes;
pub mod queues;
pub mod serve;
pub mod streams;
pub mod workers;

pub use config::Config;

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// RabbitMQ, or with no `RABBITMQ_URL` the embedded no-op (the poller dispatches).
    pub dispatch: Arc<dyn Dispatch>,
    /// `API_KEYS` and the store's keys, refreshed every few seconds.
    pub keys: Arc<auth::Keyring>,
    pub limiter: Arc<auth::RateLimiter>,
    /// Failed authentications per client address.
    pub auth_failures: Arc<auth::RateLimiter<std::net::IpAddr>>,
    /// `TENANT_MAX_PRIORITY`.
    pub priority_caps: Arc<config::PriorityCaps>,
    /// Reverse proxies whose `X-Real-IP` names the client (`TRUSTED_PROXY_CIDRS`).
    pub trusted_proxies: Arc<Vec<herald_core::ssrf::Cidr>>,
    pub metrics: Arc<metrics::Metrics>,
    pub clock: Arc<dyn Clock>,
    pub max_body_bytes: usize,
    pub body_timeout: Duration,
    /// The SSRF guard for webhook URLs (`WEBHOOK_ALLOWED_CIDRS`).
    pub webhook_guard: Arc<TargetGuard>,
    /// `CONSOLE_SESSION_SECRET`; `None`: the console is off.
    pub console: Option<Arc<console::session::SessionSecret>>,
    /// Live match streams: the feeds, the token secrets, the connection cap.
    pub streams: Arc<streams::Streams>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("dispatch", &self.dispatch)
            .field("keys", &self.keys)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Opens the store and the dispatch. A broker that is down at start is not fatal:
    /// jobs are stored, and the publisher reconnects later.
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock::default());
        tracing::info!(store = %config.store.describe(), "opening the job store");
        let store = herald_core::store::open(&config.store, clock.clone())
            .await
            .context("opening the job store")?;
        let keys = auth::Keyring::load(config.api_keys.clone(), store.clone())
            .await
            .context("reading the API keys")?;
        keys.spawn_refresh();
        if config.console_secret.is_some() {
            tracing::info!("web console at /console");
        } else {
            tracing::info!(
                "no CONSOLE_SESSION_SECRET: the web console at /console is off (it answers 503)"
            );
        }
        let dispatch = config.broker.dispatch(&config.store);
        let group = &config.broker.consumer_group;
        match dispatch.mode() {
            DispatchMode::Embedded => tracing::info!(
                "no RABBITMQ_URL: embedded mode, jobs are stored and the workers' poller dispatches them"
            ),
            DispatchMode::RabbitMq if dispatch.is_healthy().await => {
                tracing::info!(group = %group, "RabbitMQ topology declared");
            }
            DispatchMode::RabbitMq => tracing::warn!(
                group = %group,
                "RabbitMQ unreachable at start; jobs are stored and dispatched by the poller until it is back"
            ),
        }
        let metrics = Arc::new(metrics::Metrics::new().context("registering metrics")?);
        let stream_metrics = Arc::new(
            streams::metrics::StreamMetrics::new(metrics.registry())
                .context("registering stream metrics")?,
        );
        let streams = streams::Streams::start(
            config.streams.clone(),
            store.clone(),
            &config.broker,
            stream_metrics,
        );
        if config.streams.token_secrets.is_none() {
            tracing::info!(
                "no STREAM_TOKEN_SECRET: player tokens are off; streams take tenant keys only"
            );
        }
        Ok(Self {
            streams,
            store,
            dispatch,
            keys,
            limiter: Arc::new(auth::RateLimiter::new(config.rate_limit)),
            auth_failures: Arc::new(auth::RateLimiter::new(config.auth_failure_limit)),
            trusted_proxies: Arc::new(config.trusted_proxies.clone()),
            priority_caps: Arc::new(config.priority_caps.clone()),
            metrics,
            clock,
            max_body_bytes: config.max_body_bytes,
            body_timeout: config.body_timeout,
            webhook_guard: Arc::new(config.webhook_guard.clone()),
            console: config.console_secret.clone().map(Arc::new),
        })
    }
}

/// The routes of `docs/api.md`.
pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/v1/notifications", post(notifications::create))
        .route("/v1/notifications/batch", post(notifications::create_batch))
        .route("/v1/matches", post(matches::create))
        .route("/v1/matches/{id}", get(matches::get))
        .route("/v1/matches/{id}/events", post(matches::append_event))
        .route("/v1/jobs", get(jobs::list))
        .route("/v1/jobs/cancel", post(bulk::cancel))
        .route("/v1/jobs/{id}", get(jobs::get))
        .route("/v1/jobs/{id}/cancel", post(jobs::cancel))
        .route("/v1/jobs/{id}/retry", post(jobs::retry))
        .route("/v1/dead-letters", get(jobs::dead_letters))
        .route("/v1/dead-letters/retry", post(bulk::retry))
        .route("/v1/workers", get(workers::list))
        .route("/v1/queues", get(queues::list))
        .route("/v1/matches/{id}/tokens", post(streams::issue_token))
        // Authentication and rate limiting run before any body is read.
        .route_layer(from_fn_with_state(state.clone(), auth::require_key));
    // The stream routes take a player token (`?token=`) as well as a tenant key.
    let live = Router::new()
        .route("/v1/matches/{id}/events", get(streams::events))
        .route("/v1/matches/{id}/stream", get(streams::sse::stream))
        .route("/v1/matches/{id}/ws", get(streams::ws::upgrade))
        .route_layer(from_fn_with_state(state.clone(), streams::authenticate));
    let open = Router::new()
        .route("/health", get(probes::health))
        .route("/ready", get(probes::ready))
        .route("/metrics", get(probes::metrics))
        .route("/openapi.json", get(openapi::serve));
    v1.merge(live)
        .merge(open)
        .merge(console::router())
        .route_layer(from_fn_with_state(state.clone(), metrics::track))
        .fallback(probes::not_found)
        .method_not_allowed_fallback(probes::method_not_allowed)
        .layer(DefaultBodyLimit::max(state.max_body_bytes))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves the API on `listener` until `shutdown` completes, then stops accepting and
/// waits for in-flight requests to finish.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = AppState::open(&config).await?;
    let addr = listener
        .local_addr()
        .context("reading the listener's address")?;
    tracing::info!(%addr, "herald-api listening");
    let streams = state.streams.clone();
    serve::serve(
        listener,
        router(state),
        config.connection_limits,
        ending_streams(streams.clone(), shutdown),
    )
    .await
    .context("serving HTTP")?;
    streams.stop().await;
    tracing::info!("herald-api stopped");
    Ok(())
}

/// `shutdown`, then the end of every live stream (each sends a retry hint and
/// closes), so the server's graceful shutdown does not wait on streams that never end.
async fn ending_streams(
    streams: Arc<streams::Streams>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    shutdown.await;
    tracing::info!(open = streams.open(), "ending live streams");
    streams.stop().await;
}

/// An API running in this process on 127.0.0.1 and a free port, for tests.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Server {
    /// Starts the API and returns once it accepts connections (the listener is bound
    /// before this returns; start-up errors such as a bad store surface here).
    pub async fn start(config: Config) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .context("binding 127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let state = AppState::open(&config).await?;
        let (stop, stopped) = oneshot::channel::<()>();
        let limits = config.connection_limits;
        let streams = state.streams.clone();
        let task = tokio::spawn(async move {
            let stopped = async move {
                let _ = stopped.await;
            };
            serve::serve(
                listener,
                router(state),
                limits,
                ending_streams(streams.clone(), stopped),
            )
            .await
            .context("serving HTTP")?;
            streams.stop().await;
            Ok(())
        });
        Ok(Self {
            addr,
            stop: Some(stop),
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, waits for in-flight requests, and returns the server's result.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await.context("API task panicked")?
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.stop.is_some() {
            self.task.abort();
        }
    }
}
