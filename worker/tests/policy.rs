//! Notification policy (`docs/channels.md`): quiet hours, scheduled sends, circuit breakers.
//!
//! Quiet hours run an in-process worker whose store and policies share one
//! `ManualClock`, so "now" is set inside the window and then moved past its end
//! instead of waiting for it. Scheduled sends go through the real API and RabbitMQ.
//! The breaker test points webhooks at a local server that fails until told otherwise.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use herald_core::clock::ManualClock;
use herald_core::dispatch::{Dispatch, JobMessage};
use herald_core::job::AttemptOutcome;
use herald_core::notification::NotificationRequest;
use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::StoreConfig;
use herald_core::{Job, JobId, JobStatus, NewJob, RetryPolicy, Store};
use herald_testkit::services::rabbitmq_url;
use herald_testkit::sink::Sink;
use herald_testkit::wait::wait_for;
use herald_worker::delivery::breaker::BreakerConfig;
use herald_worker::{Config, Worker};
use support::{tenant, Harness, TENANT};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn notification(v: serde_json::Value) -> NewJob {
    let request: NotificationRequest = serde_json::from_value(v).unwrap();
    request
        .validate(chrono::Utc::now())
        .unwrap()
        .to_new_job(tenant())
        .unwrap()
}

/// A `log` notification to a recipient in Paris who is quiet from 22:00 to 07:00.
fn quiet_in_paris(priority: &str) -> NewJob {
    notification(serde_json::json!({
        "channel": "log",
        "recipient": {"address": "someone", "timezone": "Europe/Paris"},
        "body": "hello",
        "priority": priority,
        "quietHours": {"start": "22:00", "end": "07:00"},
    }))
}

/// An embedded-mode worker in-process on a fresh SQLite file, store and policies
/// reading `clock`.
async fn worker_on(clock: &ManualClock, dir: &tempfile::TempDir) -> (Worker, Arc<dyn Store>) {
    let store_config = StoreConfig::Sqlite(SqliteConfig::new(dir.path().join("w.db")));
    let clock: Arc<dyn herald_core::Clock> = Arc::new(clock.clone());
    let store = herald_core::store::open(&store_config, clock.clone())
        .await
        .unwrap();
    let config = Config::embedded(store_config);
    let worker = Worker::builder(config)
        .store(store.clone())
        .clock(clock)
        .start()
        .await
        .unwrap();
    (worker, store)
}

