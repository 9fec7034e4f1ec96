//! `--subscribers N`: live match streams under load (`docs/streams.md`).
//!
//! The run creates `--matches` matches, opens N streams (SSE or WebSocket) spread
//! over them on the subscriber instance (the last `--url`, or the second spawned
//! API), then appends score events at `--event-rate` to the post instance (the first
//! `--url`). Every subscriber connects with `Last-Event-ID: 0` / `?after=0` before
//! the first event, so it must receive exactly the seqs the appends returned for its
//! match. A stream that ends early is resumed from its last seq, on the next
//! subscriber URL. The checks, per subscriber: **missed** (an acknowledged seq never
//! received) and **duplicated** (a seq received again); either > 0 fails the run.
//!
//! Fan-out latency is the event's own `at` (the store's clock when the append
//! committed) → the moment the subscriber parsed the message. Both clocks are this
//! host's when the API runs here (`--spawn` or a local `--url`); across hosts it
//! includes their clock offset.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::{watch, Semaphore};
use tokio_tungstenite::tungstenite;

use crate::report::{latency_table, micros_histogram, row, verdict, Latency};
use crate::stack::{lock, Stack};
use crate::Args;

/// How many streams connect at once (the rest wait their turn).
const CONNECT_CONCURRENCY: usize = 128;
/// A stream silent for this long is treated as dead and resumed (the server's
/// heartbeat is 15 s by default).
const READ_TIMEOUT: Duration = Duration::from_secs(45);
/// Pause between a stream's end and its resume.
const RECONNECT_DELAY: Duration = Duration::from_millis(100);

/// Which stream route the subscribers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// `GET /v1/matches/{id}/stream`, Server-Sent Events.
    Sse,
    /// `GET /v1/matches/{id}/ws`, a WebSocket.
    Ws,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sse => "sse",
            Self::Ws => "ws",
        }
    }
}

/// One message of a stream: its kind (`event`, `state`, `ended`) and data.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub kind: String,
    pub data: Value,
}

impl Message {
    /// The seq of an `event` message.
    pub fn seq(&self) -> Option<u64> {
        (self.kind == "event")
            .then(|| self.data["seq"].as_u64())
            .flatten()
    }
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// An open stream of one match, either transport.
pub enum Stream {
    Sse {
        response: reqwest::Response,
        buffer: String,
    },
    Ws(Box<WsStream>),
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sse { .. } => f.write_str("Stream::Sse"),
            Self::Ws(_) => f.write_str("Stream::Ws"),
        }
    }
}

impl Stream {
    /// Opens the match's stream on `base` with a tenant key, from after `after`.
    /// Returns once the server has answered (it answers once the stream is bound to
    /// the match's updates, so every later append reaches it).
    pub async fn connect(
        http: &reqwest::Client,
        transport: Transport,
        base: &str,
        match_id: &str,
        key: &str,
        after: u64,
    ) -> anyhow::Result<Self> {
        let base = base.trim_end_matches('/');
        match transport {
            Transport::Sse => {
                let url = format!("{base}/v1/matches/{match_id}/stream");
                let response = http
                    .get(&url)
                    .bearer_auth(key)
                    .header("accept", "text/event-stream")
                    .header("last-event-id", after.to_string())
                    .send()
                    .await
                    .with_context(|| format!("GET {url}"))?;
                anyhow::ensure!(
                    response.status().is_success(),
                    "GET {url} answered {}",
                    response.status()
                );
                Ok(Self::Sse {
                    response,
                    buffer: String::new(),
                })
            }
            Transport::Ws => {
                use tungstenite::client::IntoClientRequest as _;
                let ws_base = base
                    .strip_prefix("http")
                    .map_or_else(|| base.to_owned(), |rest| format!("ws{rest}"));
                let url = format!("{ws_base}/v1/matches/{match_id}/ws?after={after}");
                let mut request = url.as_str().into_client_request()?;
                request.headers_mut().insert(
                    "authorization",
                    tungstenite::http::HeaderValue::from_str(&format!("Bearer {key}"))?,
                );
                let (ws, _) = tokio_tungstenite::connect_async(request)
                    .await
                    .with_context(|| format!("WebSocket {url}"))?;
                Ok(Self::Ws(Box::new(ws)))
            }
        }
    }

