//! Inserting jobs: an idempotency key replays the job it first named (per tenant, also
//! inside a batch and under concurrent inserts), and a batch is stored whole or not at
//! all.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::json;

use crate::clock::SystemClock;
use crate::job::JobStatus;
use crate::store::{Inserted, Lifecycle, StoreError};

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

/// A key lasts `IDEMPOTENCY_TTL` by the store's clock: within it a replay with the
/// request's digest is the first job, one with another digest is refused; after it
/// the key is released from its job (which stays) and names a new one. Batches too.
pub async fn idempotency_keys_expire_and_are_bound_to_their_request(h: &impl Harness) {
    let ttl = std::time::Duration::from_secs(2);
    let lifecycle = Lifecycle {
        idempotency_ttl: Some(ttl),
        ..Lifecycle::FOREVER
    };
    let store = h
        .open_with(Arc::new(SystemClock::default()), lifecycle)
        .await;
    let keyed = |n: usize, key: &str, digest: &str| {
        note("t1", n).idempotency_key(key).request_digest(digest)
    };
    let started = std::time::Instant::now();
    let first = store.insert(keyed(1, "k", "a")).await.unwrap().into_job();
    let batch = store
        .insert_many(vec![keyed(2, "b#0", "x"), keyed(3, "b#1", "x")])
        .await
        .unwrap();
    assert!(batch.iter().all(Inserted::is_created));

    let replay = store.insert(keyed(4, "k", "a")).await.unwrap();
    assert_eq!(replay, Inserted::Existing(first.clone()));
    // A request without a digest (stored before digests) replays whatever it names.
    assert!(!store
        .insert(note("t1", 5).idempotency_key("k"))
        .await
        .unwrap()
        .is_created());
    assert!(matches!(
        store.insert(keyed(6, "k", "other")).await,
        Err(StoreError::IdempotencyKeyReused)
    ));
    assert!(matches!(
        store
            .insert_many(vec![keyed(7, "b#0", "y"), keyed(8, "b#1", "y")])
            .await,
        Err(StoreError::IdempotencyKeyReused)
    ));
    assert!(
        started.elapsed() < ttl,
        "the checks within the TTL took longer than it; the test proves nothing"
    );
    assert_eq!(
        store.counts().await.unwrap().total(),
        3,
        "a refused replay stored something"
    );

    // After the TTL the same key, with any body, is a new job.
    let deadline = std::time::Instant::now() + h.scale().patience;
    let second = loop {
        match store.insert(keyed(9, "k", "other")).await {
            Ok(Inserted::Created(job)) => break job,
            Err(StoreError::IdempotencyKeyReused) => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the key never expired"
                );
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            other => panic!("unexpected answer: {other:?}"),
        }
    };
    assert!(started.elapsed() >= ttl, "the key expired before its TTL");
    assert_ne!(second.id, first.id);
    let old = store.get(&first.tenant, &first.id).await.unwrap();
    assert_eq!(
        old.idempotency_key, None,
        "the expired key stays on its old job"
    );
    assert_eq!(
        old.status, first.status,
        "releasing the key changed the job"
    );
    assert_eq!(
        store
            .find_by_idempotency_key(&first.tenant, "k")
            .await
            .unwrap()
            .id,
        second.id
    );
    // The new holder replays, and a batch's expired keys are taken over whole.
    assert_eq!(
        store.insert(keyed(10, "k", "other")).await.unwrap(),
        Inserted::Existing(second)
    );
    let again = store
        .insert_many(vec![keyed(11, "b#0", "y"), keyed(12, "b#1", "y")])
        .await
        .unwrap();
    assert!(again.iter().all(Inserted::is_created), "{again:?}");
    assert_eq!(store.counts().await.unwrap().total(), 6);
}
