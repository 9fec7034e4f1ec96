//! The registry of live workers: heartbeats upsert, deregistering removes, and silent
//! workers drop out of the live list by the store's clock.

use std::time::Duration;

use chrono::Utc;

use crate::lease::WorkerId;
use crate::store::WorkerHeartbeat;

use super::{real, Harness};

pub async fn worker_registry_heartbeats(h: &impl Harness) {
    let store = real(h).await;
    let beat = |id: &WorkerId, in_flight, interval_ms| WorkerHeartbeat {
        worker_id: id.clone(),
        hostname: "host".into(),
        pid: 1,
        started_at: Utc::now(),
        in_flight,
        capacity: 10,
        active_matches: 1,
        match_capacity: 3,
        processed: 5,
        interval_ms,
    };
    let (a, b, c) = (
        WorkerId::generate(),
        WorkerId::generate(),
        WorkerId::generate(),
    );
    // a and b recorded no interval (a worker too old to): the reader's window judges
    // them. c beats every minute: it is live for three minutes, whatever the reader
    // asks.
    store.heartbeat(&beat(&a, 0, 0)).await.unwrap();
    store.heartbeat(&beat(&b, 2, 0)).await.unwrap();
    store.heartbeat(&beat(&b, 3, 0)).await.unwrap();
    store.heartbeat(&beat(&c, 0, 60_000)).await.unwrap();
    let live = store.live_workers(Duration::from_secs(30)).await.unwrap();
    assert_eq!(live.len(), 3, "a heartbeat upserts: {live:?}");
    let c_rec = live.iter().find(|w| w.heartbeat.worker_id == c).unwrap();
    assert_eq!(c_rec.heartbeat.interval_ms, 60_000);
    let b_rec = live.iter().find(|w| w.heartbeat.worker_id == b).unwrap();
    assert_eq!(b_rec.heartbeat.in_flight, 3);
    assert!((Utc::now() - b_rec.last_seen).num_seconds().abs() < 10);
    store.deregister(&a).await.unwrap();
    let live = store.live_workers(Duration::from_secs(30)).await.unwrap();
    let mut ids: Vec<WorkerId> = live.iter().map(|w| w.heartbeat.worker_id.clone()).collect();
    ids.sort_by(|x, y| x.as_str().cmp(y.as_str()));
    let mut expected = vec![b.clone(), c.clone()];
    expected.sort_by(|x, y| x.as_str().cmp(y.as_str()));
    assert_eq!(ids, expected);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let live = store
        .live_workers(Duration::from_millis(500))
        .await
        .unwrap();
    assert_eq!(
        live.iter()
            .map(|w| w.heartbeat.worker_id.clone())
            .collect::<Vec<_>>(),
        vec![c.clone()],
        "silent workers are not live; one judged by its own (longer) interval is"
    );
}