    /// The next message; `None` when the server closed the stream.
    pub async fn next(&mut self) -> anyhow::Result<Option<Message>> {
        match self {
            Self::Sse { response, buffer } => loop {
                if let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    if let Some(message) = parse_sse_block(&block)? {
                        return Ok(Some(message));
                    }
                    continue;
                }
                let chunk = tokio::time::timeout(READ_TIMEOUT, response.chunk())
                    .await
                    .map_err(|_| anyhow::anyhow!("no SSE bytes in {READ_TIMEOUT:?}"))??;
                let Some(chunk) = chunk else {
                    return Ok(None);
                };
                buffer.push_str(std::str::from_utf8(&chunk).context("SSE is not UTF-8")?);
            },
            Self::Ws(ws) => loop {
                let frame = tokio::time::timeout(READ_TIMEOUT, ws.next())
                    .await
                    .map_err(|_| anyhow::anyhow!("no WebSocket frame in {READ_TIMEOUT:?}"))?;
                match frame {
                    None | Some(Ok(tungstenite::Message::Close(_))) => return Ok(None),
                    Some(Ok(tungstenite::Message::Text(text))) => {
                        let v: Value = serde_json::from_str(&text).context("a WebSocket frame")?;
                        let kind = v["kind"].as_str().unwrap_or_default().to_owned();
                        return Ok(Some(Message {
                            kind,
                            data: v["data"].clone(),
                        }));
                    }
                    // Pings are answered by tungstenite as it reads.
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e.into()),
                }
            },
        }
    }

    /// Closes the stream politely (a WebSocket close frame; SSE just drops).
    pub async fn close(self) {
        if let Self::Ws(mut ws) = self {
            let _ = tokio::time::timeout(Duration::from_secs(2), SinkExt::close(&mut ws)).await;
        }
    }
}

/// One SSE block (lines up to a blank line): a message when it has an `event`
/// field, `None` for a comment-only block (the heartbeat, the closing notes).
fn parse_sse_block(block: &str) -> anyhow::Result<Option<Message>> {
    let mut kind = None;
    let mut data = String::new();
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            kind = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim_start());
        }
    }
    let Some(kind) = kind else {
        return Ok(None);
    };
    let data = serde_json::from_str(&data).with_context(|| format!("SSE {kind} data"))?;
    Ok(Some(Message { kind, data }))
}

/// What one subscriber saw.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// Every event seq in the order received (repeats kept).
    pub seqs: Vec<u64>,
    /// Fan-out latency of each event, µs.
    pub latencies_us: Vec<u64>,
    pub reconnects: u64,
    /// Why the first connection failed, when it did.
    pub connect_error: Option<String>,
}

/// The checks of one subscriber against the seqs its match's appends returned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Check {
    pub missed: u64,
    pub duplicates: u64,
    /// Seqs received that no append acknowledged (an append whose answer was lost).
    pub unacknowledged: u64,
}

impl Ledger {
    pub fn check(&self, appended: &BTreeSet<u64>) -> Check {
        let mut seen = BTreeSet::new();
        let mut duplicates = 0;
        for seq in &self.seqs {
            if !seen.insert(*seq) {
                duplicates += 1;
            }
        }
        Check {
            missed: appended.difference(&seen).count() as u64,
            duplicates,
            unacknowledged: seen.difference(appended).count() as u64,
        }
    }
}

/// Fan-out latency of an event message: its `at` → now, µs.
fn fanout_us(message: &Message) -> Option<u64> {
    let at = chrono::DateTime::parse_from_rfc3339(message.data["at"].as_str()?).ok()?;
    let us = (chrono::Utc::now() - at.with_timezone(&chrono::Utc)).num_microseconds()?;
    Some(us.max(1) as u64)
}

/// The RSS of the subscriber instance (with `--spawn`), before and after the
/// streams connected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rss {
    pub before_kb: u64,
    pub after_kb: u64,
    /// (after − before) / connected streams, in KiB.
    pub per_connection_kb: f64,
}

