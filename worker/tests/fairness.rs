//! Fairness between tenants (`docs/dispatch.md`, "Fairness") with real worker processes
//! on real RabbitMQ and SQLite: one tenant's backlog does not delay another tenant's
//! job, on the broker path and in embedded mode, and `TENANT_CONCURRENCY` holds across
//! two worker processes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use herald_core::notification::NotificationRequest;
use herald_core::{JobId, JobStatus, NewJob, Priority, Store, TenantId};
use herald_testkit::sink::Sink;
use herald_testkit::wait::wait_for;
use support::{Harness, WorkerSpec};

const BACKLOG: usize = 20_000;

fn tenant(name: &str) -> TenantId {
    TenantId::parse(name).unwrap()
}

/// A notification of `tenant` on `channel` (`log`, or `webhook` to `address`).
fn job_of(tenant: &TenantId, channel: &str, address: &str) -> NewJob {
    let request: NotificationRequest = serde_json::from_value(serde_json::json!({
        "channel": channel,
        "recipient": {"address": address},
        "body": "hello",
        "priority": Priority::Normal.as_str(),
    }))
    .unwrap();
    request
        .validate(chrono::Utc::now())
        .unwrap()
        .to_new_job(tenant.clone())
        .unwrap()
}

async fn succeeded(store: &dyn Store) -> u64 {
    store
        .counts()
        .await
        .map(|c| c.get(JobStatus::Succeeded))
        .unwrap_or(0)
}

/// Posts tenant `quiet`'s one job while tenant `busy`'s backlog drains, and measures how
/// long it took from its creation to its completion; returns that and how many of the
/// backlog were still waiting when it completed.
async fn quiet_job_latency(
    h: &Harness,
    enqueue: impl std::future::Future<Output = JobId>,
) -> (Duration, u64) {
    let quiet = tenant("quiet");
    wait_for(
        Duration::from_secs(120),
        "the backlog's drain to be under way",
        || async { (succeeded(h.store.as_ref()).await >= 1_000).then_some(()) },
    )
    .await;
    let id = enqueue.await;
    let job = wait_for(
        Duration::from_secs(60),
        "the quiet tenant's job",
        || async {
            let job = h.store.get(&quiet, &id).await.ok()?;
            (job.status == JobStatus::Succeeded).then_some(job)
        },
    )
    .await;
    let done_at = job.completed_at.unwrap();
    let latency = (done_at - job.created_at).to_std().unwrap_or_default();
    let waiting = BACKLOG as u64 + 1 - succeeded(h.store.as_ref()).await.min(BACKLOG as u64 + 1);
    (latency, waiting)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_does_not_delay_another_tenant_on_the_broker_path() {
    let h = Harness::new("fair-broker").await;
    let busy = tenant("busy");
    h.enqueue(
        (0..BACKLOG)
            .map(|_| job_of(&busy, "log", "someone"))
            .collect(),
    )
    .await;
    // The poller would take turns too; keep it out, so the deliveries alone decide.
    let _w = h
        .worker()
        .env("POLL_INTERVAL_MS", "600000")
        .spawn(h.dir.path(), "w");
    let quiet = tenant("quiet");
    let (latency, waiting) = quiet_job_latency(&h, async {
        h.enqueue(vec![job_of(&quiet, "log", "someone")]).await[0].clone()
    })
    .await;
    eprintln!(
        "broker path: the quiet tenant's job completed {latency:?} after it was posted, \
         with {waiting} of the busy tenant's backlog still to go"
    );
    assert!(
        latency < Duration::from_secs(1),
        "the quiet tenant's job took {latency:?} behind a backlog of {BACKLOG}"
    );
    assert!(
        waiting > 1_000,
        "the backlog was nearly drained ({waiting} left): the test proves nothing"
    );
    h.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_does_not_delay_another_tenant_in_embedded_mode() {
    let h = Harness::new("fair-embedded").await;
    let busy = tenant("busy");
    let backlog: Vec<NewJob> = (0..BACKLOG)
        .map(|_| job_of(&busy, "log", "someone"))
        .collect();
    for chunk in backlog.chunks(1_000) {
        h.store.insert_many(chunk.to_vec()).await.unwrap();
    }
    // No broker: the poller is the only path.
    let _w = WorkerSpec::new(&h.db)
        .env("POLL_INTERVAL_MS", "50")
        .spawn(h.dir.path(), "w");
    let quiet = tenant("quiet");
    let (latency, waiting) = quiet_job_latency(&h, async {
        let inserted = h
            .store
            .insert(job_of(&quiet, "log", "someone"))
            .await
            .unwrap();
        inserted.into_job().id
    })
    .await;
    eprintln!(
        "embedded mode: the quiet tenant's job completed {latency:?} after it was posted, \
         with {waiting} of the busy tenant's backlog still to go"
    );
    assert!(
        latency < Duration::from_secs(1),
        "the quiet tenant's job took {latency:?} behind a backlog of {BACKLOG}"
    );
    assert!(
        waiting > 1_000,
        "the backlog was nearly drained ({waiting} left): the test proves nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_concurrency_holds_across_worker_processes() {
    let h = Harness::new("fair-cap").await;
    let sink = Sink::start().await;
    let (capped, free) = (tenant("capped"), tenant("free"));
    let slow = sink.url("/slow/300");
    let mut jobs: Vec<NewJob> = (0..24).map(|_| job_of(&capped, "webhook", &slow)).collect();
    jobs.extend((0..24).map(|_| job_of(&free, "webhook", &sink.url("/ok"))));
    let spec = h.worker().env("TENANT_CONCURRENCY", "capped:3");
    let a = spec.spawn(h.dir.path(), "a");
    let b = spec.spawn(h.dir.path(), "b");
    a.wait_consuming().await;
    b.wait_consuming().await;
    let ids = h.enqueue(jobs).await;

    // Sample what the sink holds (only the capped tenant's requests are slow).
    let started = Instant::now();
    let mut most = 0usize;
    while succeeded(h.store.as_ref()).await < ids.len() as u64 {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the jobs did not finish"
        );
        most = most.max(sink.in_progress().len());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = started.elapsed();
    eprintln!("at most {most} of the capped tenant's requests at once; all done in {elapsed:?}");
    assert!(most <= 3, "{most} of the capped tenant's jobs ran at once");
    assert_eq!(
        most, 3,
        "the cap was never reached: the test proves nothing"
    );
    let counts = sink.counts();
    assert_eq!(counts.len(), ids.len(), "every job delivered");
    assert!(counts.values().all(|n| *n == 1), "each exactly once");
    // 24 jobs of 300 ms, 3 at a time, take at least 2.4 s; woken by each finished job,
    // not by the 500 ms poll, they take well under the poll-bound time.
    assert!(
        elapsed < Duration::from_secs(12),
        "the capped tenant drained slowly: {elapsed:?}"
    );
    h.cleanup().await;
}
