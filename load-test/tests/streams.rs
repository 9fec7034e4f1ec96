//! Live match streams under real processes (`docs/streams.md`): the `--subscribers`
//! load test run small over both transports, its missed-event check failing when
//! events really are missed, and 50 subscribers of an API instance that is killed
//! with SIGKILL mid-match resuming on the other one with nothing missed or doubled.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use clap::Parser as _;
use herald_load_test::stack::Stack;
use herald_load_test::streams::{Stream, Transport};
use herald_load_test::Args;
use herald_testkit::services::rabbitmq_url;
use nix::sys::signal::Signal;
use serde_json::{json, Value};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_herald-load-test");

/// Runs `herald-load-test --spawn --subscribers … --json`; its exit code and report.
async fn load_test(args: &[&str]) -> (Option<i32>, Value, String) {
    let out = tokio::time::timeout(
        Duration::from_secs(180),
        Command::new(BIN)
            .args(["--spawn", "--json", "--quiet", "--rabbitmq-url"])
            .arg(rabbitmq_url())
            .args(args)
            .env("RUST_LOG", "warn")
            .env_remove("MONGODB_URI")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the load test finishes in 3 minutes")
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}); stderr:\n{stderr}"));
    (out.status.code(), report, stderr)
}

fn n(report: &Value, key: &str) -> u64 {
    report[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} missing in {report:#}"))
}

/// Event messages every subscriber must receive: events go round-robin over the
/// matches, subscriber `i` follows match `i % matches`.
fn expected_messages(events: u64, matches: u64, subscribers: u64) -> u64 {
    (0..subscribers)
        .map(|i| (0..events).filter(|e| e % matches == i % matches).count() as u64)
        .sum()
}

async fn small_run_passes(transport: &str) {
    let (code, report, stderr) = load_test(&[
        "--subscribers",
        "20",
        "--transport",
        transport,
        "--duration",
        "3s",
        "--event-rate",
        "50",
    ])
    .await;
    assert_eq!(code, Some(0), "{report:#}\n{stderr}");
    assert_eq!(report["transport"], transport);
    assert_eq!(report["spawnedWithRabbitmq"], true, "{report:#}");
    assert_ne!(
        report["postUrls"], report["subscriberUrls"],
        "posts and streams on different instances"
    );
    assert_eq!(n(&report, "connected"), 20, "{report:#}");
    assert_eq!(n(&report, "eventsAppended"), 150, "{report:#}");
    assert_eq!(
        n(&report, "received"),
        expected_messages(150, 9, 20),
        "{report:#}"
    );
    assert_eq!(n(&report, "missed"), 0, "{report:#}");
    assert_eq!(n(&report, "duplicates"), 0, "{report:#}");
    let fanout = &report["fanoutMs"];
    assert_eq!(fanout["count"], report["received"], "a latency per message");
    let (p50, p99) = (
        fanout["p50"].as_f64().unwrap(),
        fanout["p99"].as_f64().unwrap(),
    );
    assert!(p50 > 0.0 && p99 >= p50, "{fanout}");
    assert!(report["rss"]["perConnectionKb"].is_number(), "{report:#}");
    assert_eq!(report["passed"], true);
}

#[tokio::test]
async fn twenty_sse_subscribers_get_every_event_once() {
    small_run_passes("sse").await;
}

#[tokio::test]
async fn twenty_websocket_subscribers_get_every_event_once() {
    small_run_passes("ws").await;
}

/// The check can fail: streams that start after seq 1 never get it, and the run
/// must say so and exit 2.
#[tokio::test]
async fn subscribers_that_miss_events_fail_the_run() {
    let (code, report, stderr) = load_test(&[
        "--subscribers",
        "20",
        "--duration",
        "2s",
        "--event-rate",
        "20",
        "--self-check-skip",
        "1",
    ])
    .await;
    assert_eq!(code, Some(2), "{report:#}\n{stderr}");
    assert_eq!(n(&report, "eventsAppended"), 40, "{report:#}");
    // Each subscriber misses seq 1 of its match and nothing else.
    assert_eq!(n(&report, "missed"), 20, "{report:#}");
    assert_eq!(n(&report, "subscribersWithMissed"), 20, "{report:#}");
    assert_eq!(n(&report, "duplicates"), 0, "{report:#}");
    assert_eq!(report["passed"], false);
    let breaches = report["breaches"].as_array().unwrap();
    assert!(
        breaches
            .iter()
            .any(|b| b.as_str().unwrap().starts_with("missed 20 events")),
        "{breaches:?}"
    );
}

/// What one subscriber of the kill test saw.
#[derive(Debug, Default)]
struct Seen {
    seqs: Vec<u64>,
    ended: Vec<Value>,
    reconnects: u32,
}

/// Follows the match on `first` until `ended`; whenever the stream breaks it resumes
/// on `fallback` from its last seq.
async fn follow(
    http: reqwest::Client,
    key: String,
    id: String,
    first: String,
    fallback: String,
    connected: tokio::sync::mpsc::Sender<()>,
) -> Seen {
    let mut seen = Seen::default();
    let mut stream = Stream::connect(&http, Transport::Sse, &first, &id, &key, 0)
        .await
        .unwrap();
    connected.send(()).await.unwrap();
    loop {
        match stream.next().await {
            Ok(Some(m)) => match m.kind.as_str() {
                "event" => seen.seqs.push(m.seq().unwrap()),
                "ended" => seen.ended.push(m.data),
                _ => {}
            },
            Ok(None) if !seen.ended.is_empty() => return seen,
            Ok(None) | Err(_) => loop {
                assert!(seen.reconnects < 100, "could not resume on {fallback}");
                seen.reconnects += 1;
                let last = seen.seqs.last().copied().unwrap_or(0);
                match Stream::connect(&http, Transport::Sse, &fallback, &id, &key, last).await {
                    Ok(s) => {
                        stream = s;
                        break;
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            },
        }
    }
}

async fn post(http: &reqwest::Client, key: &str, url: &str, body: &Value) -> Value {
    let r = http
        .post(url)
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "{url}");
    r.json().await.unwrap()
}

/// The scores the log computes: each player's points summed.
async fn scores_from_the_log(http: &reqwest::Client, key: &str, base: &str, id: &str) -> Value {
    let mut scores: BTreeMap<String, u64> = BTreeMap::new();
    let mut after = 0;
    loop {
        let page: Value = http
            .get(format!(
                "{base}/v1/matches/{id}/events?after={after}&limit=100"
            ))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for e in page["events"].as_array().unwrap() {
            if e["type"] == "score" {
                *scores
                    .entry(e["playerId"].as_str().unwrap().to_owned())
                    .or_default() += e["points"].as_u64().unwrap();
            }
        }
        match page["nextAfter"].as_u64() {
            Some(next) => after = next,
            None => return json!(scores),
        }
    }
}

/// 50 subscribers on API B; kill -9 of B mid-match while events keep coming. They
/// resume on A with Last-Event-ID: each ends with exactly 1..N, `ended` once, and
/// the final state the log computes.
#[tokio::test]
async fn fifty_subscribers_of_a_killed_instance_resume_on_the_other_exactly() {
    let url = rabbitmq_url();
    let args = Args::parse_from([
        "herald-load-test",
        "--spawn",
        "--apis",
        "2",
        "--workers",
        "2",
        "--rabbitmq-url",
        url.as_str(),
    ]);
    let stack = Stack::start_using(std::path::Path::new(BIN), &args, &[])
        .await
        .unwrap();
    assert!(stack.uses_rabbitmq());
    let (a, b) = (stack.api_urls()[0].clone(), stack.api_urls()[1].clone());
    let key = stack.api_key().to_owned();
    let http = reqwest::Client::new();
    let created = post(
        &http,
        &key,
        &format!("{a}/v1/matches"),
        &json!({
            "type": "scoreboard",
            "players": [
                {"id": "ann", "notify": {"channel": "log", "recipient": {"address": "ann"}}},
                {"id": "bob", "notify": {"channel": "log", "recipient": {"address": "bob"}}}
            ],
            "durationSec": 600
        }),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();

    let (connected_tx, mut connected_rx) = tokio::sync::mpsc::channel(50);
    let followers: Vec<_> = (0..50)
        .map(|_| {
            tokio::spawn(follow(
                http.clone(),
                key.clone(),
                id.clone(),
                b.clone(),
                a.clone(),
                connected_tx.clone(),
            ))
        })
        .collect();
    for _ in 0..50 {
        tokio::time::timeout(Duration::from_secs(30), connected_rx.recv())
            .await
            .expect("50 streams open on B")
            .unwrap();
    }

    let events = format!("{a}/v1/matches/{id}/events");
    let mut last = 0;
    for i in 1..=60u64 {
        let player = if i % 2 == 0 { "ann" } else { "bob" };
        let r = post(
            &http,
            &key,
            &events,
            &json!({"type": "score", "playerId": player, "points": i}),
        )
        .await;
        last = r["seq"].as_u64().unwrap();
        if i == 20 {
            assert!(stack.control().signal_api(1, Signal::SIGKILL), "B killed");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let end = post(&http, &key, &events, &json!({"type": "end"})).await;
    let end_seq = end["seq"].as_u64().unwrap();
    assert_eq!(end_seq, last + 1);

    let expected = scores_from_the_log(&http, &key, &a, &id).await;
    assert_eq!(
        expected,
        json!({"ann": (1..=60u64).filter(|i| i % 2 == 0).sum::<u64>(),
               "bob": (1..=60u64).filter(|i| i % 2 == 1).sum::<u64>()})
    );
    for f in followers {
        let seen = tokio::time::timeout(Duration::from_secs(90), f)
            .await
            .expect("every subscriber gets ended")
            .unwrap();
        assert!(seen.reconnects >= 1, "it was on B, which died: {seen:?}");
        assert_eq!(seen.seqs, (1..=end_seq).collect::<Vec<_>>(), "exactly 1..N");
        assert_eq!(seen.ended.len(), 1, "ended once");
        let ended = &seen.ended[0];
        assert_eq!(ended["status"], "succeeded", "{ended}");
        assert_eq!(ended["appliedSeq"], end_seq, "{ended}");
        assert_eq!(ended["state"]["scores"], expected, "{ended}");
    }
    stack.stop().await;
}
