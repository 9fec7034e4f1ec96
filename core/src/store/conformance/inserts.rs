//! Inserting jobs: an idempotency key replays the job it first named (per tenant, also
//! inside a batch and under concurrent inserts), and a batch is stored whole or not at
//! all.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::json;

use crate::clock::SystemClock;
use crate::job::JobStatus;
use crate::store::Inserted;

use super::{note, real, Harness};

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
