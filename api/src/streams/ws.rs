//! `GET /v1/matches/{id}/ws`: the same messages as the SSE stream, as JSON text frames
//! (`{"kind": "event"|"state"|"ended", "data": {...}}`), and a player's own events the
//! other way.
//!
//! A client frame is an event, `{"type": "join"|"score", "playerId", "points"?,
//! "idempotencyKey"?}`; it goes through exactly the validation and store path of
//! `POST /v1/matches/{id}/events` and is answered, in order, with `{"kind": "ack",
//! "data": {"seq", "replayed", "idempotencyKey"?}}` or `{"kind": "error", "data":
//! {"code", "message"}}`. With a player token, a client may send only `join` and
//! `score` for the token's own player; with a tenant key, any event.
//!
//! The server pings every `STREAM_HEARTBEAT_MS`. It closes with 1000 after `ended`,
//! 1013 for a client too slow to keep up, 1012 at shutdown, 1011 when the store cannot
//! be read; the reason names the case, and a client resumes with `?after=<last seq>`.

use std::pin::Pin;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use futures::{Future, SinkExt, StreamExt};
use herald_core::matches::{EventKind, EventRequest};
use herald_core::JobId;
use serde_json::json;

use super::sse::{observe, ConnectionGauge};
use super::subscription::{CloseReason, Outgoing, Subscription};
use super::{authorized_match, check_origin, cursor, subscribe, Access};
use crate::error::ApiError;
use crate::extract::query_pairs;
use crate::AppState;

/// Largest client frame: an event is a few dozen bytes.
const MAX_CLIENT_FRAME: usize = 4 * 1024;
/// The socket's read buffer. tungstenite's default (128 KiB, allocated per
/// connection) made an idle WebSocket cost ~139 KiB of RSS; a client frame is at
/// most `MAX_CLIENT_FRAME` (docs/benchmarks.md, "Live match streams").
const READ_BUFFER: usize = MAX_CLIENT_FRAME;

pub async fn upgrade(
    State(state): State<AppState>,
    access: Access,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let pairs = query_pairs(query.as_deref(), &["after", "token"])?;
    let after = pairs
        .iter()
        .find(|(k, _)| k == "after")
        .map(|(_, v)| v.as_str());
    let start = cursor(&headers, after)?;
    // Browsers send Origin on every WebSocket handshake and CORS does not apply to
    // WebSockets: this check is what keeps another site's page out.
    check_origin(&state, &headers)?;
    let (id, _) = authorized_match(&state, &access, &id).await?;
    let upgrade = upgrade.map_err(|_| {
        ApiError::bad_field(
            "Upgrade",
            "this route takes a WebSocket handshake (GET with Upgrade: websocket)",
        )
    })?;
    let subscription = subscribe(&state, &access, &id, start).await?;
    let heartbeat = state.streams.config.heartbeat;
    Ok(upgrade
        .max_message_size(MAX_CLIENT_FRAME)
        .max_frame_size(MAX_CLIENT_FRAME)
        .read_buffer_size(READ_BUFFER)
        // Every send is flushed at once anyway: no write buffer to fill first.
        .write_buffer_size(0)
        .on_upgrade(move |socket| async move {
            Connection {
                state,
                access,
                id,
                heartbeat,
            }
            .run(socket, subscription)
            .await;
        }))
}

type NextMessage = Pin<Box<dyn Future<Output = (Option<Outgoing>, Subscription)> + Send>>;

/// The subscription's next message, as a future that owns it: kept across the
/// connection loop's rounds, so a client frame arriving never cancels a read half-done.
fn next_message(mut subscription: Subscription) -> NextMessage {
    Box::pin(async move {
        let out = subscription.next().await;
        (out, subscription)
    })
}

struct Connection {
    state: AppState,
    access: Access,
    id: JobId,
    heartbeat: std::time::Duration,
}

