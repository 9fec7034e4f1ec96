//! `--chaos`: every fault at once, under load, with a checker that counts every job.
//!
//! The run spawns a local Herald (2 API processes, 3 workers, RabbitMQ, SQLite or
//! `--mongodb-uri`) and sends notifications at a steady rate with mixed priorities,
//! each with an `Idempotency-Key`, to two webhook receivers of its own, while 3 live
//! matches take score events. On a schedule drawn from `--seed` it injects:
//!
//! - kill -9 of a random worker every ~20 s, restarted a few seconds later;
//! - SIGSTOP of a worker for longer than its lease, then SIGCONT: its stale writes
//!   must be refused by fencing (`herald_lease_lost_total`);
//! - kill -9 of an API process mid-traffic, restarted: clients retry on the other
//!   one with the same `Idempotency-Key`;
//! - the broker closing every connection of the stack, and once a full broker stop
//!   and start (`rabbitmqctl stop_app` / `start_app`; `--no-broker-restart` skips it);
//! - a store outage: SQLite's write lock held for 10 s (SQLite only);
//! - one receiver failing 20 % of deliveries (500, 429, or a reply slower than the
//!   workers' webhook timeout), and the other dying for 30 s;
//! - poison messages published straight to the work queues, and duplicate
//!   publishes of real job ids.
//!
//! The checker's ledger holds every request and answer, every delivery the
//! receivers saw (job id, idempotency key, attempt, signature) and every match event
//! acknowledged. After a bounded grace it reports what was accepted, delivered,
//! lost, duplicated, stuck and fenced, checks each match against its own log, and
//! compares p99 latency in calm and under faults. Any loss, any duplicate that did
//! not carry the same key, any stuck job or any match mismatch fails the run.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use hdrhistogram::Histogram;
use herald_core::signature::HeraldSignature;
use nix::sys::signal::Signal;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::report::micros_histogram;
use crate::stack::{Stack, StackControl};
use crate::Args;

/// The workers' webhook timeout in the run; a "slow" reply takes longer.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(2);
/// Attempts each notification may take (receivers fail on purpose).
const MAX_ATTEMPTS: u32 = 12;
/// How long a client keeps retrying one request before it gives up.
const CLIENT_DEADLINE: Duration = Duration::from_secs(60);
/// After a fault ends, latency still counts as "under faults" for this long.
const SETTLE: Duration = Duration::from_secs(5);
const MATCHES: usize = 3;
const PLAYERS: usize = 4;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---------------------------------------------------------------------------
// The ledger

#[derive(Debug, Default)]
struct Notification {
    scheduled: Option<Instant>,
    /// Every job id an API answered for this notification's key (one, if
    /// idempotency holds).
    job_ids: BTreeSet<String>,
    answered: bool,
}

#[derive(Debug, Default)]
struct Deliveries {
    /// Successful (200) deliveries per job id: (attempt header, signature ok).
    by_job: HashMap<String, Vec<(u32, bool)>>,
    /// Job ids delivered per notification number.
    by_notification: HashMap<u64, BTreeSet<String>>,
    /// First successful delivery per notification.
    first: HashMap<u64, Instant>,
    /// Result notifications: (match, player) → job ids delivered.
    results: HashMap<(usize, String), BTreeSet<String>>,
    refused_on_purpose: u64,
    bad_signatures: u64,
}

#[derive(Debug, Default)]
struct MatchLedger {
    id: Option<String>,
    /// Points of every event whose append was acknowledged, by its seq.
    acknowledged: BTreeMap<u64, i64>,
    sent: u64,
}

#[derive(Debug)]
struct Ledger {
    notifications: HashMap<u64, Notification>,
    deliveries: Deliveries,
    matches: Vec<MatchLedger>,
    rejected: BTreeMap<String, u64>,
    retries: u64,
    faults: Vec<FaultRecord>,
    /// (start, end) of every fault window.
    windows: Vec<(Instant, Instant)>,
    lease_lost: HashMap<String, u64>,
}

type Shared = Arc<Mutex<Ledger>>;

#[derive(Debug, Clone, Serialize)]
pub struct FaultRecord {
    /// Seconds into the run.
    pub at_secs: f64,
    pub fault: String,
}

// ---------------------------------------------------------------------------
// The receivers

#[derive(Clone)]
struct Receiver {
    ledger: Shared,
    secret: Vec<u8>,
    /// Share of deliveries refused on purpose (500, 429, or too slow).
    flaky: f64,
    rng: Arc<Mutex<StdRng>>,
}

