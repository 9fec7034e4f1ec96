//! Bulk re-drive and cancel (`POST /v1/dead-letters/retry`, `POST /v1/jobs/cancel`):
//! every filter field, bounded steps resumed by cursor, the single call's change on each
//! job, and never another tenant's job.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use crate::job::{AttemptOutcome, Job, JobId, JobStatus, Priority, TenantId};
use crate::lease::WorkerId;
use crate::notification::Channel;
use crate::store::{BulkAction, BulkFilter, BulkOutcome, BulkRequest, Retry, Store};

use super::listing::{ids, ids_of, notification};
use super::{claim, insert, real, tenant, Harness};

async fn step(
    store: &Arc<dyn Store>,
    t: &TenantId,
    action: BulkAction,
    filter: &BulkFilter,
    limit: u32,
    cursor: Option<JobId>,
) -> BulkOutcome {
    let request = BulkRequest {
        action,
        filter: filter.clone(),
        limit,
        cursor,
    };
    store.bulk_transition(t, &request).await.unwrap()
}

/// A dead notification of `tenant_name` on `channel` whose last error is `error`.
async fn dead(store: &Arc<dyn Store>, tenant_name: &str, channel: Channel, error: &str) -> Job {
    let worker = WorkerId::generate();
    let job = insert(
        store,
        notification(tenant_name, channel, Priority::Normal).max_attempts(1),
    )
    .await;
    let held = claim(store, &job.id, &worker, Duration::from_secs(60)).await;
    store.fail(&held.lease, error, Retry::Never).await.unwrap();
    store.get(&job.tenant, &job.id).await.unwrap()
}

/// Sorted ids, newest first, as a bulk step answers.
fn newest_first(jobs: &[&Job]) -> Vec<String> {
    let mut ids = ids_of(jobs);
    ids.sort_by(|a, b| b.cmp(a));
    ids
}

pub async fn bulk_retry_filters_pages_and_stays_in_tenant(h: &impl Harness) {
    let store = real(h).await;
    let t = tenant("t1");
    let early = [
        dead(&store, "t1", Channel::Webhook, "HTTP 503 from target").await,
        dead(&store, "t1", Channel::Email, "SMTP 550 mailbox unavailable").await,
    ];
    // Creation times a millisecond apart at least, so the time filters have a boundary.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let boundary = Utc::now();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let late = [
        dead(&store, "t1", Channel::Webhook, "HTTP 503 from target").await,
        dead(&store, "t1", Channel::Webhook, "connect timeout (a.b)").await,
        dead(&store, "t1", Channel::Sms, "HTTP 503 from provider").await,
    ];
    let theirs = dead(&store, "t2", Channel::Webhook, "HTTP 503 from target").await;
    let waiting = insert(
        &store,
        notification("t1", Channel::Webhook, Priority::Normal),
    )
    .await;

    // Each filter field alone, read without moving anything: with `ids` naming a job
    // that does not match, the match count shows what each filter selects.
    let webhook = BulkFilter {
        channel: Some(Channel::Webhook),
        ..BulkFilter::default()
    };
    let errors = BulkFilter {
        error_contains: Some("HTTP 503".into()),
        ..BulkFilter::default()
    };
    let literal = BulkFilter {
        // Regular-expression characters match themselves.
        error_contains: Some("(a.b)".into()),
        ..BulkFilter::default()
    };
    let before = BulkFilter {
        created_before: Some(boundary),
        ..BulkFilter::default()
    };
    let after = BulkFilter {
        created_after: Some(boundary),
        channel: Some(Channel::Webhook),
        ..BulkFilter::default()
    };
    let by_id = BulkFilter {
        ids: Some(vec![
            early[1].id.clone(),
            late[2].id.clone(),
            theirs.id.clone(),
            waiting.id.clone(),
        ]),
        ..BulkFilter::default()
    };
    let cases: [(&BulkFilter, Vec<&Job>); 6] = [
        (&webhook, vec![&early[0], &late[0], &late[1]]),
        (&errors, vec![&early[0], &late[0], &late[2]]),
        (&literal, vec![&late[1]]),
        (&before, vec![&early[0], &early[1]]),
        (&after, vec![&late[0], &late[1]]),
        // Another tenant's id and a waiting job's id select nothing.
        (&by_id, vec![&early[1], &late[2]]),
    ];
    for (filter, expected) in cases {
        let moved = step(&store, &t, BulkAction::Redrive, filter, 1000, None).await;
        assert_eq!(ids(&moved.jobs), newest_first(&expected), "{filter:?}");
        assert_eq!(moved.matched as usize, expected.len());
        assert_eq!(moved.next_cursor, None);
        for job in &moved.jobs {
            // Fresh attempts, as one re-drive gives; then dead again for the next case.
            assert_eq!(job.status, JobStatus::Pending);
            assert_eq!(job.attempts, 0);
            assert!(job.completed_at.is_none());
            let held = claim(
                &store,
                &job.id,
                &WorkerId::generate(),
                Duration::from_secs(60),
            )
            .await;
            let error = expected
                .iter()
                .find(|j| j.id == job.id)
                .and_then(|j| j.last_error.clone())
                .unwrap();
            store.fail(&held.lease, &error, Retry::Never).await.unwrap();
        }
    }

    // Bounded steps, resumed by cursor: 2, 2, then 1 with no cursor after it.
    let all = BulkFilter::default();
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut steps = 0;
    loop {
        let moved = step(&store, &t, BulkAction::Redrive, &all, 2, cursor).await;
        steps += 1;
        assert!(moved.matched <= 2);
        seen.extend(ids(&moved.jobs));
        cursor = moved.next_cursor;
        if cursor.is_none() {
            break;
        }
        assert!(steps < 10, "the cursor never ran out");
    }
    assert_eq!(steps, 3);
    let mut every: Vec<&Job> = early.iter().chain(late.iter()).collect();
    every.sort_by(|a, b| b.id.as_str().cmp(a.id.as_str()));
    assert_eq!(seen, ids_of(&every));
    // The cursor is exclusive: a job that died again after its step is not taken by
    // a step resumed from its own id, and is by one resumed from above it.
    let held = claim(
        &store,
        &every[3].id,
        &WorkerId::generate(),
        Duration::from_secs(60),
    )
    .await;
    store
        .fail(&held.lease, "again", Retry::Never)
        .await
        .unwrap();
    let from_it = step(
        &store,
        &t,
        BulkAction::Redrive,
        &all,
        2,
        Some(every[3].id.clone()),
    )
    .await;
    assert_eq!(from_it.matched, 0);
    let above = step(
        &store,
        &t,
        BulkAction::Redrive,
        &all,
        2,
        Some(every[2].id.clone()),
    )
    .await;
    assert_eq!(ids(&above.jobs), ids_of(&[every[3]]));

    // The other tenant's dead job was never touched; its own call moves it.
    assert_eq!(
        store.get(&tenant("t2"), &theirs.id).await.unwrap().status,
        JobStatus::Dead
    );
    let mine = step(&store, &tenant("t2"), BulkAction::Redrive, &all, 10, None).await;
    assert_eq!(ids(&mine.jobs), ids_of(&[&theirs]));
    assert_eq!(
        store.get(&t, &waiting.id).await.unwrap().status,
        JobStatus::Pending
    );
}

