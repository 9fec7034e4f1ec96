//! `GET /v1/matches/{id}/stream`: Server-Sent Events.
//!
//! The message kind travels in the SSE `event` field and its JSON in `data`. Only
//! `event` messages carry an `id` (their `seq`), so a browser's `Last-Event-ID` always
//! names the last event it received. A comment every `STREAM_HEARTBEAT_MS` keeps
//! proxies from closing an idle stream. When the server ends a stream early (a slow
//! client, shutdown) its last lines are a `retry:` hint and a comment naming the
//! reason; after `ended` it just closes.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use futures::stream::{self, Stream};
use herald_core::dispatch::MatchUpdate;

use super::subscription::{CloseReason, Outgoing, Subscription};
use super::{authorized_match, check_origin, cursor, subscribe, Access, RETRY_AFTER};
use crate::error::ApiError;
use crate::extract::query_pairs;
use crate::AppState;

pub async fn stream(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(query.as_deref(), &["after", "token"])?;
    let after = pairs
        .iter()
        .find(|(k, _)| k == "after")
        .map(|(_, v)| v.as_str());
    let start = cursor(&headers, after)?;
    let allow_origin = check_origin(&state, &headers)?;
    let (id, _) = authorized_match(&state, &access, &id).await?;
    let subscription = subscribe(&state, &access, &id, start).await?;
    let heartbeat = state.streams.config.heartbeat;
    let mut response = Sse::new(events(subscription))
        .keep_alive(KeepAlive::new().interval(heartbeat).text(""))
        .into_response();
    let headers = response.headers_mut();
    // nginx: pass each message on as it is written (docs/streams.md).
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    if let Some(origin) = allow_origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    Ok(response)
}

/// The SSE form of one message.
pub fn event_of(update: &MatchUpdate) -> Event {
    let data = match update {
        MatchUpdate::Event(e) => serde_json::to_string(e),
        MatchUpdate::State(s) => serde_json::to_string(s),
        MatchUpdate::Ended(e) => serde_json::to_string(e),
    }
    .unwrap_or_default();
    let event = Event::default().event(update.kind()).data(data);
    match update {
        MatchUpdate::Event(e) => event.id(e.seq.to_string()),
        _ => event,
    }
}

struct Open {
    subscription: Subscription,
    _gauge: ConnectionGauge,
}

/// Counts an open stream in `herald_stream_connections{transport}` while it lives.
pub(crate) struct ConnectionGauge(prometheus::IntGauge);

impl ConnectionGauge {
    pub(crate) fn new(metrics: &super::metrics::StreamMetrics, transport: &str) -> Self {
        let gauge = metrics.connections.with_label_values(&[transport]);
        gauge.inc();
        Self(gauge)
    }
}

impl Drop for ConnectionGauge {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Counts a message about to be written, and a live event's fan-out latency.
pub(crate) fn observe(metrics: &super::metrics::StreamMetrics, update: &MatchUpdate, live: bool) {
    metrics.messages.with_label_values(&[update.kind()]).inc();
    if let (MatchUpdate::Event(e), true) = (update, live) {
        let latency = (Utc::now() - e.at).to_std().unwrap_or_default();
        metrics.fanout.observe(latency.as_secs_f64());
    }
}

fn events(subscription: Subscription) -> impl Stream<Item = Result<Event, Infallible>> {
    let gauge = ConnectionGauge::new(subscription.metrics(), "sse");
    let open = Open {
        subscription,
        _gauge: gauge,
    };
    stream::unfold(Some(open), |open| async move {
        let mut open = open?;
        match open.subscription.next().await? {
            Outgoing::Update { update, live } => {
                let event = event_of(&update);
                observe(open.subscription.metrics(), &update, live);
                Some((Ok(event), Some(open)))
            }
            Outgoing::Close(CloseReason::Ended) => None,
            Outgoing::Close(reason) => {
                open.subscription.metrics().dropped(reason.as_str());
                let last = Event::default().retry(retry_hint(reason)).comment(format!(
                    "closing: {}; reconnect with Last-Event-ID",
                    reason.as_str()
                ));
                // The stream ends after this message.
                Some((Ok(last), None))
            }
        }
    })
}

fn retry_hint(reason: CloseReason) -> Duration {
    match reason {
        // Another instance takes the client at once.
        CloseReason::Shutdown => Duration::from_millis(250),
        _ => RETRY_AFTER,
    }
}
