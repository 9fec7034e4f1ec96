//! Live match streams (`docs/streams.md`, DESIGN §12): players follow a match on any API
//! instance over Server-Sent Events or a WebSocket, resumable by `seq`.
//!
//! The durable event log is the source; a stream is a view of it. Each instance keeps
//! one feed per match with subscribers here ([`hub`]), fed by the broker's
//! `G.match-updates` ([`broker`]) or, in embedded mode, by polling the store; each
//! subscriber reads the log from its cursor and then the feed ([`subscription`]).
//!
//! Layout:
//! - [`hub`] — the feeds: in order, no gap (repaired from the log), no repeat;
//! - [`subscription`] — one subscriber's messages across the log/live seam;
//! - [`broker`] — this instance's update queue and its bindings;
//! - [`sse`] — `GET /v1/matches/{id}/stream`;
//! - [`ws`] — `GET /v1/matches/{id}/ws`, where a player may also send events;
//! - [`tokens`] — player tokens, `POST /v1/matches/{id}/tokens`;
//! - [`metrics`] — `herald_stream_*`.

pub mod broker;
pub mod hub;
pub mod metrics;
pub mod sse;
pub mod subscription;
pub mod tokens;
pub mod ws;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use herald_core::config::{ConfigError, Env};
use herald_core::dispatch::updates::EventUpdate;
use herald_core::matches::MatchRecord;
use herald_core::{JobId, TenantId};
use serde::{Deserialize, Serialize};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{query_pairs, JsonBody};
use crate::jobs::job_id;
use crate::matches::spec_of;
use crate::AppState;
use hub::Hub;
use subscription::{Start, Subscription};
use tokens::{Claims, TokenSecrets};

/// `STREAM_MAX_CONNECTIONS` when unset.
pub const DEFAULT_MAX_CONNECTIONS: usize = 2048;
/// `STREAM_BUFFER_MESSAGES` when unset.
pub const DEFAULT_BUFFER_MESSAGES: usize = 256;
/// `STREAM_HEARTBEAT_MS` when unset.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(15);
/// What a refused stream is told to wait (`Retry-After`) and what a closed one is told
/// (SSE `retry:`) before reconnecting.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);
/// How long shutdown waits for streams to send their last message.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// `GET /v1/matches/{id}/events`: `limit` when unset, and at most.
pub const DEFAULT_EVENTS_LIMIT: usize = 100;
pub const MAX_EVENTS_LIMIT: usize = 1000;

/// The streams' configuration (`STREAM_*`).
#[derive(Debug, Clone)]
pub struct StreamConfig {
    /// `STREAM_TOKEN_SECRET`; `None`: no player tokens (tenant keys still stream).
    pub token_secrets: Option<TokenSecrets>,
    /// `STREAM_MAX_CONNECTIONS`: open streams per instance; past it, 503.
    pub max_connections: usize,
    /// `STREAM_BUFFER_MESSAGES`: how far a subscriber may fall behind.
    pub buffer_messages: usize,
    /// `STREAM_ALLOWED_ORIGINS`: browser origins allowed besides the API's own; `*` any.
    pub allowed_origins: AllowedOrigins,
    /// `STREAM_HEARTBEAT_MS`.
    pub heartbeat: Duration,
    /// `STREAM_REPAIR_POLL_MS`: with a broker, how often each match feed checks the
    /// store for an update the broker lost (the latency of such a repair).
    pub repair_poll: Duration,
    /// `STREAM_POLL_MS`: without a broker, how often each match feed reads the store.
    pub embedded_poll: Duration,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            token_secrets: None,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            buffer_messages: DEFAULT_BUFFER_MESSAGES,
            allowed_origins: AllowedOrigins::default(),
            heartbeat: DEFAULT_HEARTBEAT,
            repair_poll: hub::Settings::default().repair_poll,
            embedded_poll: hub::Settings::default().embedded_poll,
        }
    }
}

