//! `/health` follows reachability: 200 while the store answers (broker down), 503 when
//! neither the store nor the broker can be reached, 200 again once the store is back —
//! with the worker running throughout (no crash, no restart). Uses its own SecantusDB
//! (`$SECANTUSD`, exported by scripts/test.sh) so it can stop it, and a RabbitMQ URL
//! where nothing listens.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use herald_core::store::mongo::MongoConfig;
use herald_core::store::StoreConfig;
use herald_testkit::services::{free_port, start_secantus};
use herald_worker::{Config, Worker};

async fn health(addr: std::net::SocketAddr) -> (u16, serde_json::Value) {
    let r = reqwest::get(format!("http://{addr}/health")).await.unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap(),
    )
}

async fn wait_health(addr: std::net::SocketAddr, want: u16) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = health(addr).await;
        if status == want {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "/health stayed {status} {body}, wanted {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_503_only_while_neither_store_nor_broker_is_reachable() {
    let port = free_port();
    let mut server = start_secantus(port, ":memory:").await;
    let mut mongo = MongoConfig::new(format!("mongodb://127.0.0.1:{port}/?directConnection=true"));
    mongo.database = format!(
        "worker_health_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    mongo.server_selection_timeout = Some(Duration::from_millis(500));
    let store_config = StoreConfig::Mongo(mongo);
    let store = herald_core::store::open(&store_config, herald_core::clock::system())
        .await
        .unwrap();
    let mut config = Config::embedded(store_config);
    config.broker.url = Some(herald_core::config::Secret::new(format!(
        "amqp://guest:guest@127.0.0.1:{}/%2f",
        free_port()
    )));
    config.poll_interval = Duration::from_secs(3600);
    config.heartbeat_interval = Duration::from_secs(3600);
    let worker = Worker::builder(config).store(store).start().await.unwrap();
    let addr = worker.metrics_addr();

    let body = wait_health(addr, 200).await;
    assert_eq!(body["store"], "up");
    assert_eq!(body["broker"], "down");

    server.kill().await.unwrap();
    let body = wait_health(addr, 503).await;
    assert_eq!(body["store"], "down");
    assert_eq!(body["broker"], "down");

    // The store comes back on the same address: the worker, still running, sees it.
    let _server = start_secantus(port, ":memory:").await;
    let body = wait_health(addr, 200).await;
    assert_eq!(body["store"], "up");
    let metrics = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("herald_broker_connected 0"), "{metrics}");
    worker.shutdown().await.unwrap();
}
