//! Dead letters end to end (`docs/channels.md`, `docs/api.md`): the real API (in this process) → RabbitMQ
//! → a worker process → a webhook receiver that answers 400. The job goes dead after
//! one attempt (a 4xx is permanent), `GET /v1/dead-letters` shows it with its
//! `lastError` and `history`, cursor-paged; once the receiver is fixed,
//! `POST /v1/jobs/{id}/retry` re-drives it with fresh attempts and it is delivered —
//! through RabbitMQ, promptly, not by a later poll.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use axum::http::StatusCode;
use herald_api::auth::ApiKeys;
use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::StoreConfig;
use herald_testkit::services::rabbitmq_url;
use herald_testkit::sink::Sink;
use herald_testkit::wait::wait_for;
use serde_json::{json, Value};
use support::{Harness, TENANT};

const KEY: &str = "dead-letters-test-key-0123";

async fn get_json(client: &reqwest::Client, url: String) -> Value {
    let r = client.get(url).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(r.status(), 200);
    serde_json::from_str(&r.text().await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_job_is_listed_with_its_error_and_history_and_a_retry_delivers_it_afresh() {
    let h = Harness::new("deadletters").await;
    // A webhook receiver that answers 400 until it is fixed, then 200.
    let receiver = Sink::start().await;
    receiver.set_hook_status(StatusCode::BAD_REQUEST);
    let hook = receiver.url("/hook");
    let mut config = herald_api::config::Config::new(
        StoreConfig::Sqlite(SqliteConfig::new(&h.db)),
        ApiKeys::parse(&format!("{TENANT}:{KEY}")).unwrap(),
    );
    config.broker.url = Some(herald_core::config::Secret::new(rabbitmq_url()));
    config.broker.consumer_group = h.group.clone();
    // The receiver listens on loopback: allow it past the API's SSRF guard.
    config.webhook_guard = herald_core::ssrf::TargetGuard::parse("127.0.0.0/8").unwrap();
    let api = herald_api::Server::start(config).await.unwrap();
    // A poll interval far beyond the test's waits: a re-driven job that runs promptly
    // was published by the retry route, not found by the poller.
    let worker = h
        .worker()
        .env("POLL_INTERVAL_MS", "600000")
        .spawn(h.dir.path(), "w");
    worker.wait_consuming().await;

    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for i in 0..3 {
        let r = client
            .post(format!("{}/v1/notifications", api.url()))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body(
                json!({
                    "channel": "webhook",
                    "recipient": {"address": hook},
                    "body": format!("message {i}"),
                    "maxAttempts": 5,
                })
                .to_string(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let body: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        ids.push(body["id"].as_str().unwrap().to_owned());
    }

    // A 400 is permanent: each job is dead after its first attempt.
    for id in &ids {
        wait_for(Duration::from_secs(30), "the job to go dead", || async {
            let job = get_json(&client, format!("{}/v1/jobs/{id}", api.url())).await;
            (job["status"] == "dead").then_some(())
        })
        .await;
    }

    // Dead letters, two to a page: every dead job once, each with why and how.
    let mut listed: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut url = format!("{}/v1/dead-letters?limit=2", api.url());
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page = get_json(&client, url).await;
        pages += 1;
        listed.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 5, "the cursor does not end");
    }
    assert_eq!(pages, 2, "3 dead jobs at 2 a page");
    let mut listed_ids: Vec<&str> = listed.iter().map(|j| j["id"].as_str().unwrap()).collect();
    listed_ids.sort_unstable();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(listed_ids, expected);
    let target = &ids[0];
    let dead = listed.iter().find(|j| j["id"] == target.as_str()).unwrap();
    assert_eq!(dead["status"], "dead");
    assert_eq!(dead["attempts"], 1, "a 400 is not retried: {dead}");
    assert!(
        dead["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("400")),
        "lastError names the answer: {dead}"
    );
    let history = dead["history"].as_array().unwrap();
    let last = history.last().unwrap();
    assert_eq!(last["attempt"], 1, "{dead}");
    assert_eq!(last["outcome"], "dead", "{dead}");
    assert!(last["at"].is_string(), "{dead}");
    assert!(last["worker"].is_string(), "{dead}");
    assert!(
        last["error"].as_str().is_some_and(|e| e.contains("400")),
        "{dead}"
    );
    let history_before = history.len();

    // Fixed receiver, re-drive: pending with fresh attempts, history kept.
    receiver.set_hook_status(StatusCode::OK);
    let r = client
        .post(format!("{}/v1/jobs/{target}/retry", api.url()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let accepted: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(accepted, json!({"id": target, "status": "pending"}));

    let job = wait_for(
        Duration::from_secs(15),
        "the re-driven job to be delivered (by its publish: the poller is idle)",
        || async {
            let job = get_json(&client, format!("{}/v1/jobs/{target}", api.url())).await;
            (job["status"] == "succeeded").then_some(job)
        },
    )
    .await;
    assert_eq!(job["attempts"], 1, "attempts counted afresh: {job}");
    let history = job["history"].as_array().unwrap();
    assert!(history.len() > history_before, "{job}");
    assert_eq!(
        history[history_before - 1]["outcome"],
        "dead",
        "kept: {job}"
    );
    let last = history.last().unwrap();
    assert_eq!(
        (&last["outcome"], &last["attempt"]),
        (&json!("succeeded"), &json!(1))
    );

    // The receiver saw attempt 1 answered 400, then attempt 1 again answered 200.
    let seen: Vec<(u32, u16)> = receiver
        .received()
        .iter()
        .filter(|r| &r.job_id == target)
        .map(|r| (r.attempt, r.status))
        .collect();
    assert_eq!(seen, vec![(1, 400), (1, 200)]);

    // Only dead jobs are re-driven; the others are still listed as dead letters.
    let r = client
        .post(format!("{}/v1/jobs/{target}/retry", api.url()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let page = get_json(&client, format!("{}/v1/dead-letters", api.url())).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);

    drop(worker);
    api.shutdown().await.unwrap();
    h.cleanup().await;
}