impl StreamConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let token_secrets = env
            .var("STREAM_TOKEN_SECRET")
            .map(|raw| {
                TokenSecrets::parse(&raw).map_err(|m| ConfigError::new("STREAM_TOKEN_SECRET", m))
            })
            .transpose()?;
        let max_connections = usize::try_from(
            env.positive_or("STREAM_MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS as u64)?,
        )
        .map_err(|_| ConfigError::new("STREAM_MAX_CONNECTIONS", "too large"))?;
        let buffer_messages = usize::try_from(
            env.positive_or("STREAM_BUFFER_MESSAGES", DEFAULT_BUFFER_MESSAGES as u64)?,
        )
        .map_err(|_| ConfigError::new("STREAM_BUFFER_MESSAGES", "too large"))?;
        let allowed_origins =
            AllowedOrigins::parse(env.var("STREAM_ALLOWED_ORIGINS").as_deref().unwrap_or(""))
                .map_err(|m| ConfigError::new("STREAM_ALLOWED_ORIGINS", m))?;
        let defaults = hub::Settings::default();
        let mut durations = [
            ("STREAM_HEARTBEAT_MS", DEFAULT_HEARTBEAT),
            ("STREAM_REPAIR_POLL_MS", defaults.repair_poll),
            ("STREAM_POLL_MS", defaults.embedded_poll),
        ];
        for (name, value) in &mut durations {
            *value = env.millis_or(name, *value)?;
            if value.is_zero() {
                return Err(ConfigError::new(name, "must be above 0"));
            }
        }
        let [(_, heartbeat), (_, repair_poll), (_, embedded_poll)] = durations;
        Ok(Self {
            token_secrets,
            max_connections,
            buffer_messages,
            allowed_origins,
            heartbeat,
            repair_poll,
            embedded_poll,
        })
    }
}

/// `STREAM_ALLOWED_ORIGINS`: comma-separated `scheme://host[:port]`, or `*`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedOrigins {
    any: bool,
    origins: Vec<String>,
}

impl AllowedOrigins {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut allowed = Self::default();
        for origin in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if origin == "*" {
                allowed.any = true;
                continue;
            }
            let url = url::Url::parse(origin)
                .map_err(|_| format!("{origin:?} is not an origin (scheme://host[:port])"))?;
            if !matches!(url.scheme(), "http" | "https")
                || url.host_str().is_none()
                || url.path() != "/"
                || url.query().is_some()
            {
                return Err(format!(
                    "{origin:?} is not an origin (scheme://host[:port], no path)"
                ));
            }
            allowed
                .origins
                .push(url.origin().ascii_serialization().to_ascii_lowercase());
        }
        Ok(allowed)
    }

    /// Whether a browser page at `origin` may open a stream on the API reached as
    /// `host` (the request's `Host`): its own origin always may.
    pub fn allows(&self, origin: &str, host: Option<&str>) -> bool {
        if self.any {
            return true;
        }
        let origin = origin.trim().to_ascii_lowercase();
        if self.origins.contains(&origin) {
            return true;
        }
        let same_host = host.is_some_and(|host| {
            origin
                .split_once("://")
                .is_some_and(|(_, h)| h.eq_ignore_ascii_case(host.trim()))
        });
        same_host
    }
}

/// What every stream handler shares: the feeds, the token secrets, the connection cap.
pub struct Streams {
    pub hub: Arc<Hub>,
    pub config: StreamConfig,
    permits: Arc<Semaphore>,
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for Streams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streams")
            .field("hub", &self.hub)
            .field("open", &self.open())
            .finish_non_exhaustive()
    }
}

