//! Claiming and fencing (`docs/lease-protocol.md`): each job is claimed once however many tasks or
//! processes race for it, a live lease blocks every other claim, an expired one is
//! reclaimed with a higher fencing token, and every write under a lost lease is
//! `LeaseLost` and changes nothing.

use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;

use crate::clock::SystemClock;
use crate::job::{JobId, JobKind, JobStatus, NewJob, Priority};
use crate::lease::{Lease, WorkerId};
use crate::store::{ClaimOutcome, ClaimRequest, NotClaimed, Retry, Store, StoreError};

use super::{claim, claim_when_possible, insert, not_claimed, note, real, tenant, Harness};

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
                        priority: None,
                        fairness: Default::default(),
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

/// Two OS processes (`herald-conformance drain`) race the same jobs.
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
        children.push(cmd.spawn().expect("start herald-conformance"));
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
        priority: None,
        fairness: Default::default(),
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
        priority: None,
        fairness: Default::default(),
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
        priority: None,
        fairness: Default::default(),
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

/// Completions written together: one result per lease, in order; a lease that was
/// lost (taken over after it expired, or a stale version) is `LeaseLost` and leaves
/// the job as it is, while the others in the same batch are recorded.
pub async fn complete_many_records_each_lease_and_fences_the_lost(h: &impl Harness) {
    let store = real(h).await;
    let (a, b) = (WorkerId::generate(), WorkerId::generate());
    let lease = Duration::from_secs(60);
    let mut leases = Vec::new();
    for n in 0..4 {
        let job = insert(&store, note("t1", n)).await;
        leases.push(claim(&store, &job.id, &a, lease).await.lease);
    }
    // The third lease expires and another worker takes the job over.
    let short = insert(&store, note("t1", 9)).await;
    let expiring = claim(&store, &short.id, &a, Duration::from_millis(300)).await;
    let taken = claim_when_possible(&store, &short.id, &b, h.scale()).await;
    leases.insert(2, expiring.lease.clone());
    // And a lease whose version is not the job's (a stale copy).
    let mut stale = leases[0].clone();
    stale.version += 7;
    leases.push(stale);
    let results = store.complete_many(&leases).await.unwrap();
    assert_eq!(results.len(), leases.len(), "one result per lease");
    for (i, result) in results.iter().enumerate() {
        match i {
            2 | 5 => assert!(
                matches!(result, Err(StoreError::LeaseLost)),
                "lease {i} was lost: {result:?}"
            ),
            _ => assert!(result.is_ok(), "lease {i}: {result:?}"),
        }
    }
    let taken_over = store.get(&tenant("t1"), &short.id).await.unwrap();
    assert_eq!(
        taken_over.status,
        JobStatus::Running,
        "the new holder's job stands"
    );
    assert_eq!(taken_over.locked_by.as_ref(), Some(&b));
    assert_eq!(taken_over.lease_version, taken.lease.version);
    for l in leases.iter().take(2).chain(leases.iter().skip(3).take(2)) {
        let job = store.get(&tenant("t1"), &l.job_id).await.unwrap();
        assert_eq!(job.status, JobStatus::Succeeded, "{}", job.id);
    }
}
