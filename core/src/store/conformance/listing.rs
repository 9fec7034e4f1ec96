//! What a tenant reads back: its jobs, newest first, in pages and by filter; never
//! another tenant's job; and the job counts by state.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use crate::job::{Job, JobKind, JobStatus, NewJob, Priority};
use crate::lease::WorkerId;
use crate::notification::Channel;
use crate::store::{
    BulkAction, BulkFilter, BulkRequest, ClaimRequest, ListFilter, PageRequest, Retry, StoreError,
};

use super::{claim, insert, note, real, tenant, Harness};

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
                ..ListFilter::default()
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
                ..ListFilter::default()
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
        priority: None,
        fairness: Default::default(),
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

pub(super) fn ids(jobs: &[Job]) -> Vec<String> {
    jobs.iter().map(|j| j.id.as_str().to_owned()).collect()
}

pub(super) fn ids_of(jobs: &[&Job]) -> Vec<String> {
    jobs.iter().map(|j| j.id.as_str().to_owned()).collect()
}

pub(super) fn notification(tenant_name: &str, channel: Channel, priority: Priority) -> NewJob {
    NewJob::new(
        JobKind::Notification,
        tenant(tenant_name),
        json!({ "channel": channel.as_str(), "body": "hi" }),
    )
    .priority(priority)
}

/// The console's filters: priority and channel (alone and with status), and the job an
/// idempotency key names, tenant-scoped like every read.
pub async fn list_filters_by_priority_and_channel_and_finds_by_key(h: &impl Harness) {
    let store = real(h).await;
    let t = tenant("t1");
    let webhook_high = insert(&store, notification("t1", Channel::Webhook, Priority::High)).await;
    let email_high = insert(&store, notification("t1", Channel::Email, Priority::High)).await;
    let webhook_low = insert(
        &store,
        notification("t1", Channel::Webhook, Priority::Low).idempotency_key("order-7"),
    )
    .await;
    insert(&store, notification("t2", Channel::Webhook, Priority::High)).await;
    let list = |filter: ListFilter| {
        let store = store.clone();
        let t = t.clone();
        async move {
            ids(&store
                .list(&t, &filter, &PageRequest::first(50))
                .await
                .unwrap()
                .items)
        }
    };
    let webhooks = list(ListFilter {
        channel: Some(Channel::Webhook),
        ..ListFilter::default()
    })
    .await;
    assert_eq!(webhooks, ids_of(&[&webhook_low, &webhook_high]));
    let high = list(ListFilter {
        priority: Some(Priority::High),
        ..ListFilter::default()
    })
    .await;
    assert_eq!(high, ids_of(&[&email_high, &webhook_high]));
    let both = list(ListFilter {
        priority: Some(Priority::High),
        channel: Some(Channel::Webhook),
        status: Some(JobStatus::Pending),
        kind: Some(JobKind::Notification),
    })
    .await;
    assert_eq!(both, ids_of(&[&webhook_high]));
    let none = list(ListFilter {
        channel: Some(Channel::Sms),
        ..ListFilter::default()
    })
    .await;
    assert!(none.is_empty());

    let found = store.find_by_idempotency_key(&t, "order-7").await.unwrap();
    assert_eq!(found.id, webhook_low.id);
    assert!(matches!(
        store
            .find_by_idempotency_key(&tenant("t2"), "order-7")
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.find_by_idempotency_key(&t, "order-8").await,
        Err(StoreError::NotFound)
    ));
}