impl Streams {
    /// The streams of an instance; with a broker, also starts its update session.
    pub fn start(
        config: StreamConfig,
        store: Arc<dyn herald_core::Store>,
        broker: &herald_core::dispatch::BrokerConfig,
        metrics: Arc<metrics::StreamMetrics>,
    ) -> Arc<Self> {
        let (stop, stopping) = watch::channel(false);
        let settings = hub::Settings {
            buffer: config.buffer_messages,
            repair_poll: config.repair_poll,
            embedded_poll: config.embedded_poll,
        };
        let (bindings, bindings_rx) = match broker.url() {
            Some(_) => {
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                (Some(tx), Some(rx))
            }
            None => (None, None),
        };
        let hub = Hub::new(store, settings, metrics, bindings, stopping.clone());
        if let (Some(url), Some(rx)) = (broker.url(), bindings_rx) {
            let broker = herald_core::supervise::Broker::new(url, broker.topology());
            let subscriber = broker::UpdateSubscriber::new(hub.clone(), rx);
            tokio::spawn(async move {
                herald_core::supervise::supervise("match-updates", &broker, stopping, subscriber)
                    .await;
            });
        }
        Arc::new(Self {
            hub,
            permits: Arc::new(Semaphore::new(config.max_connections)),
            config,
            stop,
        })
    }

    /// Streams open now.
    pub fn open(&self) -> usize {
        self.config.max_connections - self.permits.available_permits()
    }

    fn admit(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.permits.clone().try_acquire_owned().map_err(|_| {
            self.hub.metrics().dropped("full");
            ApiError::StreamsFull {
                retry_after: RETRY_AFTER,
            }
        })
    }

    /// Shutdown: every stream sends its last message (a retry hint) and closes; returns
    /// once they have, or after [`SHUTDOWN_GRACE`].
    pub async fn stop(&self) {
        let _ = self.stop.send(true);
        let all = u32::try_from(self.config.max_connections).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, self.permits.acquire_many(all)).await;
    }

    /// Whether the instance is shutting down.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }
}

/// Who opened a stream: a tenant key, or a player token for one match.
#[derive(Debug, Clone)]
pub enum Access {
    Tenant(Caller),
    Token {
        tenant: TenantId,
        match_id: String,
        player_id: Option<String>,
    },
}

impl Access {
    pub fn tenant(&self) -> &TenantId {
        match self {
            Access::Tenant(caller) => &caller.tenant,
            Access::Token { tenant, .. } => tenant,
        }
    }

    /// The token's player; `None` for a tenant key or a spectator's token.
    pub fn player(&self) -> Option<&str> {
        match self {
            Access::Tenant(_) => None,
            Access::Token { player_id, .. } => player_id.as_deref(),
        }
    }

    /// A token is for one match: any other is 401 (the token names no other).
    fn check_match(&self, id: &JobId) -> Result<(), ApiError> {
        match self {
            Access::Token { match_id, .. } if match_id != id.as_str() => {
                Err(ApiError::Unauthorized)
            }
            _ => Ok(()),
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Access {
    type Rejection = ApiError;

    /// Set by [`authenticate`]: a token's access, or the tenant key's caller.
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, ApiError> {
        if let Some(access) = parts.extensions.get::<Access>() {
            return Ok(access.clone());
        }
        parts
            .extensions
            .get::<Caller>()
            .map(|caller| Access::Tenant(caller.clone()))
            .ok_or(ApiError::Unauthorized)
    }
}

/// The `token` query parameter, if any.
fn token_param(query: Option<&str>) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query?).ok()?;
    pairs
        .into_iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v)
}

/// Authenticates the stream routes: `?token=` (a player token: EventSource and browser
/// WebSockets cannot set headers), or else a tenant key as on every `/v1` route.
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let Some(token) = token_param(request.uri().query()) else {
        return crate::auth::require_key(State(state), request, next).await;
    };
    let Some(secrets) = &state.streams.config.token_secrets else {
        tracing::info!("a player token was presented, but STREAM_TOKEN_SECRET is not set");
        return Err(ApiError::Unauthorized);
    };
    let claims = secrets.verify(&token, Utc::now()).map_err(|e| {
        tracing::info!(reason = %e, "player token refused");
        ApiError::Unauthorized
    })?;
    let tenant = TenantId::parse(&claims.tenant).map_err(|_| ApiError::Unauthorized)?;
    request.extensions_mut().insert(Access::Token {
        tenant,
        match_id: claims.match_id,
        player_id: claims.player_id,
    });
    Ok(next.run(request).await)
}