async fn get_job(store: &Arc<dyn Store>, id: &JobId) -> Job {
    store.get(&tenant(), id).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_hours_reschedule_to_the_window_end_and_deliver_then() {
    // 22:30 UTC is 23:30 in Paris (winter, UTC+1): inside; the window ends 07:00 Paris.
    let clock = ManualClock::new(utc("2030-01-15T22:30:00Z"));
    let end = utc("2030-01-16T06:00:00Z");
    let dir = tempfile::tempdir().unwrap();
    let (worker, store) = worker_on(&clock, &dir).await;
    let id = store
        .insert(quiet_in_paris("normal"))
        .await
        .unwrap()
        .into_job()
        .id;

    let snoozed = wait_for(Duration::from_secs(10), "the job to be snoozed", || async {
        let job = get_job(&store, &id).await;
        (job.status == JobStatus::Scheduled && !job.history.is_empty()).then_some(job)
    })
    .await;
    assert_eq!(snoozed.run_at, end, "rescheduled to the window's end");
    assert_eq!(snoozed.attempts, 0, "a snooze spends no attempt");
    let entry = &snoozed.history[0];
    assert_eq!(entry.outcome, AttemptOutcome::Snoozed);
    assert_eq!(
        entry.error.as_deref(),
        Some("quiet hours until 2030-01-16T06:00:00Z")
    );

    // A second before the end it is not due: nothing claims it.
    clock.set(end - chrono::Duration::seconds(1));
    let engine = worker.engine().clone();
    assert!(engine.claim_due(10).await.unwrap().is_empty());

    clock.set(end);
    let done = wait_for(
        Duration::from_secs(10),
        "the job to be delivered",
        || async {
            let job = get_job(&store, &id).await;
            (job.status == JobStatus::Succeeded).then_some(job)
        },
    )
    .await;
    assert_eq!(done.attempts, 1);
    assert!(done.completed_at.unwrap() >= end, "{:?}", done.completed_at);
    let outcomes: Vec<_> = done.history.iter().map(|h| h.outcome).collect();
    assert_eq!(
        outcomes,
        [AttemptOutcome::Snoozed, AttemptOutcome::Succeeded]
    );
    worker.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_critical_notification_inside_quiet_hours_is_delivered_at_once() {
    let clock = ManualClock::new(utc("2030-01-15T22:30:00Z"));
    let dir = tempfile::tempdir().unwrap();
    let (worker, store) = worker_on(&clock, &dir).await;
    let critical = store
        .insert(quiet_in_paris("critical"))
        .await
        .unwrap()
        .into_job()
        .id;
    let done = wait_for(
        Duration::from_secs(10),
        "the job to be delivered",
        || async {
            let job = get_job(&store, &critical).await;
            (job.status == JobStatus::Succeeded).then_some(job)
        },
    )
    .await;
    assert_eq!(done.attempts, 1);
    assert_eq!(
        done.completed_at,
        Some(utc("2030-01-15T22:30:00Z")),
        "the clock never moved: delivered inside the window"
    );
    let outcomes: Vec<_> = done.history.iter().map(|h| h.outcome).collect();
    assert_eq!(outcomes, [AttemptOutcome::Succeeded], "never snoozed");
    worker.shutdown().await.unwrap();
}

/// Unacknowledged messages in this test's queues, from the broker.
fn unacked(group: &str) -> u64 {
    let out = std::process::Command::new("rabbitmqctl")
        .args([
            "list_queues",
            "-q",
            "--no-table-headers",
            "name",
            "messages_unacknowledged",
        ])
        .output()
        .expect("running rabbitmqctl");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(group))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum()
}

fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
}

