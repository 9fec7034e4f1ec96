//! The store conformance suite: written once, run against every store.
//!
//! A store's test file implements [`Harness`] (how to make a fresh database, open
//! more handles on it, and point a child process at it) and expands
//! [`crate::conformance_suite!`], which generates one `#[tokio::test]` per property
//! under `conformance::<backend>::`, so `cargo test conformance` selects them all.
//!
//! Time: the suite uses real time with short leases, so the same test proves the
//! property whether "now" is SQLite's injected clock or MongoDB's server clock.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Utc;
use serde_json::json;

use crate::clock::{Clock, SystemClock};
use crate::job::{
    AttemptOutcome, JobId, JobKind, JobStatus, NewJob, Priority, TenantId, Transition,
};
use crate::lease::{ClaimedJob, Lease, WorkerId};
use crate::matches::{
    result_idempotency_key, EndedBy, EventKind, EventRequest, MatchEvent, MatchRequest,
    MatchResult, MatchSnapshot, Standing,
};
use crate::retry::RetryPolicy;

use super::{
    Appended, ClaimOutcome, ClaimRequest, FailOutcome, Inserted, ListFilter, NotClaimed,
    PageRequest, Retry, Store, StoreError, WorkerHeartbeat,
};

/// Volumes and timings for one backend. SQLite takes the full volumes; a slow test
/// server takes smaller ones, with every property kept.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Jobs in the exactly-once claiming tests.
    pub jobs: usize,
    /// Concurrent in-process claimers.
    pub tasks: usize,
    /// A lease short enough to wait out in a test.
    pub short_lease: Duration,
    /// How long to wait for something that should happen.
    pub patience: Duration,
}

impl Scale {
    pub const FULL: Scale = Scale {
        jobs: 2_000,
        tasks: 8,
        short_lease: Duration::from_millis(300),
        patience: Duration::from_secs(20),
    };
}

/// How the suite gets at one backend.
#[async_trait]
pub trait Harness: Sized + Send + Sync + 'static {
    /// A fresh, empty database for the test `name`.
    async fn setup(name: &str) -> Self;
    /// A handle on this test's database whose client clock is `clock`.
    async fn open(&self, clock: Arc<dyn Clock>) -> Arc<dyn Store>;
    /// Environment for a child process (`herald-store`) to open the same database.
    fn child_env(&self) -> Vec<(String, String)>;
    fn scale(&self) -> Scale;
}

/// Generates the suite's tests for one backend: `conformance_suite!(sqlite, MyHarness,
/// env!("CARGO_BIN_EXE_herald-store"))`.
#[macro_export]
macro_rules! conformance_suite {
    ($backend:ident, $harness:ty, $store_bin:expr) => {
        $crate::conformance_suite!(@tests $backend, $harness, $store_bin;
            claims_each_job_once_across_tasks,
            live_lease_blocks_claims_and_expired_lease_is_reclaimed,
            takeover_fences_out_the_old_holder,
            reclaim_by_the_same_worker_identity_still_fences,
            renew_extends_a_live_lease_only,
            scheduled_job_waits_for_run_at,
            fail_reschedules_by_policy_then_dies_with_history,
            permanent_failure_is_dead_at_once,
            lease_expiring_on_final_attempt_goes_dead,
            snooze_and_release_do_not_spend_attempts,
            cancel_only_waiting_jobs,
            redrive_moves_dead_to_pending,
            idempotency_key_replay_returns_the_same_job,
            tenants_are_isolated,
            insert_many_is_all_or_nothing,
            list_pages_newest_first_with_filters,
            claim_due_takes_priority_then_run_at,
            claim_by_id_says_why_not,
            claim_many_takes_only_claimable_jobs_once,
            counts_by_state,
            worker_registry_heartbeats,
            match_events_get_gap_free_seqs_under_concurrent_appends,
            appending_is_for_live_matches_of_the_tenant,
            event_keys_replay_the_first_append_of_their_match,
            concurrent_appends_under_one_key_store_one_event,
            events_after_reads_ascending_with_a_limit,
            match_snapshot_saves_are_fenced,
            snapshot_survives_a_takeover,
            finish_match_is_one_fenced_atomic_write,
        );
    };
    (@tests $backend:ident, $harness:ty, $store_bin:expr; $($test:ident),+ $(,)?) => {
        mod conformance {
            pub mod $backend {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                    async fn $test() {
                        let harness = <$harness as $crate::store::conformance::Harness>::setup(
                            stringify!($test),
                        )
                        .await;
                        $crate::store::conformance::$test(&harness).await;
                    }
                )+

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn claims_each_job_once_across_processes() {
                    $crate::store::conformance::claims_each_job_once_across_processes::<$harness>(
                        $store_bin,
                    )
                    .await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn match_events_gap_free_across_processes() {
                    $crate::store::conformance::match_events_gap_free_across_processes::<$harness>(
                        $store_bin,
                    )
                    .await;
                }
            }
        }
    };
}

fn tenant(name: &str) -> TenantId {
    TenantId::parse(name).unwrap()
}

fn note(tenant_name: &str, n: usize) -> NewJob {
    NewJob::new(
        JobKind::Notification,
        tenant(tenant_name),
        json!({ "n": n }),
    )
}

async fn real(h: &impl Harness) -> Arc<dyn Store> {
    h.open(Arc::new(SystemClock::default())).await
}

async fn insert(store: &Arc<dyn Store>, job: NewJob) -> crate::job::Job {
    store.insert(job).await.unwrap().into_job()
}

async fn claim(
    store: &Arc<dyn Store>,
    id: &JobId,
    worker: &WorkerId,
    lease: Duration,
) -> ClaimedJob {
    match store.claim(id, worker, lease).await.unwrap() {
        ClaimOutcome::Claimed(c) => *c,
        ClaimOutcome::NotClaimed(why) => panic!("expected to claim {id}, got {why:?}"),
    }
}

async fn not_claimed(store: &Arc<dyn Store>, id: &JobId, worker: &WorkerId) -> NotClaimed {
    match store
        .claim(id, worker, Duration::from_secs(60))
        .await
        .unwrap()
    {
        ClaimOutcome::Claimed(c) => panic!("claim of {id} should fail, got lease {:?}", c.lease),
        ClaimOutcome::NotClaimed(why) => why,
    }
}

/// Claims `id` as soon as the store allows it (its lease or run time passing).
async fn claim_when_possible(
    store: &Arc<dyn Store>,
    id: &JobId,
    worker: &WorkerId,
    scale: Scale,
) -> ClaimedJob {
    claim_when_possible_for(store, id, worker, Duration::from_secs(60), scale).await
}