async fn receive(
    State(r): State<Receiver>,
    UrlPath((what, a, b)): UrlPath<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let signed =
        HeraldSignature::verify(&r.secret, &body, &header(HeraldSignature::HEADER)).is_ok();
    if !signed {
        lock(&r.ledger).deliveries.bad_signatures += 1;
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let roll: f64 = lock(&r.rng).gen();
    if roll < r.flaky {
        lock(&r.ledger).deliveries.refused_on_purpose += 1;
        let third = r.flaky / 3.0;
        return if roll < third {
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        } else if roll < 2.0 * third {
            (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")]).into_response()
        } else {
            tokio::time::sleep(WEBHOOK_TIMEOUT + Duration::from_millis(500)).await;
            StatusCode::OK.into_response()
        };
    }
    let job = header("idempotency-key");
    let attempt: u32 = header("x-herald-attempt").parse().unwrap_or(0);
    let now = Instant::now();
    let mut l = lock(&r.ledger);
    l.deliveries
        .by_job
        .entry(job.clone())
        .or_default()
        .push((attempt, signed));
    match what.as_str() {
        "n" => {
            if let Ok(n) = a.parse::<u64>() {
                l.deliveries
                    .by_notification
                    .entry(n)
                    .or_default()
                    .insert(job);
                l.deliveries.first.entry(n).or_insert(now);
            }
        }
        "result" => {
            if let Ok(m) = a.parse::<usize>() {
                l.deliveries.results.entry((m, b)).or_default().insert(job);
            }
        }
        _ => {}
    }
    StatusCode::OK.into_response()
}

/// A receiver on a fixed address that can die (its listener closed) and come back.
struct ReceiverServer {
    addr: SocketAddr,
    app: Router,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl ReceiverServer {
    async fn start(receiver: Receiver) -> anyhow::Result<Self> {
        let app = Router::new()
            .route("/{what}/{a}/{b}", post(receive))
            .with_state(receiver);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut server = Self {
            addr,
            app,
            stop: None,
            task: None,
        };
        server.serve(listener);
        Ok(server)
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = self.app.clone();
        self.task = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        }));
        self.stop = Some(stop);
    }

    async fn die(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    async fn revive(&mut self) -> anyhow::Result<()> {
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        self.serve(listener);
        Ok(())
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

// ---------------------------------------------------------------------------
// Clients

#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    urls: Vec<String>,
    key: String,
    ledger: Shared,
}

enum Answer {
    /// 2xx with its body.
    Ok(Value),
    /// A 4xx that retrying cannot change.
    Refused(u16, String),
    /// No answer within the client deadline.
    GaveUp,
}

impl Client {
    /// POSTs `body` with `key`, starting at API `first` and moving to the next one on
    /// every failure (connection error, timeout, 5xx, 429), with backoff, until an
    /// answer or [`CLIENT_DEADLINE`].
    async fn post(&self, path: &str, body: &Value, key: &str, first: usize) -> Answer {
        let deadline = Instant::now() + CLIENT_DEADLINE;
        let mut backoff = Duration::from_millis(100);
        let mut i = first;
        loop {
            let url = format!("{}{path}", self.urls[i % self.urls.len()]);
            let sent = self
                .http
                .post(url)
                .bearer_auth(&self.key)
                .header("idempotency-key", key)
                .json(body)
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => {
                    return Answer::Ok(r.json().await.unwrap_or(Value::Null));
                }
                Ok(r)
                    if r.status().is_client_error()
                        && r.status() != StatusCode::TOO_MANY_REQUESTS
                        && r.status() != StatusCode::REQUEST_TIMEOUT =>
                {
                    let status = r.status().as_u16();
                    let text = r.text().await.unwrap_or_default();
                    return Answer::Refused(status, text);
                }
                _ => {}
            }
            if Instant::now() + backoff > deadline {
                return Answer::GaveUp;
            }
            lock(&self.ledger).retries += 1;
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
            i += 1;
        }
    }
}

// ---------------------------------------------------------------------------
// The run

/// What `--chaos` reports.
#[derive(Debug, Serialize)]
pub struct ChaosReport {
    pub seed: u64,
    pub store: String,
    pub duration_secs: f64,
    pub rate: f64,
    pub sent: u64,
    pub accepted: u64,
    pub unanswered: u64,
    pub rejected: BTreeMap<String, u64>,
    pub client_retries: u64,
    pub delivered: u64,
    pub dead_with_reason: u64,
    pub lost: Vec<String>,
    /// What the store says of the first lost jobs.
    pub lost_details: Vec<String>,
    /// Jobs delivered more than once: all carried their job id as idempotency key.
    pub duplicate_deliveries_same_key: u64,
    /// Attempt numbers of those duplicates (first few).
    pub duplicate_attempts: Vec<Vec<u32>>,
    /// Notifications delivered under two different job ids (idempotency broken).
    pub duplicates_without_same_key: u64,
    /// Notifications one key got two job ids for.
    pub keys_with_two_jobs: u64,
    pub bad_signatures: u64,
    pub refused_on_purpose: u64,
    pub stuck: Vec<String>,
    pub fencing_rejections: u64,
    pub matches: Vec<MatchCheck>,
    pub p99_calm_ms: Option<f64>,
    pub p99_faults_ms: Option<f64>,
    pub p50_calm_ms: Option<f64>,
    pub faults: Vec<FaultRecord>,
    pub failures: Vec<String>,
    pub passed: bool,
}

#[derive(Debug, Serialize)]
pub struct MatchCheck {
    pub id: String,
    pub status: String,
    pub events_acknowledged: usize,
    pub events_in_log: usize,
    pub applied_seq: u64,
    pub last_seq: u64,
    /// Every log event's points appear once (each client event applied once).
    pub events_once: bool,
    /// Every acknowledged event is in the log, with its points.
    pub acknowledged_in_log: bool,
    /// The final state equals the state folded from the log.
    pub state_matches_log: bool,
    /// Players with exactly one result notification delivered.
    pub players_with_one_result: usize,
    pub players: usize,
    pub ok: bool,
}

impl ChaosReport {
    pub fn table(&self) -> String {
        let ms = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
        let mut t = format!(
            "\nHerald chaos run — seed {}, {} store, {:.0} s at {}/s\n",
            self.seed, self.store, self.duration_secs, self.rate
        );
        let rows = [
            ("sent", self.sent.to_string()),
            ("accepted", self.accepted.to_string()),
            ("unanswered (gave up)", self.unanswered.to_string()),
            ("client retries", self.client_retries.to_string()),
            ("delivered", self.delivered.to_string()),
            ("dead, with a reason", self.dead_with_reason.to_string()),
            ("LOST", self.lost.len().to_string()),
            (
                "duplicates, same key",
                self.duplicate_deliveries_same_key.to_string(),
            ),
            (
                "DUPLICATES, other key",
                self.duplicates_without_same_key.to_string(),
            ),
            ("keys answered twice", self.keys_with_two_jobs.to_string()),
            ("STUCK past lease", self.stuck.len().to_string()),
            ("fencing rejections", self.fencing_rejections.to_string()),
            ("refused on purpose", self.refused_on_purpose.to_string()),
            ("bad signatures", self.bad_signatures.to_string()),
            (
                "p50 / p99 calm (ms)",
                format!("{} / {}", ms(self.p50_calm_ms), ms(self.p99_calm_ms)),
            ),
            ("p99 under faults (ms)", ms(self.p99_faults_ms)),
        ];
        for (k, v) in rows {
            t.push_str(&format!("  {k:<24} {v}\n"));
        }
        for m in &self.matches {
            t.push_str(&format!(
                "  match {}  {}  events {} acked / {} in log, applied {}/{}, once {}, log {}, state {}, results {}/{}\n",
                &m.id[..8.min(m.id.len())],
                m.status,
                m.events_acknowledged,
                m.events_in_log,
                m.applied_seq,
                m.last_seq,
                m.events_once,
                m.acknowledged_in_log,
                m.state_matches_log,
                m.players_with_one_result,
                m.players,
            ));
        }
        t.push_str("\n  faults:\n");
        for f in &self.faults {
            t.push_str(&format!("    {:>6.1} s  {}\n", f.at_secs, f.fault));
        }
        if self.passed {
            t.push_str("\n  PASS\n");
        } else {
            t.push_str("\n  FAIL\n");
            for f in &self.failures {
                t.push_str(&format!("    - {f}\n"));
            }
            for d in &self.lost_details {
                t.push_str(&format!("      lost: {d}\n"));
            }
        }
        t
    }
}

/// Runs the chaos check. `stop` turns true on Ctrl-C: sending stops early, and the
/// checker still reports on what was sent.
pub async fn run(args: &Args, stop: watch::Receiver<bool>) -> anyhow::Result<ChaosReport> {
    let seed = args.seed.unwrap_or_else(|| rand::thread_rng().gen());
    tracing::info!(seed, "chaos run");
    let mut stack_args = args.clone();
    stack_args.apis = 2;
    stack_args.workers = 3;
    stack_args.backlog = None;
    let extra = vec![
        (
            "WEBHOOK_TIMEOUT_MS".to_owned(),
            WEBHOOK_TIMEOUT.as_millis().to_string(),
        ),
        ("RETRY_BASE_MS".to_owned(), "200".to_owned()),
        ("RETRY_MAX_MS".to_owned(), "3000".to_owned()),
        ("POLL_INTERVAL_MS".to_owned(), "1000".to_owned()),
        // A receiver failing a fifth of its deliveries trips a breaker now and then
        // (5 retryable failures in a row); keep its open periods short, so the run
        // measures loss and recovery rather than the breaker's patience.
        ("BREAKER_OPEN_MS".to_owned(), "3000".to_owned()),
    ];
    let stack = Stack::start_with(&stack_args, &extra).await?;
    if !stack.uses_rabbitmq() {
        stack.stop().await;
        anyhow::bail!(
            "the chaos run needs RabbitMQ (its faults include the broker's); none answered \
             at --rabbitmq-url (default amqp://guest:guest@127.0.0.1:5672/%2f)"
        );
    }
    let result = drive(args, seed, &stack, stop).await;
    stack.stop().await;
    result
}

async fn drive(
    args: &Args,
    seed: u64,
    stack: &Stack,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<ChaosReport> {
    let mut rng = StdRng::seed_from_u64(seed);
    let ledger: Shared = Arc::new(Mutex::new(Ledger {
        notifications: HashMap::new(),
        deliveries: Deliveries::default(),
        matches: (0..MATCHES).map(|_| MatchLedger::default()).collect(),
        rejected: BTreeMap::new(),
        retries: 0,
        faults: Vec::new(),
        windows: Vec::new(),
        lease_lost: HashMap::new(),
    }));
    let secret = stack.webhook_secret().as_bytes().to_vec();
    let flaky = ReceiverServer::start(Receiver {
        ledger: ledger.clone(),
        secret: secret.clone(),
        flaky: 0.2,
        rng: Arc::new(Mutex::new(StdRng::seed_from_u64(seed ^ 0x5eed))),
    })
    .await?;
    let mortal = Arc::new(tokio::sync::Mutex::new(
        ReceiverServer::start(Receiver {
            ledger: ledger.clone(),
            secret,
            flaky: 0.0,
            rng: Arc::new(Mutex::new(StdRng::seed_from_u64(seed))),
        })
        .await?,
    ));
    let receivers = [flaky.url(), mortal.lock().await.url()];
    let client = Client {
        http: reqwest::Client::builder()
            .timeout(args.request_timeout)
            .pool_max_idle_per_host(256)
            .build()?,
        urls: stack.api_urls(),
        key: stack.api_key().to_owned(),
        ledger: ledger.clone(),
    };
    let run_id = format!("{seed:x}");
    let started = Instant::now();

    // The matches, before the traffic.
    let match_duration = args.duration + args.grace + Duration::from_secs(300);
    for m in 0..MATCHES {
        let players: Vec<Value> = (0..PLAYERS)
            .map(|p| {
                json!({"id": format!("p{p}"), "notify": {"channel": "webhook",
                    "recipient": {"address": format!("{}/result/{m}/p{p}", receivers[0])}}})
            })
            .collect();
        let body = json!({"type": "scoreboard", "players": players,
            "durationSec": match_duration.as_secs()});
        match client
            .post(
                "/v1/matches",
                &body,
                &format!("chaos-{run_id}-match-{m}"),
                m,
            )
            .await
        {
            Answer::Ok(v) => {
                lock(&ledger).matches[m].id = v["id"].as_str().map(str::to_owned);
            }
            Answer::Refused(s, t) => anyhow::bail!("creating match {m}: {s} {t}"),
            Answer::GaveUp => anyhow::bail!("creating match {m}: no answer"),
        }
    }

    let bar = crate::progress_bar(args, (args.rate * args.duration.as_secs_f64()) as u64);
    let faults = tokio::spawn(inject(
        stack.control(),
        ledger.clone(),
        mortal.clone(),
        StdRng::seed_from_u64(rng.gen()),
        args.duration,
        args.no_broker_restart,
        started,
    ));
    let watcher = tokio::spawn(watch_fencing(stack.control(), ledger.clone()));

    // The traffic: notifications at the rate, and a match event every ~100 ms.
    let interval = Duration::from_secs_f64(1.0 / args.rate);
    let total = (args.rate * args.duration.as_secs_f64()).round() as u64;
    let mut tasks = tokio::task::JoinSet::new();
    let mut next_event = started;
    let mut event_no = [0u64; MATCHES];
    for n in 0..total {
        if *stop.borrow() {
            break;
        }
        let due = started + interval.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        bar.set_position(n);
        let priority = match rng.gen_range(0..100) {
            0..=4 => "critical",
            5..=19 => "high",
            20..=89 => "normal",
            _ => "low",
        };
        let receiver = &receivers[usize::from(n % 2 == 1)];
        let body = json!({"channel": "webhook", "priority": priority,
            "recipient": {"address": format!("{receiver}/n/{n}/x")},
            "body": format!("chaos {n}"), "maxAttempts": MAX_ATTEMPTS});
        lock(&ledger).notifications.entry(n).or_default().scheduled = Some(due);
        let (task_client, task_ledger) = (client.clone(), ledger.clone());
        let key = format!("chaos-{run_id}-{n}");
        let first = n as usize;
        tasks.spawn(async move {
            let answer = task_client
                .post("/v1/notifications", &body, &key, first)
                .await;
            let mut l = lock(&task_ledger);
            match answer {
                Answer::Ok(v) => {
                    let entry = l.notifications.entry(n).or_default();
                    entry.answered = true;
                    if let Some(id) = v["id"].as_str() {
                        entry.job_ids.insert(id.to_owned());
                    }
                }
                Answer::Refused(status, _) => {
                    *l.rejected.entry(status.to_string()).or_default() += 1;
                }
                Answer::GaveUp => {}
            }
        });
        if Instant::now() >= next_event {
            next_event += Duration::from_millis(100);
            let m = rng.gen_range(0..MATCHES);
            event_no[m] += 1;
            let k = event_no[m];
            tasks.spawn(send_event(
                client.clone(),
                ledger.clone(),
                run_id.clone(),
                m,
                k,
            ));
        }
        while tasks.try_join_next().is_some() {}
    }
    let sent_for = started.elapsed();
    bar.set_prefix("settling");
    while tasks.join_next().await.is_some() {}
    faults.abort();
    let _ = faults.await;
    // Whatever fault was in progress is undone: every worker and API runs again.
    recover(stack, &mortal).await;

    // End the matches, then wait for deliveries, deaths and results.
    for m in 0..MATCHES {
        let id = lock(&ledger).matches[m].id.clone();
        if let Some(id) = id {
            let _ = client
                .post(
                    &format!("/v1/matches/{id}/events"),
                    &json!({"type": "end"}),
                    &format!("chaos-{run_id}-m{m}-end"),
                    m,
                )
                .await;
        }
    }
    bar.set_prefix("waiting");
    let deadline = Instant::now() + args.grace;
    let mut dead: BTreeMap<String, String> = BTreeMap::new();
    loop {
        let outstanding = outstanding(&ledger, &dead);
        if outstanding.is_empty() && results_done(&ledger) {
            break;
        }
        if Instant::now() >= deadline || *stop.borrow() {
            break;
        }
        for id in outstanding.iter().take(200) {
            if let Some(reason) = dead_reason(&client, id).await {
                dead.insert(id.clone(), reason);
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bar.finish_and_clear();
    watcher.abort();
    let lost = outstanding(&ledger, &dead);
    let mut lost_details = Vec::new();
    for id in lost.iter().take(10) {
        lost_details.push(job_summary(&client, id).await);
    }
    let stuck = stuck_jobs(&client).await;
    let matches = check_matches(stack, &client, &ledger).await;
    let report = summarize(
        args,
        seed,
        sent_for,
        &ledger,
        dead.len() as u64,
        lost,
        stuck,
        matches,
        lost_details,
    );
    drop(flaky);
    Ok(report)
}

// ---------------------------------------------------------------------------
// Match events

async fn send_event(client: Client, ledger: Shared, run_id: String, m: usize, k: u64) {
    let Some(id) = lock(&ledger).matches[m].id.clone() else {
        return;
    };
    lock(&ledger).matches[m].sent += 1;
    // The points identify the event: each client event has its own value.
    let points = i64::try_from(k).unwrap_or(i64::MAX);
    let player = format!("p{}", k % PLAYERS as u64);
    let body = json!({"type": "score", "playerId": player, "points": points});
    let key = format!("chaos-{run_id}-m{m}-e{k}");
    if let Answer::Ok(v) = client
        .post(
            &format!("/v1/matches/{id}/events"),
            &body,
            &key,
            m + k as usize,
        )
        .await
    {
        if let Some(seq) = v["seq"].as_u64() {
            lock(&ledger).matches[m].acknowledged.insert(seq, points);
        }
    }
}

// ---------------------------------------------------------------------------
// Faults

#[derive(Debug, Clone, Copy)]
enum Fault {
    KillWorker,
    StopWorker,
    KillApi,
    CloseConnections,
    RestartBroker,
    LockStore,
    ReceiverDies,
    Poison,
}

/// The schedule: a worker kill every 15–25 s, and each other fault once, at a
/// seeded point of its own share of the run.
fn schedule(
    rng: &mut StdRng,
    duration: Duration,
    sqlite: bool,
    broker: bool,
    restart: bool,
) -> Vec<(Duration, Fault)> {
    let mut plan = Vec::new();
    let mut t = Duration::from_secs(rng.gen_range(8..15));
    while t + Duration::from_secs(5) < duration {
        plan.push((t, Fault::KillWorker));
        t += Duration::from_secs(rng.gen_range(15..=25));
    }
    let at = |rng: &mut StdRng, lo: f64, hi: f64| duration.mul_f64(rng.gen_range(lo..hi));
    plan.push((at(rng, 0.10, 0.20), Fault::ReceiverDies));
    plan.push((at(rng, 0.20, 0.30), Fault::StopWorker));
    plan.push((at(rng, 0.35, 0.45), Fault::KillApi));
    if sqlite {
        plan.push((at(rng, 0.45, 0.55), Fault::LockStore));
    }
    if broker {
        plan.push((at(rng, 0.25, 0.35), Fault::CloseConnections));
        plan.push((at(rng, 0.30, 0.40), Fault::Poison));
        if restart {
            plan.push((at(rng, 0.60, 0.70), Fault::RestartBroker));
        }
    }
    plan.sort_by_key(|(t, _)| *t);
    plan
}

fn record(ledger: &Shared, started: Instant, from: Instant, to: Instant, fault: String) {
    tracing::info!(fault, "chaos");
    let mut l = lock(ledger);
    l.faults.push(FaultRecord {
        at_secs: from.saturating_duration_since(started).as_secs_f64(),
        fault,
    });
    l.windows.push((from, to + SETTLE));
}

async fn inject(
    ctl: StackControl,
    ledger: Shared,
    mortal: Arc<tokio::sync::Mutex<ReceiverServer>>,
    mut rng: StdRng,
    duration: Duration,
    no_broker_restart: bool,
    started: Instant,
) {
    let sqlite = ctl.is_sqlite();
    let plan = schedule(
        &mut rng,
        duration,
        sqlite,
        ctl.rabbitmq().is_some(),
        !no_broker_restart,
    );
    // Workers taken by a fault in progress are not picked by another.
    let busy: Arc<Mutex<BTreeSet<usize>>> = Arc::default();
    let mut running = tokio::task::JoinSet::new();
    for (offset, fault) in plan {
        tokio::time::sleep_until((started + offset).into()).await;
        let (ctl, ledger, busy, mortal) =
            (ctl.clone(), ledger.clone(), busy.clone(), mortal.clone());
        let seed: u64 = rng.gen();
        running.spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed);
            let from = Instant::now();
            let what = apply(fault, &ctl, &busy, &mortal, &mut rng).await;
            record(&ledger, started, from, Instant::now(), what);
        });
    }
    while running.join_next().await.is_some() {}
}

fn pick_worker(busy: &Mutex<BTreeSet<usize>>, workers: usize, rng: &mut StdRng) -> Option<usize> {
    let mut busy = lock(busy);
    let free: Vec<usize> = (0..workers).filter(|i| !busy.contains(i)).collect();
    if free.len() < 2 {
        return None; // always leave a worker alone
    }
    let i = free[rng.gen_range(0..free.len())];
    busy.insert(i);
    Some(i)
}

async fn apply(
    fault: Fault,
    ctl: &StackControl,
    busy: &Mutex<BTreeSet<usize>>,
    mortal: &tokio::sync::Mutex<ReceiverServer>,
    rng: &mut StdRng,
) -> String {
    match fault {
        Fault::KillWorker => {
            let Some(i) = pick_worker(busy, ctl.worker_count(), rng) else {
                return "kill -9 a worker: skipped (the others are busy with faults)".into();
            };
            ctl.signal_worker(i, Signal::SIGKILL);
            tokio::time::sleep(Duration::from_millis(rng.gen_range(2000..5000))).await;
            let restarted = ctl.restart_worker(i).await;
            lock(busy).remove(&i);
            match restarted {
                Ok(()) => format!("kill -9 worker-{i}, restarted"),
                Err(e) => format!("kill -9 worker-{i}; restart FAILED: {e:#}"),
            }
        }
        Fault::StopWorker => {
            let Some(i) = pick_worker(busy, ctl.worker_count(), rng) else {
                return "SIGSTOP a worker: skipped".into();
            };
            let held = ctl.lock_duration() + Duration::from_secs(3);
            ctl.signal_worker(i, Signal::SIGSTOP);
            tokio::time::sleep(held).await;
            ctl.signal_worker(i, Signal::SIGCONT);
            lock(busy).remove(&i);
            format!(
                "SIGSTOP worker-{i} for {:.0} s (past its lease), then SIGCONT",
                held.as_secs_f64()
            )
        }
        Fault::KillApi => {
            let i = rng.gen_range(0..ctl.api_count());
            ctl.signal_api(i, Signal::SIGKILL);
            tokio::time::sleep(Duration::from_secs(3)).await;
            match ctl.restart_api(i).await {
                Ok(()) => format!("kill -9 api-{i}, restarted"),
                Err(e) => format!("kill -9 api-{i}; restart FAILED: {e:#}"),
            }
        }
        Fault::CloseConnections => {
            let closed = close_connections(&ctl.pids()).await;
            format!("broker closed the stack's {closed} connections")
        }
        Fault::RestartBroker => {
            let stopped = rabbitmqctl(&["stop_app"]).await;
            tokio::time::sleep(Duration::from_secs(5)).await;
            let started = rabbitmqctl(&["start_app"]).await;
            format!("broker stop_app ({stopped}) for 5 s, start_app ({started})")
        }
        Fault::LockStore => match hold_write_lock(ctl.db_path(), Duration::from_secs(10)).await {
            Ok(()) => "SQLite write lock held for 10 s".into(),
            Err(e) => format!("SQLite write lock FAILED: {e:#}"),
        },
        Fault::ReceiverDies => {
            mortal.lock().await.die().await;
            tokio::time::sleep(Duration::from_secs(30)).await;
            match mortal.lock().await.revive().await {
                Ok(()) => "receiver B dead for 30 s".into(),
                Err(e) => format!("receiver B dead; revive FAILED: {e:#}"),
            }
        }
        Fault::Poison => match poison(ctl).await {
            Ok(n) => format!("published {n} poison messages and duplicate job ids"),
            Err(e) => format!("poison publish FAILED: {e:#}"),
        },
    }
}

async fn rabbitmqctl(args: &[&str]) -> String {
    match tokio::process::Command::new("rabbitmqctl")
        .args(args)
        .output()
        .await
    {
        Ok(out) if out.status.success() => "ok".into(),
        Ok(out) => format!("failed: {}", String::from_utf8_lossy(&out.stderr).trim()),
        Err(e) => format!("failed: {e}"),
    }
}

/// Closes, from the broker's side, every connection the stack's processes hold
/// (their client properties carry `herald-<pid>`). Other clients of the broker are
/// left alone.
async fn close_connections(pids: &[u32]) -> usize {
    let Ok(out) = tokio::process::Command::new("rabbitmqctl")
        .args([
            "list_connections",
            "-q",
            "--no-table-headers",
            "pid",
            "client_properties",
        ])
        .output()
        .await
    else {
        return 0;
    };
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut closed = 0;
    for line in text.lines() {
        if !pids.iter().any(|p| line.contains(&format!("herald-{p}"))) {
            continue;
        }
        let Some(pid) = line.split_whitespace().next() else {
            continue;
        };
        if rabbitmqctl(&["close_connection", pid, "chaos: connection killed"]).await == "ok" {
            closed += 1;
        }
    }
    closed
}

async fn hold_write_lock(db: std::path::PathBuf, hold: Duration) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let conn = rusqlite::Connection::open(&db)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.execute_batch("BEGIN IMMEDIATE")?;
        std::thread::sleep(hold);
        conn.execute_batch("ROLLBACK")?;
        Ok(())
    })
    .await?
}

