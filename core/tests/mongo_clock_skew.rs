//! The MongoDB store's lease decisions follow the server's clock, not the client's.
//!
//! Handles are given client clocks 60 s ahead of and behind the real time. If a claim
//! or renewal compared against the client's "now", the fast handle would steal a live
//! lease and the slow one would keep a dead lease alive; both must be refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use herald_core::clock::{Clock, SystemClock};
use herald_core::store::mongo::{MongoConfig, MongoStore};
use herald_core::store::{ClaimOutcome, ClaimRequest, JobStore, LeaseStore, NotClaimed};
use herald_core::{JobKind, NewJob, StoreError, TenantId, WorkerId};
use herald_testkit::services::mongodb_uri;
use mongodb::bson::{doc, Document};

async fn store(test: &str) -> MongoStore {
    let mut config = MongoConfig::new(mongodb_uri());
    config.database = format!("herald_test_{test}_{:08x}", rand::random::<u32>());
    MongoStore::open(config, herald_core::clock::system())
        .await
        .unwrap()
}

fn skewed(store: &MongoStore, seconds: i64) -> MongoStore {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::skewed(chrono::Duration::seconds(seconds)));
    store.with_clock(clock)
}

fn note() -> NewJob {
    NewJob::new(
        JobKind::Notification,
        TenantId::parse("t1").unwrap(),
        serde_json::json!({}),
    )
}

#[tokio::test]
async fn a_client_clock_ahead_cannot_take_a_live_lease_early() {
    let honest = store("skew_ahead").await;
    let ahead = skewed(&honest, 60);
    let job = honest.insert(note()).await.unwrap().into_job();
    let holder = WorkerId::generate();
    let ClaimOutcome::Claimed(held) = honest
        .claim(&job.id, &holder, Duration::from_secs(30))
        .await
        .unwrap()
    else {
        panic!("fresh job should be claimable");
    };

    // By the fast client's clock this lease ran out 30 s ago; by the server's it has
    // 30 s left.
    match ahead
        .claim(&job.id, &WorkerId::generate(), Duration::from_secs(30))
        .await
        .unwrap()
    {
        ClaimOutcome::NotClaimed(NotClaimed::Held { by, .. }) => assert_eq!(by, Some(holder)),
        other => panic!("a fast client clock took a live lease: {other:?}"),
    }
    let request = ClaimRequest {
        worker: WorkerId::generate(),
        lease: Duration::from_secs(30),
        limit: 10,
        kind: None,
        priority: None,
        fairness: Default::default(),
    };
    assert!(
        ahead.claim_due(&request).await.unwrap().is_empty(),
        "the fast client's poller took a live lease"
    );
    // The holder is undisturbed.
    honest.complete(&held.lease).await.unwrap();
}

#[tokio::test]
async fn a_client_clock_behind_cannot_renew_an_expired_lease() {
    let honest = store("skew_behind").await;
    let behind = skewed(&honest, -60);
    let job = honest.insert(note()).await.unwrap().into_job();
    // The lease is taken with an honest clock, so only the renewal's clock is in play.
    let ClaimOutcome::Claimed(held) = honest
        .claim(&job.id, &WorkerId::generate(), Duration::from_secs(1))
        .await
        .unwrap()
    else {
        panic!("fresh job should be claimable");
    };
    wait_until_server_expires(behind.database(), job.id.as_str()).await;

    // By the slow client's clock the lease has 59 s left; by the server's it is over.
    match behind.renew(&held.lease, Duration::from_secs(60)).await {
        Err(StoreError::LeaseLost) => {}
        other => panic!("a slow client clock kept an expired lease: {other:?}"),
    }
    let stored = honest.get(&job.tenant, &job.id).await.unwrap();
    assert_eq!(
        stored.lock_expiry,
        Some(held.lease.expires_at),
        "nothing was renewed"
    );
    // And the job is claimable by anyone, as an expired lease should be.
    let ClaimOutcome::Claimed(taken) = honest
        .claim(&job.id, &WorkerId::generate(), Duration::from_secs(30))
        .await
        .unwrap()
    else {
        panic!("the expired lease should be claimable");
    };
    assert!(taken.lease.version > held.lease.version);
    assert!(matches!(
        behind.complete(&held.lease).await,
        Err(StoreError::LeaseLost)
    ));
}

#[tokio::test]
async fn skewed_clients_stamp_jobs_and_leases_with_server_time() {
    let honest = store("skew_stamps").await;
    for seconds in [60, -60] {
        let client = skewed(&honest, seconds);
        let job = client.insert(note()).await.unwrap().into_job();
        let drift = (job.run_at - Utc::now()).num_seconds().abs();
        assert!(
            drift < 10,
            "runAt follows the client clock ({seconds} s): {job:?}"
        );
        // Due at once for every worker, whatever the inserting host's clock says.
        let ClaimOutcome::Claimed(held) = honest
            .claim(&job.id, &WorkerId::generate(), Duration::from_secs(30))
            .await
            .unwrap()
        else {
            panic!("a job inserted by a {seconds} s client is not due");
        };
        let expiry = (held.lease.expires_at - Utc::now()).num_seconds();
        assert!((20..=40).contains(&expiry), "lease expiry {expiry} s away");
    }
}

/// Waits (bounded) until the server itself says the job's lease has expired.
async fn wait_until_server_expires(db: &mongodb::Database, id: &str) {
    let jobs = db.collection::<Document>("jobs");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let expired = jobs
            .find_one(doc! { "_id": id, "$expr": { "$lt": [
                "$lockExpiry", { "$toDate": { "$toLong": "$$NOW" } }
            ] } })
            .await
            .unwrap();
        if expired.is_some() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the server never expired the lease"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
