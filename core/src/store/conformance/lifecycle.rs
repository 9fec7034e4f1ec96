//! A job's way through its states: scheduled jobs wait for their run time, failures
//! are rescheduled by the retry policy until they are dead, a crash loop ends in dead,
//! snooze and release spend no attempt, and clients cancel waiting jobs and re-drive
//! dead ones.

use std::time::{Duration, Instant};

use chrono::Utc;

use crate::job::{AttemptOutcome, JobId, JobStatus, Transition};
use crate::lease::WorkerId;
use crate::retry::RetryPolicy;
use crate::store::{ClaimOutcome, ClaimRequest, FailOutcome, NotClaimed, Retry, StoreError};

use super::{
    claim, claim_when_possible, claim_when_possible_for, insert, not_claimed, note, real, tenant,
    Harness,
};

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
        priority: None,
        fairness: Default::default(),
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
        priority: None,
        fairness: Default::default(),
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