/// The whole result of a `--subscribers` run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamReport {
    pub transport: String,
    pub subscribers: u64,
    pub matches: u64,
    pub event_rate: f64,
    pub duration_secs: f64,
    /// Where the events were posted and where the subscribers were.
    pub post_urls: Vec<String>,
    pub subscriber_urls: Vec<String>,
    pub connected: u64,
    pub connect_failures: u64,
    /// Seconds until every stream was open.
    pub connect_secs: f64,
    pub events_appended: u64,
    /// Appends that did not answer 202, by `<status> <code>` or `transport: …`.
    pub append_failures: HashMap<String, u64>,
    /// Event messages received, all subscribers.
    pub received: u64,
    pub missed: u64,
    pub duplicates: u64,
    pub unacknowledged: u64,
    pub subscribers_with_missed: u64,
    pub subscribers_with_duplicates: u64,
    pub reconnects: u64,
    /// Append (`at`, the store's clock) → parsed by the subscriber.
    pub fanout_ms: Latency,
    pub rss: Option<Rss>,
    pub spawned_with_rabbitmq: Option<bool>,
    pub breaches: Vec<String>,
    pub passed: bool,
}

impl StreamReport {
    fn judge(&mut self, max_p99_ms: Option<f64>) {
        self.breaches.clear();
        if self.connect_failures > 0 {
            self.breaches.push(format!(
                "{} of {} streams could not connect",
                self.connect_failures, self.subscribers
            ));
        }
        if self.missed > 0 {
            self.breaches.push(format!(
                "missed {} events ({} subscribers)",
                self.missed, self.subscribers_with_missed
            ));
        }
        if self.duplicates > 0 {
            self.breaches.push(format!(
                "duplicated {} events ({} subscribers)",
                self.duplicates, self.subscribers_with_duplicates
            ));
        }
        if let Some(max) = max_p99_ms {
            if self.fanout_ms.p99 > max {
                self.breaches.push(format!(
                    "fan-out p99 {:.1} ms > --max-p99-ms {max}",
                    self.fanout_ms.p99
                ));
            }
        }
        self.passed = self.breaches.is_empty();
    }

    /// The table printed for people.
    pub fn table(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\nHerald stream load test — {} subscribers over {} ({}), {} matches, {:.0} events/s for {:.1} s{}",
            self.subscribers,
            self.transport,
            self.subscriber_urls.join(", "),
            self.matches,
            self.event_rate,
            self.duration_secs,
            match self.spawned_with_rabbitmq {
                Some(true) => ", local stack with RabbitMQ fan-out",
                Some(false) => ", local stack in embedded mode (log polling)",
                None => "",
            }
        );
        let row = |out: &mut String, k: &str, v: String| row(out, 28, k, v);
        row(
            &mut out,
            "connected",
            format!(
                "{} in {:.1} s ({} failed)",
                self.connected, self.connect_secs, self.connect_failures
            ),
        );
        row(
            &mut out,
            "events appended",
            self.events_appended.to_string(),
        );
        for (reason, n) in &self.append_failures {
            row(
                &mut out,
                &format!("  append failed: {reason}"),
                n.to_string(),
            );
        }
        row(
            &mut out,
            "event messages received",
            self.received.to_string(),
        );
        row(
            &mut out,
            "missed",
            format!(
                "{} ({} subscribers)",
                self.missed, self.subscribers_with_missed
            ),
        );
        row(
            &mut out,
            "duplicated",
            format!(
                "{} ({} subscribers)",
                self.duplicates, self.subscribers_with_duplicates
            ),
        );
        if self.unacknowledged > 0 {
            row(
                &mut out,
                "received, not acknowledged",
                self.unacknowledged.to_string(),
            );
        }
        row(&mut out, "reconnects", self.reconnects.to_string());
        if let Some(rss) = self.rss {
            row(
                &mut out,
                "subscriber API RSS",
                format!(
                    "{} KiB → {} KiB: {:.1} KiB per connection",
                    rss.before_kb, rss.after_kb, rss.per_connection_kb
                ),
            );
        }
        latency_table(
            &mut out,
            28,
            "fan-out latency (ms)",
            &[("append → received", &self.fanout_ms)],
        );
        verdict(&mut out, self.passed, &self.breaches);
        out
    }
}