/// The match a stream route names, checked against the access: 401 for a token of
/// another match, 404 for an unknown id or another tenant's match.
pub(crate) async fn authorized_match(
    state: &AppState,
    access: &Access,
    raw_id: &str,
) -> Result<(JobId, MatchRecord), ApiError> {
    let id = job_id(raw_id)?;
    access.check_match(&id)?;
    let record = state.store.get_match(access.tenant(), &id).await?;
    Ok((id, record))
}

/// The cursor of a stream request: `Last-Event-ID` (what a browser's EventSource sends
/// on reconnect), else `?after=`.
pub(crate) fn cursor(headers: &HeaderMap, after: Option<&str>) -> Result<Start, ApiError> {
    if let Some(v) = headers.get("last-event-id") {
        let seq = v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .ok_or_else(|| {
                ApiError::bad_field("Last-Event-ID", "must be the seq of an event (an integer)")
            })?;
        return Ok(Start::After(seq));
    }
    match after {
        Some(raw) => raw
            .parse::<u64>()
            .map(Start::After)
            .map_err(|_| ApiError::bad_field("after", "must be a seq (an integer, 0 or more)")),
        None => Ok(Start::Current),
    }
}

/// The origin check of both transports: a browser page (it sends `Origin`) may stream
/// only from its own origin or one `STREAM_ALLOWED_ORIGINS` lists. Returns the origin to
/// echo in `Access-Control-Allow-Origin`.
pub(crate) fn check_origin(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<HeaderValue>, ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(None);
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match origin.to_str() {
        Ok(o) if state.streams.config.allowed_origins.allows(o, host) => Ok(Some(origin.clone())),
        _ => Err(ApiError::Forbidden(
            "this Origin may not open streams (STREAM_ALLOWED_ORIGINS)".into(),
        )),
    }
}

/// Opens a subscription: a slot under `STREAM_MAX_CONNECTIONS`, the feed's receiver,
/// then the match as it is now (read after subscribing: see `subscription`).
pub(crate) async fn subscribe(
    state: &AppState,
    access: &Access,
    id: &JobId,
    start: Start,
) -> Result<Subscription, ApiError> {
    let permit = state.streams.admit()?;
    let joined = state.streams.hub.subscribe(access.tenant(), id);
    // Answer once the feed is live (bound on the broker, its start read), so a client
    // whose stream is open gets every later event through the feed. A feed that cannot
    // start in time is still caught up with by the subscription itself.
    let mut ready = joined.ready.clone();
    let _ = tokio::time::timeout(
        hub::BIND_WAIT + Duration::from_secs(1),
        ready.wait_for(Option::is_some),
    )
    .await;
    let record = state.store.get_match(access.tenant(), id).await?;
    if matches!(start, Start::After(_)) {
        state.streams.hub.metrics().resumes.inc();
    }
    Ok(Subscription::new(
        state.store.clone(),
        id.clone(),
        joined,
        record,
        start,
        state.streams.stopping(),
        state.streams.hub.metrics().clone(),
        permit,
    ))
}

/// `GET /v1/matches/{id}/events?after=&limit=`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventPage {
    pub events: Vec<EventUpdate>,
    /// The `after` of the next page; `null` when this page reached the end of the log.
    pub next_after: Option<u64>,
    /// The highest `seq` appended when the page was read.
    pub last_seq: u64,
}

/// `GET /v1/matches/{id}/events?after=SEQ&limit=N`: the log after `after`, ascending.
pub async fn events(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<EventPage>, ApiError> {
    let pairs = query_pairs(query.as_deref(), &["after", "limit", "token"])?;
    let mut after = 0u64;
    let mut limit = DEFAULT_EVENTS_LIMIT;
    for (name, value) in &pairs {
        match name.as_str() {
            "after" => {
                after = value.parse().map_err(|_| {
                    ApiError::bad_field("after", "must be a seq (an integer, 0 or more)")
                })?
            }
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_EVENTS_LIMIT).contains(n))
                    .ok_or_else(|| {
                        ApiError::bad_field("limit", format!("must be 1 to {MAX_EVENTS_LIMIT}"))
                    })?
            }
            _ => {}
        }
    }
    let (id, record) = authorized_match(&state, &access, &id).await?;
    let events = state.store.events_after(&id, after, limit).await?;
    let next_after = (events.len() == limit).then(|| events.last().map_or(after, |e| e.seq));
    Ok(Json(EventPage {
        events: events.iter().map(EventUpdate::from).collect(),
        next_after,
        last_seq: record.last_seq,
    }))
}