/// The overview per kind × priority (counts capped, the oldest due job, successes
/// since), and the bounded bulk re-drive of dead jobs by filter, with its count.
pub async fn summary_and_bulk_redrive_by_filter(h: &impl Harness) {
    let store = real(h).await;
    let worker = WorkerId::generate();
    let t = tenant("t1");
    let started = Utc::now() - chrono::Duration::seconds(5);
    let mut dead = Vec::new();
    for (channel, priority) in [
        (Channel::Webhook, Priority::High),
        (Channel::Webhook, Priority::High),
        (Channel::Webhook, Priority::Normal),
        (Channel::Email, Priority::High),
    ] {
        let job = insert(
            &store,
            notification("t1", channel, priority).max_attempts(1),
        )
        .await;
        let held = claim(&store, &job.id, &worker, Duration::from_secs(60)).await;
        store.fail(&held.lease, "boom", Retry::Never).await.unwrap();
        dead.push(job);
    }
    let done = insert(&store, notification("t1", Channel::Log, Priority::High)).await;
    let held = claim(&store, &done.id, &worker, Duration::from_secs(60)).await;
    store.complete(&held.lease).await.unwrap();
    let waiting = insert(&store, notification("t1", Channel::Log, Priority::High)).await;
    let other = insert(
        &store,
        notification("t2", Channel::Webhook, Priority::High).max_attempts(1),
    )
    .await;
    let held = claim(&store, &other.id, &worker, Duration::from_secs(60)).await;
    store.fail(&held.lease, "boom", Retry::Never).await.unwrap();

    let rows = store.summarize(&t, started, 100).await.unwrap();
    assert_eq!(rows.len(), JobKind::ALL.len() * Priority::ALL.len());
    let high = rows
        .iter()
        .find(|r| r.kind == JobKind::Notification && r.priority == Priority::High)
        .unwrap();
    assert_eq!(high.counts.get(JobStatus::Dead), 3);
    assert_eq!(high.counts.get(JobStatus::Succeeded), 1);
    assert_eq!(high.counts.get(JobStatus::Pending), 1);
    assert_eq!(high.succeeded_since, 1);
    assert_eq!(high.oldest_ready, Some(waiting.run_at));
    let capped = store.summarize(&t, started, 2).await.unwrap();
    let high = capped
        .iter()
        .find(|r| r.kind == JobKind::Notification && r.priority == Priority::High)
        .unwrap();
    assert_eq!(
        high.counts.get(JobStatus::Dead),
        2,
        "counts stop at the cap"
    );
    let later = store
        .summarize(&t, Utc::now() + chrono::Duration::hours(1), 100)
        .await
        .unwrap();
    assert!(later.iter().all(|r| r.succeeded_since == 0));

    let webhook_dead = ListFilter {
        status: Some(JobStatus::Dead),
        channel: Some(Channel::Webhook),
        ..ListFilter::default()
    };
    assert_eq!(
        store.count_matching(&t, &webhook_dead, 100).await.unwrap(),
        3
    );
    assert_eq!(store.count_matching(&t, &webhook_dead, 2).await.unwrap(), 2);
    // Bounded: two of the three, newest first; then the last one; then none.
    let webhook = BulkFilter {
        channel: Some(Channel::Webhook),
        ..BulkFilter::default()
    };
    let first = redrive(&store, &t, &webhook, 2).await;
    assert_eq!(ids(&first), ids_of(&[&dead[2], &dead[1]]));
    assert!(first
        .iter()
        .all(|j| j.status == JobStatus::Pending && j.attempts == 0));
    let rest = redrive(&store, &t, &webhook, 10).await;
    assert_eq!(ids(&rest), ids_of(&[&dead[0]]));
    assert!(redrive(&store, &t, &webhook, 10).await.is_empty());
    // The email job is still dead; the other tenant's dead job was never touched.
    assert_eq!(
        store.get(&t, &dead[3].id).await.unwrap().status,
        JobStatus::Dead
    );
    let theirs = ListFilter {
        status: Some(JobStatus::Dead),
        ..ListFilter::default()
    };
    assert_eq!(
        store
            .count_matching(&tenant("t2"), &theirs, 100)
            .await
            .unwrap(),
        1
    );
    // An empty filter: only dead jobs move (the succeeded and the waiting one stay).
    let any = redrive(&store, &t, &BulkFilter::default(), 10).await;
    assert_eq!(ids(&any), ids_of(&[&dead[3]]));
    assert_eq!(
        store.get(&t, &done.id).await.unwrap().status,
        JobStatus::Succeeded
    );
    assert_eq!(
        store.get(&t, &waiting.id).await.unwrap().status,
        JobStatus::Pending
    );
}

async fn redrive(
    store: &std::sync::Arc<dyn crate::store::Store>,
    t: &crate::job::TenantId,
    filter: &BulkFilter,
    limit: u32,
) -> Vec<Job> {
    let request = BulkRequest {
        action: BulkAction::Redrive,
        filter: filter.clone(),
        limit,
        cursor: None,
    };
    store.bulk_transition(t, &request).await.unwrap().jobs
}
