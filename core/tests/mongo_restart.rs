//! A MongoDB server restart in the middle of work: while it is down every operation is
//! `StoreError::Unavailable` (what the API turns into a 503); once it is back, work
//! carries on with no job lost and none completed twice.
//!
//! The test runs its own SecantusDB (`$SECANTUSD`, exported by scripts/test.sh) on a
//! persistent storage path, stops it, and starts it again on the same path and port.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use herald_core::job::AttemptOutcome;
use herald_core::store::mongo::{MongoConfig, MongoStore};
use herald_core::store::{ClaimRequest, JobStore, LeaseStore};
use herald_core::{JobId, JobKind, JobStatus, NewJob, StoreError, TenantId, WorkerId};
use herald_testkit::services::{free_port, start_secantus};
use herald_testkit::wait::wait_for;
use tokio::process::{Child, Command};

const JOBS: usize = 60;
/// Short, so a claim whose reply was lost in the outage comes back soon.
const LEASE: Duration = Duration::from_secs(5);

/// Stops the server the way an orchestrator does (SIGTERM), and waits for it to exit.
async fn stop_server(mut child: Child) {
    let pid = child.id().expect("server is running");
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await
        .unwrap();
    assert!(status.success());
    if tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .is_err()
    {
        child.kill().await.unwrap();
    }
}

fn assert_unavailable<T: std::fmt::Debug>(what: &str, result: Result<T, StoreError>) {
    match result {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("{what} while the server is down should be Unavailable, got {other:?}"),
    }
}

/// What the claimers saw.
#[derive(Default)]
struct Ledger {
    /// Successful completes per job.
    completed: Mutex<HashMap<JobId, usize>>,
    /// Completes answered `LeaseLost` (the lease ran out in the outage and the job was
    /// taken again, or the write landed but its reply was lost with the connection).
    lease_lost: Mutex<Vec<JobId>>,
    unavailable: AtomicUsize,
}

