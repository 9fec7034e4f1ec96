//! `insert_many` on MongoDB is one transaction: concurrent batches that share an
//! idempotency key conflict on the server (a write conflict or a duplicate key), and the
//! store re-runs the losing transaction, which then replays the winner's job.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use herald_core::store::mongo::{MongoConfig, MongoStore};
use herald_core::store::JobStore;
use herald_core::{JobKind, JobStatus, NewJob, TenantId};
use herald_testkit::services::mongodb_uri;

fn note(n: usize) -> NewJob {
    NewJob::new(
        JobKind::Notification,
        TenantId::parse("t1").unwrap(),
        serde_json::json!({ "n": n }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_batches_sharing_a_key_store_it_once() {
    let mut config = MongoConfig::new(mongodb_uri());
    config.database = format!("herald_test_batches_{:08x}", rand::random::<u32>());
    let first = MongoStore::open(config.clone(), herald_core::clock::system())
        .await
        .unwrap();
    const BATCHES: usize = 6;
    let mut tasks = Vec::new();
    for b in 0..BATCHES {
        // Separate clients, as separate API instances would have.
        let store = MongoStore::open(config.clone(), herald_core::clock::system())
            .await
            .unwrap();
        tasks.push(tokio::spawn(async move {
            let batch = vec![
                note(b * 10),
                note(b * 10 + 1).idempotency_key("shared"),
                note(b * 10 + 2),
            ];
            store.insert_many(batch).await.unwrap()
        }));
    }
    let mut shared_ids = HashSet::new();
    let mut created_shared = 0;
    for task in tasks {
        let results = task.await.unwrap();
        assert_eq!(results.len(), 3);
        assert!(results[0].is_created() && results[2].is_created());
        shared_ids.insert(results[1].job().id.clone());
        if results[1].is_created() {
            created_shared += 1;
        }
    }
    assert_eq!(shared_ids.len(), 1, "the shared key named several jobs");
    assert_eq!(
        created_shared, 1,
        "exactly one batch created the shared job"
    );
    let counts = first.counts().await.unwrap();
    assert_eq!(counts.get(JobStatus::Pending), (BATCHES * 2 + 1) as u64);
    assert_eq!(counts.total(), (BATCHES * 2 + 1) as u64);
}