async fn claim_when_possible_for(
    store: &Arc<dyn Store>,
    id: &JobId,
    worker: &WorkerId,
    lease: Duration,
    scale: Scale,
) -> ClaimedJob {
    let deadline = Instant::now() + scale.patience;
    loop {
        match store.claim(id, worker, lease).await.unwrap() {
            ClaimOutcome::Claimed(c) => return *c,
            ClaimOutcome::NotClaimed(why) => {
                assert!(
                    Instant::now() < deadline,
                    "{id} never became claimable: {why:?}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn insert_batch(store: &Arc<dyn Store>, n: usize) -> Vec<JobId> {
    let mut ids = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let jobs = chunk.iter().map(|i| note("t1", *i)).collect();
        for inserted in store.insert_many(jobs).await.unwrap() {
            ids.push(inserted.into_job().id);
        }
    }
    ids
}

/// Every claim counted by id must be exactly 1, over exactly the inserted ids.
fn assert_exactly_once(ids: &[JobId], claims: &[JobId]) {
    let mut per_id: HashMap<&JobId, usize> = HashMap::new();
    for id in claims {
        *per_id.entry(id).or_default() += 1;
    }
    let doubled: Vec<_> = per_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "claimed more than once: {doubled:?}");
    let expected: HashSet<&JobId> = ids.iter().collect();
    let got: HashSet<&JobId> = per_id.keys().copied().collect();
    assert_eq!(
        got.len(),
        expected.len(),
        "claimed {} of {} jobs",
        got.len(),
        expected.len()
    );
    assert_eq!(got, expected);
}

pub async fn claims_each_job_once_across_tasks(h: &impl Harness) {
    let scale = h.scale();
    let store = real(h).await;
    let ids = insert_batch(&store, scale.jobs).await;
    let lease = Duration::from_secs(120);
    let mut tasks = Vec::new();
    for t in 0..scale.tasks {
        // Each task has its own handle, as separate processes would.
        let store = h.open(Arc::new(SystemClock::default())).await;
        let mut by_id = ids.clone();
        // Half the tasks claim by id (as RabbitMQ deliveries do, in different orders,
        // each id offered to several tasks); the other half poll for due batches.
        by_id.rotate_left(t * ids.len() / scale.tasks.max(1));
        tasks.push(tokio::spawn(async move {
            let worker = WorkerId::generate();
            let mut mine = Vec::new();
            if t % 2 == 0 {
                loop {
                    let req = ClaimRequest {
                        worker: worker.clone(),
                        lease,
                        limit: 7,
                        kind: None,
                    };
                    let batch = store.claim_due(&req).await.unwrap();
                    if batch.is_empty() {
                        break;
                    }
                    for c in batch {
                        store.complete(&c.lease).await.unwrap();
                        mine.push(c.job.id);
                    }
                }
            } else {
                for id in by_id {
                    if let ClaimOutcome::Claimed(c) =
                        store.claim(&id, &worker, lease).await.unwrap()
                    {
                        store.complete(&c.lease).await.unwrap();
                        mine.push(c.job.id);
                    }
                }
            }
            mine
        }));
    }
    let mut claims = Vec::new();
    for task in tasks {
        claims.extend(task.await.unwrap());
    }
    assert_exactly_once(&ids, &claims);
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.get(JobStatus::Succeeded), ids.len() as u64);
    assert_eq!(counts.total(), ids.len() as u64);
}

/// Two OS processes (`herald-store drain`) race the same jobs.
pub async fn claims_each_job_once_across_processes<H: Harness>(store_bin: &str) {
    let h = H::setup("claims_each_job_once_across_processes").await;
    let scale = h.scale();
    let store = real(&h).await;
    let ids = insert_batch(&store, scale.jobs).await;
    let mut children = Vec::new();
    for batch in ["1", "5"] {
        let mut cmd = tokio::process::Command::new(store_bin);
        cmd.args(["drain", "--batch", batch, "--lease-ms", "120000"])
            .envs(h.child_env())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        children.push(cmd.spawn().expect("start herald-store"));
    }
    let mut claims = Vec::new();
    let mut per_process = Vec::new();
    for child in children {
        let out = tokio::time::timeout(scale.patience * 6, child.wait_with_output())
            .await
            .expect("claimer process timed out")
            .unwrap();
        assert!(
            out.status.success(),
            "claimer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let mine: Vec<JobId> = stdout.lines().map(|l| l.parse().unwrap()).collect();
        per_process.push(mine.len());
        claims.extend(mine);
    }
    assert_exactly_once(&ids, &claims);
    assert!(
        per_process.iter().all(|n| *n > 0),
        "both processes should have claimed something: {per_process:?}"
    );
    assert_eq!(
        store.counts().await.unwrap().get(JobStatus::Succeeded),
        ids.len() as u64
    );
}

pub async fn live_lease_blocks_claims_and_expired_lease_is_reclaimed(h: &impl Harness) {
    let scale = h.scale();
    let store = real(h).await;
    let (a, b) = (WorkerId::generate(), WorkerId::generate());

    let live = insert(&store, note("t1", 1)).await;
    let held = claim(&store, &live.id, &a, Duration::from_secs(60)).await;
    assert_eq!(held.job.status, JobStatus::Running);
    assert_eq!(held.job.attempts, 1);
    assert_eq!(held.lease.worker, a);
    match not_claimed(&store, &live.id, &b).await {
        NotClaimed::Held { by, .. } => assert_eq!(by, Some(a.clone())),
        other => panic!("expected Held, got {other:?}"),
    }
    let req = ClaimRequest {
        worker: b.clone(),
        lease: Duration::from_secs(60),
        limit: 10,
        kind: None,
    };
    assert!(
        store.claim_due(&req).await.unwrap().is_empty(),
        "a live lease is never polled"
    );

    let short = insert(&store, note("t1", 2)).await;
    let first = claim(&store, &short.id, &a, scale.short_lease).await;
    let taken = claim_when_possible(&store, &short.id, &b, scale).await;
    assert_eq!(taken.lease.worker, b);
    assert!(
        taken.lease.version > first.lease.version,
        "takeover bumps the fencing token"
    );
    assert_eq!(
        taken.job.attempts, 2,
        "reclaiming an expired lease spends an attempt"
    );

    // The poller finds expired leases too.
    let polled = insert(&store, note("t1", 3)).await;
    claim(&store, &polled.id, &a, scale.short_lease).await;
    let deadline = Instant::now() + scale.patience;
    let found = loop {
        let got = store.claim_due(&req).await.unwrap();
        if let Some(c) = got.into_iter().find(|c| c.job.id == polled.id) {
            break c;
        }
        assert!(
            Instant::now() < deadline,
            "the poller never reclaimed the expired lease"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(found.lease.worker, b);
}

/// After B takes over A's expired lease, each of A's writes is LeaseLost and changes nothing.
pub async fn takeover_fences_out_the_old_holder(h: &impl Harness) {
    let scale = h.scale();
    let store = real(h).await;
    let (a, b) = (WorkerId::generate(), WorkerId::generate());
    let job = insert(&store, note("t1", 1)).await;
    let old = claim(&store, &job.id, &a, scale.short_lease).await;
    let new = claim_when_possible(&store, &job.id, &b, scale).await;
    assert_stale_writes_rejected(&store, &old.lease, &new.lease).await;
    // The new holder is unaffected and can finish.
    store.complete(&new.lease).await.unwrap();
    let done = store.get(&tenant("t1"), &job.id).await.unwrap();
    assert_eq!(done.status, JobStatus::Succeeded);
    assert!(
        matches!(store.complete(&new.lease).await, Err(StoreError::LeaseLost)),
        "completing twice is fenced too"
    );
}

/// A worker that restarts with the same identity and re-claims still cannot use its
/// old lease: the fencing token, not the name, decides.
pub async fn reclaim_by_the_same_worker_identity_still_fences(h: &impl Harness) {
    let scale = h.scale();
    let store = real(h).await;
    let a = WorkerId::generate();
    let job = insert(&store, note("t1", 1)).await;
    let old = claim(&store, &job.id, &a, scale.short_lease).await;
    let new = claim_when_possible(&store, &job.id, &a, scale).await;
    assert_eq!(old.lease.worker, new.lease.worker);
    assert_stale_writes_rejected(&store, &old.lease, &new.lease).await;
}

async fn assert_stale_writes_rejected(store: &Arc<dyn Store>, stale: &Lease, current: &Lease) {
    let before = store.get(&tenant("t1"), &stale.job_id).await.unwrap();
    let lost = |r: Result<(), StoreError>, what: &str| match r {
        Err(StoreError::LeaseLost) => {}
        other => panic!("stale {what} should be LeaseLost, got {other:?}"),
    };
    lost(store.complete(stale).await, "complete");
    lost(
        store
            .renew(stale, Duration::from_secs(600))
            .await
            .map(|_| ()),
        "renew",
    );
    lost(
        store
            .fail(stale, "stale failure", Retry::Never)
            .await
            .map(|_| ()),
        "fail",
    );
    lost(
        store
            .snooze(stale, Duration::from_secs(600), "stale")
            .await
            .map(|_| ()),
        "snooze",
    );
    lost(store.release(stale).await, "release");
    let many = store
        .complete_many(std::slice::from_ref(stale))
        .await
        .unwrap();
    assert!(
        matches!(many.as_slice(), [Err(StoreError::LeaseLost)]),
        "complete_many: {many:?}"
    );
    let after = store.get(&tenant("t1"), &stale.job_id).await.unwrap();
    assert_eq!(after, before, "stale writes must change nothing");
    assert_eq!(after.status, JobStatus::Running);
    assert_eq!(after.locked_by.as_ref(), Some(&current.worker));
    assert_eq!(after.lease_version, current.version);
}

pub async fn renew_extends_a_live_lease_only(h: &impl Harness) {
    let scale = h.scale();
    let store = real(h).await;
    let a = WorkerId::generate();
    let job = insert(&store, note("t1", 1)).await;
    let held = claim(&store, &job.id, &a, Duration::from_secs(30)).await;
    let renewed = store
        .renew(&held.lease, Duration::from_secs(600))
        .await
        .unwrap();
    assert!(renewed.expires_at > held.lease.expires_at + chrono::Duration::seconds(500));
    assert_eq!(
        renewed.version, held.lease.version,
        "renewing keeps the fencing token"
    );
    let stored = store.get(&tenant("t1"), &job.id).await.unwrap();
    assert_eq!(stored.lock_expiry, Some(renewed.expires_at));

    // A lease that has expired by the store's clock is not revived, taken or not.
    let other = insert(&store, note("t1", 2)).await;
    let short = claim(&store, &other.id, &a, scale.short_lease).await;
    tokio::time::sleep(scale.short_lease * 2).await;
    assert!(matches!(
        store.renew(&short.lease, Duration::from_secs(60)).await,
        Err(StoreError::LeaseLost)
    ));
}

pub async fn scheduled_job_waits_for_run_at(h: &impl Harness) {
    let scale = h.scale();
    let store = real(h).await;
    let worker = WorkerId::generate();
    let far = insert(
        &store,
        note("t1", 1).run_at(Utc::now() + chrono::Duration::hours(1)),
    )
    .await;
    assert_eq!(far.status, JobStatus::Scheduled);
    match not_claimed(&store, &far.id, &worker).await {
        NotClaimed::NotDue { run_at } => assert_eq!(run_at, far.run_at),
        other => panic!("expected NotDue, got {other:?}"),
    }
    let req = ClaimRequest {
        worker: worker.clone(),
        lease: Duration::from_secs(60),
        limit: 10,
        kind: None,
    };
    assert!(store.claim_due(&req).await.unwrap().is_empty());

    let soon_at = Utc::now() + chrono::Duration::from_std(scale.short_lease * 3).unwrap();
    let soon = insert(&store, note("t1", 2).run_at(soon_at)).await;
    assert!(
        store.claim_due(&req).await.unwrap().is_empty(),
        "claimed before runAt"
    );
    let claimed = claim_when_possible(&store, &soon.id, &worker, scale).await;
    assert!(Utc::now() >= soon_at - chrono::Duration::milliseconds(50));
    assert_eq!(claimed.job.attempts, 1);
}

pub async fn fail_reschedules_by_policy_then_dies_with_history(h: &impl Harness) {
    let scale = h.scale();
    let store = real(h).await;
    let worker = WorkerId::generate();
    let policy = RetryPolicy {
        base: scale.short_lease,
        factor: 2.0,
        cap: Duration::from_secs(60),
    };
    let job = insert(&store, note("t1", 1).max_attempts(3)).await;
    let mut previous_delay = Duration::ZERO;
    for attempt in 1..=3u32 {
        let held = claim_when_possible(&store, &job.id, &worker, scale).await;
        assert_eq!(held.job.attempts, attempt);
        let delay = policy.delay(attempt);
        assert!(delay >= previous_delay);
        previous_delay = delay;
        let before = Utc::now();
        let outcome = store
            .fail(&held.lease, &format!("boom {attempt}"), Retry::After(delay))
            .await
            .unwrap();
        let after = Utc::now();
        let stored = store.get(&tenant("t1"), &job.id).await.unwrap();
        if attempt < 3 {
            let FailOutcome::Scheduled { run_at } = outcome else {
                panic!("attempt {attempt}: {outcome:?}")
            };
            assert_eq!(stored.status, JobStatus::Scheduled);
            assert_eq!(stored.run_at, run_at);
            let delay = chrono::Duration::from_std(delay).unwrap();
            let slack = chrono::Duration::milliseconds(500);
            assert!(
                run_at >= before + delay - slack && run_at <= after + delay + slack,
                "runAt {run_at} is not now + {delay}"
            );
            assert!(stored.locked_by.is_none() && stored.lock_expiry.is_none());
            assert!(
                matches!(
                    store
                        .claim(&job.id, &worker, Duration::from_secs(60))
                        .await
                        .unwrap(),
                    ClaimOutcome::NotClaimed(NotClaimed::NotDue { .. })
                ),
                "claimable before its backoff ended"
            );
        } else {
            assert_eq!(outcome, FailOutcome::Dead);
            assert_eq!(stored.status, JobStatus::Dead);
            assert_eq!(stored.last_error.as_deref(), Some("boom 3"));
            let outcomes: Vec<_> = stored.history.iter().map(|r| r.outcome).collect();
            assert_eq!(
                outcomes,
                vec![
                    AttemptOutcome::Retrying,
                    AttemptOutcome::Retrying,
                    AttemptOutcome::Dead
                ]
            );
            let errors: Vec<_> = stored
                .history
                .iter()
                .map(|r| r.error.clone().unwrap_or_default())
                .collect();
            assert_eq!(errors, vec!["boom 1", "boom 2", "boom 3"]);
            assert!(stored
                .history
                .iter()
                .all(|r| r.worker.as_deref() == Some(worker.as_str())));
            assert_eq!(
                stored.history.iter().map(|r| r.attempt).collect::<Vec<_>>(),
                vec![1, 2, 3]
            );
            assert!(matches!(
                not_claimed(&store, &job.id, &worker).await,
                NotClaimed::Finished(JobStatus::Dead)
            ));
        }
    }
}

pub async fn permanent_failure_is_dead_at_once(h: &impl Harness) {
    let store = real(h).await;
    let worker = WorkerId::generate();
    let job = insert(&store, note("t1", 1).max_attempts(5)).await;
    let held = claim(&store, &job.id, &worker, Duration::from_secs(60)).await;
    let outcome = store
        .fail(&held.lease, "400 bad request", Retry::Never)
        .await
        .unwrap();
    assert_eq!(outcome, FailOutcome::Dead);
    let stored = store.get(&tenant("t1"), &job.id).await.unwrap();
    assert_eq!((stored.status, stored.attempts), (JobStatus::Dead, 1));
    assert_eq!(stored.last_error.as_deref(), Some("400 bad request"));
    assert!(stored.completed_at.is_some());
}

/// A job that keeps killing its worker cannot cycle forever.
pub async fn lease_expiring_on_final_attempt_goes_dead(h: &impl Harness) {
    let scale = h.scale();
    let store = real(h).await;
    let (a, b) = (WorkerId::generate(), WorkerId::generate());
    let by_id = insert(&store, note("t1", 1).max_attempts(2)).await;
    claim(&store, &by_id.id, &a, scale.short_lease).await;
    // Attempt 2, the last, "crashes" too.
    claim_when_possible_for(&store, &by_id.id, &a, scale.short_lease, scale).await;
    let deadline = Instant::now() + scale.patience;
    loop {
        match not_claimed(&store, &by_id.id, &b).await {
            NotClaimed::Exhausted => break,
            NotClaimed::Held { .. } => {}
            other => panic!("expected Held then Exhausted, got {other:?}"),
        }
        assert!(Instant::now() < deadline, "never moved to dead");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stored = store.get(&tenant("t1"), &by_id.id).await.unwrap();
    assert_eq!(stored.status, JobStatus::Dead);
    assert_eq!(stored.attempts, 2);
    assert!(stored
        .last_error
        .as_deref()
        .unwrap_or("")
        .contains("lease expired"));
    assert_eq!(
        stored.history.last().map(|r| r.outcome),
        Some(AttemptOutcome::LeaseExpired)
    );

    // The poller buries such jobs rather than running them a third time.
    let polled = insert(&store, note("t1", 2).max_attempts(1)).await;
    claim(&store, &polled.id, &a, scale.short_lease).await;
    tokio::time::sleep(scale.short_lease * 2).await;
    let req = ClaimRequest {
        worker: b.clone(),
        lease: Duration::from_secs(60),
        limit: 10,
        kind: None,
    };
    assert!(store
        .claim_due(&req)
        .await
        .unwrap()
        .iter()
        .all(|c| c.job.id != polled.id));
    assert_eq!(
        store.get(&tenant("t1"), &polled.id).await.unwrap().status,
        JobStatus::Dead
    );
}

pub async fn snooze_and_release_do_not_spend_attempts(h: &impl Harness) {
    let scale = h.scale();
    let store = real(h).await;
    let worker = WorkerId::generate();
    let job = insert(&store, note("t1", 1).max_attempts(1)).await;

    let held = claim(&store, &job.id, &worker, Duration::from_secs(60)).await;
    store.release(&held.lease).await.unwrap();
    let released = store.get(&tenant("t1"), &job.id).await.unwrap();
    assert_eq!(
        (released.status, released.attempts),
        (JobStatus::Pending, 0)
    );
    assert!(released.locked_by.is_none());

    let held = claim(&store, &job.id, &worker, Duration::from_secs(60)).await;
    assert_eq!(held.job.attempts, 1, "released job is claimable at once");
    let before = Utc::now();
    let run_at = store
        .snooze(&held.lease, scale.short_lease * 2, "quiet hours")
        .await
        .unwrap();
    assert!(run_at >= before + chrono::Duration::from_std(scale.short_lease).unwrap());
    let snoozed = store.get(&tenant("t1"), &job.id).await.unwrap();
    assert_eq!(
        (snoozed.status, snoozed.attempts),
        (JobStatus::Scheduled, 0)
    );
    assert_eq!(snoozed.run_at, run_at);
    assert_eq!(
        snoozed
            .history
            .iter()
            .map(|r| r.outcome)
            .collect::<Vec<_>>(),
        vec![AttemptOutcome::Released, AttemptOutcome::Snoozed]
    );
    // With maxAttempts 1, the job still has its one attempt.
    let again = claim_when_possible(&store, &job.id, &worker, scale).await;
    store.complete(&again.lease).await.unwrap();
    assert_eq!(
        store.get(&tenant("t1"), &job.id).await.unwrap().status,
        JobStatus::Succeeded
    );
}

pub async fn cancel_only_waiting_jobs(h: &impl Harness) {
    let store = real(h).await;
    let worker = WorkerId::generate();
    let t = tenant("t1");
    let pending = insert(&store, note("t1", 1)).await;
    let scheduled = insert(
        &store,
        note("t1", 2).run_at(Utc::now() + chrono::Duration::hours(1)),
    )
    .await;
    for job in [&pending, &scheduled] {
        let cancelled = store.cancel(&t, &job.id).await.unwrap();
        assert_eq!(cancelled.status, JobStatus::Cancelled);
        assert!(matches!(
            not_claimed(&store, &job.id, &worker).await,
            NotClaimed::Finished(JobStatus::Cancelled)
        ));
    }
    let expect_invalid = |r: Result<crate::job::Job, StoreError>, from: JobStatus| match r {
        Err(StoreError::InvalidTransition(e)) => {
            assert_eq!((e.from, e.transition), (from, Transition::Cancel));
        }
        other => panic!("cancel of a {from} job should be rejected, got {other:?}"),
    };
    expect_invalid(store.cancel(&t, &pending.id).await, JobStatus::Cancelled);
    let running = insert(&store, note("t1", 3)).await;
    let held = claim(&store, &running.id, &worker, Duration::from_secs(60)).await;
    expect_invalid(store.cancel(&t, &running.id).await, JobStatus::Running);
    store.complete(&held.lease).await.unwrap();
    expect_invalid(store.cancel(&t, &running.id).await, JobStatus::Succeeded);
    assert_eq!(
        store.get(&t, &running.id).await.unwrap().status,
        JobStatus::Succeeded
    );
    assert!(matches!(
        store.cancel(&t, &JobId::new()).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn redrive_moves_dead_to_pending(h: &impl Harness) {
    let store = real(h).await;
    let worker = WorkerId::generate();
    let t = tenant("t1");
    let job = insert(&store, note("t1", 1).max_attempts(1)).await;
    assert!(
        matches!(
            store.redrive(&t, &job.id).await,
            Err(StoreError::InvalidTransition(_))
        ),
        "pending is not dead"
    );
    let held = claim(&store, &job.id, &worker, Duration::from_secs(60)).await;
    store
        .fail(&held.lease, "gone", Retry::After(Duration::from_secs(1)))
        .await
        .unwrap();
    assert_eq!(
        store.get(&t, &job.id).await.unwrap().status,
        JobStatus::Dead,
        "one attempt only"
    );
    let redriven = store.redrive(&t, &job.id).await.unwrap();
    assert_eq!(
        (redriven.status, redriven.attempts),
        (JobStatus::Pending, 0)
    );
    assert_eq!(
        redriven.history.len(),
        1,
        "history of the dead attempts is kept"
    );
    let again = claim(&store, &job.id, &worker, Duration::from_secs(60)).await;
    assert_eq!(again.job.attempts, 1);
    store.complete(&again.lease).await.unwrap();
    assert!(matches!(
        store.redrive(&t, &job.id).await,
        Err(StoreError::InvalidTransition(_))
    ));
}

pub async fn idempotency_key_replay_returns_the_same_job(h: &impl Harness) {
    let store = real(h).await;
    let first = store
        .insert(note("t1", 1).idempotency_key("order-42"))
        .await
        .unwrap();
    assert!(first.is_created());
    let replay = store
        .insert(note("t1", 2).idempotency_key("order-42"))
        .await
        .unwrap();
    let Inserted::Existing(existing) = replay else {
        panic!("replay created a job: {replay:?}")
    };
    assert_eq!(existing.id, first.job().id);
    assert_eq!(
        existing.payload,
        json!({"n": 1}),
        "the replay's payload is not stored"
    );
    // Another tenant may use the same key; jobs without keys never collide.
    assert!(store
        .insert(note("t2", 3).idempotency_key("order-42"))
        .await
        .unwrap()
        .is_created());
    assert!(store.insert(note("t1", 4)).await.unwrap().is_created());
    assert!(store.insert(note("t1", 5)).await.unwrap().is_created());
    // Replays inside a batch resolve the same way.
    let batch = store
        .insert_many(vec![
            note("t1", 6).idempotency_key("order-42"),
            note("t1", 7).idempotency_key("order-43"),
        ])
        .await
        .unwrap();
    assert!(!batch[0].is_created() && batch[0].job().id == first.job().id);
    assert!(batch[1].is_created());
    assert_eq!(store.counts().await.unwrap().total(), 5);

    // Concurrent replays from several handles (as from several API instances).
    let mut tasks = Vec::new();
    for i in 0..4 {
        let handle = h.open(Arc::new(SystemClock::default())).await;
        tasks.push(tokio::spawn(async move {
            handle
                .insert(note("t1", 100 + i).idempotency_key("race"))
                .await
                .unwrap()
                .into_job()
                .id
        }));
    }
    let mut ids = HashSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap());
    }
    assert_eq!(
        ids.len(),
        1,
        "concurrent inserts with one key made {} jobs",
        ids.len()
    );
    assert_eq!(store.counts().await.unwrap().total(), 6);
}

pub async fn tenants_are_isolated(h: &impl Harness) {
    let store = real(h).await;
    let worker = WorkerId::generate();
    let (mine, theirs) = (tenant("t1"), tenant("t2"));
    let waiting = insert(&store, note("t1", 1)).await;
    let dead = insert(&store, note("t1", 2).max_attempts(1)).await;
    let held = claim(&store, &dead.id, &worker, Duration::from_secs(60)).await;
    store.fail(&held.lease, "x", Retry::Never).await.unwrap();

    assert!(matches!(
        store.get(&theirs, &waiting.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.cancel(&theirs, &waiting.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.redrive(&theirs, &dead.id).await,
        Err(StoreError::NotFound)
    ));
    let page = store
        .list(&theirs, &ListFilter::default(), &PageRequest::first(100))
        .await
        .unwrap();
    assert!(page.items.is_empty());
    // Nothing changed for the owner, who sees both.
    assert_eq!(
        store.get(&mine, &waiting.id).await.unwrap().status,
        JobStatus::Pending
    );
    assert_eq!(
        store.get(&mine, &dead.id).await.unwrap().status,
        JobStatus::Dead
    );
    let page = store
        .list(&mine, &ListFilter::default(), &PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
}

pub async fn insert_many_is_all_or_nothing(h: &impl Harness) {
    let store = real(h).await;
    let first = note("t1", 1);
    let mut clash = note("t1", 2);
    clash.id = first.id.clone(); // a duplicate primary key fails the whole batch
    let result = store.insert_many(vec![note("t1", 0), first, clash]).await;
    assert!(result.is_err(), "batch with a duplicate id was accepted");
    assert_eq!(
        store.counts().await.unwrap().total(),
        0,
        "a failed batch stores nothing"
    );
    let ok = store
        .insert_many((0..10).map(|i| note("t1", i)).collect())
        .await
        .unwrap();
    assert_eq!(ok.len(), 10);
    assert_eq!(store.counts().await.unwrap().get(JobStatus::Pending), 10);
}

pub async fn list_pages_newest_first_with_filters(h: &impl Harness) {
    let store = real(h).await;
    let worker = WorkerId::generate();
    let t = tenant("t1");
    let mut ids = Vec::new();
    for i in 0..7 {
        let kind = if i % 3 == 0 {
            JobKind::Match
        } else {
            JobKind::Notification
        };
        ids.push(
            insert(&store, NewJob::new(kind, t.clone(), json!({"n": i})))
                .await
                .id,
        );
    }
    insert(&store, note("t2", 99)).await;
    let held = claim(&store, &ids[1], &worker, Duration::from_secs(60)).await;
    store.complete(&held.lease).await.unwrap();

    let mut seen = Vec::new();
    let mut page = PageRequest::first(3);
    loop {
        let got = store.list(&t, &ListFilter::default(), &page).await.unwrap();
        assert!(got.items.len() <= 3);
        seen.extend(got.items.iter().map(|j| j.id.clone()));
        match got.next_cursor {
            Some(cursor) => page = PageRequest::after(3, cursor),
            None => break,
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);

    let matches = store
        .list(
            &t,
            &ListFilter {
                kind: Some(JobKind::Match),
                status: None,
            },
            &PageRequest::first(50),
        )
        .await
        .unwrap();
    assert_eq!(
        matches
            .items
            .iter()
            .map(|j| j.id.clone())
            .collect::<Vec<_>>(),
        vec![ids[6].clone(), ids[3].clone(), ids[0].clone()]
    );
    let done = store
        .list(
            &t,
            &ListFilter {
                status: Some(JobStatus::Succeeded),
                kind: None,
            },
            &PageRequest::first(50),
        )
        .await
        .unwrap();
    assert_eq!(
        done.items.iter().map(|j| j.id.clone()).collect::<Vec<_>>(),
        vec![ids[1].clone()]
    );
    assert!(done.next_cursor.is_none());
}

pub async fn claim_due_takes_priority_then_run_at(h: &impl Harness) {
    let store = real(h).await;
    let worker = WorkerId::generate();
    let past = |s: i64| Utc::now() - chrono::Duration::seconds(s);
    let low_old = insert(
        &store,
        note("t1", 1).priority(Priority::Low).run_at(past(100)),
    )
    .await;
    let normal_new = insert(&store, note("t1", 2).run_at(past(10))).await;
    let normal_old = insert(&store, note("t1", 3).run_at(past(50))).await;
    let critical = insert(
        &store,
        note("t1", 4).priority(Priority::Critical).run_at(past(1)),
    )
    .await;
    let high = insert(
        &store,
        note("t1", 5).priority(Priority::High).run_at(past(1)),
    )
    .await;
    let a_match = insert(
        &store,
        NewJob::new(JobKind::Match, tenant("t1"), json!({})).run_at(past(200)),
    )
    .await;

    let req = ClaimRequest {
        worker: worker.clone(),
        lease: Duration::from_secs(60),
        limit: 2,
        kind: Some(JobKind::Notification),
    };
    let first: Vec<_> = store
        .claim_due(&req)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.job.id)
        .collect();
    assert_eq!(first, vec![critical.id.clone(), high.id.clone()]);
    let req = ClaimRequest { limit: 10, ..req };
    let rest: Vec<_> = store
        .claim_due(&req)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.job.id)
        .collect();
    assert_eq!(
        rest,
        vec![
            normal_old.id.clone(),
            normal_new.id.clone(),
            low_old.id.clone()
        ]
    );
    let matches = ClaimRequest {
        kind: Some(JobKind::Match),
        ..req
    };
    let got: Vec<_> = store
        .claim_due(&matches)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.job.id)
        .collect();
    assert_eq!(
        got,
        vec![a_match.id.clone()],
        "the kind filter keeps matches apart"
    );
}

pub async fn claim_by_id_says_why_not(h: &impl Harness) {
    let store = real(h).await;
    let worker = WorkerId::generate();
    assert_eq!(
        not_claimed(&store, &JobId::new(), &worker).await,
        NotClaimed::NotFound
    );
    let job = insert(&store, note("t1", 1)).await;
    let held = claim(&store, &job.id, &worker, Duration::from_secs(60)).await;
    match not_claimed(&store, &job.id, &WorkerId::generate()).await {
        NotClaimed::Held { by, until } => {
            assert_eq!(by, Some(worker.clone()));
            assert_eq!(until, held.lease.expires_at);
        }
        other => panic!("expected Held, got {other:?}"),
    }
    store.complete(&held.lease).await.unwrap();
    assert_eq!(
        not_claimed(&store, &job.id, &worker).await,
        NotClaimed::Finished(JobStatus::Succeeded)
    );
}

/// A batch of deliveries claimed together: one outcome per id, in order, each as a
/// single claim would answer; concurrent batches over the same ids never share a job.
pub async fn claim_many_takes_only_claimable_jobs_once(h: &impl Harness) {
    let store = real(h).await;
    let (a, b) = (WorkerId::generate(), WorkerId::generate());
    let lease = Duration::from_secs(60);
    let free = insert(&store, note("t1", 1)).await;
    let held = insert(&store, note("t1", 2)).await;
    claim(&store, &held.id, &b, lease).await;
    let later = insert(
        &store,
        note("t1", 3).run_at(Utc::now() + chrono::Duration::hours(1)),
    )
    .await;
    let cancelled = insert(&store, note("t1", 4)).await;
    store.cancel(&tenant("t1"), &cancelled.id).await.unwrap();
    let missing = JobId::new();
    let ids = vec![
        free.id.clone(),
        held.id.clone(),
        later.id.clone(),
        cancelled.id.clone(),
        missing,
        free.id.clone(),
    ];
    let outcomes = store.claim_many(&ids, &a, lease).await.unwrap();
    assert_eq!(outcomes.len(), ids.len(), "one outcome per id");
    match &outcomes[0] {
        ClaimOutcome::Claimed(c) => {
            assert_eq!(c.job.id, free.id);
            assert_eq!(c.lease.worker, a);
        }
        other => panic!("the free job should be claimed: {other:?}"),
    }
    assert!(
        matches!(&outcomes[1], ClaimOutcome::NotClaimed(NotClaimed::Held { by, .. }) if by.as_ref() == Some(&b))
    );
    assert!(matches!(
        &outcomes[2],
        ClaimOutcome::NotClaimed(NotClaimed::NotDue { .. })
    ));
    assert!(matches!(
        &outcomes[3],
        ClaimOutcome::NotClaimed(NotClaimed::Finished(JobStatus::Cancelled))
    ));
    assert!(matches!(
        &outcomes[4],
        ClaimOutcome::NotClaimed(NotClaimed::NotFound)
    ));
    assert!(
        matches!(&outcomes[5], ClaimOutcome::NotClaimed(NotClaimed::Held { by, .. }) if by.as_ref() == Some(&a)),
        "the same id twice in one batch is claimed once: {:?}",
        outcomes[5]
    );

    // Two handles race batches over the same ids, in opposite orders.
    let n = (h.scale().jobs / 10).max(20);
    let ids = insert_batch(&store, n).await;
    let mut tasks = Vec::new();
    for reversed in [false, true] {
        let handle = h.open(Arc::new(SystemClock::default())).await;
        let mut mine = ids.clone();
        if reversed {
            mine.reverse();
        }
        tasks.push(tokio::spawn(async move {
            let worker = WorkerId::generate();
            let mut claimed = Vec::new();
            for chunk in mine.chunks(7) {
                for outcome in handle.claim_many(chunk, &worker, lease).await.unwrap() {
                    if let ClaimOutcome::Claimed(c) = outcome {
                        claimed.push(c.job.id);
                    }
                }
            }
            claimed
        }));
    }
    let mut claims = Vec::new();
    for t in tasks {
        claims.extend(t.await.unwrap());
    }
    assert_exactly_once(&ids, &claims);
}

pub async fn counts_by_state(h: &impl Harness) {
    let store = real(h).await;
    let worker = WorkerId::generate();
    for i in 0..4 {
        insert(&store, note("t1", i)).await;
    }
    insert(
        &store,
        note("t2", 9).run_at(Utc::now() + chrono::Duration::hours(1)),
    )
    .await;
    let req = ClaimRequest {
        worker,
        lease: Duration::from_secs(60),
        limit: 2,
        kind: None,
    };
    let claimed = store.claim_due(&req).await.unwrap();
    store.complete(&claimed[0].lease).await.unwrap();
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.get(JobStatus::Pending), 2);
    assert_eq!(counts.get(JobStatus::Scheduled), 1);
    assert_eq!(counts.get(JobStatus::Running), 1);
    assert_eq!(counts.get(JobStatus::Succeeded), 1);
    assert_eq!(counts.get(JobStatus::Dead), 0);
    assert_eq!(counts.total(), 5);
}

pub async fn worker_registry_heartbeats(h: &impl Harness) {
    let store = real(h).await;
    let beat = |id: &WorkerId, in_flight| WorkerHeartbeat {
        worker_id: id.clone(),
        hostname: "host".into(),
        pid: 1,
        started_at: Utc::now(),
        in_flight,
        capacity: 10,
        active_matches: 1,
        match_capacity: 3,
        processed: 5,
    };
    let (a, b) = (WorkerId::generate(), WorkerId::generate());
    store.heartbeat(&beat(&a, 0)).await.unwrap();
    store.heartbeat(&beat(&b, 2)).await.unwrap();
    store.heartbeat(&beat(&b, 3)).await.unwrap();
    let live = store.live_workers(Duration::from_secs(30)).await.unwrap();
    assert_eq!(live.len(), 2, "a heartbeat upserts: {live:?}");
    let b_rec = live.iter().find(|w| w.heartbeat.worker_id == b).unwrap();
    assert_eq!(b_rec.heartbeat.in_flight, 3);
    assert!((Utc::now() - b_rec.last_seen).num_seconds().abs() < 10);
    store.deregister(&a).await.unwrap();
    let live = store.live_workers(Duration::from_secs(30)).await.unwrap();
    assert_eq!(
        live.iter()
            .map(|w| w.heartbeat.worker_id.clone())
            .collect::<Vec<_>>(),
        vec![b.clone()]
    );
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert!(
        store
            .live_workers(Duration::from_millis(500))
            .await
            .unwrap()
            .is_empty(),
        "silent workers are not live"
    );
}

// ---- Matches (DESIGN §6) ----

/// Three players whose result notifications go to the `log` channel.
fn match_spec() -> MatchRequest {
    let player =
        |id: &str| json!({"id": id, "notify": {"channel": "log", "recipient": {"address": id}}});
    serde_json::from_value(json!({
        "type": "scoreboard",
        "players": [player("ann"), player("bob"), player("cy")],
        "durationSec": 600,
    }))
    .unwrap()
}

async fn insert_match(store: &Arc<dyn Store>, tenant_name: &str) -> crate::job::Job {
    insert(store, match_spec().to_new_job(tenant(tenant_name)).unwrap()).await
}

/// The highest `seq` appended to tenant t1's match `id`.
async fn last_seq(store: &Arc<dyn Store>, id: &JobId) -> u64 {
    store.get_match(&tenant("t1"), id).await.unwrap().last_seq
}

fn score(player: &str, points: i64) -> EventRequest {
    EventRequest {
        kind: EventKind::Score,
        player_id: Some(player.into()),
        points: Some(points),
        idempotency_key: None,
    }
}

/// Now, at the millisecond precision every store keeps.
fn now_ms() -> chrono::DateTime<Utc> {
    chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap()
}

fn snapshot(version: u64, applied_seq: u64, ann: i64) -> MatchSnapshot {
    let started = now_ms();
    MatchSnapshot {
        state: json!({"scores": {"ann": ann, "bob": 0, "cy": 0}, "joined": ["ann"]}),
        state_version: version,
        applied_seq,
        started_at: Some(started),
        ends_at: Some(started + chrono::Duration::seconds(600)),
    }
}

fn final_result(ann: i64) -> MatchResult {
    let standing = |player: &str, points, rank| Standing {
        player_id: player.into(),
        points,
        rank,
    };
    MatchResult {
        standings: vec![
            standing("ann", ann, 1),
            standing("bob", 0, 2),
            standing("cy", 0, 2),
        ],
        ended_by: EndedBy::End,
    }
}

/// Appends per task in the concurrency tests: 25 on SQLite, a handful on a slow server.
fn appends_per_task(scale: Scale) -> usize {
    (scale.jobs / 40).clamp(2, 25)
}

/// The seqs must be exactly 1..=n, and the log must hold exactly what each append got.
async fn assert_gap_free_log(
    store: &Arc<dyn Store>,
    id: &JobId,
    mut seqs: Vec<u64>,
    appended: &[MatchEvent],
) {
    let n = seqs.len() as u64;
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=n).collect::<Vec<_>>(),
        "seqs must be 1..={n}, once each"
    );
    let log = store.events_after(id, 0, seqs.len() + 10).await.unwrap();
    assert_eq!(
        log.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=n).collect::<Vec<_>>()
    );
    assert!(
        log.windows(2).all(|w| w[0].at <= w[1].at),
        "a later seq carries an earlier time"
    );
    let by_seq: HashMap<u64, &MatchEvent> = appended.iter().map(|e| (e.seq, e)).collect();
    for event in &log {
        let mine = by_seq.get(&event.seq).expect("an event nobody appended");
        assert_eq!(
            event.event, mine.event,
            "seq {} holds another event",
            event.seq
        );
        assert_eq!(event.at, mine.at, "seq {}: stored time differs", event.seq);
    }
    let record = store.get_match(&tenant("t1"), id).await.unwrap();
    assert_eq!(record.last_seq, n);
}

/// Concurrent appends from several handles (as from several API instances) get
/// distinct, gap-free sequence numbers, each stored with its own event.
pub async fn match_events_get_gap_free_seqs_under_concurrent_appends(h: &impl Harness) {
    let scale = h.scale();
    let store = real(h).await;
    let m = insert_match(&store, "t1").await;
    let per_task = appends_per_task(scale);
    let before = Utc::now();
    let mut tasks = Vec::new();
    for t in 0..scale.tasks.min(4) {
        let handle = h.open(Arc::new(SystemClock::default())).await;
        let id = m.id.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for i in 0..per_task {
                let points = (t * 1_000 + i) as i64;
                let event = handle
                    .append_event(&tenant("t1"), &id, &score("ann", points))
                    .await
                    .unwrap()
                    .into_event();
                assert_eq!(event.event, score("ann", points));
                got.push(event);
            }
            got
        }));
    }
    let mut appended = Vec::new();
    for t in tasks {
        appended.extend(t.await.unwrap());
    }
    for event in &appended {
        assert!(
            (event.at - before).num_seconds().abs() < 60,
            "event time {} is not the store's now",
            event.at
        );
    }
    let seqs = appended.iter().map(|e| e.seq).collect();
    assert_gap_free_log(&store, &m.id, seqs, &appended).await;
}

