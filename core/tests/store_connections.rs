//! `database_connections_total` and `herald_store_connections_in_use` come from the
//! pool itself (issue #16): SQLite's pool counts the connections it opens and lends,
//! MongoDB's from the driver's connection-pool (CMAP) events. Here queries are held
//! inside the pool and the counts are watched while they wait and after they return.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use herald_core::clock::SystemClock;
use herald_core::store::mongo::{MongoConfig, MongoStore};
use herald_core::store::sqlite::{SqliteConfig, SqliteStore};
use herald_core::store::{Connections, JobStore, MaintenanceStore};
use herald_core::{JobKind, NewJob, TenantId};
use herald_testkit::services::mongodb_uri;

fn job(n: u32) -> NewJob {
    NewJob::new(
        JobKind::Notification,
        TenantId::parse("acme").unwrap(),
        serde_json::json!({ "n": n }),
    )
}

/// Polls `read` until `done` holds of it, failing after 10 s.
async fn until(
    read: impl Fn() -> Connections,
    done: impl Fn(&Connections) -> bool,
    what: &str,
) -> Connections {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = read();
        if done(&now) {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: the pool stayed at {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_counts_the_connections_it_opens_and_lends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("herald.db");
    let mut config = SqliteConfig::new(&path);
    config.pool_size = 5;
    config.busy_timeout = Duration::from_secs(20);
    let store = SqliteStore::open(config, Arc::new(SystemClock::default()))
        .await
        .unwrap();
    // The migration used one connection and gave it back.
    assert_eq!(
        store.connections(),
        Connections {
            open: 1,
            in_use: 0,
            max: 5
        }
    );

    // Another process's write lock holds three inserts inside the pool.
    let blocker = rusqlite::Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let inserts: Vec<_> = (0..3)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move { store.insert(job(n)).await })
        })
        .collect();
    let held = until(
        || store.connections(),
        |c| c.in_use == 3,
        "three waiting inserts",
    )
    .await;
    assert_eq!(held.open, 3, "{held:?}");

    blocker.execute_batch("COMMIT").unwrap();
    for insert in inserts {
        insert.await.unwrap().unwrap();
    }
    // Back in the pool: open and idle, none in use.
    assert_eq!(
        store.connections(),
        Connections {
            open: 3,
            in_use: 0,
            max: 5
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mongodb_counts_connections_from_the_driver_pool_events() {
    let mut config = MongoConfig::new(mongodb_uri());
    config.database = format!("herald_test_pool_{:08x}", rand::random::<u32>());
    config.max_pool_size = Some(4);
    let store = MongoStore::open(config, Arc::new(SystemClock::default()))
        .await
        .unwrap();
    let idle = until(
        || store.connections(),
        |c| c.in_use == 0 && c.open >= 1,
        "after opening",
    )
    .await;
    assert_eq!(idle.max, 4);

    // Concurrent inserts check connections out; the peak is watched while they run.
    let inserts: Vec<_> = (0..8)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move { store.insert(job(n)).await })
        })
        .collect();
    let mut peak = Connections::default();
    while inserts.iter().any(|i| !i.is_finished()) {
        let now = store.connections();
        assert!(now.open <= 4 && now.in_use <= now.open, "{now:?}");
        peak.in_use = peak.in_use.max(now.in_use);
        peak.open = peak.open.max(now.open);
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    for insert in inserts {
        insert.await.unwrap().unwrap();
    }
    assert!(
        peak.in_use >= 1,
        "no connection was ever seen in use: {peak:?}"
    );
    let after = until(
        || store.connections(),
        |c| c.in_use == 0,
        "after the inserts",
    )
    .await;
    assert!(after.open >= 1 && after.open <= 4, "{after:?}");
}