pub async fn bulk_cancel_takes_only_waiting_jobs(h: &impl Harness) {
    let store = real(h).await;
    let t = tenant("t1");
    let worker = WorkerId::generate();
    let pending = insert(
        &store,
        notification("t1", Channel::Webhook, Priority::Normal),
    )
    .await;
    let scheduled = insert(
        &store,
        notification("t1", Channel::Webhook, Priority::Low)
            .run_at(Utc::now() + chrono::Duration::hours(1)),
    )
    .await;
    let email = insert(&store, notification("t1", Channel::Email, Priority::Normal)).await;
    let running = insert(
        &store,
        notification("t1", Channel::Webhook, Priority::Normal),
    )
    .await;
    let held = claim(&store, &running.id, &worker, Duration::from_secs(60)).await;
    let gone = dead(&store, "t1", Channel::Webhook, "HTTP 410").await;
    let theirs = insert(
        &store,
        notification("t2", Channel::Webhook, Priority::Normal),
    )
    .await;

    let webhook = BulkFilter {
        channel: Some(Channel::Webhook),
        ..BulkFilter::default()
    };
    let first = step(&store, &t, BulkAction::Cancel, &webhook, 1, None).await;
    assert_eq!(ids(&first.jobs), ids_of(&[&scheduled]));
    assert_eq!(first.next_cursor.as_ref(), Some(&scheduled.id));
    let rest = step(
        &store,
        &t,
        BulkAction::Cancel,
        &webhook,
        1,
        first.next_cursor,
    )
    .await;
    assert_eq!(ids(&rest.jobs), ids_of(&[&pending]));
    let end = step(
        &store,
        &t,
        BulkAction::Cancel,
        &webhook,
        1,
        rest.next_cursor,
    )
    .await;
    assert!(end.jobs.is_empty() && end.next_cursor.is_none());
    for job in first.jobs.iter().chain(rest.jobs.iter()) {
        // As one cancel leaves it: cancelled, finished, with the history entry.
        assert_eq!(job.status, JobStatus::Cancelled);
        assert!(job.completed_at.is_some());
        assert_eq!(
            job.history.last().map(|e| e.outcome),
            Some(AttemptOutcome::Cancelled)
        );
    }
    // Not waiting, other channel, other tenant: untouched.
    for (tenant_name, job, status) in [
        ("t1", &email, JobStatus::Pending),
        ("t1", &running, JobStatus::Running),
        ("t1", &gone, JobStatus::Dead),
        ("t2", &theirs, JobStatus::Pending),
    ] {
        assert_eq!(
            store
                .get(&tenant(tenant_name), &job.id)
                .await
                .unwrap()
                .status,
            status
        );
    }
    // The running job's holder still completes it: its lease was not touched.
    store.complete(&held.lease).await.unwrap();
}
