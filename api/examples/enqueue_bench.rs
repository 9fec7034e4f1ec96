//! Enqueue throughput of herald-api: single and batch POSTs against the real API
//! (in-process, port 0) on a fresh SQLite file (or `--mongodb-uri`) and a real
//! RabbitMQ (publisher confirms). Not a test: it prints figures for docs/benchmarks.md.
//!
//!   cargo run --release -p herald-api --example enqueue_bench -- \
//!       [--singles 20000] [--batches 200] [--batch-size 100] [--concurrency 32] \
//!       [--rabbitmq-url amqp://guest:guest@127.0.0.1:5672/%2f | --no-rabbitmq] [--mongodb-uri URI]
//!
//! The load generator runs in the same process and shares the machine's cores.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use herald_api::auth::ApiKeys;
use herald_api::config::RateLimit;
use herald_api::{Config, Server};
use herald_core::dispatch::{self, Topology};
use herald_core::store::mongo::MongoConfig;
use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::StoreConfig;
use herald_core::TenantId;
use serde_json::json;

const KEY: &str = "bench-key-000000001";

struct Args {
    singles: usize,
    batches: usize,
    batch_size: usize,
    concurrency: usize,
    rabbitmq_url: Option<String>,
    mongodb_uri: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        singles: 20_000,
        batches: 200,
        batch_size: 100,
        concurrency: 32,
        rabbitmq_url: Some("amqp://guest:guest@127.0.0.1:5672/%2f".into()),
        mongodb_uri: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--singles" => a.singles = value().parse().unwrap(),
            "--batches" => a.batches = value().parse().unwrap(),
            "--batch-size" => a.batch_size = value().parse().unwrap(),
            "--concurrency" => a.concurrency = value().parse().unwrap(),
            "--rabbitmq-url" => a.rabbitmq_url = Some(value()),
            "--no-rabbitmq" => a.rabbitmq_url = None,
            "--mongodb-uri" => a.mongodb_uri = Some(value()),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Sends `requests` POSTs from `concurrency` clients; returns elapsed and latencies.
async fn drive(
    url: String,
    body: serde_json::Value,
    requests: usize,
    concurrency: usize,
) -> (Duration, Vec<Duration>) {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let body = Arc::new(serde_json::to_vec(&body).unwrap());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, next, body, url) = (http.clone(), next.clone(), body.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < requests {
                let t = Instant::now();
                let r = http
                    .post(&url)
                    .bearer_auth(KEY)
                    .header("content-type", "application/json")
                    .body(body.as_ref().clone())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 202, "{}", r.text().await.unwrap_or_default());
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::with_capacity(requests);
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    all.sort();
    (elapsed, all)
}

fn report(what: &str, jobs_per_request: usize, elapsed: Duration, lat: &[Duration]) {
    let reqs = lat.len() as f64 / elapsed.as_secs_f64();
    println!(
        "{what:<28} {:>7} requests in {:>6.2} s: {:>8.0} req/s, {:>8.0} jobs/s, latency p50 {:>6.1} ms, p99 {:>6.1} ms",
        lat.len(),
        elapsed.as_secs_f64(),
        reqs,
        reqs * jobs_per_request as f64,
        percentile(lat, 0.5).as_secs_f64() * 1000.0,
        percentile(lat, 0.99).as_secs_f64() * 1000.0,
    );
}

#[tokio::main]
async fn main() {
    let a = args();
    let dir = tempfile::tempdir().unwrap();
    let group = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let store = match &a.mongodb_uri {
        Some(uri) => {
            let mut c = MongoConfig::new(uri.clone());
            c.database = format!("herald_bench_{}", &group[6..18]);
            StoreConfig::Mongo(c)
        }
        None => StoreConfig::Sqlite(SqliteConfig::new(dir.path().join("bench.db"))),
    };
    println!("store: {}", store.describe());
    println!(
        "broker: {}",
        if a.rabbitmq_url.is_some() {
            "RabbitMQ, quorum queues, publisher confirms"
        } else {
            "none (embedded mode)"
        }
    );
    let mut keys = ApiKeys::default();
    keys.add(TenantId::parse("bench").unwrap(), KEY).unwrap();
    let mut config = Config::new(store, keys);
    config.broker.url = a.rabbitmq_url.clone().map(Into::into);
    config.broker.consumer_group = group.clone();
    config.rate_limit = RateLimit {
        per_sec: 0,
        burst: 1,
    };
    let server = match Server::start(config).await {
        Ok(s) => s,
        Err(e) => panic!("starting the API: {e:#}"),
    };

    let one = json!({"channel": "log", "recipient": {"address": "bench"}, "body": "hello"});
    // Warm up connections, the store and the broker channel.
    drive(
        format!("{}/v1/notifications", server.url()),
        one.clone(),
        200.min(a.singles),
        a.concurrency,
    )
    .await;

    if a.singles > 0 {
        let (elapsed, lat) = drive(
            format!("{}/v1/notifications", server.url()),
            one.clone(),
            a.singles,
            a.concurrency,
        )
        .await;
        report(
            &format!("single POST (c={})", a.concurrency),
            1,
            elapsed,
            &lat,
        );
    }
    if a.batches > 0 {
        let batch = json!({"notifications": vec![one.clone(); a.batch_size]});
        let concurrency = a.concurrency.min(8);
        let (elapsed, lat) = drive(
            format!("{}/v1/notifications/batch", server.url()),
            batch,
            a.batches,
            concurrency,
        )
        .await;
        report(
            &format!("batch POST x{} (c={concurrency})", a.batch_size),
            a.batch_size,
            elapsed,
            &lat,
        );
    }
    server.shutdown().await.unwrap();
    if let Some(url) = &a.rabbitmq_url {
        let c = dispatch::connect(url).await.unwrap();
        let ch = c.create_channel().await.unwrap();
        dispatch::delete(&ch, &Topology::new(&group)).await.unwrap();
    }
}