impl Connection {
    async fn run(self, socket: WebSocket, subscription: Subscription) {
        let metrics = subscription.metrics().clone();
        let _gauge = ConnectionGauge::new(&metrics, "ws");
        let (mut sink, mut incoming) = socket.split();
        let mut next = next_message(subscription);
        let mut pings = tokio::time::interval(self.heartbeat);
        pings.reset();
        loop {
            tokio::select! {
                (out, subscription) = &mut next => {
                    let frame = match out {
                        Some(Outgoing::Update { update, live }) => {
                            observe(&metrics, &update, live);
                            text(&serde_json::to_value(update.as_ref()).unwrap_or_default())
                        }
                        Some(Outgoing::Close(reason)) => {
                            if reason != CloseReason::Ended {
                                metrics.dropped(reason.as_str());
                            }
                            let _ = sink.send(close(reason, subscription.last_seq())).await;
                            return;
                        }
                        None => return,
                    };
                    if sink.send(frame).await.is_err() {
                        return;
                    }
                    next = next_message(subscription);
                }
                frame = incoming.next() => match frame {
                    Some(Ok(Message::Text(body))) => {
                        let answer = self.on_send(body.as_str()).await;
                        if sink.send(text(&answer)).await.is_err() {
                            return;
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        let answer = error_frame("unsupported_frame", "send events as JSON text frames");
                        if sink.send(text(&answer)).await.is_err() {
                            return;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                },
                _ = pings.tick() => {
                    if sink.send(Message::Ping(Default::default())).await.is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// A client's event: checked against the access, then the POST route's path.
    async fn on_send(&self, body: &str) -> serde_json::Value {
        match self.append(body).await {
            Ok((outcome, key)) => {
                let mut data = json!({"seq": outcome.seq, "replayed": !outcome.new});
                if let Some(key) = key {
                    data["idempotencyKey"] = json!(key);
                }
                json!({"kind": "ack", "data": data})
            }
            Err(e) => error_frame(e.code(), &client_message(&e)),
        }
    }

    async fn append(
        &self,
        body: &str,
    ) -> Result<(crate::matches::AppendOutcome, Option<String>), ApiError> {
        let mut event: serde_json::Map<String, serde_json::Value> =
            crate::extract::parse_json(body.as_bytes())?;
        // The key travels in the frame (a WebSocket has no per-message headers), and is
        // checked as the Idempotency-Key header is.
        let key = match event.remove("idempotencyKey") {
            None => None,
            Some(serde_json::Value::String(key)) => {
                let mut headers = HeaderMap::new();
                let value = HeaderValue::from_str(&key).map_err(|_| {
                    herald_core::notification::ValidationError::new(
                        "idempotencyKey",
                        "printable ASCII characters",
                    )
                })?;
                headers.insert("idempotency-key", value);
                crate::notifications::idempotency_key(&headers)?
            }
            Some(_) => {
                return Err(ApiError::bad_field("idempotencyKey", "must be a string"));
            }
        };
        let mut request: EventRequest =
            crate::extract::parse_json(&serde_json::to_vec(&event).unwrap_or_default())?;
        request.idempotency_key = key.clone();
        if let Access::Token { player_id, .. } = &self.access {
            let Some(own) = player_id else {
                return Err(ApiError::Forbidden(
                    "a spectator's token cannot send events".into(),
                ));
            };
            if !matches!(request.kind, EventKind::Join | EventKind::Score) {
                return Err(ApiError::Forbidden(
                    "a player may send only join and score events".into(),
                ));
            }
            if request.player_id.as_deref() != Some(own.as_str()) {
                return Err(ApiError::Forbidden(format!(
                    "this token may send only as player {own:?}"
                )));
            }
        }
        let outcome =
            crate::matches::append(&self.state, self.access.tenant(), &self.id, request).await?;
        Ok((outcome, key))
    }
}

/// What a client is told of an error: the API's safe message (never a 5xx's cause).
fn client_message(e: &ApiError) -> String {
    match e {
        ApiError::Validation(v) | ApiError::ForbiddenTarget(v) => v.to_string(),
        other => other.to_string(),
    }
}

fn error_frame(code: &str, message: &str) -> serde_json::Value {
    json!({"kind": "error", "data": {"code": code, "message": message}})
}

fn text(value: &serde_json::Value) -> Message {
    Message::Text(Utf8Bytes::from(value.to_string()))
}

fn close(reason: CloseReason, last_seq: u64) -> Message {
    let (code, text) = match reason {
        CloseReason::Ended => (1000, "ended".to_owned()),
        other => (
            match other {
                CloseReason::SlowConsumer => 1013,
                CloseReason::Shutdown => 1012,
                _ => 1011,
            },
            format!("{}; reconnect with ?after={last_seq}", other.as_str()),
        ),
    };
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from(text),
    }))
}
