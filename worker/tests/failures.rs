//! What happens when things go wrong: workers killed, frozen or stopped, endpoints
//! failing, broker connections dropped. Real RabbitMQ, SQLite, worker processes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use chrono::{DateTime, Utc};
use herald_core::job::AttemptOutcome;
use herald_core::store::{ListFilter, PageRequest};
use herald_core::{Job, JobStatus, Priority};
use herald_testkit::sink::Sink;
use herald_testkit::wait::wait_for;
use nix::sys::signal::Signal;
use support::{log_job, tenant, webhook, Harness};

/// Jobs that are `running` under `worker`'s lease right now.
async fn held_by(h: &Harness, worker: &str) -> Vec<Job> {
    let page = h
        .store
        .list(
            &tenant(),
            &ListFilter {
                status: Some(JobStatus::Running),
                ..ListFilter::default()
            },
            &PageRequest::first(PageRequest::MAX_LIMIT),
        )
        .await
        .unwrap();
    page.items
        .into_iter()
        .filter(|j| j.locked_by.as_ref().map(|w| w.as_str()) == Some(worker))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_nothing_and_doubles_only_what_was_mid_delivery() {
    let h = Harness::new("kill9").await;
    let sink = Sink::start().await;
    let spec = h
        .worker()
        .env("LOCK_DURATION_MS", "2000")
        .env("POLL_INTERVAL_MS", "300");
    let a = spec.spawn(h.dir.path(), "a");
    let b = spec.spawn(h.dir.path(), "b");
    a.wait_consuming().await;
    b.wait_consuming().await;
    let a_id = a.get_json("/stats").await["workerId"]
        .as_str()
        .unwrap()
        .to_owned();

    let ids = h
        .enqueue(
            (0..80)
                .map(|_| webhook(&sink.url("/slow/300"), Priority::Normal))
                .collect(),
        )
        .await;
    wait_for(
        Duration::from_secs(20),
        "worker a to hold leases",
        || async { (held_by(&h, &a_id).await.len() >= 3).then_some(()) },
    )
    .await;
    a.signal(Signal::SIGKILL);
    // a is dead: what it held now is exactly what it was in the middle of.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mid_delivery = held_by(&h, &a_id).await.len();
    assert!(mid_delivery > 0);

    let jobs = h.wait_final(&ids, Duration::from_secs(60)).await;
    for job in &jobs {
        assert_eq!(
            job.status,
            JobStatus::Succeeded,
            "{} ended {}",
            job.id,
            job.status
        );
    }
    let received = sink.received();
    let counts = sink.counts();
    for id in &ids {
        assert!(
            counts.get(id.as_str()).copied().unwrap_or(0) >= 1,
            "{id} never delivered"
        );
    }
    let doubles: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    for (id, n) in &doubles {
        assert_eq!(**n, 2, "{id} delivered {n} times");
        let keys: Vec<_> = received
            .iter()
            .filter(|r| &r.job_id == *id)
            .map(|r| r.idempotency_key.clone())
            .collect();
        assert!(
            keys.iter().all(|k| k == *id),
            "{id}: idempotency keys {keys:?}"
        );
    }
    assert!(
        doubles.len() <= mid_delivery,
        "{} jobs delivered twice, but only {mid_delivery} were mid-delivery at the kill",
        doubles.len()
    );
    h.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_worker_past_its_lease_loses_it_and_its_outcome_is_rejected() {
    let h = Harness::new("sigstop").await;
    let sink = Sink::start().await;
    let spec = h
        .worker()
        .env("LOCK_DURATION_MS", "1500")
        .env("POLL_INTERVAL_MS", "200");
    let a = spec.spawn(h.dir.path(), "a");
    a.wait_consuming().await;
    let a_id = a.get_json("/stats").await["workerId"]
        .as_str()
        .unwrap()
        .to_owned();

    // Attempt 1 is held by the endpoint for 4 s; later attempts answer at once.
    let ids = h
        .enqueue(vec![webhook(
            &sink.url("/slow-first/4000"),
            Priority::Normal,
        )])
        .await;
    wait_for(
        Duration::from_secs(10),
        "worker a to be mid-delivery",
        || async { (!sink.in_progress().is_empty()).then_some(()) },
    )
    .await;
    assert_eq!(held_by(&h, &a_id).await.len(), 1);
    a.signal(Signal::SIGSTOP);

    let b = spec.spawn(h.dir.path(), "b");
    let b_id = b.get_json("/stats").await["workerId"]
        .as_str()
        .unwrap()
        .to_owned();
    let job = h.wait_final(&ids, Duration::from_secs(20)).await.remove(0);
    assert_eq!(job.status, JobStatus::Succeeded);
    assert_eq!(
        job.attempts, 2,
        "b's claim of the expired lease is attempt 2"
    );

    a.signal(Signal::SIGCONT);
    wait_for(
        Duration::from_secs(15),
        "a to find its lease lost",
        || async { (a.get_json("/stats").await["leaseLost"].as_u64() == Some(1)).then_some(()) },
    )
    .await;
    assert!(a.metrics().await.contains("herald_lease_lost_total 1"));

    // The final state is b's: a's late result changed nothing.
    let after = h.job(&ids[0]).await;
    assert_eq!(after.status, JobStatus::Succeeded);
    assert_eq!(after.attempts, 2);
    assert_eq!(after.completed_at, job.completed_at);
    assert_eq!(after.lease_version, job.lease_version);
    let last = after.history.last().unwrap();
    assert_eq!(last.outcome, AttemptOutcome::Succeeded);
    assert_eq!(last.worker.as_deref(), Some(b_id.as_str()));
    let a_stats = a.get_json("/stats").await;
    assert_eq!(a_stats["succeeded"].as_u64(), Some(0), "{a_stats}");
    h.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_always_failing_webhook_backs_off_then_dies_while_others_flow() {
    let h = Harness::new("always-500").await;
    let sink = Sink::start().await;
    let w = h
        .worker()
        .env("RETRY_BASE_MS", "400")
        .env("RETRY_MAX_MS", "5000")
        .env("POLL_INTERVAL_MS", "100")
        .spawn(h.dir.path(), "w");
    w.wait_consuming().await;

    let failing = h
        .enqueue(vec![
            webhook(&sink.url("/fail"), Priority::Normal).max_attempts(3)
        ])
        .await
        .remove(0);
    let others = h
        .enqueue(
            (0..50)
                .map(|_| webhook(&sink.url("/ok"), Priority::Normal))
                .collect(),
        )
        .await;

    // Watch the retries: each time the job is scheduled, note how far ahead runAt is.
    let mut delays: Vec<(u32, chrono::Duration)> = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let dead = loop {
        let job = h.job(&failing).await;
        if job.status == JobStatus::Scheduled && !delays.iter().any(|(a, _)| *a == job.attempts) {
            delays.push((job.attempts, job.run_at - job.updated_at));
        }
        if job.status == JobStatus::Dead {
            break job;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "job never died: {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };

    assert_eq!(dead.attempts, 3);
    assert!(
        dead.last_error.as_deref().unwrap_or("").contains("500"),
        "{:?}",
        dead.last_error
    );
    let outcomes: Vec<_> = dead.history.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        vec![
            AttemptOutcome::Retrying,
            AttemptOutcome::Retrying,
            AttemptOutcome::Dead
        ]
    );
    assert_eq!(delays.len(), 2, "saw each retry scheduled: {delays:?}");
    assert!(
        delays[1].1 > delays[0].1,
        "runAt must move further out each time: {delays:?}"
    );
    assert!(
        delays[0].1 >= chrono::Duration::milliseconds(200),
        "{delays:?}"
    );
    let attempts: Vec<u32> = sink
        .received()
        .iter()
        .filter(|r| r.job_id == failing.as_str())
        .map(|r| r.attempt)
        .collect();
    assert_eq!(attempts, vec![1, 2, 3]);

    // Meanwhile everything else went through, without waiting for the failing job.
    let dead_at: DateTime<Utc> = dead.completed_at.unwrap();
    for job in h.wait_final(&others, Duration::from_secs(20)).await {
        assert_eq!(job.status, JobStatus::Succeeded);
        assert!(
            job.completed_at.unwrap() < dead_at,
            "{} waited for the failing job",
            job.id
        );
    }
    h.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_broker_connections_lose_no_job() {
    let h = Harness::new("reconnect").await;
    // Only the consumer dispatches here, so the jobs finishing proves it reconnected.
    let spec = h.worker().env("POLL_INTERVAL_MS", "600000");
    let a = spec.spawn(h.dir.path(), "a");
    let b = spec.spawn(h.dir.path(), "b");
    a.wait_consuming().await;
    b.wait_consuming().await;

    let mut ids = h
        .enqueue((0..1500).map(|_| log_job(Priority::Normal)).collect())
        .await;
    for w in [&a, &b] {
        assert!(
            w.drop_broker_connections() >= 1,
            "no connection of {} found",
            w.name
        );
    }
    ids.extend(
        h.enqueue((0..1500).map(|_| log_job(Priority::High)).collect())
            .await,
    );
    a.wait_log_count("consuming from RabbitMQ", 2).await;
    b.wait_log_count("consuming from RabbitMQ", 2).await;
    ids.extend(
        h.enqueue((0..500).map(|_| log_job(Priority::Normal)).collect())
            .await,
    );

    for job in h.wait_final(&ids, Duration::from_secs(120)).await {
        assert_eq!(
            job.status,
            JobStatus::Succeeded,
            "{} ended {}",
            job.id,
            job.status
        );
    }
    for w in [&a, &b] {
        let metrics = w.metrics().await;
        let reconnects: f64 = metrics
            .lines()
            .find(|l| l.starts_with("herald_broker_reconnects_total "))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or(0.0);
        assert!(reconnects >= 1.0, "{} did not count its reconnect", w.name);
    }
    h.cleanup().await;
}

/// A clean stop logs no ERROR line: the broker sessions close their channels before
/// their connections (closing a connection under open channels made the AMQP client
/// log each channel's close as an error).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_shutdown_with_a_broker_logs_no_error() {
    let h = Harness::new("clean-stop").await;
    let mut w = h.worker().spawn(h.dir.path(), "w");
    w.wait_consuming().await;
    let ids = h
        .enqueue((0..20).map(|_| log_job(Priority::Normal)).collect())
        .await;
    h.wait_final(&ids, Duration::from_secs(30)).await;
    w.signal(Signal::SIGTERM);
    let status = w.wait_exit(Duration::from_secs(30)).await;
    assert!(status.success(), "{status:?}");
    let log = w.log_text();
    assert!(log.contains("worker stopped"), "{log}");
    let errors: Vec<&str> = log.lines().filter(|l| l.contains(" ERROR ")).collect();
    assert!(
        errors.is_empty(),
        "ERROR lines on a clean stop:\n{}",
        errors.join("\n")
    );
    h.cleanup().await;
}

/// SIGTERM with every phase slow — deliveries that outlast the whole shutdown, a hosted
/// match, live broker sessions, and a store whose write lock is taken by another
/// process late in the stop and held well past it — still exits within
/// `SHUTDOWN_TIMEOUT_MS` (one deadline bounds every phase, so the orchestrator's grace
/// period of the same length is never outlived) and leaves no lease behind: the
/// releases are written before the lock is taken, because the stop reserves time for
/// them instead of spending the whole budget on draining.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_every_phase_slow_exits_within_the_shutdown_timeout() {
    const TIMEOUT: Duration = Duration::from_millis(5000);
    // When the other process takes SQLite's write lock, after SIGTERM, and how long it
    // holds it: after the releases are due (at 70 % of the budget), before the old
    // drain-then-release order would have written them.
    const LOCK_AT: Duration = Duration::from_millis(4000);
    const LOCK_FOR: Duration = Duration::from_millis(3000);
    let h = Harness::new("deadline").await;
    let sink = Sink::start().await;
    let spec = h
        .worker()
        .env("SHUTDOWN_TIMEOUT_MS", &TIMEOUT.as_millis().to_string());
    let mut a = spec.spawn(h.dir.path(), "a");
    a.wait_consuming().await;
    let a_id = a.get_json("/stats").await["workerId"]
        .as_str()
        .unwrap()
        .to_owned();
    let player = |id: &str| serde_json::json!({"id": id, "notify": {"channel": "log", "recipient": {"address": id}}});
    let request: herald_core::matches::MatchRequest = serde_json::from_value(serde_json::json!({
        "type": "scoreboard", "players": [player("p0"), player("p1")], "durationSec": 600
    }))
    .unwrap();
    h.store
        .insert(request.to_new_job(tenant()).unwrap())
        .await
        .unwrap();
    let slow = (0..10)
        .map(|_| webhook(&sink.url("/slow/60000"), Priority::Normal))
        .collect();
    h.enqueue(slow).await;
    wait_for(
        Duration::from_secs(20),
        "a to host the match and hold the slow deliveries",
        || async { (held_by(&h, &a_id).await.len() >= 11).then_some(()) },
    )
    .await;

    let stopping = std::time::Instant::now();
    a.signal(Signal::SIGTERM);
    let db = h.db.clone();
    let locker = std::thread::spawn(move || {
        let mut conn = rusqlite::Connection::open(&db).unwrap();
        std::thread::sleep(LOCK_AT.saturating_sub(stopping.elapsed()));
        let lock = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)
            .unwrap();
        std::thread::sleep(LOCK_FOR);
        lock.rollback().unwrap();
    });
    let status = a.wait_exit(Duration::from_secs(20)).await;
    let took = stopping.elapsed();
    assert!(status.success(), "{status:?}; log:\n{}", a.log_text());
    // The deadline keeps a margin for exiting; this test polls the exit every 20 ms.
    assert!(
        took <= TIMEOUT + Duration::from_millis(150),
        "took {took:?} to stop, over SHUTDOWN_TIMEOUT_MS; log:\n{}",
        a.log_text()
    );
    assert!(
        held_by(&h, &a_id).await.is_empty(),
        "a left jobs or its match running under its lease"
    );
    let log = a.log_text();
    assert!(log.contains("worker stopped"), "{log}");
    locker.join().unwrap();
    h.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_exits_0_releases_leases_and_loses_nothing() {
    let h = Harness::new("sigterm").await;
    let sink = Sink::start().await;
    let spec = h.worker().env("SHUTDOWN_TIMEOUT_MS", "1000");
    let mut a = spec.spawn(h.dir.path(), "a");
    a.wait_consuming().await;
    let a_id = a.get_json("/stats").await["workerId"]
        .as_str()
        .unwrap()
        .to_owned();

    // Most jobs finish quickly; some outlast the shutdown timeout.
    let jobs = (0..200)
        .map(|i| {
            webhook(
                &sink.url(if i % 20 == 0 {
                    "/slow/4000"
                } else {
                    "/slow/50"
                }),
                Priority::Normal,
            )
        })
        .collect();
    let ids = h.enqueue(jobs).await;
    wait_for(Duration::from_secs(20), "a to be busy", || async {
        (held_by(&h, &a_id).await.len() >= 5).then_some(())
    })
    .await;
    let stopping = std::time::Instant::now();
    a.signal(Signal::SIGTERM);
    let status = a.wait_exit(Duration::from_secs(15)).await;
    let took = stopping.elapsed();
    assert!(
        status.success(),
        "exit status {status:?}; log:\n{}",
        a.log_text()
    );
    assert!(took < Duration::from_secs(12), "took {took:?} to stop");
    assert!(
        held_by(&h, &a_id).await.is_empty(),
        "a left jobs running under its lease"
    );
    let log = a.log_text();
    assert!(
        log.contains("shutdown timeout passed; releasing unfinished jobs"),
        "{log}"
    );
    assert!(
        h.store
            .live_workers(Duration::from_secs(60))
            .await
            .unwrap()
            .iter()
            .all(|w| w.heartbeat.worker_id.as_str() != a_id),
        "a is still registered"
    );

    // Another worker takes over the rest: nothing lost.
    let b = spec.spawn(h.dir.path(), "b");
    b.wait_consuming().await;
    for job in h.wait_final(&ids, Duration::from_secs(60)).await {
        assert_eq!(
            job.status,
            JobStatus::Succeeded,
            "{} ended {}",
            job.id,
            job.status
        );
    }
    h.cleanup().await;
}
