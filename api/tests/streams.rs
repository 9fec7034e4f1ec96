//! Live match streams (`docs/streams.md`) against real RabbitMQ and SQLite, with two API
//! instances on one store and one consumer group: cross-instance fan-out, exact resume,
//! the log read, player tokens, limits, the slow consumer, shutdown, embedded mode.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use harness::*;
use herald_api::streams::tokens::{Claims, TokenSecrets};
use herald_api::streams::StreamConfig;
use herald_api::Server;
use herald_core::matches::EventRequest;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite;

const SECRET: &str = "a-stream-token-secret-for-the-tests!";
const WAIT: Duration = Duration::from_secs(20);

fn stream_config() -> StreamConfig {
    StreamConfig {
        token_secrets: Some(TokenSecrets::parse(SECRET).unwrap()),
        ..StreamConfig::default()
    }
}

async fn start(name: &str, broker: Broker, streams: StreamConfig) -> Harness {
    Harness::with(
        name,
        Options {
            broker,
            streams: Some(streams),
            ..Options::default()
        },
    )
    .await
}

fn a_match() -> Value {
    json!({
        "type": "scoreboard",
        "players": [
            {"id": "ann", "notify": {"channel": "log", "recipient": {"address": "ann"}}},
            {"id": "bob", "notify": {"channel": "log", "recipient": {"address": "bob"}}}
        ],
        "durationSec": 600
    })
}

async fn create_match(h: &Harness, key: &str) -> String {
    let r = h
        .post_json("/v1/matches", key, &a_match())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    body(r).await["id"].as_str().unwrap().to_owned()
}

fn score(i: u64) -> Value {
    json!({"type": "score", "playerId": if i.is_multiple_of(2) { "ann" } else { "bob" }, "points": 1})
}

async fn post_event(http: &reqwest::Client, base: &str, id: &str, event: &Value) -> u64 {
    let r = http
        .post(format!("{base}/v1/matches/{id}/events"))
        .bearer_auth(ACME_KEY)
        .json(event)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    body(r).await["seq"].as_u64().unwrap()
}

/// One SSE message.
#[derive(Debug, Clone)]
struct Message {
    event: String,
    id: Option<String>,
    data: Value,
}

/// A minimal EventSource: the messages of one response, and its comments.
struct Sse {
    response: reqwest::Response,
    buffer: String,
    comments: Vec<String>,
    retry: Option<u64>,
}

impl Sse {
    async fn open(
        http: &reqwest::Client,
        url: &str,
        key: Option<&str>,
        last_event_id: Option<u64>,
    ) -> reqwest::Response {
        let mut request = http.get(url).header("accept", "text/event-stream");
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(seq) = last_event_id {
            request = request.header("last-event-id", seq.to_string());
        }
        request.send().await.unwrap()
    }

    async fn connect(
        http: &reqwest::Client,
        url: &str,
        key: Option<&str>,
        last_event_id: Option<u64>,
    ) -> Self {
        let response = Self::open(http, url, key, last_event_id).await;
        assert_eq!(response.status(), 200, "{url}");
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Self {
            response,
            buffer: String::new(),
            comments: Vec::new(),
            retry: None,
        }
    }

    /// The next message; `None` when the server closed the stream.
    async fn next(&mut self) -> Option<Message> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = None;
                let mut id = None;
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(c) = line.strip_prefix(':') {
                        self.comments.push(c.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = Some(v.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    } else if let Some(v) = line.strip_prefix("retry:") {
                        self.retry = v.trim().parse().ok();
                    }
                }
                if let Some(event) = event {
                    return Some(Message {
                        event,
                        id,
                        data: serde_json::from_str(&data).unwrap(),
                    });
                }
                continue;
            }
            let chunk = tokio::time::timeout(WAIT, self.response.chunk())
                .await
                .expect("an SSE message within the wait")
                .ok()??;
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// Reads until an `event` message with seq `last`; returns every event seq seen and
    /// the other messages.
    async fn events_until(&mut self, last: u64) -> (Vec<u64>, Vec<Message>) {
        let mut seqs = Vec::new();
        let mut others = Vec::new();
        while seqs.last() != Some(&last) {
            let m = self.next().await.expect("the stream stays open");
            if m.event == "event" {
                let seq = m.data["seq"].as_u64().unwrap();
                assert_eq!(m.id.as_deref(), Some(seq.to_string().as_str()));
                seqs.push(seq);
            } else {
                assert!(m.id.is_none(), "only event messages carry an id: {m:?}");
                others.push(m);
            }
        }
        (seqs, others)
    }
}