/// Runs `--subscribers` (and the local stack with `--spawn`).
pub async fn run(args: &Args, stop: watch::Receiver<bool>) -> anyhow::Result<StreamReport> {
    let subscribers = args.subscribers.unwrap_or(0);
    anyhow::ensure!(subscribers > 0, "--subscribers must be at least 1");
    anyhow::ensure!(
        args.event_rate >= 0.0 && args.event_rate.is_finite(),
        "--event-rate must be 0 or more"
    );
    raise_fd_limit(subscribers)?;
    let stack = if args.spawn {
        // Room for every stream, and the connections around them.
        let room = (u64::from(subscribers) + 1024).to_string();
        let env = [
            ("STREAM_MAX_CONNECTIONS".to_owned(), room.clone()),
            ("MAX_CONNECTIONS".to_owned(), room),
        ];
        Some(Stack::start_with(args, &env).await?)
    } else {
        None
    };
    let result = drive(args, stack.as_ref(), stop).await;
    if let Some(stack) = stack {
        stack.stop().await;
    }
    result
}

/// Raises the soft RLIMIT_NOFILE towards the hard one when N streams need more
/// (spawned API processes inherit it).
fn raise_fd_limit(subscribers: u32) -> anyhow::Result<()> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let need = u64::from(subscribers) + 1024;
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).context("reading RLIMIT_NOFILE")?;
    if soft >= need {
        return Ok(());
    }
    let target = need.min(hard);
    setrlimit(Resource::RLIMIT_NOFILE, target, hard).context("raising RLIMIT_NOFILE")?;
    if target < need {
        tracing::warn!(
            soft = target,
            need,
            "the hard open-file limit is below what the streams need; raise it (ulimit -Hn)"
        );
    }
    Ok(())
}

struct Shared {
    http: reqwest::Client,
    transport: Transport,
    key: String,
    subscriber_urls: Vec<String>,
    /// Event messages received so far, all subscribers (for the progress bar).
    received: AtomicU64,
    reconnects: AtomicU64,
    connected: AtomicU64,
}