async fn metrics_of(worker: &Worker) -> String {
    reqwest::get(format!("http://{}/metrics", worker.metrics_addr()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn stats_of(worker: &Worker) -> serde_json::Value {
    reqwest::get(format!("http://{}/stats", worker.metrics_addr()))
        .await
        .unwrap()
        .text()
        .await
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_at_waits_in_the_store_not_in_rabbitmq_and_is_delivered_when_due() {
    const KEY: &str = "policy-test-key-0123456789";
    let h = Harness::new("sendat").await;
    let mut api_config = herald_api::config::Config::new(
        StoreConfig::Sqlite(SqliteConfig::new(&h.db)),
        herald_api::auth::ApiKeys::parse(&format!("{TENANT}:{KEY}")).unwrap(),
    );
    api_config.broker.url = Some(herald_core::config::Secret::new(rabbitmq_url()));
    api_config.broker.consumer_group = h.group.clone();
    let api = herald_api::Server::start(api_config).await.unwrap();
    let mut config = Config::embedded(StoreConfig::Sqlite(SqliteConfig::new(&h.db)));
    config.broker.url = Some(herald_core::config::Secret::new(rabbitmq_url()));
    config.broker.consumer_group = h.group.clone();
    config.poll_interval = Duration::from_millis(200);
    let worker = Worker::builder(config)
        .store(h.store.clone())
        .start()
        .await
        .unwrap();
    wait_for(Duration::from_secs(20), "the worker to consume", || async {
        (metric(&metrics_of(&worker).await, "herald_broker_connected") == Some(1.0)).then_some(())
    })
    .await;

    let send_at = Utc::now() + chrono::Duration::seconds(3);
    let response = reqwest::Client::new()
        .post(format!("{}/v1/notifications", api.url()))
        .bearer_auth(KEY)
        .header("content-type", "application/json")
        .body(
            serde_json::json!({
                "channel": "log",
                "recipient": {"address": "someone"},
                "body": "later",
                "sendAt": send_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    let body: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    let id: JobId = body["id"].as_str().unwrap().parse().unwrap();

    let stored = h.job(&id).await;
    assert_eq!(stored.status, JobStatus::Scheduled);
    assert_eq!(
        stored.run_at.timestamp_millis(),
        send_at.timestamp_millis(),
        "sendAt is the job's runAt"
    );
    // A message for the job before it is due (a publish the API would not make, or a
    // duplicate): the consumer acks and drops it rather than holding it.
    h.publisher
        .publish(&[JobMessage::for_job(&stored)])
        .await
        .unwrap();
    wait_for(
        Duration::from_secs(10),
        "the early message to be skipped",
        || async {
            let text = metrics_of(&worker).await;
            let skipped = metric(
                &text,
                "herald_rabbitmq_deliveries_total{result=\"skipped\"}",
            );
            (skipped == Some(1.0)).then_some(())
        },
    )
    .await;
    assert!(Utc::now() < send_at, "the test checks before sendAt");
    assert_eq!(
        unacked(&h.group),
        0,
        "no delivery held for a job not yet due"
    );
    let early = h.job(&id).await;
    assert_eq!(
        early.status,
        JobStatus::Scheduled,
        "not delivered before sendAt"
    );
    assert_eq!(early.attempts, 0);

    let done = wait_for(
        Duration::from_secs(20),
        "the job to be delivered",
        || async {
            let job = h.job(&id).await;
            (job.status == JobStatus::Succeeded).then_some(job)
        },
    )
    .await;
    assert!(
        done.completed_at.unwrap() >= send_at,
        "{:?}",
        done.completed_at
    );
    assert_eq!(done.attempts, 1);
    assert_eq!(
        done.history.len(),
        1,
        "claimed once, when due: {:?}",
        done.history
    );
    worker.shutdown().await.unwrap();
    api.shutdown().await.unwrap();
    h.cleanup().await;
}

/// A webhook receiver that answers 503 until told otherwise (then 200), and records
/// every request; with its URL.
async fn failing_provider() -> (Sink, String) {
    let provider = Sink::start().await;
    provider.set_hook_status(StatusCode::SERVICE_UNAVAILABLE);
    let url = provider.url("/hook");
    (provider, url)
}

fn webhook_to(url: &str) -> NewJob {
    notification(serde_json::json!({
        "channel": "webhook",
        "recipient": {"address": url},
        "body": "hello",
        "maxAttempts": 20,
    }))
}

/// The jobs at a moment when none of them is running. A running job has spent its
/// attempt at the claim and may not have sent yet (it can be waiting for a half-open
/// circuit's probe), so attempts and requests only agree at rest.
async fn settled_jobs(store: &Arc<dyn Store>, ids: &[JobId]) -> Vec<Job> {
    wait_for(
        Duration::from_secs(20),
        "a moment with no job running",
        || async {
            let jobs: Vec<Job> =
                futures::future::join_all(ids.iter().map(|id| get_job(store, id))).await;
            jobs.iter()
                .all(|j| j.status != JobStatus::Running)
                .then_some(jobs)
        },
    )
    .await
}

/// Each job's attempts equal the requests the provider saw for it: an attempt is spent
/// only by a real send, never by a snooze.
fn assert_attempts_match_requests(jobs: &[Job], provider: &Sink) {
    let per_job = provider.counts();
    for job in jobs {
        assert_eq!(
            job.attempts,
            per_job.get(job.id.as_str()).copied().unwrap_or(0),
            "{}: attempts vs requests; history {:?}",
            job.id,
            job.history
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_provider_opens_the_breaker_stops_spending_attempts_and_recovery_closes_it() {
    const THRESHOLD: u32 = 3;
    let (provider, url) = failing_provider().await;
    let dir = tempfile::tempdir().unwrap();
    let store_config = StoreConfig::Sqlite(SqliteConfig::new(dir.path().join("w.db")));
    let store = herald_core::store::open(&store_config, herald_core::clock::system())
        .await
        .unwrap();
    let mut config = Config::embedded(store_config);
    config.breaker = BreakerConfig {
        failure_threshold: THRESHOLD,
        open_for: Duration::from_secs(2),
    };
    // Retries come back after the first three have failed together.
    config.retry = RetryPolicy {
        base: Duration::from_secs(2),
        cap: Duration::from_secs(2),
        ..RetryPolicy::default()
    };
    config.ssrf = herald_core::ssrf::TargetGuard::new(vec!["127.0.0.0/8".parse().unwrap()]);
    let worker = Worker::builder(config)
        .store(store.clone())
        .start()
        .await
        .unwrap();

    let mut ids = Vec::new();
    for _ in 0..THRESHOLD {
        ids.push(store.insert(webhook_to(&url)).await.unwrap().into_job().id);
    }
    let circuit = wait_for(Duration::from_secs(20), "the circuit to open", || async {
        let stats = stats_of(&worker).await;
        let circuit = stats["circuits"].as_array()?.first()?.clone();
        (circuit["state"] == "open").then_some(circuit)
    })
    .await;
    assert_eq!(circuit["channel"], "webhook");
    assert!(circuit["openUntil"].is_string(), "{circuit}");
    let provider_label = circuit["provider"].as_str().unwrap().to_owned();
    let state_series =
        format!("herald_circuit_state{{channel=\"webhook\",provider=\"{provider_label}\"}}");
    let transitions = |to: &str| {
        format!(
            "herald_circuit_transitions_total{{channel=\"webhook\",provider=\"{provider_label}\",to=\"{to}\"}}"
        )
    };
    assert_eq!(metric(&metrics_of(&worker).await, &state_series), Some(2.0));
    assert_eq!(provider.received().len(), THRESHOLD as usize);

    // Jobs for the provider while it is open are snoozed, not sent.
    let mut later = Vec::new();
    for _ in 0..5 {
        later.push(store.insert(webhook_to(&url)).await.unwrap().into_job().id);
    }
    ids.extend(later.iter().cloned());
    wait_for(
        Duration::from_secs(20),
        "the later jobs to be snoozed",
        || async {
            for id in &later {
                let job = get_job(&store, id).await;
                let snoozed = job.history.iter().any(|h| {
                    h.outcome == AttemptOutcome::Snoozed
                        && h.error.as_deref().is_some_and(|e| e.contains("circuit"))
                });
                if !snoozed {
                    return None;
                }
            }
            Some(())
        },
    )
    .await;
    // Still failing: the open period ends, one probe goes out, fails, and the circuit
    // opens again.
    wait_for(
        Duration::from_secs(20),
        "a failed probe to reopen the circuit",
        || async {
            let text = metrics_of(&worker).await;
            let reopened = metric(&text, &transitions("open")).unwrap_or(0.0) >= 2.0;
            (reopened && metric(&text, &state_series) == Some(2.0)).then_some(())
        },
    )
    .await;
    let text = metrics_of(&worker).await;
    let probes = metric(&text, &transitions("half-open")).unwrap() as usize;
    assert!(probes >= 1);
    assert_eq!(
        provider.received().len(),
        THRESHOLD as usize + probes,
        "while not closed, only probes reach the provider"
    );
    let jobs = settled_jobs(&store, &ids).await;
    assert_attempts_match_requests(&jobs, &provider);
    assert!(jobs.iter().all(|j| j.status != JobStatus::Dead));
    let never_sent = jobs.iter().filter(|j| j.attempts == 0).count();
    assert!(
        never_sent >= later.len() - probes,
        "snoozed jobs spent no attempts: {never_sent} never sent"
    );

    // The provider recovers: the next probe succeeds, the circuit closes, and every
    // waiting job is delivered.
    provider.set_hook_status(StatusCode::OK);
    wait_for(
        Duration::from_secs(30),
        "every job to be delivered",
        || async {
            for id in &ids {
                if get_job(&store, id).await.status != JobStatus::Succeeded {
                    return None;
                }
            }
            Some(())
        },
    )
    .await;
    let text = metrics_of(&worker).await;
    assert_eq!(metric(&text, &state_series), Some(0.0));
    assert_eq!(metric(&text, &transitions("closed")), Some(1.0));
    let stats = stats_of(&worker).await;
    assert_eq!(stats["circuits"][0]["state"], "closed", "{stats}");
    assert_eq!(stats["circuits"][0]["failures"], 0);
    let jobs = settled_jobs(&store, &ids).await;
    assert_attempts_match_requests(&jobs, &provider);
    worker.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_that_falls_into_quiet_hours_waits_for_the_end() {
    // 20:59:30 UTC is 21:59:30 in Paris: just before the 22:00–07:00 window.
    let clock = ManualClock::new(utc("2030-01-15T20:59:30Z"));
    let end = utc("2030-01-16T06:00:00Z");
    let (provider, url) = failing_provider().await;
    let dir = tempfile::tempdir().unwrap();
    let store_config = StoreConfig::Sqlite(SqliteConfig::new(dir.path().join("w.db")));
    let shared: Arc<dyn herald_core::Clock> = Arc::new(clock.clone());
    let store = herald_core::store::open(&store_config, shared.clone())
        .await
        .unwrap();
    let mut config = Config::embedded(store_config);
    config.ssrf = herald_core::ssrf::TargetGuard::new(vec!["127.0.0.0/8".parse().unwrap()]);
    let worker = Worker::builder(config)
        .store(store.clone())
        .clock(shared)
        .start()
        .await
        .unwrap();
    let id = store
        .insert(notification(serde_json::json!({
            "channel": "webhook",
            "recipient": {"address": url, "timezone": "Europe/Paris"},
            "body": "hello",
            "quietHours": {"start": "22:00", "end": "07:00"},
        })))
        .await
        .unwrap()
        .into_job()
        .id;

    // Outside the window: sent, and the 503 schedules a retry.
    let retrying = wait_for(
        Duration::from_secs(10),
        "the first attempt to fail",
        || async {
            let job = get_job(&store, &id).await;
            (job.status == JobStatus::Scheduled && job.attempts == 1).then_some(job)
        },
    )
    .await;
    assert_eq!(retrying.history[0].outcome, AttemptOutcome::Retrying);
    provider.set_hook_status(StatusCode::OK);

    // The retry comes due inside the window: snoozed to its end, not sent.
    clock.set(utc("2030-01-15T23:00:00Z"));
    let snoozed = wait_for(
        Duration::from_secs(10),
        "the retry to be snoozed",
        || async {
            let job = get_job(&store, &id).await;
            (job.history.len() == 2).then_some(job)
        },
    )
    .await;
    assert_eq!(snoozed.history[1].outcome, AttemptOutcome::Snoozed);
    assert_eq!(snoozed.run_at, end);
    assert_eq!(snoozed.attempts, 1, "the snooze spent no attempt");
    assert_eq!(
        provider.received().len(),
        1,
        "nothing sent inside the window"
    );

    clock.set(end);
    let done = wait_for(
        Duration::from_secs(10),
        "the retry to be delivered",
        || async {
            let job = get_job(&store, &id).await;
            (job.status == JobStatus::Succeeded).then_some(job)
        },
    )
    .await;
    assert_eq!(done.attempts, 2);
    assert_eq!(provider.received().len(), 2);
    worker.shutdown().await.unwrap();
}

#[test]
fn bad_breaker_settings_stop_the_worker_at_start_up() {
    for (var, value) in [
        ("BREAKER_FAILURE_THRESHOLD", "0"),
        ("BREAKER_FAILURE_THRESHOLD", "many"),
        ("BREAKER_OPEN_MS", "0"),
        ("BREAKER_OPEN_MS", "86400001"),
    ] {
        let env = herald_core::config::Env::from_pairs([(var, value)]);
        let Err(err) = Config::from_env(&env) else {
            panic!("{var}={value} was accepted");
        };
        assert!(err.to_string().contains(var), "{var}={value}: {err}");
    }
    // And the binary's own path: the bad value stops it, naming the variable.
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_herald-worker"))
        .env_remove("MONGODB_URI")
        .env_remove("RABBITMQ_URL")
        .env("SQLITE_PATH", dir.path().join("w.db"))
        .env("METRICS_PORT", "0")
        .env("BREAKER_OPEN_MS", "0")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("BREAKER_OPEN_MS=0 was accepted: the worker kept running");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success(), "BREAKER_OPEN_MS=0 was accepted");
    assert!(stderr.contains("BREAKER_OPEN_MS"), "{stderr}");
}