fn stream_url(base: &str, id: &str) -> String {
    format!("{base}/v1/matches/{id}/stream")
}

/// A subscriber on API B receives, in order and exactly once, events posted to API A;
/// and with the store's repair poll pushed out of reach, through the broker alone.
#[tokio::test]
async fn a_subscriber_on_b_gets_events_posted_to_a_in_order_exactly_once() {
    let streams = StreamConfig {
        repair_poll: Duration::from_secs(600),
        ..stream_config()
    };
    let a = start("stream_fanout", Broker::Real, streams).await;
    let b = Server::start(a.config.clone()).await.unwrap();
    let id = create_match(&a, ACME_KEY).await;

    let mut sse = Sse::connect(&a.http, &stream_url(&b.url(), &id), Some(ACME_KEY), None).await;
    let first = sse.next().await.unwrap();
    assert_eq!(
        first.event, "state",
        "a fresh subscriber gets the state first"
    );
    assert_eq!(first.data["appliedSeq"], 0);
    assert_eq!(first.data["state"]["scores"], json!({"ann": 0, "bob": 0}));

    let n = 40;
    let started = Instant::now();
    let poster = {
        let (http, base, id) = (a.http.clone(), a.url.clone(), id.clone());
        tokio::spawn(async move {
            for i in 1..=n {
                assert_eq!(post_event(&http, &base, &id, &score(i)).await, i);
            }
        })
    };
    let (seqs, others) = sse.events_until(n).await;
    poster.await.unwrap();
    assert_eq!(seqs, (1..=n).collect::<Vec<_>>());
    assert!(others.is_empty(), "{others:?}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "delivered by the broker, not the 600 s repair poll"
    );
    let metrics = a
        .http
        .get(format!("{}/metrics", b.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let fanned_out = metrics
        .lines()
        .find_map(|l| l.strip_prefix("herald_stream_fanout_seconds_count "))
        .and_then(|v| v.parse::<f64>().ok());
    assert_eq!(fanned_out, Some(n as f64), "B timed every live event");
    assert_eq!(a.metric("herald_stream_fanout_seconds_count").await, 0.0);
    drop(sse);
    b.shutdown().await.unwrap();
    a.finish().await;
}

/// Disconnect mid-match and resume with Last-Event-ID on the other instance: the union
/// of what the client saw is exactly 1..N, nothing twice.
#[tokio::test]
async fn resuming_with_last_event_id_misses_nothing_and_repeats_nothing() {
    let a = start("stream_resume", Broker::Real, stream_config()).await;
    let b = Server::start(a.config.clone()).await.unwrap();
    let id = create_match(&a, ACME_KEY).await;
    for i in 1..=10 {
        post_event(&a.http, &a.url, &id, &score(i)).await;
    }
    let mut seen = Vec::new();
    let mut sse = Sse::connect(&a.http, &stream_url(&a.url, &id), Some(ACME_KEY), Some(0)).await;
    let (seqs, _) = sse.events_until(6).await;
    seen.extend(seqs);
    drop(sse);
    // Meanwhile, more events.
    for i in 11..=20 {
        post_event(&a.http, &a.url, &id, &score(i)).await;
    }
    let mut sse = Sse::connect(&a.http, &stream_url(&b.url(), &id), Some(ACME_KEY), Some(6)).await;
    let poster = {
        let (http, base, id) = (a.http.clone(), a.url.clone(), id.clone());
        tokio::spawn(async move {
            for i in 21..=30 {
                post_event(&http, &base, &id, &score(i)).await;
            }
        })
    };
    let (seqs, others) = sse.events_until(30).await;
    poster.await.unwrap();
    assert!(others.is_empty(), "a resume starts with events, not state");
    seen.extend(seqs);
    assert_eq!(seen, (1..=30).collect::<Vec<_>>());
    assert!(b.url().starts_with("http"));
    drop(sse);
    b.shutdown().await.unwrap();
    a.finish().await;
}

/// `GET /v1/matches/{id}/events` pages the log by cursor; bad cursors and limits are
/// 400s; another tenant's match is 404.
#[tokio::test]
async fn the_event_log_is_read_by_cursor() {
    let h = start("stream_log", Broker::Real, stream_config()).await;
    let id = create_match(&h, ACME_KEY).await;
    for i in 1..=5 {
        post_event(&h.http, &h.url, &id, &score(i)).await;
    }
    let page = |q: &str| {
        h.get(&format!("/v1/matches/{id}/events{q}"), ACME_KEY)
            .send()
    };
    let r = page("?limit=2").await.unwrap();
    assert_eq!(r.status(), 200);
    let first = body(r).await;
    let seqs: Vec<u64> = first["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, vec![1, 2]);
    assert_eq!(first["nextAfter"], 2);
    assert_eq!(first["lastSeq"], 5);
    assert_eq!(first["events"][0]["type"], "score");
    assert_eq!(first["events"][0]["playerId"], "bob");
    assert!(first["events"][0]["at"].is_string());
    let last = body(page("?after=4&limit=2").await.unwrap()).await;
    assert_eq!(last["events"].as_array().unwrap().len(), 1);
    assert_eq!(last["events"][0]["seq"], 5);
    assert_eq!(last["nextAfter"], Value::Null);
    for bad in [
        "?limit=0",
        "?limit=1001",
        "?after=-1",
        "?after=x",
        "?cursor=3",
    ] {
        let (status, code, _) = error_of(page(bad).await.unwrap()).await;
        assert_eq!(status, 400, "{bad}");
        assert!(!code.is_empty());
    }
    let r = h
        .get(&format!("/v1/matches/{id}/events"), GLOBEX_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = h
        .http
        .get(h.endpoint(&format!("/v1/matches/{id}/events")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    h.finish().await;
}

async fn issue(h: &Harness, key: &str, id: &str, body_: &Value) -> reqwest::Response {
    h.post_json(&format!("/v1/matches/{id}/tokens"), key, body_)
        .send()
        .await
        .unwrap()
}

/// Player tokens: accepted for their match; wrong match, expired and tampered are 401;
/// another tenant's match is 404; a token cannot name a stranger or live forever.
#[tokio::test]
async fn player_tokens_open_their_match_only() {
    let h = start("stream_tokens", Broker::Real, stream_config()).await;
    let id = create_match(&h, ACME_KEY).await;
    let other = create_match(&h, ACME_KEY).await;
    let globex = create_match(&h, GLOBEX_KEY).await;

    let r = issue(&h, ACME_KEY, &id, &json!({"playerId": "ann", "ttlSec": 60})).await;
    assert_eq!(r.status(), 200);
    let issued = body(r).await;
    let token = issued["token"].as_str().unwrap().to_owned();
    assert!(issued["expiresAt"].is_string());

    let with_token = |match_id: &str, token: &str| {
        format!("{}/v1/matches/{match_id}/stream?token={token}", h.url)
    };
    let mut ok = Sse::connect(&h.http, &with_token(&id, &token), None, None).await;
    assert_eq!(ok.next().await.unwrap().event, "state");
    drop(ok);
    let r = h
        .http
        .get(h.endpoint(&format!("/v1/matches/{id}/events?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the log read takes the token too");

    // Wrong match.
    let r = Sse::open(&h.http, &with_token(&other, &token), None, None).await;
    assert_eq!(error_of(r).await.0, 401);
    // Expired (signed with the right secret).
    let expired = TokenSecrets::parse(SECRET).unwrap().issue(&Claims {
        tenant: ACME.into(),
        match_id: id.clone(),
        player_id: Some("ann".into()),
        expires: chrono::Utc::now().timestamp() - 1,
    });
    let r = Sse::open(&h.http, &with_token(&id, &expired), None, None).await;
    assert_eq!(error_of(r).await.0, 401);
    // Tampered: another player's claims under the same signature.
    let (_, signature) = token.split_once('.').unwrap();
    let forged = {
        use base64::Engine as _;
        let claims =
            json!({"t": ACME, "m": id, "p": "bob", "e": chrono::Utc::now().timestamp() + 60});
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string())
    };
    let r = Sse::open(
        &h.http,
        &with_token(&id, &format!("{forged}.{signature}")),
        None,
        None,
    )
    .await;
    assert_eq!(error_of(r).await.0, 401);
    let r = Sse::open(&h.http, &with_token(&id, "garbage"), None, None).await;
    assert_eq!(error_of(r).await.0, 401);

    // Another tenant's match: 404 to issue, 404 to stream with a key.
    let r = issue(&h, ACME_KEY, &globex, &json!({"ttlSec": 60})).await;
    assert_eq!(r.status(), 404);
    let r = Sse::open(&h.http, &stream_url(&h.url, &globex), Some(ACME_KEY), None).await;
    assert_eq!(r.status(), 404);

    // A stranger, a lifetime out of range, unknown fields.
    for bad in [
        json!({"playerId": "eve", "ttlSec": 60}),
        json!({"ttlSec": 0}),
        json!({"ttlSec": 86401}),
    ] {
        let (status, code, _) = error_of(issue(&h, ACME_KEY, &id, &bad).await).await;
        assert_eq!((status, code.as_str()), (422, "validation_failed"), "{bad}");
    }
    let (status, _, _) = error_of(issue(&h, ACME_KEY, &id, &json!({"ttl": 5})).await).await;
    assert_eq!(status, 400);
    h.finish().await;
}

/// Without STREAM_TOKEN_SECRET, tokens are 503 not_configured and a token is 401.
#[tokio::test]
async fn tokens_are_off_without_a_secret() {
    let h = start("stream_notokens", Broker::Embedded, StreamConfig::default()).await;
    let id = create_match(&h, ACME_KEY).await;
    let (status, code, _) = error_of(issue(&h, ACME_KEY, &id, &json!({"ttlSec": 60})).await).await;
    assert_eq!((status, code.as_str()), (503, "not_configured"));
    let token = TokenSecrets::parse(SECRET).unwrap().issue(&Claims {
        tenant: ACME.into(),
        match_id: id.clone(),
        player_id: None,
        expires: chrono::Utc::now().timestamp() + 60,
    });
    let url = format!("{}?token={token}", stream_url(&h.url, &id));
    assert_eq!(Sse::open(&h.http, &url, None, None).await.status(), 401);
    h.finish().await;
}

/// Embedded mode (no broker) streams by polling the log: events, the host's state, and
/// `ended` — then the server closes the stream.
#[tokio::test]
async fn embedded_mode_streams_events_state_and_the_end() {
    let streams = StreamConfig {
        embedded_poll: Duration::from_millis(50),
        ..stream_config()
    };
    let h = start("stream_embedded", Broker::Embedded, streams).await;
    let id = create_match(&h, ACME_KEY).await;
    let mut sse = Sse::connect(&h.http, &stream_url(&h.url, &id), Some(ACME_KEY), None).await;
    assert_eq!(sse.next().await.unwrap().event, "state");
    for i in 1..=3 {
        post_event(&h.http, &h.url, &id, &score(i)).await;
    }
    let (seqs, _) = sse.events_until(3).await;
    assert_eq!(seqs, vec![1, 2, 3]);

    // Host it as a worker would: claim, fold, save, finish.
    let match_id: herald_core::JobId = id.parse().unwrap();
    let worker = herald_core::WorkerId::generate();
    let claimed = h
        .store
        .claim(&match_id, &worker, Duration::from_secs(30))
        .await
        .unwrap();
    let herald_core::store::ClaimOutcome::Claimed(claimed) = claimed else {
        panic!("claim failed: {claimed:?}")
    };
    let spec = herald_core::matches::MatchRequest::from_payload(&claimed.job.payload).unwrap();
    let engine = herald_core::matches::engine_for(spec.match_type);
    let mut state = engine.initial_state(&spec);
    for event in h.store.events_after(&match_id, 0, 10).await.unwrap() {
        engine.apply(&spec, &mut state, &event).unwrap();
    }
    let snapshot = herald_core::matches::MatchSnapshot {
        state: state.clone(),
        state_version: 1,
        applied_seq: 3,
        started_at: Some(chrono::Utc::now()),
        ends_at: Some(chrono::Utc::now() + chrono::Duration::seconds(600)),
    };
    h.store
        .save_snapshot(&claimed.lease, &snapshot)
        .await
        .unwrap();
    let m = sse.next().await.unwrap();
    assert_eq!(m.event, "state");
    assert_eq!(m.data["stateVersion"], 1);
    assert_eq!(m.data["appliedSeq"], 3);
    assert_eq!(m.data["state"]["scores"], json!({"ann": 1, "bob": 2}));

    let result = engine
        .result(&spec, &state, herald_core::matches::EndedBy::End)
        .unwrap();
    let last = herald_core::matches::MatchSnapshot {
        state_version: 2,
        ..snapshot
    };
    h.store
        .finish_match(&claimed.lease, &last, &result, Vec::new())
        .await
        .unwrap();
    let mut m = sse.next().await.unwrap();
    if m.event == "state" {
        // The final save, read before the end.
        assert_eq!(m.data["stateVersion"], 2);
        m = sse.next().await.unwrap();
    }
    assert_eq!(m.event, "ended");
    assert_eq!(m.data["status"], "succeeded");
    assert_eq!(m.data["result"]["standings"][0]["playerId"], "bob");
    assert!(sse.next().await.is_none(), "the server closes after ended");

    // A client arriving after the end gets the log, then ended, then the close.
    let mut late = Sse::connect(&h.http, &stream_url(&h.url, &id), Some(ACME_KEY), Some(1)).await;
    let (seqs, _) = late.events_until(3).await;
    assert_eq!(seqs, vec![2, 3]);
    assert_eq!(late.next().await.unwrap().event, "ended");
    assert!(late.next().await.is_none());
    h.finish().await;
}

/// STREAM_MAX_CONNECTIONS: past it, 503 with Retry-After; a slot freed is usable again.
#[tokio::test]
async fn streams_past_the_cap_are_refused_with_retry_after() {
    let streams = StreamConfig {
        max_connections: 2,
        ..stream_config()
    };
    let h = start("stream_cap", Broker::Embedded, streams).await;
    let id = create_match(&h, ACME_KEY).await;
    let url = stream_url(&h.url, &id);
    let one = Sse::connect(&h.http, &url, Some(ACME_KEY), None).await;
    let _two = Sse::connect(&h.http, &url, Some(ACME_KEY), None).await;
    let refused = Sse::open(&h.http, &url, Some(ACME_KEY), None).await;
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    let (_, code, _) = error_of(refused).await;
    assert_eq!(code, "too_many_streams");
    drop(one);
    herald_testkit::wait::wait_for(WAIT, "a freed stream slot", || async {
        Sse::open(&h.http, &url, Some(ACME_KEY), None)
            .await
            .status()
            == 200
    })
    .await;
    h.finish().await;
}

/// Shutdown ends every stream with a retry hint, and the server stops promptly.
#[tokio::test]
async fn shutdown_ends_streams_with_a_retry_hint() {
    let h = start("stream_shutdown", Broker::Real, stream_config()).await;
    let b = Server::start(h.config.clone()).await.unwrap();
    let id = create_match(&h, ACME_KEY).await;
    let mut sse = Sse::connect(&h.http, &stream_url(&b.url(), &id), Some(ACME_KEY), None).await;
    assert_eq!(sse.next().await.unwrap().event, "state");
    let stopped = tokio::spawn(b.shutdown());
    assert!(sse.next().await.is_none(), "the stream ends");
    assert!(
        sse.comments.iter().any(|c| c.contains("shutdown")),
        "{:?}",
        sse.comments
    );
    assert_eq!(sse.retry, Some(250));
    tokio::time::timeout(Duration::from_secs(10), stopped)
        .await
        .expect("shutdown within 10 s")
        .unwrap()
        .unwrap();
    h.finish().await;
}

/// A client that stops reading is closed as a slow consumer once it is more than the
/// buffer behind, while the instance's memory stays bounded.
#[tokio::test]
async fn a_slow_consumer_is_closed_and_memory_stays_bounded() {
    let streams = StreamConfig {
        buffer_messages: 8,
        embedded_poll: Duration::from_millis(20),
        ..stream_config()
    };
    let h = start("stream_slow", Broker::Embedded, streams).await;
    let id = create_match(&h, ACME_KEY).await;
    let match_id: herald_core::JobId = id.parse().unwrap();
    // A client with a small receive window that reads a little, slowly.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut slow = socket
        .connect(h.url.trim_start_matches("http://").parse().unwrap())
        .await
        .unwrap();
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    slow.write_all(
        format!(
            "GET /v1/matches/{id}/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ACME_KEY}\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let hurry = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = tokio::spawn({
        let hurry = hurry.clone();
        async move {
            let mut seen = Vec::new();
            let mut buf = [0u8; 256];
            loop {
                match slow.read(&mut buf).await {
                    Ok(0) | Err(_) => return seen,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
                // The response's end (the connection itself may stay open for keep-alive).
                let text = String::from_utf8_lossy(&seen);
                if text
                    .find("closing:")
                    .is_some_and(|at| text[at..].contains("\r\n0\r\n\r\n"))
                {
                    return seen;
                }
                if !hurry.load(std::sync::atomic::Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    });
    let rss_before = rss_kb();
    let tenant = tenant(ACME);
    let event = EventRequest {
        kind: herald_core::matches::EventKind::Score,
        player_id: Some("ann".into()),
        points: Some(1),
        idempotency_key: None,
    };
    let mut appended = 0u64;
    herald_testkit::wait::wait_for(Duration::from_secs(120), "the slow consumer closed", || {
        let (h, tenant, event, match_id) = (&h, &tenant, &event, &match_id);
        appended += 200;
        async move {
            for _ in 0..200 {
                h.store.append_event(tenant, match_id, event).await.unwrap();
            }
            h.metric("herald_stream_dropped_total{reason=\"slow_consumer\"}")
                .await
                >= 1.0
        }
    })
    .await;
    let grown = rss_kb().saturating_sub(rss_before);
    assert!(
        grown < 64 * 1024,
        "RSS grew by {grown} KiB over {appended} events for one slow client"
    );
    // Once closed, the client reads what the kernel and the server had buffered.
    hurry.store(true, std::sync::atomic::Ordering::Relaxed);
    herald_testkit::wait::wait_for(WAIT, "the slow stream gone", || async {
        h.metric("herald_stream_connections{transport=\"sse\"}")
            .await
            == 0.0
    })
    .await;
    // The client reads on to the end: the server's last lines name the reason.
    let seen = tokio::time::timeout(Duration::from_secs(120), reader)
        .await
        .expect("the server closed the connection")
        .unwrap();
    let tail = String::from_utf8_lossy(&seen[seen.len().saturating_sub(400)..]).into_owned();
    assert!(tail.contains("closing: slow_consumer"), "{tail}");
    assert!(tail.contains("retry: 1000"), "{tail}");
    h.finish().await;
}

fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ws_next(ws: &mut Ws) -> Value {
    loop {
        let frame = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a frame within the wait")
            .expect("the socket stays open")
            .unwrap();
        match frame {
            tungstenite::Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
            tungstenite::Message::Ping(_) | tungstenite::Message::Pong(_) => {}
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

async fn ws_send(ws: &mut Ws, v: Value) {
    ws.send(tungstenite::Message::Text(v.to_string().into()))
        .await
        .unwrap();
}

/// The WebSocket: the same messages; a player sends its own events (acked with their
/// seq, through the POST route's validation), never another player's; the Origin check.
#[tokio::test]
async fn a_player_follows_and_sends_over_the_websocket() {
    let streams = StreamConfig {
        allowed_origins: herald_api::streams::AllowedOrigins::parse("https://game.example")
            .unwrap(),
        ..stream_config()
    };
    let h = start("stream_ws", Broker::Real, streams).await;
    let b = Server::start(h.config.clone()).await.unwrap();
    let id = create_match(&h, ACME_KEY).await;
    let issued =
        body(issue(&h, ACME_KEY, &id, &json!({"playerId": "ann", "ttlSec": 60})).await).await;
    let token = issued["token"].as_str().unwrap();
    let ws_url = |base: &str| {
        format!(
            "{}/v1/matches/{id}/ws?token={token}",
            base.replace("http://", "ws://")
        )
    };

    // Another site's page is refused at the handshake.
    let mut bad =
        tungstenite::client::IntoClientRequest::into_client_request(ws_url(&h.url)).unwrap();
    bad.headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    match tokio_tungstenite::connect_async(bad).await {
        Err(tungstenite::Error::Http(r)) => assert_eq!(r.status(), 403),
        other => panic!("expected 403, got {other:?}"),
    }

    let mut good =
        tungstenite::client::IntoClientRequest::into_client_request(ws_url(&b.url())).unwrap();
    good.headers_mut()
        .insert("origin", "https://game.example".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(good).await.unwrap();
    let first = ws_next(&mut ws).await;
    assert_eq!(first["kind"], "state");

    ws_send(
        &mut ws,
        json!({"type": "join", "playerId": "ann", "idempotencyKey": "j1"}),
    )
    .await;
    let mut acks = Vec::new();
    let mut events = HashMap::new();
    while acks.is_empty() || events.is_empty() {
        let m = ws_next(&mut ws).await;
        match m["kind"].as_str().unwrap() {
            "ack" => acks.push(m["data"].clone()),
            "event" => {
                events.insert(m["data"]["seq"].as_u64().unwrap(), m["data"].clone());
            }
            other => panic!("unexpected {other}: {m}"),
        }
    }
    assert_eq!(acks[0]["seq"], 1);
    assert_eq!(acks[0]["replayed"], false);
    assert_eq!(acks[0]["idempotencyKey"], "j1");
    assert_eq!(events[&1]["type"], "join");
    assert_eq!(events[&1]["playerId"], "ann");

    // The same key again: the same seq, nothing appended.
    ws_send(
        &mut ws,
        json!({"type": "join", "playerId": "ann", "idempotencyKey": "j1"}),
    )
    .await;
    let replay = ws_next(&mut ws).await;
    assert_eq!(replay["kind"], "ack");
    assert_eq!(
        replay["data"],
        json!({"seq": 1, "replayed": true, "idempotencyKey": "j1"})
    );

    // Not as another player, not an end, not a malformed event.
    for (frame, code) in [
        (
            json!({"type": "score", "playerId": "bob", "points": 5}),
            "forbidden",
        ),
        (json!({"type": "end"}), "forbidden"),
        (
            json!({"type": "score", "playerId": "ann", "points": 1, "extra": 1}),
            "invalid_field",
        ),
        (
            json!({"type": "score", "playerId": "ann"}),
            "validation_failed",
        ),
    ] {
        ws_send(&mut ws, frame.clone()).await;
        let m = ws_next(&mut ws).await;
        assert_eq!(m["kind"], "error", "{frame}");
        assert_eq!(m["data"]["code"], code, "{frame}: {m}");
    }
    ws.send(tungstenite::Message::Text("not json".into()))
        .await
        .unwrap();
    assert_eq!(ws_next(&mut ws).await["kind"], "error");

    // Posted over HTTP on the other instance: it arrives here.
    post_event(
        &h.http,
        &h.url,
        &id,
        &json!({"type": "score", "playerId": "bob", "points": 2}),
    )
    .await;
    let m = ws_next(&mut ws).await;
    assert_eq!(m["kind"], "event");
    assert_eq!(m["data"]["seq"], 2);
    let log = body(
        h.get(&format!("/v1/matches/{id}/events"), ACME_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(log["lastSeq"], 2, "nothing else was appended: {log}");
    ws.close(None).await.unwrap();
    b.shutdown().await.unwrap();
    h.finish().await;
}

/// The same exactness on the MongoDB test server: a subscriber on B gets the events
/// posted to A, then resumes on A after a disconnect; the union is 1..N.
#[tokio::test]
async fn streams_on_the_mongodb_store_fan_out_and_resume() {
    let a = Harness::with(
        "stream_mongo",
        Options {
            store: StoreKind::Mongo,
            streams: Some(stream_config()),
            ..Options::default()
        },
    )
    .await;
    let b = Server::start(a.config.clone()).await.unwrap();
    let id = create_match(&a, ACME_KEY).await;
    let mut sse = Sse::connect(&a.http, &stream_url(&b.url(), &id), Some(ACME_KEY), Some(0)).await;
    for i in 1..=4 {
        post_event(&a.http, &a.url, &id, &score(i)).await;
    }
    let (mut seen, _) = sse.events_until(4).await;
    drop(sse);
    for i in 5..=6 {
        post_event(&a.http, &a.url, &id, &score(i)).await;
    }
    let mut sse = Sse::connect(&a.http, &stream_url(&a.url, &id), Some(ACME_KEY), Some(4)).await;
    post_event(&a.http, &a.url, &id, &score(7)).await;
    let (rest, _) = sse.events_until(7).await;
    seen.extend(rest);
    assert_eq!(seen, (1..=7).collect::<Vec<_>>());
    drop(sse);
    b.shutdown().await.unwrap();
    a.finish().await;
}

/// The heartbeat: an idle SSE stream gets a comment line, an idle WebSocket a ping,
/// every `STREAM_HEARTBEAT_MS` (short here), and nothing else while no event comes.
#[tokio::test]
async fn idle_streams_get_a_heartbeat_at_the_interval() {
    const BEAT: Duration = Duration::from_millis(300);
    const LISTEN: Duration = Duration::from_millis(1_700);
    let streams = StreamConfig {
        heartbeat: BEAT,
        ..stream_config()
    };
    let h = start("stream_heartbeat", Broker::Embedded, streams).await;
    let id = create_match(&h, ACME_KEY).await;

    // SSE from after seq 0: no message is due, only heartbeats.
    let mut response = Sse::open(&h.http, &stream_url(&h.url, &id), Some(ACME_KEY), Some(0)).await;
    assert_eq!(response.status(), 200);
    let opened = Instant::now();
    let mut text = String::new();
    let mut beats = Vec::new();
    while opened.elapsed() < LISTEN {
        let left = LISTEN.saturating_sub(opened.elapsed());
        let Ok(chunk) = tokio::time::timeout(left, response.chunk()).await else {
            break;
        };
        let chunk = chunk.unwrap().expect("the stream stays open");
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            assert!(
                block.lines().all(|l| l.is_empty() || l.starts_with(':')),
                "only heartbeat comments on an idle stream: {block:?}"
            );
            beats.push(opened.elapsed());
        }
    }
    assert_beats(&beats, BEAT, LISTEN, "SSE");

    // The WebSocket pings at the same interval.
    let mut request = tungstenite::client::IntoClientRequest::into_client_request(format!(
        "{}/v1/matches/{id}/ws?after=0",
        h.url.replace("http://", "ws://")
    ))
    .unwrap();
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {ACME_KEY}").parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let opened = Instant::now();
    let mut pings = Vec::new();
    while opened.elapsed() < LISTEN {
        let left = LISTEN.saturating_sub(opened.elapsed());
        let Ok(frame) = tokio::time::timeout(left, ws.next()).await else {
            break;
        };
        match frame.expect("the socket stays open").unwrap() {
            tungstenite::Message::Ping(_) => pings.push(opened.elapsed()),
            other => panic!("only pings on an idle socket: {other:?}"),
        }
    }
    assert_beats(&pings, BEAT, LISTEN, "WebSocket");
    h.finish().await;
}

/// Heartbeats at `beat` over `listen`: about listen/beat of them, none closer together
/// than most of the interval.
fn assert_beats(at: &[Duration], beat: Duration, listen: Duration, what: &str) {
    let expected = (listen.as_millis() / beat.as_millis()) as usize;
    assert!(
        at.len() + 1 >= expected && at.len() <= expected + 1,
        "{what}: {} heartbeats in {listen:?} at {beat:?}: {at:?}",
        at.len()
    );
    for pair in at.windows(2) {
        assert!(
            pair[1] - pair[0] >= beat.mul_f64(0.6),
            "{what}: heartbeats too close: {at:?}"
        );
    }
}
