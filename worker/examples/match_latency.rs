//! Match benchmark (issue #8): event→applied latency at 100 events/s across 9 matches.
//!
//! Starts, in this process, the real API and three workers (`MAX_MATCHES` = 3 each) on
//! a fresh SQLite file and RabbitMQ (`HERALD_TEST_RABBITMQ_URL`, else the local
//! guest broker), creates 9 scoreboard matches, posts score events through
//! `POST /v1/matches/{id}/events` at 100/s in total for the given seconds (30 by
//! default), ends the matches, and reads every worker's
//! `herald_match_event_apply_seconds` histogram (event `at` → state saved by the host):
//! count, mean, and p50/p99 interpolated within the buckets as Prometheus's
//! `histogram_quantile` does.
//!
//! ```text
//! cargo run --release -p herald-worker --example match_latency [-- SECONDS] [--embedded]
//! ```
//!
//! `--embedded` runs without RabbitMQ: the matches are found by the workers' polls and
//! the events by the hosts' 50 ms log polls (no wake-ups).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use anyhow::Context;
use herald_api::auth::ApiKeys;
use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::StoreConfig;
use herald_worker::{Config, Worker};
use prometheus::core::Metric;
use serde_json::{json, Value};

const KEY: &str = "bench-key-0123456789";
const MATCHES: usize = 9;
const WORKERS: usize = 3;
const RATE: u64 = 100;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let embedded = args.iter().any(|a| a == "--embedded");
    let seconds: u64 = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(|s| s.parse())
        .transpose()
        .context("SECONDS must be a whole number")?
        .unwrap_or(30);
    let url = std::env::var("HERALD_TEST_RABBITMQ_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned());
    let dir = tempfile::tempdir()?;
    let store = StoreConfig::Sqlite(SqliteConfig::new(dir.path().join("herald.db")));
    let group = format!(
        "bench-match-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );

    let mut api_config = herald_api::config::Config::new(
        store.clone(),
        ApiKeys::parse(&format!("bench:{KEY}")).map_err(anyhow::Error::msg)?,
    );
    api_config.broker.url = (!embedded).then(|| url.clone().into());
    api_config.broker.consumer_group = group.clone();
    let api = herald_api::Server::start(api_config).await?;
    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        let mut config = Config::embedded(store.clone());
        config.broker.consumer_group = group.clone();
        if !embedded {
            config.broker.url = Some(herald_core::config::Secret::new(url.clone()));
            config.poll_interval = Duration::from_secs(5);
        }
        config.max_matches = 3;
        workers.push(Worker::builder(config).start().await?);
    }
    // Let the consumers subscribe before the first match is published.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let client = reqwest::Client::new();
    let base = api.url();
    let post = |path: String, body: Value| {
        let client = client.clone();
        let url = format!("{base}{path}");
        async move {
            let response = client
                .post(url)
                .bearer_auth(KEY)
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await?;
            anyhow::ensure!(response.status() == 202, "{}", response.text().await?);
            Ok::<Value, anyhow::Error>(serde_json::from_str(&response.text().await?)?)
        }
    };
    let mut ids = Vec::new();
    for _ in 0..MATCHES {
        let players: Vec<Value> = (0..4)
            .map(|i| json!({"id": format!("p{i}"), "notify": {"channel": "log", "recipient": {"address": "x"}}}))
            .collect();
        let created = post(
            "/v1/matches".into(),
            json!({"type": "scoreboard", "players": players, "durationSec": 3600}),
        )
        .await?;
        ids.push(created["id"].as_str().context("id")?.to_owned());
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while workers
        .iter()
        .map(|w| w.context().stats.active_matches())
        .sum::<u64>()
        < MATCHES as u64
    {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the 9 matches were not all hosted"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mode = if embedded {
        "embedded, no broker"
    } else {
        "RabbitMQ wake-ups"
    };
    println!("posting {RATE} events/s across {MATCHES} matches for {seconds} s ({mode})…");
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / RATE));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let total = RATE * seconds;
    let mut sent = Vec::with_capacity(total as usize);
    for n in 0..total {
        tick.tick().await;
        let id = ids[n as usize % MATCHES].clone();
        let event = json!({"type": "score", "playerId": format!("p{}", n % 4), "points": 1});
        sent.push(tokio::spawn(post(
            format!("/v1/matches/{id}/events"),
            event,
        )));
    }
    for s in sent {
        s.await??;
    }
    for id in &ids {
        post(format!("/v1/matches/{id}/events"), json!({"type": "end"})).await?;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while workers
        .iter()
        .map(|w| w.context().stats.active_matches())
        .sum::<u64>()
        > 0
    {
        anyhow::ensure!(Instant::now() < deadline, "the matches did not all end");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Sum the workers' histograms bucket by bucket.
    let mut buckets: Vec<(f64, u64)> = Vec::new();
    let (mut count, mut sum) = (0u64, 0f64);
    for w in &workers {
        let metric = w.context().metrics.match_event_apply_seconds.metric();
        let h = &metric.histogram;
        count += h.sample_count();
        sum += h.sample_sum();
        for (i, b) in h.bucket.iter().enumerate() {
            if buckets.len() <= i {
                buckets.push((b.upper_bound(), 0));
            }
            buckets[i].1 += b.cumulative_count();
        }
    }
    println!(
        "events applied: {count} (posted {total} score + {MATCHES} end)\n\
         event→applied: mean {:.1} ms, p50 {:.1} ms, p99 {:.1} ms",
        sum / count.max(1) as f64 * 1000.0,
        quantile(&buckets, count, 0.50) * 1000.0,
        quantile(&buckets, count, 0.99) * 1000.0,
    );
    for w in workers {
        w.shutdown().await?;
    }
    api.shutdown().await?;
    if let Ok(conn) = herald_core::dispatch::connect(&url).await {
        if let Ok(ch) = conn.create_channel().await {
            let _ =
                herald_core::dispatch::delete(&ch, &herald_core::dispatch::Topology::new(&group))
                    .await;
        }
    }
    Ok(())
}

/// `histogram_quantile`: linear interpolation inside the bucket holding the rank.
fn quantile(buckets: &[(f64, u64)], count: u64, q: f64) -> f64 {
    let rank = q * count as f64;
    let mut prev = (0.0, 0u64);
    for &(upper, cumulative) in buckets {
        if cumulative as f64 >= rank {
            let in_bucket = (cumulative - prev.1) as f64;
            let into = if in_bucket > 0.0 {
                (rank - prev.1 as f64) / in_bucket
            } else {
                0.0
            };
            return prev.0 + (upper - prev.0) * into;
        }
        prev = (upper, cumulative);
    }
    prev.0
}
