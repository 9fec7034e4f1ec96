//! End to end: the real API (in this process) → RabbitMQ → two worker processes →
//! the webhook sink. Each job is delivered exactly once and ends `succeeded`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use herald_api::auth::ApiKeys;
use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::StoreConfig;
use herald_core::{JobId, JobStatus};
use herald_testkit::services::rabbitmq_url;
use herald_testkit::sink::Sink;
use herald_testkit::wait::wait_for;
use support::{Harness, SECRET, TENANT};

const KEY: &str = "e2e-test-key-0123456789";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_to_rabbitmq_to_two_workers_to_the_sink_exactly_once() {
    let h = Harness::new("e2e").await;
    let sink = Sink::start().await;
    let mut config = herald_api::config::Config::new(
        StoreConfig::Sqlite(SqliteConfig::new(&h.db)),
        ApiKeys::parse(&format!("{TENANT}:{KEY}")).unwrap(),
    );
    config.broker.url = Some(herald_core::config::Secret::new(rabbitmq_url()));
    config.broker.consumer_group = h.group.clone();
    // The sink listens on loopback: allow it past the API's SSRF guard.
    config.webhook_guard = herald_core::ssrf::TargetGuard::parse("127.0.0.0/8").unwrap();
    let api = herald_api::Server::start(config).await.unwrap();

    let a = h.worker().spawn(h.dir.path(), "a");
    let b = h.worker().spawn(h.dir.path(), "b");
    a.wait_consuming().await;
    b.wait_consuming().await;

    let client = reqwest::Client::new();
    let n = 120;
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let priority = ["critical", "high", "normal", "low"][i % 4];
        let response = client
            .post(format!("{}/v1/notifications", api.url()))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body(
                serde_json::json!({
                    "channel": "webhook",
                    "recipient": {"address": sink.url("/ok")},
                    "body": format!("message {i}"),
                    "priority": priority,
                })
                .to_string(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
        let body: serde_json::Value =
            serde_json::from_str(&response.text().await.unwrap()).unwrap();
        ids.push(body["id"].as_str().unwrap().parse::<JobId>().unwrap());
    }

    let jobs = h.wait_final(&ids, Duration::from_secs(60)).await;
    let counts = sink.counts();
    for job in &jobs {
        assert_eq!(
            job.status,
            JobStatus::Succeeded,
            "{} ended {}",
            job.id,
            job.status
        );
        assert_eq!(
            counts.get(job.id.as_str()),
            Some(&1),
            "{} delivered {:?} times",
            job.id,
            counts.get(job.id.as_str())
        );
    }
    assert_eq!(sink.received().len(), n, "no extra deliveries");
    assert!(sink
        .received()
        .iter()
        .all(|r| r.signed_with(SECRET) && r.idempotency_key == r.job_id));

    // The API sees the job as succeeded, and both workers in the registry.
    let job: serde_json::Value = serde_json::from_str(
        &client
            .get(format!("{}/v1/jobs/{}", api.url(), ids[0]))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(job["status"], "succeeded", "{job}");
    let workers = wait_for(
        Duration::from_secs(10),
        "both workers in /v1/workers",
        || async {
            let text = client
                .get(format!("{}/v1/workers", api.url()))
                .bearer_auth(KEY)
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            let ids = [a.get_json("/stats").await, b.get_json("/stats").await];
            ids.iter()
                .all(|s| text.contains(s["workerId"].as_str().unwrap_or("?")))
                .then_some(text)
        },
    )
    .await;
    assert!(!workers.is_empty());
    api.shutdown().await.unwrap();
    h.cleanup().await;
}