/// Garbage straight to each work queue, and messages for real job ids that were
/// already published (a duplicate publish): the first must be dead-lettered without
/// harm, the second acked and dropped or delivered once more with the same key.
async fn poison(ctl: &StackControl) -> anyhow::Result<usize> {
    use lapin::options::BasicPublishOptions;
    use lapin::BasicProperties;
    let Some((url, topology)) = ctl.rabbitmq() else {
        return Ok(0);
    };
    let conn = herald_core::dispatch::connect(url).await?;
    let channel = conn.create_channel().await?;
    let mut n = 0;
    let garbage: [&[u8]; 3] = [b"not json", b"{\"id\":\"nope\"}", b"\xff\xfe"];
    for queue in topology.work_queues() {
        for body in garbage {
            channel
                .basic_publish(
                    topology.exchange().as_str().into(),
                    queue.as_str().into(),
                    BasicPublishOptions::default(),
                    body,
                    BasicProperties::default().with_delivery_mode(2),
                )
                .await?
                .await?;
            n += 1;
        }
    }
    let store = ctl.open_store().await?;
    let tenant = herald_core::TenantId::parse(crate::stack::TENANT)?;
    let page = store
        .list(
            &tenant,
            &herald_core::store::ListFilter::default(),
            &herald_core::store::PageRequest::first(50),
        )
        .await?;
    for job in page.items {
        let message = herald_core::dispatch::JobMessage::for_job(&job);
        let body = serde_json::to_vec(&message)?;
        channel
            .basic_publish(
                topology.exchange().as_str().into(),
                topology.queue(job.kind, job.priority).as_str().into(),
                BasicPublishOptions::default(),
                &body,
                BasicProperties::default()
                    .with_delivery_mode(2)
                    .with_message_id(job.id.as_str().into()),
            )
            .await?
            .await?;
        n += 1;
    }
    let _ = conn.close(200, "chaos: poison published".into()).await;
    Ok(n)
}