async fn drive(
    args: &Args,
    stack: Option<&Stack>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<StreamReport> {
    let (urls, key) = match stack {
        Some(s) => (s.api_urls(), s.api_key().to_owned()),
        None => (
            args.url.clone(),
            args.api_key.clone().ok_or_else(|| {
                anyhow::anyhow!("--api-key (or HERALD_API_KEY) is required without --spawn")
            })?,
        ),
    };
    anyhow::ensure!(!urls.is_empty(), "no API URL");
    // Posts go to the first instance, streams to the others (or the only one).
    let post_url = urls[0].clone();
    let subscriber_urls: Vec<String> = if urls.len() > 1 {
        urls[1..].to_vec()
    } else {
        urls.clone()
    };
    let subscribers = u64::from(args.subscribers.unwrap_or(0));
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(256)
        .build()?;
    let posting = reqwest::Client::builder()
        .timeout(args.request_timeout)
        .pool_max_idle_per_host(256)
        .build()?;

    let lifetime = args.duration + args.grace + Duration::from_secs(120);
    let mut match_ids = Vec::new();
    for _ in 0..args.matches {
        match_ids.push(create_match(&posting, &post_url, &key, lifetime).await?);
    }

    let shared = Arc::new(Shared {
        http,
        transport: args.transport,
        key: key.clone(),
        subscriber_urls: subscriber_urls.clone(),
        received: AtomicU64::new(0),
        reconnects: AtomicU64::new(0),
        connected: AtomicU64::new(0),
    });
    let rss_pid = stack.and_then(|s| s.api_pid(s.api_urls().len().saturating_sub(1)));
    let rss_before = rss_pid.and_then(rss_kb);

    // Phase 1: every stream opens before the first event.
    let bar = crate::progress_bar(args, subscribers);
    bar.set_prefix("connect");
    let (finish_tx, finish_rx) = watch::channel(false);
    let gate = Arc::new(Semaphore::new(CONNECT_CONCURRENCY));
    // The highest seq each subscriber has received.
    let seen: Arc<Vec<AtomicU64>> = Arc::new((0..subscribers).map(|_| AtomicU64::new(0)).collect());
    let mut tasks = Vec::new();
    let mut ready = Vec::new();
    let connect_started = Instant::now();
    for i in 0..subscribers as usize {
        let m = i % match_ids.len();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        ready.push(ready_rx);
        tasks.push((
            m,
            tokio::spawn(subscriber(
                shared.clone(),
                i,
                match_ids[m].clone(),
                gate.clone(),
                ready_tx,
                finish_rx.clone(),
                seen.clone(),
                args.self_check_skip,
            )),
        ));
    }
    let ticker = {
        let (bar, shared) = (bar.clone(), shared.clone());
        tokio::spawn(async move {
            loop {
                bar.set_position(shared.connected.load(Ordering::Relaxed));
                bar.set_message(format!(
                    "{} messages received · {} reconnects",
                    shared.received.load(Ordering::Relaxed),
                    shared.reconnects.load(Ordering::Relaxed)
                ));
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    for r in ready {
        let _ = r.await;
    }
    let connect_secs = connect_started.elapsed().as_secs_f64();
    let connected = shared.connected.load(Ordering::SeqCst);
    // Let the instance settle before reading its memory.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss = match (rss_before, rss_pid.and_then(rss_kb)) {
        (Some(before_kb), Some(after_kb)) if connected > 0 => Some(Rss {
            before_kb,
            after_kb,
            per_connection_kb: after_kb.saturating_sub(before_kb) as f64 / connected as f64,
        }),
        _ => None,
    };

    // Phase 2: events at the rate for the duration.
    let appended: Arc<Mutex<Vec<BTreeSet<u64>>>> =
        Arc::new(Mutex::new(vec![BTreeSet::new(); match_ids.len()]));
    let failures: Arc<Mutex<HashMap<String, u64>>> = Arc::default();
    let total_events = (args.event_rate * args.duration.as_secs_f64()).round() as u64;
    bar.set_prefix("events");
    bar.set_length(total_events);
    bar.set_position(0);
    ticker.abort();
    let ticker = {
        let (bar, shared, appended) = (bar.clone(), shared.clone(), appended.clone());
        tokio::spawn(async move {
            loop {
                let n: usize = lock(&appended).iter().map(BTreeSet::len).sum();
                bar.set_position(n as u64);
                bar.set_message(format!(
                    "{} messages received · {} reconnects",
                    shared.received.load(Ordering::Relaxed),
                    shared.reconnects.load(Ordering::Relaxed)
                ));
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    let send_started = Instant::now();
    let mut posts = Vec::new();
    if total_events > 0 {
        let interval = Duration::from_secs_f64(1.0 / args.event_rate);
        for n in 0..total_events {
            let due = send_started + interval.mul_f64(n as f64);
            tokio::select! {
                _ = tokio::time::sleep_until(due.into()) => {}
                _ = stop.changed() => break,
            }
            let m = (n as usize) % match_ids.len();
            let (client, url, key, id) = (
                posting.clone(),
                post_url.clone(),
                key.clone(),
                match_ids[m].clone(),
            );
            let (appended, failures) = (appended.clone(), failures.clone());
            posts.push(tokio::spawn(async move {
                match append(&client, &url, &key, &id, n).await {
                    Ok(seq) => {
                        lock(&appended)[m].insert(seq);
                    }
                    Err(reason) => *lock(&failures).entry(reason).or_default() += 1,
                }
            }));
        }
    } else {
        tokio::select! {
            _ = tokio::time::sleep(args.duration) => {}
            _ = stop.changed() => {}
        }
    }
    for p in posts {
        let _ = p.await;
    }
    let duration_secs = send_started.elapsed().as_secs_f64();

    // Phase 3: wait until every subscriber has the last seq of its match.
    bar.set_prefix("draining");
    let last: Vec<u64> = lock(&appended)
        .iter()
        .map(|s| s.last().copied().unwrap_or(0))
        .collect();
    let deadline = Instant::now() + args.grace;
    while Instant::now() < deadline && !*stop.borrow() {
        let behind = tasks
            .iter()
            .enumerate()
            .filter(|(i, (m, _))| seen[*i].load(Ordering::SeqCst) < last[*m])
            .count();
        if behind == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = finish_tx.send(true);
    let mut ledgers = Vec::new();
    for (m, task) in tasks {
        ledgers.push((m, task.await.unwrap_or_default()));
    }
    ticker.abort();
    bar.finish_and_clear();

    let appended = lock(&appended).clone();
    let mut report = StreamReport {
        transport: args.transport.as_str().to_owned(),
        subscribers,
        matches: match_ids.len() as u64,
        event_rate: args.event_rate,
        duration_secs,
        post_urls: vec![post_url],
        subscriber_urls,
        connected,
        connect_failures: subscribers.saturating_sub(connected),
        connect_secs,
        events_appended: appended.iter().map(|s| s.len() as u64).sum(),
        append_failures: lock(&failures).clone(),
        rss,
        spawned_with_rabbitmq: stack.map(Stack::uses_rabbitmq),
        ..StreamReport::default()
    };
    let mut histogram = micros_histogram()?;
    for (m, ledger) in &ledgers {
        if ledger.connect_error.is_some() {
            continue;
        }
        let check = ledger.check(&appended[*m]);
        report.received += ledger.seqs.len() as u64;
        report.missed += check.missed;
        report.duplicates += check.duplicates;
        report.unacknowledged += check.unacknowledged;
        report.subscribers_with_missed += u64::from(check.missed > 0);
        report.subscribers_with_duplicates += u64::from(check.duplicates > 0);
        report.reconnects += ledger.reconnects;
        for us in &ledger.latencies_us {
            histogram.saturating_record(*us);
        }
    }
    if let Some((_, ledger)) = ledgers.iter().find(|(_, l)| l.connect_error.is_some()) {
        tracing::warn!(
            error = ledger.connect_error.as_deref().unwrap_or_default(),
            "a stream could not connect"
        );
    }
    report.fanout_ms = Latency::from_micros(&histogram);
    report.judge(args.max_p99_ms);
    Ok(report)
}

async fn create_match(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    lifetime: Duration,
) -> anyhow::Result<String> {
    let body = json!({
        "type": "scoreboard",
        "players": [
            {"id": "p0", "notify": {"channel": "log", "recipient": {"address": "p0"}}},
            {"id": "p1", "notify": {"channel": "log", "recipient": {"address": "p1"}}}
        ],
        "durationSec": lifetime.as_secs().max(60)
    });
    let url = format!("{}/v1/matches", base.trim_end_matches('/'));
    let response = http
        .post(&url)
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    let status = response.status();
    let v: Value = response.json().await.unwrap_or(Value::Null);
    anyhow::ensure!(status.as_u16() == 202, "POST {url} answered {status}: {v}");
    v["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("POST {url}: no id in {v}"))
}

/// Appends one score event; its seq, or the reason it failed.
async fn append(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    id: &str,
    n: u64,
) -> Result<u64, String> {
    let url = format!("{}/v1/matches/{id}/events", base.trim_end_matches('/'));
    let body = json!({"type": "score", "playerId": format!("p{}", n % 2), "points": 1});
    let response = http
        .post(&url)
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("transport: {}", crate::generator::error_kind(&e)))?;
    let status = response.status().as_u16();
    let v: Value = response.json().await.unwrap_or(Value::Null);
    match (status, v["seq"].as_u64()) {
        (202, Some(seq)) => Ok(seq),
        _ => Err(format!(
            "{status} {}",
            v["error"]["code"].as_str().unwrap_or("unknown")
        )),
    }
}

/// One subscriber: connects (reporting on `ready`), then records every event until
/// `finish`, resuming from its last seq whenever the stream ends early.
#[allow(clippy::too_many_arguments)]
async fn subscriber(
    shared: Arc<Shared>,
    index: usize,
    match_id: String,
    gate: Arc<Semaphore>,
    ready: tokio::sync::oneshot::Sender<()>,
    mut finish: watch::Receiver<bool>,
    seen: Arc<Vec<AtomicU64>>,
    skip: u64,
) -> Ledger {
    let mut ledger = Ledger::default();
    let urls = &shared.subscriber_urls;
    let mut attempt = index;
    // `skip` > 0 is the checker's self-test: the stream starts past seq `skip`, so
    // the server never sends the first events and the run must report them missed.
    let mut last = skip;
    // The stream after `after`, on the instance this attempt takes its turn on.
    let connect = |attempt: usize, after: u64| {
        Stream::connect(
            &shared.http,
            shared.transport,
            &urls[attempt % urls.len()],
            &match_id,
            &shared.key,
            after,
        )
    };
    let first = {
        let _permit = gate.acquire().await;
        connect(attempt, last).await
    };
    let mut stream = match first {
        Ok(s) => {
            shared.connected.fetch_add(1, Ordering::Relaxed);
            let _ = ready.send(());
            s
        }
        Err(e) => {
            ledger.connect_error = Some(format!("{e:#}"));
            let _ = ready.send(());
            return ledger;
        }
    };
    let mut ended = false;
    loop {
        let next = tokio::select! {
            n = stream.next() => n,
            _ = finish.changed() => break,
        };
        match next {
            Ok(Some(message)) => {
                if let Some(seq) = message.seq() {
                    if let Some(us) = fanout_us(&message) {
                        ledger.latencies_us.push(us);
                    }
                    ledger.seqs.push(seq);
                    last = last.max(seq);
                    seen[index].fetch_max(seq, Ordering::SeqCst);
                    shared.received.fetch_add(1, Ordering::Relaxed);
                } else if message.kind == "ended" {
                    ended = true;
                }
            }
            Ok(None) if ended => break,
            Ok(None) | Err(_) => {
                // Resume from the last seq, on the next instance.
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(RECONNECT_DELAY) => {}
                        _ = finish.changed() => return ledger,
                    }
                    attempt += 1;
                    ledger.reconnects += 1;
                    shared.reconnects.fetch_add(1, Ordering::Relaxed);
                    if let Ok(s) = connect(attempt, last).await {
                        stream = s;
                        break;
                    }
                }
            }
        }
    }
    stream.close().await;
    ledger
}

/// A process's resident set (VmRSS), KiB.
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_counts_missed_duplicated_and_unacknowledged_seqs() {
        let appended: BTreeSet<u64> = (1..=5).collect();
        let ledger = |seqs: &[u64]| Ledger {
            seqs: seqs.to_vec(),
            ..Ledger::default()
        };
        assert_eq!(ledger(&[1, 2, 3, 4, 5]).check(&appended), Check::default());
        assert_eq!(
            ledger(&[1, 2, 4, 5]).check(&appended),
            Check {
                missed: 1,
                ..Check::default()
            }
        );
        assert_eq!(
            ledger(&[1, 2, 3, 3, 4, 5, 5, 6]).check(&appended),
            Check {
                missed: 0,
                duplicates: 2,
                unacknowledged: 1
            }
        );
        assert_eq!(ledger(&[]).check(&appended).missed, 5);
    }

    #[test]
    fn sse_blocks_parse_into_messages_and_comments_are_skipped() {
        let m = parse_sse_block("event: event\nid: 3\ndata: {\"seq\":3}\n\n")
            .unwrap()
            .unwrap();
        assert_eq!(m.kind, "event");
        assert_eq!(m.seq(), Some(3));
        assert_eq!(parse_sse_block(": heartbeat\n\n").unwrap(), None);
        assert!(parse_sse_block("event: state\ndata: {not json\n\n").is_err());
        let state = parse_sse_block("event: state\ndata: {\"seq\":3}\n\n")
            .unwrap()
            .unwrap();
        assert_eq!(state.seq(), None, "only event messages carry a seq");
    }

    #[test]
    fn a_breach_of_any_check_fails_the_run() {
        let mut r = StreamReport::default();
        r.judge(None);
        assert!(r.passed);
        r.duplicates = 1;
        r.judge(None);
        assert!(!r.passed);
        r.duplicates = 0;
        r.fanout_ms.p99 = 80.0;
        r.judge(Some(50.0));
        assert!(!r.passed, "{:?}", r.breaches);
        r.judge(Some(100.0));
        assert!(r.passed);
    }
}
