//! Live match streams with real hosts (`docs/streams.md`): worker processes host the
//! match, an API in this process streams it over SSE. kill -9 of the host mid-match:
//! the subscriber keeps every event exactly once, sees state from the new host, and
//! `ended` once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use herald_api::auth::ApiKeys;
use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::StoreConfig;
use herald_testkit::services::rabbitmq_url;
use herald_testkit::wait::wait_for;
use nix::sys::signal::Signal;
use serde_json::{json, Value};
use support::{Harness, WorkerProcess, TENANT};

const KEY: &str = "stream-worker-test-key";

fn failover_worker(h: &Harness, name: &str) -> WorkerProcess {
    h.worker()
        .env("LOCK_DURATION_MS", "2000")
        .env("POLL_INTERVAL_MS", "300")
        .spawn(h.dir.path(), name)
}

async fn post_json(http: &reqwest::Client, url: &str, body: &Value) -> (u16, Value) {
    let r = http
        .post(url)
        .bearer_auth(KEY)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// One SSE message: its kind and data.
async fn next_message(
    response: &mut reqwest::Response,
    buffer: &mut String,
) -> Option<(String, Value)> {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let mut kind = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    kind = Some(v.trim().to_owned());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim());
                }
            }
            if let Some(kind) = kind {
                return Some((kind, serde_json::from_str(&data).unwrap()));
            }
            continue;
        }
        let chunk = tokio::time::timeout(Duration::from_secs(30), response.chunk())
            .await
            .expect("an SSE message within 30 s")
            .ok()??;
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_the_host_the_stream_goes_on_with_the_new_hosts_state_and_ends_once() {
    let h = Harness::new("skill").await;
    let mut config = herald_api::config::Config::new(
        StoreConfig::Sqlite(SqliteConfig::new(&h.db)),
        ApiKeys::parse(&format!("{TENANT}:{KEY}")).unwrap(),
    );
    config.broker.url = Some(herald_core::config::Secret::new(rabbitmq_url()));
    config.broker.consumer_group = h.group.clone();
    let server = herald_api::Server::start(config).await.unwrap();
    let base = server.url();
    let http = reqwest::Client::new();
    let mut workers = vec![failover_worker(&h, "a"), failover_worker(&h, "b")];
    for w in &workers {
        w.wait_consuming().await;
    }
    let players = json!([
        {"id": "ann", "notify": {"channel": "log", "recipient": {"address": "ann"}}},
        {"id": "bob", "notify": {"channel": "log", "recipient": {"address": "bob"}}}
    ]);
    let created = post_json(
        &http,
        &format!("{base}/v1/matches"),
        &json!({"type": "scoreboard", "players": players, "durationSec": 600}),
    )
    .await
    .1;
    let id = created["id"].as_str().unwrap().to_owned();
    let get = |http: reqwest::Client, base: String, id: String| async move {
        http.get(format!("{base}/v1/matches/{id}"))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .map(|t| serde_json::from_str::<Value>(&t).unwrap())
            .unwrap()
    };
    let host_pid = |view: &Value| -> Option<u32> {
        // hostname-pid-uuid (the uuid without hyphens).
        let worker = view["hostedBy"].as_str()?;
        worker.rsplit('-').nth(1)?.parse().ok()
    };
    let view = wait_for(Duration::from_secs(20), "a host", || async {
        let view = get(http.clone(), base.clone(), id.clone()).await;
        (view["status"] == "running").then_some(view)
    })
    .await;
    let first_host = host_pid(&view).expect("the host's pid in its worker id");

    let mut sse = http
        .get(format!("{base}/v1/matches/{id}/stream"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), 200);
    let mut buffer = String::new();

    let post = |points: u64| {
        let (http, base, id) = (http.clone(), base.clone(), id.clone());
        async move {
            let player = if points.is_multiple_of(2) {
                "ann"
            } else {
                "bob"
            };
            let (status, body) = post_json(
                &http,
                &format!("{base}/v1/matches/{id}/events"),
                &json!({"type": "score", "playerId": player, "points": points}),
            )
            .await;
            assert_eq!(status, 202, "{body}");
        }
    };
    for i in 1..=20 {
        post(i).await;
    }
    let mut events = Vec::new();
    let mut states = Vec::new();
    let mut ended = Vec::new();
    // Until the first host has saved all 20.
    while !states.iter().any(|s: &Value| s["appliedSeq"] == 20) {
        let (kind, data) = next_message(&mut sse, &mut buffer).await.unwrap();
        match kind.as_str() {
            "event" => events.push(data["seq"].as_u64().unwrap()),
            "state" => states.push(data),
            other => panic!("unexpected {other}"),
        }
    }
    let victim = workers.iter().position(|w| w.pid == first_host).unwrap();
    workers[victim].signal(Signal::SIGKILL);
    let _ = workers[victim].wait_exit(Duration::from_secs(10)).await;
    let survivor = workers.remove(1 - victim);
    let before_kill = states.len();
    for i in 21..=40 {
        post(i).await;
    }
    wait_for(Duration::from_secs(30), "the survivor hosting", || async {
        let view = get(http.clone(), base.clone(), id.clone()).await;
        (host_pid(&view) == Some(survivor.pid)).then_some(())
    })
    .await;
    let (_, end) = post_json(
        &http,
        &format!("{base}/v1/matches/{id}/events"),
        &json!({"type": "end"}),
    )
    .await;
    let end_seq = end["seq"].as_u64().unwrap();
    while let Some((kind, data)) = next_message(&mut sse, &mut buffer).await {
        match kind.as_str() {
            "event" => events.push(data["seq"].as_u64().unwrap()),
            "state" => states.push(data),
            "ended" => ended.push(data),
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(
        events,
        (1..=end_seq).collect::<Vec<_>>(),
        "every event once, in order"
    );
    assert_eq!(ended.len(), 1, "ended once, then the close");
    let after_kill = &states[before_kill..];
    assert!(
        after_kill
            .iter()
            .any(|s| s["appliedSeq"].as_u64() > Some(20)),
        "state from the new host: {after_kill:?}"
    );
    let versions: Vec<u64> = states
        .iter()
        .map(|s| s["stateVersion"].as_u64().unwrap())
        .collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    // The final state is the state the log computes: ann has the even points, bob the odd.
    let ann: u64 = (1..=40u64).filter(|p| p.is_multiple_of(2)).sum();
    let bob: u64 = (1..=40u64).filter(|p| !p.is_multiple_of(2)).sum();
    assert_eq!(ended[0]["status"], "succeeded");
    assert_eq!(ended[0]["appliedSeq"], end_seq);
    assert_eq!(ended[0]["state"]["scores"], json!({"ann": ann, "bob": bob}));
    drop(survivor);
    server.shutdown().await.unwrap();
    h.cleanup().await;
}