/// Two OS processes (`herald-store append`) append to one match at once.
pub async fn match_events_gap_free_across_processes<H: Harness>(store_bin: &str) {
    let h = H::setup("match_events_gap_free_across_processes").await;
    let scale = h.scale();
    let store = real(&h).await;
    let m = insert_match(&store, "t1").await;
    // Enough appends that the two processes overlap (process start-up is ~20 ms).
    let per_process = (scale.jobs / 10).clamp(4, 200);
    let mut children = Vec::new();
    for player in ["ann", "bob"] {
        let mut cmd = tokio::process::Command::new(store_bin);
        cmd.args(["append", "--tenant", "t1", "--match", m.id.as_str()])
            .args(["--player", player, "--count", &per_process.to_string()])
            .envs(h.child_env())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        children.push(cmd.spawn().expect("start herald-store"));
    }
    let mut seqs = Vec::new();
    let mut per_player = HashMap::new();
    for (child, player) in children.into_iter().zip(["ann", "bob"]) {
        let out = tokio::time::timeout(scale.patience * 6, child.wait_with_output())
            .await
            .expect("appender process timed out")
            .unwrap();
        assert!(
            out.status.success(),
            "appender failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let mine: Vec<u64> = stdout.lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(mine.len(), per_process, "{player} printed {stdout:?}");
        per_player.insert(player, mine.clone());
        seqs.extend(mine);
    }
    let n = seqs.len() as u64;
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=n).collect::<Vec<_>>(),
        "seqs must be 1..={n}, once each"
    );
    // Each seq holds the event of the process that was given it.
    for event in store.events_after(&m.id, 0, seqs.len() + 10).await.unwrap() {
        let player = event.event.player_id.clone().unwrap();
        assert!(
            per_player[player.as_str()].contains(&event.seq),
            "seq {} holds {player}'s event, but {player} was not given it",
            event.seq
        );
    }
    assert_eq!(last_seq(&store, &m.id).await, n);
}