/// `POST /v1/matches/{id}/tokens` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TokenRequest {
    #[serde(default, deserialize_with = "herald_core::json_fields::present")]
    pub player_id: Option<String>,
    /// An integral JSON number (`300` or `300.0`), as every integer field takes.
    #[serde(deserialize_with = "herald_core::json_fields::integer")]
    pub ttl_sec: u64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// `POST /v1/matches/{id}/tokens` (tenant key): a player token for this match.
#[tracing::instrument(skip_all, fields(tenant = %caller.tenant, job_id = %id))]
pub async fn issue_token(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<TokenRequest>,
) -> Result<Json<IssuedToken>, ApiError> {
    let id = job_id(&id)?;
    let record = state.store.get_match(&caller.tenant, &id).await?;
    let Some(secrets) = &state.streams.config.token_secrets else {
        return Err(ApiError::NotConfigured(
            "player tokens are off: STREAM_TOKEN_SECRET is not set".into(),
        ));
    };
    if !(1..=tokens::MAX_TTL_SEC).contains(&request.ttl_sec) {
        return Err(herald_core::notification::ValidationError::new(
            "ttlSec",
            format!("must be 1 to {} seconds", tokens::MAX_TTL_SEC),
        )
        .into());
    }
    if let Some(player) = &request.player_id {
        let spec = spec_of(&record)?;
        if !spec.players.iter().any(|p| &p.id == player) {
            return Err(herald_core::notification::ValidationError::new(
                "playerId",
                format!("{player:?} is not a player of this match"),
            )
            .into());
        }
    }
    let ttl = i64::try_from(request.ttl_sec).unwrap_or(i64::MAX);
    let expires_at = Utc::now() + chrono::Duration::seconds(ttl);
    let claims = Claims::new(&caller.tenant, &id, request.player_id, expires_at);
    Ok(Json(IssuedToken {
        token: secrets.issue(&claims),
        expires_at: claims.expires_at().unwrap_or(expires_at),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked_against_the_list_and_the_own_host() {
        let allowed =
            AllowedOrigins::parse("https://game.example.com, http://localhost:8080").unwrap();
        assert!(allowed.allows("https://game.example.com", None));
        assert!(allowed.allows("HTTPS://GAME.example.com", None));
        assert!(allowed.allows("http://localhost:8080", Some("api:3000")));
        assert!(!allowed.allows("https://evil.example.com", Some("api.example.com")));
        assert!(allowed.allows("https://api.example.com", Some("api.example.com")));
        assert!(!AllowedOrigins::default().allows("https://x.example", Some("api")));
        assert!(AllowedOrigins::parse("*")
            .unwrap()
            .allows("https://x.example", None));
        for bad in ["game.example.com", "ftp://x", "https://x/path"] {
            assert!(AllowedOrigins::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_cursor_is_last_event_id_then_after() {
        let mut headers = HeaderMap::new();
        assert_eq!(cursor(&headers, None).unwrap(), Start::Current);
        assert_eq!(cursor(&headers, Some("7")).unwrap(), Start::After(7));
        assert!(cursor(&headers, Some("x")).is_err());
        headers.insert("last-event-id", HeaderValue::from_static("12"));
        assert_eq!(cursor(&headers, Some("7")).unwrap(), Start::After(12));
        headers.insert("last-event-id", HeaderValue::from_static("-1"));
        assert!(cursor(&headers, None).is_err());
    }
}
