//! A worker started in-process (embedded mode, SQLite, metrics on port 0): the single
//! step, and the HTTP endpoints' shapes and metric names.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::StoreConfig;
use herald_core::{JobKind, NewJob, TenantId};
use herald_worker::{Config, Outcome, Step, Worker};

async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let r = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_step_and_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let store_config = StoreConfig::Sqlite(SqliteConfig::new(dir.path().join("w.db")));
    let store = herald_core::store::open(&store_config, herald_core::clock::system())
        .await
        .unwrap();
    let mut config = Config::embedded(store_config);
    // Keep the poller out of the way so the single step is what processes the jobs.
    config.poll_interval = Duration::from_secs(3600);
    // The queue gauges are refreshed every PRUNE_INTERVAL_MS, not per scrape.
    config.prune_interval = Duration::from_millis(100);
    let worker = Worker::builder(config)
        .store(store.clone())
        .start()
        .await
        .unwrap();
    let engine = worker.engine().clone();

    assert_eq!(engine.try_process_one().await.unwrap(), Step::Empty);
    let tenant = TenantId::parse("acme").unwrap();
    let ok = NewJob::new(
        JobKind::Notification,
        tenant.clone(),
        serde_json::json!({"channel": "log", "recipient": {"address": "x"}, "body": "hi"}),
    );
    let unknown = NewJob::new(
        JobKind::Notification,
        tenant.clone(),
        serde_json::json!({"channel": "email", "recipient": {"address": "a@b.example"}, "body": "hi"}),
    )
    .priority(herald_core::Priority::Low);
    let ok_id = store.insert(ok).await.unwrap().into_job().id;
    let email_id = store.insert(unknown).await.unwrap().into_job().id;
    let first = engine.try_process_one().await.unwrap();
    assert_eq!(
        first,
        Step::Processed {
            id: ok_id.clone(),
            outcome: Outcome::Completed
        }
    );
    let Step::Processed {
        id,
        outcome: Outcome::Dead { error },
    } = engine.try_process_one().await.unwrap()
    else {
        panic!("a channel this worker lacks is a permanent failure");
    };
    assert_eq!(id, email_id);
    assert!(error.contains("not available"), "{error}");

    let addr = worker.metrics_addr();
    let (status, body) = get(addr, "/health").await;
    assert_eq!(status, 200, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["store"], "up");
    assert_eq!(health["broker"], "disabled");

    let (_, body) = get(addr, "/stats").await;
    let stats: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(stats["processed"], 2);
    assert_eq!(stats["succeeded"], 1);
    assert_eq!(stats["dead"], 1);
    assert_eq!(stats["failed"], 1);
    assert_eq!(stats["successRate"], 0.5);
    assert_eq!(stats["workerId"], worker.worker_id().as_str());
    assert!(stats["lastJobAt"].is_string());

    let (_, body) = get(addr, "/resources").await;
    let res: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(res["rss"].as_u64().unwrap() > 0, "{res}");
    assert!(res["threads"].as_u64().unwrap() > 0, "{res}");
    assert_eq!(res["storePool"]["kind"], "sqlite");
    // The pool as it is: the worker has used connections, never more than its size.
    let pool = &res["storePool"];
    let (open, in_use, size) = (
        pool["open"].as_u64().unwrap(),
        pool["inUse"].as_u64().unwrap(),
        pool["size"].as_u64().unwrap(),
    );
    assert!(open >= 1 && open <= size && in_use <= open, "{pool}");

    // The gauges follow within an interval; a scrape itself reads no counts.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let metrics = loop {
        let (_, metrics) = get(addr, "/metrics").await;
        if metrics.contains("notification_queue_depth{state=\"dead\"} 1") {
            break metrics;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the queue gauges never refreshed:\n{metrics}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in:\n{metrics}"))
    };
    let open = value("database_connections_total");
    assert!(open >= 1.0, "database_connections_total {open}");
    assert!(open <= value("herald_store_pool_max_connections"));
    assert!(value("herald_store_connections_in_use") <= open);
    for name in [
        "herald_queue_oldest_ready_seconds{kind=\"notification\",priority=\"normal\"} 0",
        "herald_prune_run_duration_seconds_count",
        "worker_cpu_usage_percent",
        "worker_memory_usage_bytes",
        "worker_heap_usage_bytes",
        "database_connections_total",
        "notification_queue_depth{state=\"succeeded\"} 1",
        "notification_queue_depth{state=\"dead\"} 1",
        "worker_uptime_seconds",
        "matchserver_active_workers",
        "matchserver_active_matches_total",
        "matchserver_idle_workers",
        "herald_jobs_processed_total{kind=\"notification\",outcome=\"completed\"} 1",
        "herald_jobs_processed_total{kind=\"notification\",outcome=\"dead\"} 1",
        "herald_job_end_to_end_seconds_bucket",
        "herald_job_processing_seconds_bucket",
        "herald_lease_claims_total{source=\"poller\"} 2",
        "herald_deliveries_total{channel=\"log\",outcome=\"delivered\"} 1",
        "herald_deliveries_total{channel=\"email\",outcome=\"permanent\"} 1",
    ] {
        assert!(metrics.contains(name), "missing {name} in:\n{metrics}");
    }

    let report = worker.shutdown().await.unwrap();
    assert!(report.drained);
    assert!(
        store
            .live_workers(Duration::from_secs(60))
            .await
            .unwrap()
            .is_empty(),
        "deregistered"
    );
}
