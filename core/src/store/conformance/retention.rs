//! Retention (DESIGN §13): finished jobs expire per state, with their match events,
//! and the pruner's duty is held by one worker at a time under the fenced protocol.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::clock::SystemClock;
use crate::job::JobStatus;
use crate::lease::WorkerId;
use crate::store::{Lifecycle, Retry, StoreError, PRUNER_DUTY};

use super::matches::{insert_match, score};
use super::{claim, insert, note, real, tenant, Harness};

/// Two workers, one pruner: the second is refused while the first's lease is live,
/// takes over (a new version) once it lapses, and the first is then fenced out of
/// pruning and of releasing; a renewal keeps the version; a release frees the duty.
pub async fn pruner_duty_is_held_by_one_worker_at_a_time(h: &impl Harness) {
    let a = real(h).await;
    let b = real(h).await;
    let (wa, wb) = (WorkerId::generate(), WorkerId::generate());
    let short = h.scale().short_lease;
    let first = a
        .acquire_duty(PRUNER_DUTY, &wa, short)
        .await
        .unwrap()
        .expect("a free duty is taken");
    assert_eq!(first.holder, wa);
    assert_eq!(b.acquire_duty(PRUNER_DUTY, &wb, short).await.unwrap(), None);
    // Another duty is independent.
    assert!(b.acquire_duty("other", &wb, short).await.unwrap().is_some());
    a.prune(&first, 10).await.unwrap();
    let renewed = a
        .acquire_duty(PRUNER_DUTY, &wa, short)
        .await
        .unwrap()
        .expect("the holder renews");
    assert_eq!(
        renewed.version, first.version,
        "a live renewal keeps the version"
    );

    let deadline = Instant::now() + h.scale().patience;
    let taken = loop {
        if let Some(lease) = b
            .acquire_duty(PRUNER_DUTY, &wb, Duration::from_secs(60))
            .await
            .unwrap()
        {
            break lease;
        }
        assert!(
            Instant::now() < deadline,
            "the lapsed duty was never taken over"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(taken.holder, wb);
    assert!(
        taken.version > first.version,
        "a new holder bumps the version"
    );
    assert!(matches!(
        a.prune(&renewed, 10).await,
        Err(StoreError::LeaseLost)
    ));
    // The old holder cannot take it back while it is live, nor release it.
    assert_eq!(a.acquire_duty(PRUNER_DUTY, &wa, short).await.unwrap(), None);
    a.release_duty(&renewed).await.unwrap();
    b.prune(&taken, 10).await.unwrap();
    b.release_duty(&taken).await.unwrap();
    assert!(matches!(
        b.prune(&taken, 10).await,
        Err(StoreError::LeaseLost)
    ));
    let after = a
        .acquire_duty(PRUNER_DUTY, &wa, short)
        .await
        .unwrap()
        .expect("a released duty is free at once");
    assert!(after.version > taken.version);
}

/// Succeeded and dead jobs outlive a 1 s retention and go; cancelled jobs (kept for
/// ever here), waiting jobs, a re-driven job (it was dead: its expiry is gone) and a
/// job finished within the window stay.
pub async fn finished_jobs_expire_per_state(h: &impl Harness) {
    let keep = Duration::from_secs(1);
    let lifecycle = Lifecycle {
        succeeded: Some(keep),
        dead: Some(keep),
        cancelled: None,
        match_events: Some(keep),
        idempotency_ttl: None,
    };
    let store = h
        .open_with(Arc::new(SystemClock::default()), lifecycle)
        .await;
    let worker = WorkerId::generate();
    let t = tenant("t1");
    let lease = Duration::from_secs(60);
    let succeeded = insert(&store, note("t1", 1)).await;
    let held = claim(&store, &succeeded.id, &worker, lease).await;
    store.complete(&held.lease).await.unwrap();
    let dead = insert(&store, note("t1", 2)).await;
    let held = claim(&store, &dead.id, &worker, lease).await;
    store.fail(&held.lease, "gone", Retry::Never).await.unwrap();
    let cancelled = insert(&store, note("t1", 3)).await;
    store.cancel(&t, &cancelled.id).await.unwrap();
    let waiting = insert(&store, note("t1", 4)).await;
    let redriven = insert(&store, note("t1", 5)).await;
    let held = claim(&store, &redriven.id, &worker, lease).await;
    store.fail(&held.lease, "gone", Retry::Never).await.unwrap();
    store.redrive(&t, &redriven.id).await.unwrap();

    let duty = store
        .acquire_duty(PRUNER_DUTY, &worker, Duration::from_secs(300))
        .await
        .unwrap()
        .expect("the duty is free");
    let prune_all = || async {
        let mut pruned = 0;
        loop {
            // Batches of 1 prove the batches add up.
            let report = store.prune(&duty, 1).await.unwrap();
            assert!(
                report.jobs.values().sum::<u64>() <= 1,
                "over the limit: {report:?}"
            );
            if report.total() == 0 {
                break pruned;
            }
            pruned += report.jobs.values().sum::<u64>();
        }
    };
    let deadline = Instant::now() + h.scale().patience;
    loop {
        prune_all().await;
        h.run_ttl_monitor().await;
        let gone = matches!(
            store.get(&t, &succeeded.id).await,
            Err(StoreError::NotFound)
        ) && matches!(store.get(&t, &dead.id).await, Err(StoreError::NotFound));
        if gone {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the expired jobs were never deleted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Finished just now: inside the window, kept by the same pass.
    let fresh = insert(&store, note("t1", 6)).await;
    let held = claim(&store, &fresh.id, &worker, lease).await;
    store.complete(&held.lease).await.unwrap();
    let fresh_done = Instant::now();
    prune_all().await;
    h.run_ttl_monitor().await;
    let fresh_kept = store.get(&t, &fresh.id).await;
    if fresh_done.elapsed() < keep {
        assert_eq!(fresh_kept.unwrap().status, JobStatus::Succeeded);
    }
    assert_eq!(
        store.get(&t, &cancelled.id).await.unwrap().status,
        JobStatus::Cancelled
    );
    assert_eq!(
        store.get(&t, &waiting.id).await.unwrap().status,
        JobStatus::Pending
    );
    assert_eq!(
        store.get(&t, &redriven.id).await.unwrap().status,
        JobStatus::Pending
    );
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.get(JobStatus::Dead), 0);
    assert_eq!(counts.get(JobStatus::Pending), 2);
}

/// A match's event log expires `RETENTION_MATCH_EVENTS` after the match ends, however
/// it ends: dead (a failed host) or cancelled as well as succeeded, even while the
/// match's own record is kept. A match re-driven after dying keeps its log.
pub async fn ended_matches_logs_expire_however_they_end(h: &impl Harness) {
    let keep = Duration::from_secs(1);
    let lifecycle = Lifecycle {
        succeeded: None,
        dead: None,
        cancelled: None,
        match_events: Some(keep),
        idempotency_ttl: None,
    };
    let store = h
        .open_with(Arc::new(SystemClock::default()), lifecycle)
        .await;
    let worker = WorkerId::generate();
    let t = tenant("t1");
    let with_log = |store: Arc<dyn crate::store::Store>| async move {
        let m = insert_match(&store, "t1").await;
        for points in 1..=3 {
            store
                .append_event(&tenant("t1"), &m.id, &score("ann", points))
                .await
                .unwrap();
        }
        m
    };
    let dead = with_log(store.clone()).await;
    let held = claim(&store, &dead.id, &worker, Duration::from_secs(60)).await;
    store
        .fail(&held.lease, "host gave up", Retry::Never)
        .await
        .unwrap();
    let cancelled = with_log(store.clone()).await;
    store.cancel(&t, &cancelled.id).await.unwrap();
    let revived = with_log(store.clone()).await;
    let held = claim(&store, &revived.id, &worker, Duration::from_secs(60)).await;
    store
        .fail(&held.lease, "host gave up", Retry::Never)
        .await
        .unwrap();
    store.redrive(&t, &revived.id).await.unwrap();
    let live = with_log(store.clone()).await;

    let duty = store
        .acquire_duty(PRUNER_DUTY, &worker, Duration::from_secs(300))
        .await
        .unwrap()
        .expect("the duty is free");
    let logged = |id| {
        let store = store.clone();
        async move { store.events_after(&id, 0, 10).await.unwrap().len() }
    };
    let deadline = Instant::now() + h.scale().patience;
    loop {
        store.prune(&duty, 100).await.unwrap();
        h.run_ttl_monitor().await;
        if logged(dead.id.clone()).await == 0 && logged(cancelled.id.clone()).await == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the logs of the dead and the cancelled match were never deleted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The records stay (kept for ever here); the revived and the live match keep their
    // logs.
    assert_eq!(
        store.get(&t, &dead.id).await.unwrap().status,
        JobStatus::Dead
    );
    assert_eq!(
        store.get(&t, &cancelled.id).await.unwrap().status,
        JobStatus::Cancelled
    );
    assert_eq!(logged(revived.id.clone()).await, 3);
    assert_eq!(logged(live.id.clone()).await, 3);
}
