//! Embedded mode (no broker) wakes the pollers: with `POLL_INTERVAL_MS` at 10 s (a first
//! poll no sooner than 8 s after start), a job posted to the API is still claimed and
//! finished well within a second — by a worker in the API's own process (a direct
//! notify), and by a worker process beside it (a datagram to its socket in
//! `<SQLITE_PATH>.wake/`). A dead socket left there by a crashed worker, or a stray
//! file, costs the request nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use herald_api::auth::ApiKeys;
use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::StoreConfig;
use herald_core::{Job, JobId, JobStatus, Store};
use herald_testkit::wait::wait_for;
use support::{tenant, WorkerSpec, TENANT};

const KEY: &str = "wakeup-test-key-0123456789";
const POLL: Duration = Duration::from_secs(10);
/// Far below the 8 s the first poll can take: only a wake-up gets a job done this soon.
const WITHIN: Duration = Duration::from_secs(1);

async fn api(db: &Path) -> herald_api::Server {
    let config = herald_api::config::Config::new(
        StoreConfig::Sqlite(SqliteConfig::new(db)),
        ApiKeys::parse(&format!("{TENANT}:{KEY}")).unwrap(),
    );
    herald_api::Server::start(config).await.unwrap()
}

/// Posts one `log` notification; its id and when the 202 came.
async fn post(api: &herald_api::Server) -> (JobId, Instant) {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/notifications", api.url()))
        .bearer_auth(KEY)
        .header("content-type", "application/json")
        .body(
            serde_json::json!({
                "channel": "log",
                "recipient": {"address": "someone"},
                "body": "wake up",
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let accepted = Instant::now();
    assert_eq!(response.status(), 202);
    let body: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    (body["id"].as_str().unwrap().parse().unwrap(), accepted)
}

/// Waits (well past [`WITHIN`], so a miss reports its real latency) for the job to
/// succeed, and checks it did so within [`WITHIN`] of its 202, by both clocks: ours and
/// the store's `completedAt - createdAt`.
async fn assert_done_soon(store: &Arc<dyn Store>, id: &JobId, accepted: Instant, how: &str) {
    let job: Job = wait_for(Duration::from_secs(20), "the job to succeed", || async {
        let job = store.get(&tenant(), id).await.ok()?;
        (job.status == JobStatus::Succeeded).then_some(job)
    })
    .await;
    let seen = accepted.elapsed();
    let completed = job.completed_at.expect("a succeeded job has completedAt");
    let stored = (completed - job.created_at).to_std().unwrap_or_default();
    assert!(
        stored < WITHIN,
        "{how}: created → completed took {stored:?} in the store (seen after {seen:?}); \
         POLL_INTERVAL_MS is {POLL:?}, so the wake-up did not arrive"
    );
}

async fn open_store(db: &Path) -> Arc<dyn Store> {
    herald_core::store::open(
        &StoreConfig::Sqlite(SqliteConfig::new(db)),
        herald_core::clock::system(),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_in_the_apis_process_is_woken_directly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("herald.db");
    let api = api(&db).await;
    let mut config = herald_worker::Config::embedded(StoreConfig::Sqlite(SqliteConfig::new(&db)));
    config.poll_interval = POLL;
    let worker = herald_worker::Worker::builder(config)
        .start()
        .await
        .unwrap();
    let store = open_store(&db).await;

    for round in 0..3 {
        let (id, accepted) = post(&api).await;
        assert_done_soon(&store, &id, accepted, &format!("in-process, job {round}")).await;
    }

    let report = worker.shutdown().await.unwrap();
    assert!(report.drained);
    api.shutdown().await.unwrap();
    let sockets = std::fs::read_dir(dir.path().join("herald.db.wake"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(sockets, 0, "the worker's socket outlived it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_process_beside_the_api_is_woken_through_its_socket() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("herald.db");
    let api = api(&db).await;
    let store = open_store(&db).await;
    let worker = WorkerSpec::new(&db)
        .env("POLL_INTERVAL_MS", &POLL.as_millis().to_string())
        .spawn(dir.path(), "worker");
    worker.metrics_addr().await;

    // What a crashed worker leaves behind, and a file that is no socket at all.
    let sockets = dir.path().join("herald.db.wake");
    let stale = sockets.join("crashed.sock");
    drop(std::os::unix::net::UnixDatagram::bind(&stale).unwrap());
    std::fs::write(sockets.join("stray.sock"), b"not a socket").unwrap();

    for round in 0..3 {
        let (id, accepted) = post(&api).await;
        assert_done_soon(
            &store,
            &id,
            accepted,
            &format!("across processes, job {round}"),
        )
        .await;
    }
    assert!(
        !stale.exists(),
        "the crashed worker's socket was not removed"
    );
    let log = worker.log_text();
    assert!(!log.contains("ERROR"), "worker log:\n{log}");
    api.shutdown().await.unwrap();
}
