//! The registry of live workers: heartbeats upsert, deregistering removes, and silent
//! workers drop out of the live list by the store's clock.

use std::time::Duration;

use chrono::Utc;

use crate::lease::WorkerId;
use crate::store::WorkerHeartbeat;

use super::{real, Harness};

pub async fn worker_registry_heartbeats(h: &impl Harness) {
    let store = real(h).await;
    let beat = |id: &WorkerId, in_flight| WorkerHeartbeat {
        worker_id: id.clone(),
        hostname: "host".into(),
        pid: 1,
        started_at: Utc::now(),
        in_flight,
        capacity: 10,
        active_matches: 1,
        match_capacity: 3,
        processed: 5,
    };
    let (a, b) = (WorkerId::generate(), WorkerId::generate());
    store.heartbeat(&beat(&a, 0)).await.unwrap();
    store.heartbeat(&beat(&b, 2)).await.unwrap();
    store.heartbeat(&beat(&b, 3)).await.unwrap();
    let live = store.live_workers(Duration::from_secs(30)).await.unwrap();
    assert_eq!(live.len(), 2, "a heartbeat upserts: {live:?}");
    let b_rec = live.iter().find(|w| w.heartbeat.worker_id == b).unwrap();
    assert_eq!(b_rec.heartbeat.in_flight, 3);
    assert!((Utc::now() - b_rec.last_seen).num_seconds().abs() < 10);
    store.deregister(&a).await.unwrap();
    let live = store.live_workers(Duration::from_secs(30)).await.unwrap();
    assert_eq!(
        live.iter()
            .map(|w| w.heartbeat.worker_id.clone())
            .collect::<Vec<_>>(),
        vec![b.clone()]
    );
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert!(
        store
            .live_workers(Duration::from_millis(500))
            .await
            .unwrap()
            .is_empty(),
        "silent workers are not live"
    );
}