/// Every worker's `herald_lease_lost_total`, polled: the fencing rejections.
async fn watch_fencing(ctl: StackControl, ledger: Shared) {
    let http = match reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
    {
        Ok(h) => h,
        Err(_) => return,
    };
    loop {
        for (i, url) in ctl.worker_metrics_urls().into_iter().enumerate() {
            let Ok(r) = http.get(&url).send().await else {
                continue;
            };
            let Ok(text) = r.text().await else { continue };
            let count: f64 = text
                .lines()
                .filter(|l| l.starts_with("herald_lease_lost_total"))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum();
            // One series per incarnation: a restarted worker starts from zero.
            let key = format!("{i}:{}", ctl.incarnation(i));
            let mut l = lock(&ledger);
            let seen = l.lease_lost.entry(key).or_default();
            *seen = (*seen).max(count as u64);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// After the faults: any worker or API left down is started again, and receiver B
/// lives.
async fn recover(stack: &Stack, mortal: &tokio::sync::Mutex<ReceiverServer>) {
    let ctl = stack.control();
    for i in 0..ctl.worker_count() {
        ctl.signal_worker(i, Signal::SIGCONT);
        if !ctl.worker_alive(i) {
            let _ = ctl.restart_worker(i).await;
        }
    }
    let mut r = mortal.lock().await;
    if r.task.is_none() {
        let _ = r.revive().await;
    }
}

// ---------------------------------------------------------------------------
// The checks

/// Accepted jobs not delivered and not dead with a reason.
fn outstanding(ledger: &Shared, dead: &BTreeMap<String, String>) -> Vec<String> {
    let l = lock(ledger);
    let mut ids = Vec::new();
    for (n, note) in &l.notifications {
        if l.deliveries.first.contains_key(n) {
            continue;
        }
        for id in &note.job_ids {
            if !dead.contains_key(id) {
                ids.push(id.clone());
            }
        }
    }
    ids.sort();
    ids
}

fn results_done(ledger: &Shared) -> bool {
    let l = lock(ledger);
    (0..MATCHES)
        .all(|m| (0..PLAYERS).all(|p| l.deliveries.results.contains_key(&(m, format!("p{p}")))))
}

async fn dead_reason(client: &Client, id: &str) -> Option<String> {
    let r = client
        .http
        .get(format!("{}/v1/jobs/{id}", client.urls[0]))
        .bearer_auth(&client.key)
        .send()
        .await
        .ok()?;
    let job: Value = r.json().await.ok()?;
    (job["status"] == "dead")
        .then(|| job["lastError"].as_str().map(str::to_owned))
        .flatten()
}

/// A job's state in one line, for the report on lost jobs.
async fn job_summary(client: &Client, id: &str) -> String {
    let fetched = async {
        let r = client
            .http
            .get(format!("{}/v1/jobs/{id}", client.urls[0]))
            .bearer_auth(&client.key)
            .send()
            .await
            .ok()?;
        r.json::<Value>().await.ok()
    };
    match fetched.await {
        Some(job) => format!(
            "{id} status {} attempts {} runAt {} lockedBy {} lastError {} history {}",
            job["status"],
            job["attempts"],
            job["runAt"],
            job["lockedBy"],
            job["lastError"],
            job["history"]
        ),
        None => format!("{id}: not readable"),
    }
}

/// Jobs still `running` whose lease ran out a while ago: nobody took them back.
async fn stuck_jobs(client: &Client) -> Vec<String> {
    let mut stuck = Vec::new();
    let mut cursor: Option<String> = None;
    let now = chrono::Utc::now();
    for _ in 0..100 {
        let mut url = format!("{}/v1/jobs?status=running&limit=500", client.urls[0]);
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let Ok(r) = client.http.get(url).bearer_auth(&client.key).send().await else {
            break;
        };
        let Ok(page) = r.json::<Value>().await else {
            break;
        };
        for job in page["items"].as_array().into_iter().flatten() {
            let expired = job["lockExpiry"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_none_or(|t| {
                    now - t.with_timezone(&chrono::Utc) > chrono::Duration::seconds(10)
                });
            if expired {
                stuck.push(job["id"].as_str().unwrap_or_default().to_owned());
            }
        }
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    stuck
}

async fn check_matches(stack: &Stack, client: &Client, ledger: &Shared) -> Vec<MatchCheck> {
    use herald_core::matches::{engine_for, EventKind, MatchRequest};
    let ctl = stack.control();
    let store = ctl.open_store().await.ok();
    let mut checks = Vec::new();
    for m in 0..MATCHES {
        let (id, acknowledged) = {
            let l = lock(ledger);
            (l.matches[m].id.clone(), l.matches[m].acknowledged.clone())
        };
        let Some(id) = id else { continue };
        // Wait for the end to be applied (bounded).
        let mut doc = Value::Null;
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(r) = client
                .http
                .get(format!("{}/v1/matches/{id}", client.urls[0]))
                .bearer_auth(&client.key)
                .send()
                .await
            {
                doc = r.json().await.unwrap_or(Value::Null);
                if doc["status"] != "running" && doc["status"] != "pending" {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let log = match (&store, id.parse::<herald_core::JobId>()) {
            (Some(store), Ok(job_id)) => store.events_after(&job_id, 0, 1_000_000).await.ok(),
            _ => None,
        }
        .unwrap_or_default();
        let mut points_seen = BTreeSet::new();
        let mut once = true;
        for e in &log {
            if let Some(p) = e.event.points {
                once &= points_seen.insert(p);
            }
        }
        let in_log: BTreeMap<u64, Option<i64>> =
            log.iter().map(|e| (e.seq, e.event.points)).collect();
        let acknowledged_in_log = acknowledged
            .iter()
            .all(|(seq, p)| in_log.get(seq) == Some(&Some(*p)));
        let spec: Option<MatchRequest> = serde_json::from_value(json!({
            "type": "scoreboard",
            "players": doc["players"],
            "durationSec": doc["durationSec"],
        }))
        .ok();
        let state_matches_log = spec.is_some_and(|spec| {
            let engine = engine_for(spec.match_type);
            let mut state = engine.initial_state(&spec);
            for e in &log {
                if e.event.kind == EventKind::End {
                    break;
                }
                if engine.apply(&spec, &mut state, e).is_err() {
                    return false;
                }
            }
            state["scores"] == doc["state"]["scores"]
        });
        let players_with_one_result = {
            let l = lock(ledger);
            (0..PLAYERS)
                .filter(|p| {
                    l.deliveries
                        .results
                        .get(&(m, format!("p{p}")))
                        .is_some_and(|ids| ids.len() == 1)
                })
                .count()
        };
        let applied_seq = doc["appliedSeq"].as_u64().unwrap_or(0);
        let last_seq = doc["lastSeq"].as_u64().unwrap_or(0);
        let status = doc["status"].as_str().unwrap_or("unknown").to_owned();
        let ok = status == "succeeded"
            && once
            && acknowledged_in_log
            && state_matches_log
            && applied_seq == last_seq
            && players_with_one_result == PLAYERS;
        checks.push(MatchCheck {
            id,
            status,
            events_acknowledged: acknowledged.len(),
            events_in_log: log.len(),
            applied_seq,
            last_seq,
            events_once: once,
            acknowledged_in_log,
            state_matches_log,
            players_with_one_result,
            players: PLAYERS,
            ok,
        });
    }
    checks
}

fn p(h: &Histogram<u64>, q: f64) -> Option<f64> {
    (!h.is_empty()).then(|| h.value_at_quantile(q) as f64 / 1000.0)
}

#[allow(clippy::too_many_arguments)]
fn summarize(
    args: &Args,
    seed: u64,
    sent_for: Duration,
    ledger: &Shared,
    dead_with_reason: u64,
    lost: Vec<String>,
    stuck: Vec<String>,
    matches: Vec<MatchCheck>,
    lost_details: Vec<String>,
) -> ChaosReport {
    let l = lock(ledger);
    let mut calm = micros_histogram().ok();
    let mut faulty = micros_histogram().ok();
    let in_fault = |t: Instant| l.windows.iter().any(|(a, b)| *a <= t && t <= *b);
    let mut accepted: u64 = 0;
    let mut unanswered: u64 = 0;
    let mut keys_with_two_jobs: u64 = 0;
    for (n, note) in &l.notifications {
        if note.answered {
            accepted += 1;
        } else if note.job_ids.is_empty() {
            unanswered += 1;
        }
        if note.job_ids.len() > 1 {
            keys_with_two_jobs += 1;
        }
        if let (Some(at), Some(done)) = (note.scheduled, l.deliveries.first.get(n)) {
            let us =
                u64::try_from(done.saturating_duration_since(at).as_micros()).unwrap_or(u64::MAX);
            let h = if in_fault(at) { &mut faulty } else { &mut calm };
            if let Some(h) = h {
                let _ = h.record(us.max(1));
            }
        }
    }
    let rejected_total: u64 = l.rejected.values().sum();
    unanswered = unanswered.saturating_sub(rejected_total);
    let delivered = l.deliveries.first.len() as u64;
    let duplicates: Vec<Vec<u32>> = l
        .deliveries
        .by_job
        .values()
        .filter(|d| d.len() > 1)
        .map(|d| d.iter().map(|(a, _)| *a).collect())
        .collect();
    let duplicates_without_same_key = l
        .deliveries
        .by_notification
        .values()
        .filter(|ids| ids.len() > 1)
        .count() as u64;
    let fencing_rejections = l.lease_lost.values().sum();
    let mut failures = Vec::new();
    if !lost.is_empty() {
        failures.push(format!(
            "{} accepted jobs lost (first: {:?})",
            lost.len(),
            &lost[..lost.len().min(5)]
        ));
    }
    if duplicates_without_same_key > 0 {
        failures.push(format!(
            "{duplicates_without_same_key} notifications delivered under two job ids"
        ));
    }
    if keys_with_two_jobs > 0 {
        failures.push(format!(
            "{keys_with_two_jobs} idempotency keys answered with two job ids"
        ));
    }
    if !stuck.is_empty() {
        failures.push(format!(
            "{} jobs stuck running past their lease",
            stuck.len()
        ));
    }
    if l.deliveries.bad_signatures > 0 {
        failures.push(format!(
            "{} deliveries with a bad signature",
            l.deliveries.bad_signatures
        ));
    }
    for m in &matches {
        if !m.ok {
            failures.push(format!("match {} does not check out: {m:?}", m.id));
        }
    }
    if matches.len() < MATCHES {
        failures.push("a match was not created".into());
    }
    let failed_faults: Vec<&FaultRecord> = l
        .faults
        .iter()
        .filter(|f| f.fault.contains("FAILED"))
        .collect();
    for f in failed_faults {
        failures.push(format!("fault could not be injected: {}", f.fault));
    }
    let mut faults = l.faults.clone();
    faults.sort_by(|a, b| a.at_secs.total_cmp(&b.at_secs));
    ChaosReport {
        seed,
        store: if args.mongodb_uri.is_some() {
            "MongoDB".into()
        } else {
            "SQLite".into()
        },
        duration_secs: sent_for.as_secs_f64(),
        rate: args.rate,
        sent: l.notifications.len() as u64,
        accepted,
        unanswered,
        rejected: l.rejected.clone(),
        client_retries: l.retries,
        delivered,
        dead_with_reason,
        lost,
        lost_details,
        duplicate_deliveries_same_key: duplicates.len() as u64,
        duplicate_attempts: duplicates.into_iter().take(10).collect(),
        duplicates_without_same_key,
        keys_with_two_jobs,
        bad_signatures: l.deliveries.bad_signatures,
        refused_on_purpose: l.deliveries.refused_on_purpose,
        stuck,
        fencing_rejections,
        matches,
        p99_calm_ms: calm.as_ref().and_then(|h| p(h, 0.99)),
        p99_faults_ms: faulty.as_ref().and_then(|h| p(h, 0.99)),
        p50_calm_ms: calm.as_ref().and_then(|h| p(h, 0.5)),
        faults,
        passed: failures.is_empty(),
        failures,
    }
}