/// A worker loop: claim a few due jobs, complete each; ride out the outage by retrying.
async fn claimer(store: MongoStore, ledger: Arc<Ledger>, stop: Arc<AtomicBool>) {
    let request = ClaimRequest {
        worker: WorkerId::generate(),
        lease: LEASE,
        limit: 3,
        kind: None,
        priority: None,
        fairness: Default::default(),
    };
    while !stop.load(Ordering::SeqCst) {
        let batch = match store.claim_due(&request).await {
            Ok(batch) => batch,
            Err(StoreError::Unavailable(_)) => {
                ledger.unavailable.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            Err(e) => panic!("claim_due: {e}"),
        };
        if batch.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        for claimed in batch {
            loop {
                match store.complete(&claimed.lease).await {
                    Ok(()) => {
                        *ledger
                            .completed
                            .lock()
                            .unwrap()
                            .entry(claimed.job.id.clone())
                            .or_default() += 1;
                        break;
                    }
                    Err(StoreError::Unavailable(_)) => {
                        ledger.unavailable.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    // The lease ran out during the outage and someone else took the
                    // job: its result is dropped, as the protocol says.
                    Err(StoreError::LeaseLost) => {
                        ledger
                            .lease_lost
                            .lock()
                            .unwrap()
                            .push(claimed.job.id.clone());
                        break;
                    }
                    Err(e) => panic!("complete: {e}"),
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_restart_is_unavailable_then_loses_and_doubles_nothing() {
    let storage = tempfile::Builder::new()
        .prefix("herald-mongo-restart-")
        .tempdir()
        .unwrap();
    let port = free_port();
    let server = start_secantus(port, storage.path()).await;

    let mut config = MongoConfig::new(format!("mongodb://127.0.0.1:{port}/?directConnection=true"));
    config.database = "herald_restart".into();
    config.server_selection_timeout = Some(Duration::from_secs(1));
    let store = MongoStore::open(config, herald_core::clock::system())
        .await
        .unwrap();
    let tenant = TenantId::parse("t1").unwrap();
    let jobs: Vec<NewJob> = (0..JOBS)
        .map(|n| {
            NewJob::new(
                JobKind::Notification,
                tenant.clone(),
                serde_json::json!({ "n": n }),
            )
        })
        .collect();
    let ids: Vec<JobId> = store
        .insert_many(jobs)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.into_job().id)
        .collect();

    let ledger = Arc::new(Ledger::default());
    let stop = Arc::new(AtomicBool::new(false));
    let claimers: Vec<_> = (0..2)
        .map(|_| tokio::spawn(claimer(store.clone(), ledger.clone(), stop.clone())))
        .collect();
    let done = |ledger: &Ledger| ledger.completed.lock().unwrap().len();
    wait_for(Duration::from_secs(60), "some jobs to complete", || {
        let n = done(&ledger);
        async move { n >= 5 }
    })
    .await;

    // Mid-run: stop the server.
    stop_server(server).await;
    let progress_at_stop = done(&ledger);
    assert!(
        progress_at_stop < JOBS,
        "the claimers finished before the restart; nothing was tested"
    );
    assert_unavailable("ping", store.ping().await);
    assert_unavailable("get", store.get(&tenant, &ids[0]).await);
    assert_unavailable("counts", store.counts().await);
    let refused = NewJob::new(JobKind::Notification, tenant.clone(), serde_json::json!({}));
    let refused_id = refused.id.clone();
    assert_unavailable("insert", store.insert(refused).await);
    let request = ClaimRequest {
        worker: WorkerId::generate(),
        lease: LEASE,
        limit: 1,
        kind: None,
        priority: None,
        fairness: Default::default(),
    };
    assert_unavailable("claim_due", store.claim_due(&request).await);
    assert_unavailable("claim", store.claim(&ids[0], &request.worker, LEASE).await);
    wait_for(
        Duration::from_secs(30),
        "the claimers to see the outage",
        || {
            let n = ledger.unavailable.load(Ordering::SeqCst);
            async move { n > 0 }
        },
    )
    .await;

    // Back on the same data and port: the same client reconnects by itself.
    let server = start_secantus(port, storage.path()).await;
    wait_for(Duration::from_secs(60), "the store to answer again", || {
        let store = store.clone();
        async move { store.ping().await.is_ok() }
    })
    .await;
    wait_for(
        Duration::from_secs(120),
        "every job to be completed",
        || {
            let store = store.clone();
            async move {
                store
                    .counts()
                    .await
                    .map(|c| c.get(JobStatus::Succeeded) == JOBS as u64)
                    .unwrap_or(false)
            }
        },
    )
    .await;
    stop.store(true, Ordering::SeqCst);
    for claimer in claimers {
        claimer.await.unwrap();
    }

    let completed = ledger.completed.lock().unwrap().clone();
    let twice: Vec<_> = completed.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "completed more than once: {twice:?}");
    let lease_lost = ledger.lease_lost.lock().unwrap().clone();
    let mut reclaimed = 0;
    for id in &ids {
        assert!(
            completed.contains_key(id) || lease_lost.contains(id),
            "job {id} was never completed by a claimer"
        );
        let job = store.get(&tenant, id).await.unwrap();
        assert_eq!(job.status, JobStatus::Succeeded, "job {id} was lost");
        let successes = job
            .history
            .iter()
            .filter(|h| h.outcome == AttemptOutcome::Succeeded)
            .count();
        assert_eq!(
            successes, 1,
            "job {id} succeeded {successes} times: {job:?}"
        );
        if job.attempts > 1 {
            reclaimed += 1;
        }
    }
    eprintln!(
        "restart: {progress_at_stop} of {JOBS} done at the stop; {} unavailable answers; \
         {reclaimed} jobs reclaimed after a lease ran out; {} completes answered LeaseLost",
        ledger.unavailable.load(Ordering::SeqCst),
        lease_lost.len()
    );
    let counts = store.counts().await.unwrap();
    assert_eq!(
        counts.total(),
        JOBS as u64,
        "the refused insert stored nothing"
    );
    assert!(matches!(
        store.get(&tenant, &refused_id).await,
        Err(StoreError::NotFound)
    ));
    stop_server(server).await;
}

/// Start-up against a server that is not there: `Unavailable`, through the same
/// `store::open` the binaries call.
#[tokio::test]
async fn opening_an_unreachable_server_is_unavailable() {
    let port = free_port(); // bound and released: nothing listens there
    let mut config = MongoConfig::new(format!("mongodb://127.0.0.1:{port}/?directConnection=true"));
    config.server_selection_timeout = Some(Duration::from_millis(500));
    let started = Instant::now();
    let opened = herald_core::store::open(
        &herald_core::store::StoreConfig::Mongo(config),
        herald_core::clock::system(),
    )
    .await;
    assert_unavailable("open", opened.map(|_| ()));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the server-selection timeout was not applied"
    );
}
