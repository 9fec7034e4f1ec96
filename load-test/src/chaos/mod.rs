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

mod checks;
mod faults;
mod receiver;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::report::micros_histogram;
use crate::stack::{lock, Stack};
use crate::Args;
use checks::{check_matches, dead_reason, job_summary, outstanding, results_done, stuck_jobs};
use faults::{inject, recover, watch_fencing};
use receiver::{Receiver, ReceiverServer};

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

fn new_ledger() -> Shared {
    Arc::new(Mutex::new(Ledger {
        notifications: HashMap::new(),
        deliveries: Deliveries::default(),
        matches: (0..MATCHES).map(|_| MatchLedger::default()).collect(),
        rejected: BTreeMap::new(),
        retries: 0,
        faults: Vec::new(),
        windows: Vec::new(),
        lease_lost: HashMap::new(),
    }))
}

#[derive(Debug, Clone, Serialize)]
pub struct FaultRecord {
    /// Seconds into the run.
    pub at_secs: f64,
    pub fault: String,
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
    /// GETs `path` from the first API and reads the JSON answer; `None` when there is
    /// no readable answer.
    async fn get(&self, path: &str) -> Option<Value> {
        let r = self
            .http
            .get(format!("{}{path}", self.urls[0]))
            .bearer_auth(&self.key)
            .send()
            .await
            .ok()?;
        r.json().await.ok()
    }

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
    let ledger = new_ledger();
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    /// A ledger where notifications 0..n were accepted as jobs `j0..`, and the
    /// deliveries given were received.
    fn ledger_with(n: u64, delivered: &[(u64, &str)]) -> Shared {
        let ledger = new_ledger();
        {
            let mut l = lock(&ledger);
            let now = Instant::now();
            for i in 0..n {
                let note = l.notifications.entry(i).or_default();
                note.scheduled = Some(now);
                note.answered = true;
                note.job_ids.insert(format!("j{i}"));
            }
            for (i, job) in delivered {
                l.deliveries
                    .by_job
                    .entry((*job).to_owned())
                    .or_default()
                    .push((1, true));
                l.deliveries
                    .by_notification
                    .entry(*i)
                    .or_default()
                    .insert((*job).to_owned());
                l.deliveries.first.entry(*i).or_insert(now);
            }
        }
        ledger
    }

    fn verdict(ledger: &Shared, stuck: Vec<String>) -> ChaosReport {
        let args = Args::parse_from(["herald-load-test", "--chaos"]);
        let lost = outstanding(ledger, &BTreeMap::new());
        summarize(
            &args,
            1,
            Duration::from_secs(1),
            ledger,
            0,
            lost,
            stuck,
            Vec::new(),
            Vec::new(),
        )
    }

    #[test]
    fn the_checker_fails_a_lost_job_and_passes_a_complete_run() {
        let complete = ledger_with(2, &[(0, "j0"), (1, "j1")]);
        let report = verdict(&complete, Vec::new());
        assert_eq!(report.lost.len(), 0);
        // No match was created in this ledger: that alone fails it.
        assert_eq!(report.failures, vec!["a match was not created".to_owned()]);

        let lossy = ledger_with(3, &[(0, "j0"), (1, "j1")]);
        let report = verdict(&lossy, Vec::new());
        assert_eq!(report.lost, vec!["j2".to_owned()]);
        assert!(!report.passed);
        assert!(
            report.failures.iter().any(|f| f.contains("lost")),
            "{:?}",
            report.failures
        );
    }

    #[test]
    fn the_checker_allows_a_duplicate_with_the_same_key_only() {
        // j0 delivered twice: the same job id, so the same idempotency key.
        let same_key = ledger_with(1, &[(0, "j0"), (0, "j0")]);
        let report = verdict(&same_key, Vec::new());
        assert_eq!(report.duplicate_deliveries_same_key, 1);
        assert_eq!(report.duplicates_without_same_key, 0);
        assert!(!report.failures.iter().any(|f| f.contains("two job ids")));

        // Notification 0 delivered under a second job id: idempotency broke.
        let other_key = ledger_with(1, &[(0, "j0"), (0, "j9")]);
        let report = verdict(&other_key, Vec::new());
        assert_eq!(report.duplicates_without_same_key, 1);
        assert!(report.failures.iter().any(|f| f.contains("two job ids")));
    }

    #[test]
    fn the_checker_fails_stuck_jobs() {
        let ledger = ledger_with(1, &[(0, "j0")]);
        let report = verdict(&ledger, vec!["j7".into()]);
        assert!(report.failures.iter().any(|f| f.contains("stuck")));
    }
}
