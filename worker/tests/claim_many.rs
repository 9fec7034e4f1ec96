//! The batched claim the consumer uses (`LeaseStore::claim_many`) answers each id as a
//! single claim would, in order, inside one SQLite transaction.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::{ClaimOutcome, NotClaimed, StoreConfig};
use herald_core::{JobId, JobKind, JobStatus, NewJob, TenantId, WorkerId};

#[tokio::test]
async fn claim_many_answers_each_id_like_claim() {
    let dir = tempfile::tempdir().unwrap();
    let store = herald_core::store::open(
        &StoreConfig::Sqlite(SqliteConfig::new(dir.path().join("t.db"))),
        herald_core::clock::system(),
    )
    .await
    .unwrap();
    let tenant = TenantId::parse("acme").unwrap();
    let new = || NewJob::new(JobKind::Notification, tenant.clone(), serde_json::json!({}));
    let due = store.insert(new()).await.unwrap().into_job().id;
    let later = store
        .insert(new().run_at(chrono::Utc::now() + chrono::Duration::hours(1)))
        .await
        .unwrap()
        .into_job()
        .id;
    let done = store.insert(new()).await.unwrap().into_job().id;
    let me = WorkerId::generate();
    let lease = Duration::from_secs(30);
    let ClaimOutcome::Claimed(d) = store.claim(&done, &me, lease).await.unwrap() else {
        panic!("claim");
    };
    store.complete(&d.lease).await.unwrap();

    let missing = JobId::new();
    let ids = [due.clone(), due.clone(), missing, done, later];
    let outcomes = store.claim_many(&ids, &me, lease).await.unwrap();
    assert_eq!(outcomes.len(), 5);
    match &outcomes[0] {
        ClaimOutcome::Claimed(c) => {
            assert_eq!(c.job.id, due);
            assert_eq!(c.job.status, JobStatus::Running);
        }
        other => panic!("first claim of a due job: {other:?}"),
    }
    assert!(
        matches!(
            outcomes[1],
            ClaimOutcome::NotClaimed(NotClaimed::Held { .. })
        ),
        "{:?}",
        outcomes[1]
    );
    assert_eq!(outcomes[2], ClaimOutcome::NotClaimed(NotClaimed::NotFound));
    assert_eq!(
        outcomes[3],
        ClaimOutcome::NotClaimed(NotClaimed::Finished(JobStatus::Succeeded))
    );
    assert!(
        matches!(
            outcomes[4],
            ClaimOutcome::NotClaimed(NotClaimed::NotDue { .. })
        ),
        "{:?}",
        outcomes[4]
    );
}
