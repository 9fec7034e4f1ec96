//! What a tenant reads back: its jobs, newest first, in pages and by filter; never
//! another tenant's job; and the job counts by state.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use crate::job::{JobKind, JobStatus, NewJob};
use crate::lease::WorkerId;
use crate::store::{ClaimRequest, ListFilter, PageRequest, Retry, StoreError};

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
