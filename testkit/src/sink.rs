//! A webhook receiver inside the test: it listens on 127.0.0.1, records every request
//! it gets, and answers as the request's path says. Routes (all `POST`):
//! - `/ok` → 200; `/fail` → 500;
//! - `/status/{code}` → `code` (a 429 with `Retry-After: 7`);
//! - `/slow/{ms}` → holds the request `ms` milliseconds, then 200;
//! - `/slow-first/{ms}` → holds attempt 1 `ms` milliseconds, answers later attempts at
//!   once; 200;
//! - `/hook` → the status last given to [`Sink::set_hook_status`], 200 until then (a
//!   receiver that a test breaks and mends).
//!
//! Signatures are checked when a test asks ([`Received::signed_with`]), with
//! `herald_core::signature`, the schemes the worker signs with.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::post;
use axum::Router;
use herald_core::signature::{HeraldSignature, StandardSignature};

/// One request the sink received.
#[derive(Debug, Clone)]
pub struct Received {
    /// `X-Herald-Job-Id` (empty when absent).
    pub job_id: String,
    /// `Idempotency-Key` (empty when absent).
    pub idempotency_key: String,
    /// `X-Herald-Attempt` (0 when absent or not a number).
    pub attempt: u32,
    /// The route, without its parameter: `/ok`, `/status`, `/slow`, …
    pub path: String,
    /// The status the sink answered.
    pub status: u16,
    /// When it arrived.
    pub at: Instant,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    /// A header's value, empty when absent (or not text).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Whether the delivery is signed under `secret` in both schemes Herald sends: the
    /// Standard Webhooks headers (the id the job's, the timestamp within the default
    /// tolerance of now) and `X-Herald-Signature`.
    pub fn signed_with(&self, secret: &str) -> bool {
        self.standard_signed_with(secret)
            && self.header(StandardSignature::ID_HEADER) == self.job_id
            && HeraldSignature::verify(
                secret.as_bytes(),
                &self.body,
                self.header(HeraldSignature::HEADER),
            )
            .is_ok()
    }

    /// Whether the Standard Webhooks signature verifies under `secret`, now.
    pub fn standard_signed_with(&self, secret: &str) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        StandardSignature::verify(
            secret.as_bytes(),
            self.header(StandardSignature::ID_HEADER),
            self.header(StandardSignature::TIMESTAMP_HEADER),
            &self.body,
            self.header(StandardSignature::HEADER),
            now,
            StandardSignature::DEFAULT_TOLERANCE_SECS,
        )
        .is_ok()
    }
}

#[derive(Debug)]
struct Recorder {
    received: Mutex<Vec<Received>>,
    /// Job ids whose request is being held right now (`/slow`, `/slow-first`).
    in_progress: Mutex<Vec<String>>,
    hook_status: Mutex<StatusCode>,
}

/// A lock that a panicking test thread cannot poison for the others.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running sink. It serves until the test's runtime stops.
#[derive(Debug, Clone)]
pub struct Sink {
    addr: SocketAddr,
    recorder: Arc<Recorder>,
}

impl Sink {
    /// Starts a sink on a free port of 127.0.0.1, on the current runtime.
    pub async fn start() -> Self {
        let recorder = Arc::new(Recorder {
            received: Mutex::default(),
            in_progress: Mutex::default(),
            hook_status: Mutex::new(StatusCode::OK),
        });
        let app = Router::new()
            .route("/ok", post(ok))
            .route("/fail", post(fail))
            .route("/status/{code}", post(status))
            .route("/slow/{ms}", post(slow))
            .route("/slow-first/{ms}", post(slow_first))
            .route("/hook", post(hook))
            .with_state(recorder.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("the sink cannot listen on 127.0.0.1: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("the sink's listener has no address: {e}"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, recorder }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The URL of one of its routes, e.g. `url("/slow/300")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// The URL that answers `code`.
    pub fn status_url(&self, code: u16) -> String {
        self.url(&format!("/status/{code}"))
    }

    /// What `/hook` answers from now on.
    pub fn set_hook_status(&self, status: StatusCode) {
        *lock(&self.recorder.hook_status) = status;
    }

    /// Every request so far, in order of arrival.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.recorder.received).clone()
    }

    /// Requests per job id (`X-Herald-Job-Id`).
    pub fn counts(&self) -> HashMap<String, u32> {
        let mut counts = HashMap::new();
        for r in self.received() {
            *counts.entry(r.job_id).or_insert(0) += 1;
        }
        counts
    }

    /// The job ids whose request is being held right now.
    pub fn in_progress(&self) -> Vec<String> {
        lock(&self.recorder.in_progress).clone()
    }
}

fn record(
    recorder: &Recorder,
    path: &str,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
) -> Received {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let received = Received {
        job_id: header("x-herald-job-id"),
        idempotency_key: header("idempotency-key"),
        attempt: header("x-herald-attempt").parse().unwrap_or(0),
        path: path.to_owned(),
        status: status.as_u16(),
        at: Instant::now(),
        headers,
        body,
    };
    lock(&recorder.received).push(received.clone());
    received
}

async fn ok(State(r): State<Arc<Recorder>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    record(&r, "/ok", StatusCode::OK, headers, body);
    StatusCode::OK
}

async fn fail(State(r): State<Arc<Recorder>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let status = StatusCode::INTERNAL_SERVER_ERROR;
    record(&r, "/fail", status, headers, body);
    status
}

async fn status(
    State(r): State<Arc<Recorder>>,
    Path(code): Path<u16>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap) {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    record(&r, "/status", status, headers, body);
    let mut out = HeaderMap::new();
    if status == StatusCode::TOO_MANY_REQUESTS {
        out.insert("retry-after", HeaderValue::from_static("7"));
    }
    (status, out)
}

async fn hold(recorder: &Recorder, id: &str, ms: u64) {
    lock(&recorder.in_progress).push(id.to_owned());
    tokio::time::sleep(Duration::from_millis(ms)).await;
    lock(&recorder.in_progress).retain(|x| x != id);
}

async fn slow(
    State(r): State<Arc<Recorder>>,
    Path(ms): Path<u64>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let received = record(&r, "/slow", StatusCode::OK, headers, body);
    hold(&r, &received.job_id, ms).await;
    StatusCode::OK
}

async fn slow_first(
    State(r): State<Arc<Recorder>>,
    Path(ms): Path<u64>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let received = record(&r, "/slow-first", StatusCode::OK, headers, body);
    if received.attempt <= 1 {
        hold(&r, &received.job_id, ms).await;
    }
    StatusCode::OK
}

async fn hook(State(r): State<Arc<Recorder>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let status = *lock(&r.hook_status);
    record(&r, "/hook", status, headers, body);
    status
}