/// Appends go to waiting or running matches of the caller's tenant; everything else is
/// NotFound or MatchFinished, and a refused append uses no sequence number.
pub async fn appending_is_for_live_matches_of_the_tenant(h: &impl Harness) {
    let store = real(h).await;
    let t1 = tenant("t1");
    let worker = WorkerId::generate();
    let m = insert_match(&store, "t1").await;
    assert_eq!(m.status, JobStatus::Pending);
    let first = store
        .append_event(&t1, &m.id, &score("ann", 1))
        .await
        .unwrap()
        .into_event();
    assert_eq!(first.seq, 1, "appending to a pending match");
    let held = claim(&store, &m.id, &worker, Duration::from_secs(60)).await;
    let second = store
        .append_event(&t1, &m.id, &score("bob", 2))
        .await
        .unwrap()
        .into_event();
    assert_eq!(second.seq, 2, "appending to a running match");

    let not_found = |r: Result<Appended, StoreError>, what: &str| match r {
        Err(StoreError::NotFound) => {}
        other => panic!("{what}: expected NotFound, got {other:?}"),
    };
    not_found(
        store
            .append_event(&tenant("t2"), &m.id, &score("ann", 1))
            .await,
        "another tenant's match",
    );
    not_found(
        store
            .append_event(&t1, &JobId::new(), &score("ann", 1))
            .await,
        "an unknown id",
    );
    let notification = insert(&store, note("t1", 1)).await;
    not_found(
        store
            .append_event(&t1, &notification.id, &score("ann", 1))
            .await,
        "a notification",
    );
    assert!(matches!(
        store.get_match(&tenant("t2"), &m.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.get_match(&t1, &notification.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.get_match(&t1, &JobId::new()).await,
        Err(StoreError::NotFound)
    ));

    let finished = |r: Result<Appended, StoreError>, want: JobStatus| match r {
        Err(StoreError::MatchFinished { status }) => assert_eq!(status, want),
        other => panic!("expected MatchFinished({want}), got {other:?}"),
    };
    let cancelled = insert_match(&store, "t1").await;
    store.cancel(&t1, &cancelled.id).await.unwrap();
    finished(
        store
            .append_event(&t1, &cancelled.id, &score("ann", 1))
            .await,
        JobStatus::Cancelled,
    );
    let dead = insert(
        &store,
        match_spec().to_new_job(t1.clone()).unwrap().max_attempts(1),
    )
    .await;
    let dying = claim(&store, &dead.id, &worker, Duration::from_secs(60)).await;
    store
        .fail(&dying.lease, "engine broke", Retry::Never)
        .await
        .unwrap();
    finished(
        store.append_event(&t1, &dead.id, &score("ann", 1)).await,
        JobStatus::Dead,
    );
    store
        .finish_match(
            &held.lease,
            &snapshot(1, 2, 1),
            &final_result(1),
            Vec::new(),
        )
        .await
        .unwrap();
    finished(
        store.append_event(&t1, &m.id, &score("ann", 1)).await,
        JobStatus::Succeeded,
    );
    let record = store.get_match(&t1, &m.id).await.unwrap();
    assert_eq!(record.last_seq, 2, "refused appends use no sequence number");
    assert_eq!(
        store.events_after(&m.id, 0, 10).await.unwrap(),
        vec![first, second]
    );
    for id in [&cancelled.id, &dead.id] {
        let record = store.get_match(&t1, id).await.unwrap();
        assert_eq!(record.last_seq, 0);
        assert!(store.events_after(id, 0, 10).await.unwrap().is_empty());
    }
}

fn keyed(mut event: EventRequest, key: &str) -> EventRequest {
    event.idempotency_key = Some(key.into());
    event
}

/// An append with an idempotency key already used on the match writes nothing and
/// returns the event first stored under it (the key, not the body, names the request),
/// without using a seq; the key is per match and tenant-checked; and a replay is
/// answered even after the match finished, while a new append is refused.
pub async fn event_keys_replay_the_first_append_of_their_match(h: &impl Harness) {
    let store = real(h).await;
    let t1 = tenant("t1");
    let m = insert_match(&store, "t1").await;
    let other = insert_match(&store, "t1").await;

    let first = match store
        .append_event(&t1, &m.id, &keyed(score("ann", 5), "k1"))
        .await
        .unwrap()
    {
        Appended::New(event) => event,
        replayed => panic!("a fresh key must append, got {replayed:?}"),
    };
    assert_eq!(first.seq, 1);
    assert_eq!(first.event, keyed(score("ann", 5), "k1"));
    // The same key with another body: still the first event.
    assert_eq!(
        store
            .append_event(&t1, &m.id, &keyed(score("bob", 9), "k1"))
            .await
            .unwrap(),
        Appended::Replayed(first.clone())
    );
    // The next appends, keyed or not, continue at seq 2: a replay uses no number.
    let second = store
        .append_event(&t1, &m.id, &keyed(score("bob", 2), "k2"))
        .await
        .unwrap();
    assert!(second.is_new(), "{second:?}");
    assert_eq!(second.event().seq, 2);
    let third = store
        .append_event(&t1, &m.id, &score("cy", 3))
        .await
        .unwrap();
    assert!(third.is_new(), "{third:?}");
    assert_eq!(third.event().seq, 3);
    // Per match: the same key on another match is another request.
    let elsewhere = store
        .append_event(&t1, &other.id, &keyed(score("ann", 1), "k1"))
        .await
        .unwrap();
    assert!(elsewhere.is_new(), "{elsewhere:?}");
    assert_eq!(elsewhere.event().seq, 1);
    // Another tenant learns nothing about the match, key or not.
    assert!(matches!(
        store
            .append_event(&tenant("t2"), &m.id, &keyed(score("ann", 5), "k1"))
            .await,
        Err(StoreError::NotFound)
    ));

    assert_eq!(
        store.events_after(&m.id, 0, 10).await.unwrap(),
        vec![first.clone(), second.into_event(), third.into_event()]
    );
    assert_eq!(last_seq(&store, &m.id).await, 3);

    // Finished: a replay is still the original answer; a new append is refused.
    let held = claim(
        &store,
        &m.id,
        &WorkerId::generate(),
        Duration::from_secs(60),
    )
    .await;
    store
        .finish_match(
            &held.lease,
            &snapshot(1, 3, 5),
            &final_result(5),
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .append_event(&t1, &m.id, &keyed(score("ann", 5), "k1"))
            .await
            .unwrap(),
        Appended::Replayed(first)
    );
    for event in [keyed(score("ann", 5), "k-new"), score("ann", 5)] {
        match store.append_event(&t1, &m.id, &event).await {
            Err(StoreError::MatchFinished { status }) => {
                assert_eq!(status, JobStatus::Succeeded)
            }
            other => panic!("expected MatchFinished, got {other:?}"),
        }
    }
    assert!(matches!(
        store
            .append_event(&tenant("t2"), &m.id, &keyed(score("ann", 5), "k1"))
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(last_seq(&store, &m.id).await, 3);
}

/// Concurrent appends under one key from several handles (as from several API
/// instances retrying one request): exactly one appends, every other one gets that
/// event back, and the log holds it once.
pub async fn concurrent_appends_under_one_key_store_one_event(h: &impl Harness) {
    let scale = h.scale();
    let store = real(h).await;
    let m = insert_match(&store, "t1").await;
    let start = Arc::new(tokio::sync::Barrier::new(scale.tasks));
    let mut tasks = Vec::new();
    for t in 0..scale.tasks {
        let handle = h.open(Arc::new(SystemClock::default())).await;
        let (id, start) = (m.id.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            handle
                .append_event(&tenant("t1"), &id, &keyed(score("ann", t as i64), "once"))
                .await
                .unwrap()
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    let new: Vec<&MatchEvent> = outcomes
        .iter()
        .filter_map(|o| match o {
            Appended::New(event) => Some(event),
            Appended::Replayed(_) => None,
        })
        .collect();
    assert_eq!(new.len(), 1, "exactly one append is new: {outcomes:?}");
    let stored = new[0].clone();
    assert_eq!(stored.seq, 1);
    for outcome in &outcomes {
        assert_eq!(
            outcome.event(),
            &stored,
            "every replay returns the stored event"
        );
    }
    assert_eq!(
        store.events_after(&m.id, 0, 10).await.unwrap(),
        vec![stored]
    );
    assert_eq!(last_seq(&store, &m.id).await, 1);
}

/// `events_after` pages through one match's log in order, never mixing in another's.
pub async fn events_after_reads_ascending_with_a_limit(h: &impl Harness) {
    let store = real(h).await;
    let t1 = tenant("t1");
    let m = insert_match(&store, "t1").await;
    let other = insert_match(&store, "t1").await;
    let mut appended = Vec::new();
    for i in 0..7 {
        appended.push(
            store
                .append_event(&t1, &m.id, &score("ann", i))
                .await
                .unwrap()
                .into_event(),
        );
        if i % 3 == 0 {
            store
                .append_event(&t1, &other.id, &score("bob", -i))
                .await
                .unwrap()
                .into_event();
        }
    }
    let mut paged = Vec::new();
    let mut after = 0;
    loop {
        let page = store.events_after(&m.id, after, 3).await.unwrap();
        assert!(page.len() <= 3, "limit exceeded: {}", page.len());
        let Some(last) = page.last() else { break };
        after = last.seq;
        paged.extend(page);
    }
    assert_eq!(paged, appended, "pages in seq order hold exactly the log");
    assert_eq!(
        store
            .events_after(&m.id, 4, 100)
            .await
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>(),
        vec![5, 6, 7]
    );
    assert!(store.events_after(&m.id, 7, 10).await.unwrap().is_empty());
    let theirs = store.events_after(&other.id, 0, 10).await.unwrap();
    assert_eq!(
        theirs.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3],
        "each match has its own numbering"
    );
    assert!(theirs
        .iter()
        .all(|e| e.event.player_id.as_deref() == Some("bob")));
}

/// Snapshot saves are fenced: after a takeover the old host's save is LeaseLost and
/// the new host's snapshot stands.
pub async fn match_snapshot_saves_are_fenced(h: &impl Harness) {
    let scale = h.scale();
    let store = real(h).await;
    let t1 = tenant("t1");
    let (a, b) = (WorkerId::generate(), WorkerId::generate());
    let m = insert_match(&store, "t1").await;
    assert_eq!(
        store.load_snapshot(&m.id).await.unwrap(),
        MatchSnapshot::initial()
    );
    let record = store.get_match(&t1, &m.id).await.unwrap();
    assert_eq!(record.snapshot, MatchSnapshot::initial());
    assert_eq!((record.last_seq, record.result.clone()), (0, None));
    assert_eq!(record.job, store.get(&t1, &m.id).await.unwrap());

    let old = claim(&store, &m.id, &a, scale.short_lease).await;
    let saved = snapshot(1, 0, 0);
    store.save_snapshot(&old.lease, &saved).await.unwrap();
    assert_eq!(store.load_snapshot(&m.id).await.unwrap(), saved);

    let new = claim_when_possible(&store, &m.id, &b, scale).await;
    let theirs = snapshot(2, 0, 5);
    store.save_snapshot(&new.lease, &theirs).await.unwrap();
    assert!(
        matches!(
            store.save_snapshot(&old.lease, &snapshot(9, 9, 99)).await,
            Err(StoreError::LeaseLost)
        ),
        "a stale host's save must be LeaseLost"
    );
    assert_eq!(store.load_snapshot(&m.id).await.unwrap(), theirs);
    let record = store.get_match(&t1, &m.id).await.unwrap();
    assert_eq!(record.snapshot, theirs);
    assert_eq!(record.job.locked_by.as_ref(), Some(&b));
    assert_eq!(record.job.lease_version, new.lease.version);
    assert_eq!(record.job.status, JobStatus::Running);

    // A finished match takes no saves, not even from its last holder.
    store.complete(&new.lease).await.unwrap();
    assert!(matches!(
        store.save_snapshot(&new.lease, &snapshot(3, 0, 6)).await,
        Err(StoreError::LeaseLost)
    ));
    assert_eq!(store.load_snapshot(&m.id).await.unwrap(), theirs);
}

/// A host dies mid-match; the poller's claim (kind `match`) gives the match to another
/// worker, which resumes from the last saved snapshot and reads only the events after
/// its `appliedSeq`.
pub async fn snapshot_survives_a_takeover(h: &impl Harness) {
    let scale = h.scale();
    let store = real(h).await;
    let t1 = tenant("t1");
    let (a, b) = (WorkerId::generate(), WorkerId::generate());
    let m = insert_match(&store, "t1").await;
    let notification = insert(&store, note("t1", 1)).await;
    let by_kind = |worker: &WorkerId, kind, lease| ClaimRequest {
        worker: worker.clone(),
        lease,
        limit: 10,
        kind: Some(kind),
    };
    let first = store
        .claim_due(&by_kind(&a, JobKind::Match, scale.short_lease))
        .await
        .unwrap();
    assert_eq!(
        first.iter().map(|c| c.job.id.clone()).collect::<Vec<_>>(),
        vec![m.id.clone()],
        "claim_due(kind: match) takes the match and only it"
    );
    let host = &first[0];
    assert_eq!(
        host.job.payload,
        serde_json::to_value(match_spec()).unwrap()
    );
    for i in 1..=3 {
        store
            .append_event(&t1, &m.id, &score("ann", i))
            .await
            .unwrap()
            .into_event();
    }
    let applied = store.events_after(&m.id, 0, 2).await.unwrap();
    assert_eq!(applied.len(), 2);
    let saved = snapshot(2, 2, 3);
    store.save_snapshot(&host.lease, &saved).await.unwrap();

    // A stops renewing. B's poll takes the match once the lease has expired.
    let deadline = Instant::now() + scale.patience;
    let taken = loop {
        let got = store
            .claim_due(&by_kind(&b, JobKind::Match, Duration::from_secs(60)))
            .await
            .unwrap();
        if let Some(c) = got.into_iter().find(|c| c.job.id == m.id) {
            break c;
        }
        assert!(
            Instant::now() < deadline,
            "the expired match was never reclaimed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(taken.lease.version > host.lease.version);
    assert_eq!(store.load_snapshot(&m.id).await.unwrap(), saved);
    let rest = store
        .events_after(&m.id, saved.applied_seq, 100)
        .await
        .unwrap();
    assert_eq!(
        rest.iter()
            .map(|e| (e.seq, e.event.points))
            .collect::<Vec<_>>(),
        vec![(3, Some(3))],
        "the new host reads exactly the events not yet applied"
    );
    let record = store.get_match(&t1, &m.id).await.unwrap();
    assert_eq!(record.snapshot, saved);
    assert_eq!(record.last_seq, 3);
    assert_eq!(record.job.locked_by.as_ref(), Some(&b));

    // Notifications are unaffected by the match columns.
    let notes = store
        .claim_due(&by_kind(&b, JobKind::Notification, Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(
        notes.iter().map(|c| c.job.id.clone()).collect::<Vec<_>>(),
        vec![notification.id.clone()]
    );
    assert_eq!(notes[0].job.payload, notification.payload);
    assert!(matches!(
        store.load_snapshot(&notification.id).await,
        Err(StoreError::NotFound)
    ));
}

/// `finish_match` writes the final snapshot, the result, `succeeded` and the result
/// notifications together, or — with a lost lease — nothing at all. Keys already used
/// return the existing notification, so each player gets exactly one.
pub async fn finish_match_is_one_fenced_atomic_write(h: &impl Harness) {
    let scale = h.scale();
    let store = real(h).await;
    let t1 = tenant("t1");
    let (a, b) = (WorkerId::generate(), WorkerId::generate());
    let spec = match_spec();
    let m = insert_match(&store, "t1").await;
    let result = final_result(7);
    let notifications = || spec.result_notifications(&m.id, &t1, &result).unwrap();
    let notes_filter = ListFilter {
        kind: Some(JobKind::Notification),
        status: None,
    };

    let old = claim(&store, &m.id, &a, scale.short_lease).await;
    let new = claim_when_possible(&store, &m.id, &b, scale).await;
    let before = store.get_match(&t1, &m.id).await.unwrap();
    match store
        .finish_match(&old.lease, &snapshot(5, 4, 7), &result, notifications())
        .await
    {
        Err(StoreError::LeaseLost) => {}
        other => panic!("a stale host's finish must be LeaseLost, got {other:?}"),
    }
    let after = store.get_match(&t1, &m.id).await.unwrap();
    assert_eq!(after, before, "a lost finish writes nothing to the match");
    assert_eq!(after.result, None);
    assert_eq!(after.job.status, JobStatus::Running);
    let listed = store
        .list(&t1, &notes_filter, &PageRequest::first(100))
        .await
        .unwrap();
    assert!(
        listed.items.is_empty(),
        "a lost finish inserts no notification: {:?}",
        listed.items
    );
    assert_eq!(store.counts().await.unwrap().total(), 1);

    // Bob's notification already exists (a key used before this finish).
    let bob_key = result_idempotency_key(&m.id, "bob");
    let earlier = notifications()
        .into_iter()
        .find(|j| j.idempotency_key.as_deref() == Some(bob_key.as_str()))
        .unwrap();
    let bob_note = insert(&store, earlier).await;

    let final_snapshot = snapshot(6, 4, 7);
    let inserted = store
        .finish_match(&new.lease, &final_snapshot, &result, notifications())
        .await
        .unwrap();
    let shape: Vec<(bool, Option<String>)> = inserted
        .iter()
        .map(|i| (i.is_created(), i.job().idempotency_key.clone()))
        .collect();
    assert_eq!(
        shape,
        vec![
            (true, Some(result_idempotency_key(&m.id, "ann"))),
            (false, Some(bob_key.clone())),
            (true, Some(result_idempotency_key(&m.id, "cy"))),
        ]
    );
    assert_eq!(
        inserted[1].job().id,
        bob_note.id,
        "the existing job is returned"
    );

    let done = store.get_match(&t1, &m.id).await.unwrap();
    assert_eq!(done.job.status, JobStatus::Succeeded);
    assert_eq!(done.result, Some(result.clone()));
    assert_eq!(done.snapshot, final_snapshot);
    assert!(done.job.completed_at.is_some());
    assert!(done.job.locked_by.is_none() && done.job.lock_expiry.is_none());
    assert_eq!(
        done.job.history.last().map(|r| r.outcome),
        Some(AttemptOutcome::Succeeded)
    );
    assert_eq!(
        not_claimed(&store, &m.id, &a).await,
        NotClaimed::Finished(JobStatus::Succeeded)
    );

    // Neither the old holder nor a repeat by the new one writes anything more.
    for lease in [&old.lease, &new.lease] {
        assert!(matches!(
            store
                .finish_match(lease, &snapshot(8, 8, 8), &final_result(8), notifications())
                .await,
            Err(StoreError::LeaseLost)
        ));
    }
    let listed = store
        .list(&t1, &notes_filter, &PageRequest::first(100))
        .await
        .unwrap();
    let mut keys: Vec<String> = listed
        .items
        .iter()
        .filter_map(|j| j.idempotency_key.clone())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        vec![
            result_idempotency_key(&m.id, "ann"),
            result_idempotency_key(&m.id, "bob"),
            result_idempotency_key(&m.id, "cy"),
        ],
        "exactly one notification per player"
    );
    assert_eq!(listed.items.len(), 3);
    let record = store.get_match(&t1, &m.id).await.unwrap();
    assert_eq!(
        (record.snapshot, record.result),
        (final_snapshot, Some(result))
    );
}
