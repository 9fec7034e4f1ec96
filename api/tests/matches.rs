//! The match routes (`docs/matches.md`, `docs/api.md`) against a real store and RabbitMQ: create, read
//! before any host, validation, tenant isolation, 409 once finished, gap-free
//! sequence numbers from two API processes; and the SSRF guard on webhook targets
//! (notifications, batches and match players).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::process::Stdio;
use std::time::Duration;

use futures::StreamExt;
use harness::*;
use herald_core::matches::{engine_for, EndedBy, MatchRequest, MatchSnapshot};
use herald_core::store::ClaimOutcome;
use herald_core::{ClaimedJob, JobId, JobKind, Priority, WorkerId};
use lapin::options::{BasicGetOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use serde_json::{json, Value};

fn a_match() -> Value {
    json!({
        "type": "scoreboard",
        "players": [
            {"id": "ann", "notify": {"channel": "log", "recipient": {"address": "ann"}}},
            {"id": "bob", "notify": {"channel": "email", "recipient": {"address": "bob@example.com", "timezone": "Europe/Paris"}}}
        ],
        "durationSec": 600,
        "metadata": {"table": 7}
    })
}

async fn create(h: &Harness, spec: &Value) -> String {
    let r = h
        .post_json("/v1/matches", ACME_KEY, spec)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    body(r).await["id"].as_str().unwrap().to_owned()
}

/// Status, code, and whether the error names `name` (in `field`, or in the message
/// when serde reports an unknown field at the top level).
async fn error_naming(response: reqwest::Response, name: &str) -> (u16, String, bool) {
    let status = response.status().as_u16();
    let error = body(response).await["error"].clone();
    let field = error["field"].as_str().unwrap_or("");
    let message = error["message"].as_str().unwrap_or("");
    let named = field.contains(name) || message.contains(name);
    (
        status,
        error["code"].as_str().unwrap_or("").to_owned(),
        named,
    )
}

async fn post_event(h: &Harness, key: &str, id: &str, event: &Value) -> reqwest::Response {
    h.post_json(&format!("/v1/matches/{id}/events"), key, event)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_created_match_is_stored_published_and_readable_before_any_host() {
    let h = Harness::start("match_create").await;
    let r = h
        .post_json("/v1/matches", ACME_KEY, &a_match())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let accepted = body(r).await;
    assert_eq!(accepted["status"], "pending");
    let id = accepted["id"].as_str().unwrap().to_owned();

    let jobs = h.jobs(ACME).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].kind, JobKind::Match);
    let queue = h.topology.queue(JobKind::Match, Priority::Normal);
    let msgs = h.consume(&queue, 1).await;
    assert_eq!(msgs[0].id.as_str(), id);
    assert_eq!(msgs[0].kind, JobKind::Match);

    let m = body(
        h.get(&format!("/v1/matches/{id}"), ACME_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(m["id"], id.as_str());
    assert_eq!(m["type"], "scoreboard");
    assert_eq!(m["status"], "pending");
    assert_eq!(m["hostedBy"], Value::Null);
    // Before a host starts it, the state it will start from: every score 0.
    assert_eq!(m["state"]["scores"], json!({"ann": 0, "bob": 0}));
    assert_eq!(m["stateVersion"], 0);
    assert_eq!(m["appliedSeq"], 0);
    assert_eq!(m["lastSeq"], 0);
    assert_eq!(m["startedAt"], Value::Null);
    assert_eq!(m["endsAt"], Value::Null);
    assert_eq!(m["result"], Value::Null);
    assert_eq!(m["durationSec"], 600);
    assert_eq!(m["metadata"], json!({"table": 7}));
    assert_eq!(m["players"][1]["id"], "bob");
    assert!(m["createdAt"].is_string());

    // Another tenant, an unknown id, a malformed id, a notification's id: 404.
    let notification_id = {
        let r = h
            .post_json(
                "/v1/notifications",
                ACME_KEY,
                &notification("https://example.com/h"),
            )
            .send()
            .await
            .unwrap();
        body(r).await["id"].as_str().unwrap().to_owned()
    };
    for (path, key) in [
        (format!("/v1/matches/{id}"), GLOBEX_KEY),
        (format!("/v1/matches/{}", JobId::new()), ACME_KEY),
        ("/v1/matches/not-an-id".to_owned(), ACME_KEY),
        (format!("/v1/matches/{notification_id}"), ACME_KEY),
    ] {
        let r = h.get(&path, key).send().await.unwrap();
        assert_eq!(error_of(r).await, (404, "not_found".into(), None), "{path}");
    }

    // The same Idempotency-Key replays: 200, the same id, nothing new.
    let replay = |key: &'static str| {
        h.post_json("/v1/matches", ACME_KEY, &a_match())
            .header("Idempotency-Key", key)
            .send()
    };
    let first = replay("match-key-1").await.unwrap();
    assert_eq!(first.status(), 202);
    let first_id = body(first).await["id"].clone();
    let again = replay("match-key-1").await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(body(again).await["id"], first_id);
    assert_eq!(h.jobs(ACME).await.len(), 3);
    h.finish().await;
}

#[tokio::test]
async fn bad_matches_are_400_or_422_naming_the_field_and_store_nothing() {
    let h = Harness::start("match_validation").await;
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut v = a_match();
        edit(&mut v);
        v
    };
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (
            with(&|v| v["colour"] = json!("red")),
            400,
            "invalid_field",
            "colour",
        ),
        (
            with(&|v| v["type"] = json!("chess")),
            400,
            "invalid_field",
            "type",
        ),
        (
            with(&|v| v["players"][1]["id"] = json!("ann")),
            422,
            "validation_failed",
            "players[1].id",
        ),
        (
            with(&|v| v["players"][1]["notify"]["recipient"]["address"] = json!("not-an-email")),
            422,
            "validation_failed",
            "players[1].notify.recipient.address",
        ),
        (
            with(&|v| v["players"][1]["notify"]["recipient"]["timezone"] = json!("Mars/Base")),
            422,
            "validation_failed",
            "players[1].notify.recipient.timezone",
        ),
        (
            with(&|v| v["players"] = json!([])),
            422,
            "validation_failed",
            "players",
        ),
        (
            with(&|v| v["durationSec"] = json!(0)),
            422,
            "validation_failed",
            "durationSec",
        ),
    ];
    for (spec, status, code, field) in cases {
        let r = h
            .post_json("/v1/matches", ACME_KEY, &spec)
            .send()
            .await
            .unwrap();
        let (got_status, got_code, named) = error_naming(r, field).await;
        assert_eq!(
            (got_status, got_code.as_str(), named),
            (status, code, true),
            "{spec}: expected {field} named"
        );
    }
    assert_eq!(h.stored().await, 0);
    assert_eq!(h.queued().await, 0);
    h.finish().await;
}

/// A queue bound to the match-events exchange under `id`, as the hosting worker binds.
async fn wake_up_queue(h: &Harness, id: &str) -> String {
    let queue = h
        .channel()
        .queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    h.channel()
        .queue_bind(
            queue.name().as_str().into(),
            h.topology.match_events_exchange().as_str().into(),
            id.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    queue.name().to_string()
}

#[tokio::test]
async fn events_get_sequence_numbers_wake_the_host_and_are_checked_against_the_match() {
    let h = Harness::start("match_events").await;
    let id = create(&h, &a_match()).await;
    let wake_ups = wake_up_queue(&h, &id).await;

    let r = post_event(
        &h,
        ACME_KEY,
        &id,
        &json!({"type": "join", "playerId": "ann"}),
    )
    .await;
    assert_eq!(r.status(), 202);
    assert_eq!(body(r).await, json!({"seq": 1}));
    let r = post_event(
        &h,
        ACME_KEY,
        &id,
        &json!({"type": "score", "playerId": "bob", "points": 5}),
    )
    .await;
    assert_eq!(r.status(), 202);
    assert_eq!(body(r).await, json!({"seq": 2}));

    // Each append published a wake-up routed by the match id (from a task of its
    // own, so it may arrive just after the answer).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut wakes = 0;
    while wakes < 2 {
        let got = h
            .channel()
            .basic_get(wake_ups.as_str().into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap();
        match got {
            Some(got) => {
                let wake: Value = serde_json::from_slice(&got.delivery.data).unwrap();
                assert_eq!(wake, json!({"matchId": id}));
                wakes += 1;
            }
            None => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "{wakes} of 2 wake-ups within 10 s"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }

    let bad: Vec<(Value, u16, &str, &str)> = vec![
        (
            json!({"type": "score", "playerId": "zed", "points": 1}),
            422,
            "validation_failed",
            "playerId",
        ),
        (
            json!({"type": "score", "playerId": "ann"}),
            422,
            "validation_failed",
            "points",
        ),
        (
            json!({"type": "join"}),
            422,
            "validation_failed",
            "playerId",
        ),
        (
            json!({"type": "end", "playerId": "ann"}),
            422,
            "validation_failed",
            "type",
        ),
        (
            json!({"type": "score", "playerId": "ann", "points": 1, "bonus": 2}),
            400,
            "invalid_field",
            "bonus",
        ),
        (json!({"type": "forfeit"}), 400, "invalid_field", "type"),
    ];
    for (event, status, code, field) in bad {
        let r = post_event(&h, ACME_KEY, &id, &event).await;
        let (s, c, named) = error_naming(r, field).await;
        assert_eq!(
            (s, c.as_str(), named),
            (status, code, true),
            "{event}: expected {field} named"
        );
    }
    let ok = json!({"type": "join", "playerId": "bob"});
    for (target, key) in [
        (id.clone(), GLOBEX_KEY),
        (JobId::new().to_string(), ACME_KEY),
        ("nope".to_owned(), ACME_KEY),
    ] {
        let r = post_event(&h, key, &target, &ok).await;
        assert_eq!(error_of(r).await.0, 404, "{target}");
    }

    let m = body(
        h.get(&format!("/v1/matches/{id}"), ACME_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(m["lastSeq"], 2, "rejected events take no seq");
    assert_eq!(m["appliedSeq"], 0, "no host has applied anything");

    // Request metrics are labelled by the route template, never by the match id.
    for (series, n) in [
        (
            r#"herald_api_requests_total{route="/v1/matches/{id}/events",status="202"}"#,
            2.0,
        ),
        (
            r#"herald_api_requests_total{route="/v1/matches/{id}",status="200"}"#,
            1.0,
        ),
        (
            r#"herald_api_requests_total{route="/v1/matches",status="202"}"#,
            1.0,
        ),
    ] {
        assert_eq!(h.metric(series).await, n, "{series}");
    }
    let text = h
        .http
        .get(h.endpoint("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains(&id), "a match id became a label value");
    h.finish().await;
}

#[tokio::test]
async fn an_event_for_a_finished_match_is_409_and_the_result_is_readable() {
    let h = Harness::start("match_finished").await;
    let id = create(&h, &a_match()).await;
    let r = post_event(
        &h,
        ACME_KEY,
        &id,
        &json!({"type": "score", "playerId": "ann", "points": 3}),
    )
    .await;
    assert_eq!(r.status(), 202);

    // Host and finish it through the store, as a worker would.
    let worker = WorkerId::generate();
    let claimed = claim_match(&h, &id, &worker).await;
    let running = body(
        h.get(&format!("/v1/matches/{id}"), ACME_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(running["status"], "running");
    assert_eq!(running["hostedBy"], worker.to_string());

    finish_from_the_log(&h, &claimed).await;

    let r = post_event(
        &h,
        ACME_KEY,
        &id,
        &json!({"type": "join", "playerId": "bob"}),
    )
    .await;
    let (status, code, _) = error_of(r).await;
    assert_eq!((status, code.as_str()), (409, "match_ended"));
    let m = body(
        h.get(&format!("/v1/matches/{id}"), ACME_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(m["status"], "succeeded");
    assert_eq!(m["hostedBy"], Value::Null);
    assert_eq!(m["state"]["scores"], json!({"ann": 3, "bob": 0}));
    assert_eq!(m["appliedSeq"], 1);
    assert_eq!(m["lastSeq"], 1);
    assert_eq!(m["result"]["standings"][0]["playerId"], "ann");
    assert_eq!(m["result"]["endedBy"], "end");
    h.finish().await;
}

async fn post_keyed_event(h: &Harness, id: &str, key: &str, event: &Value) -> reqwest::Response {
    h.post_json(&format!("/v1/matches/{id}/events"), ACME_KEY, event)
        .header("Idempotency-Key", key)
        .send()
        .await
        .unwrap()
}

/// Wake-ups that reach `queue` within `wait`.
async fn count_wake_ups(h: &Harness, queue: &str, wait: Duration) -> usize {
    let deadline = tokio::time::Instant::now() + wait;
    let mut wakes = 0;
    while tokio::time::Instant::now() < deadline {
        let got = h
            .channel()
            .basic_get(queue.into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap();
        match got {
            Some(_) => wakes += 1,
            None => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    wakes
}

/// Claims the match through the store, as a worker would.
async fn claim_match(h: &Harness, id: &str, worker: &WorkerId) -> ClaimedJob {
    let job_id: JobId = id.parse().unwrap();
    match h
        .store
        .claim(&job_id, worker, Duration::from_secs(60))
        .await
        .unwrap()
    {
        ClaimOutcome::Claimed(c) => *c,
        other => panic!("not claimed: {other:?}"),
    }
}

/// Ends a claimed match through the store from its log, as its host would: the final
/// state, the result and each player's result notification.
async fn finish_from_the_log(h: &Harness, claimed: &ClaimedJob) {
    let job_id = &claimed.job.id;
    let spec = MatchRequest::from_payload(&claimed.job.payload).unwrap();
    let engine = engine_for(spec.match_type);
    let mut state = engine.initial_state(&spec);
    let events = h.store.events_after(job_id, 0, 100).await.unwrap();
    for e in &events {
        engine.apply(&spec, &mut state, e).unwrap();
    }
    let result = engine.result(&spec, &state, EndedBy::End).unwrap();
    let snapshot = MatchSnapshot {
        state,
        state_version: 1,
        applied_seq: events.last().map_or(0, |e| e.seq),
        started_at: Some(chrono::Utc::now()),
        ends_at: Some(chrono::Utc::now() + chrono::Duration::seconds(600)),
    };
    let notifications = spec
        .result_notifications(job_id, &tenant(ACME), &result)
        .unwrap();
    h.store
        .finish_match(&claimed.lease, &snapshot, &result, notifications)
        .await
        .unwrap();
}

/// A client retrying a score after a lost answer (same `Idempotency-Key`) gets 200 with
/// the first append's seq: the log holds the event once, so the points count once, and
/// the host is not woken again. Without a key, two posts are two events.
#[tokio::test]
async fn a_retried_event_with_its_idempotency_key_is_appended_once() {
    let h = Harness::start("match_event_keys").await;
    let id = create(&h, &a_match()).await;
    let wake_ups = wake_up_queue(&h, &id).await;
    let score = json!({"type": "score", "playerId": "ann", "points": 5});

    let r = post_keyed_event(&h, &id, "score-1", &score).await;
    assert_eq!(r.status(), 202);
    assert_eq!(body(r).await, json!({"seq": 1}));
    let r = post_keyed_event(&h, &id, "score-1", &score).await;
    assert_eq!(r.status(), 200, "a replay");
    assert_eq!(body(r).await, json!({"seq": 1}));
    // The key, not the body, names the request.
    let r = post_keyed_event(
        &h,
        &id,
        "score-1",
        &json!({"type": "score", "playerId": "bob", "points": 9}),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(body(r).await, json!({"seq": 1}));
    assert_eq!(
        count_wake_ups(&h, &wake_ups, Duration::from_millis(800)).await,
        1,
        "only the append wakes the host, not its replays"
    );

    let m = body(
        h.get(&format!("/v1/matches/{id}"), ACME_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(m["lastSeq"], 1, "replays append nothing");
    let job_id: JobId = id.parse().unwrap();
    let log = h.store.events_after(&job_id, 0, 100).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].event.player_id.as_deref(), log[0].event.points),
        (Some("ann"), Some(5))
    );

    // Another tenant's retry under the key learns nothing about the match.
    let r = h
        .post_json(&format!("/v1/matches/{id}/events"), GLOBEX_KEY, &score)
        .header("Idempotency-Key", "score-1")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, 404);
    // A bad key is refused like on notifications, and takes no seq.
    for bad in ["x".repeat(300), "tab\tkey".to_owned(), " ".to_owned()] {
        let r = post_keyed_event(&h, &id, &bad, &score).await;
        assert_eq!(
            error_of(r).await,
            (
                422,
                "validation_failed".into(),
                Some("Idempotency-Key".into())
            ),
            "key {bad:?}"
        );
    }
    // Without a key, every post is an event (unchanged); a new key is a new event.
    for seq in [2, 3] {
        let r = post_event(&h, ACME_KEY, &id, &score).await;
        assert_eq!(r.status(), 202);
        assert_eq!(body(r).await, json!({"seq": seq}));
    }
    let r = post_keyed_event(&h, &id, "score-2", &score).await;
    assert_eq!(r.status(), 202);
    assert_eq!(body(r).await, json!({"seq": 4}));

    // Ended: the replay is still the original answer; a new event is refused.
    let claimed = claim_match(&h, &id, &WorkerId::generate()).await;
    finish_from_the_log(&h, &claimed).await;
    let m = body(
        h.get(&format!("/v1/matches/{id}"), ACME_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(m["status"], "succeeded");
    assert_eq!(
        m["state"]["scores"]["ann"], 20,
        "4 events of 5 points, each once"
    );
    let r = post_keyed_event(&h, &id, "score-1", &score).await;
    assert_eq!(r.status(), 200, "a replay after the end");
    assert_eq!(body(r).await, json!({"seq": 1}));
    let r = post_keyed_event(&h, &id, "score-3", &score).await;
    let (status, code, _) = error_of(r).await;
    assert_eq!((status, code.as_str()), (409, "match_ended"));
    assert_eq!(
        h.metric(r#"herald_api_requests_total{route="/v1/matches/{id}/events",status="200"}"#)
            .await,
        3.0
    );
    h.finish().await;
}

#[tokio::test]
async fn matches_take_events_with_the_broker_down_or_absent() {
    for broker in [Broker::Unreachable, Broker::Embedded] {
        let h = Harness::with(
            "match_no_broker",
            Options {
                broker,
                ..Options::default()
            },
        )
        .await;
        let id = create(&h, &a_match()).await;
        let started = std::time::Instant::now();
        for seq in 1..=5 {
            let r = post_event(
                &h,
                ACME_KEY,
                &id,
                &json!({"type": "join", "playerId": "ann"}),
            )
            .await;
            assert_eq!(r.status(), 202, "{broker:?}");
            assert_eq!(body(r).await, json!({ "seq": seq }), "{broker:?}");
        }
        // The wake-up is a hint sent from its own task: the answers never wait on it.
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{broker:?}: 5 events took {:?}",
            started.elapsed()
        );
        h.finish().await;
    }
}

const BIN: &str = env!("CARGO_BIN_EXE_herald-api");

/// A `herald-api` process on `db` (embedded mode), healthy when this returns.
async fn api_process(db: &std::path::Path) -> (tokio::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = tokio::process::Command::new(BIN)
        .env_clear()
        .env("API_KEYS", format!("{ACME}:{ACME_KEY}"))
        .env("SQLITE_PATH", db)
        .env("PORT", port.to_string())
        .env("RUST_LOG", "warn")
        .env("RATE_LIMIT_PER_SEC", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(format!("{url}/health")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "herald-api did not become healthy"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_from_two_api_processes_get_gap_free_sequence_numbers() {
    const PER_PROCESS: usize = 100;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("herald.db");
    // One after the other: the first creates the file and its schema.
    let (_a, url_a) = api_process(&db).await;
    let (_b, url_b) = api_process(&db).await;
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{url_a}/v1/matches"))
        .bearer_auth(ACME_KEY)
        .json(&a_match())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let id = body(r).await["id"].as_str().unwrap().to_owned();

    let posts = (0..2 * PER_PROCESS).map(|i| {
        let url = if i % 2 == 0 { &url_a } else { &url_b };
        let request = http
            .post(format!("{url}/v1/matches/{id}/events"))
            .bearer_auth(ACME_KEY)
            .json(&json!({"type": "score", "playerId": "ann", "points": 1}));
        async move {
            let r = request.send().await.unwrap();
            assert_eq!(r.status(), 202);
            body(r).await["seq"].as_u64().unwrap()
        }
    });
    // 16 in flight at once, half on each process.
    let mut seqs: Vec<u64> = futures::stream::iter(posts)
        .buffer_unordered(16)
        .collect()
        .await;
    seqs.sort_unstable();
    let expected: Vec<u64> = (1..=(2 * PER_PROCESS) as u64).collect();
    assert_eq!(seqs, expected, "seqs must be 1..=N, no gaps, no repeats");

    let m = body(
        http.get(format!("{url_b}/v1/matches/{id}"))
            .bearer_auth(ACME_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(m["lastSeq"], 2 * PER_PROCESS);
}

const INTERNAL_TARGETS: [&str; 5] = [
    "http://127.0.0.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://10.0.0.1/",
    "http://localhost:8080/hook",
    "http://[::1]:9/x",
];

fn a_match_notifying(url: &str) -> Value {
    let mut m = a_match();
    m["players"][0]["notify"] = json!({"channel": "webhook", "recipient": {"address": url}});
    m
}

#[tokio::test]
async fn webhook_targets_in_internal_ranges_are_refused_with_422() {
    let h = Harness::start("ssrf_refused").await;
    for url in INTERNAL_TARGETS {
        let r = h
            .post_json("/v1/notifications", ACME_KEY, &notification(url))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let error = body(r).await["error"].clone();
        assert_eq!(status, 422, "{url}: {error}");
        assert_eq!(error["code"], "forbidden_target", "{url}");
        assert_eq!(error["field"], "recipient.address", "{url}");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains(url) && message.contains("WEBHOOK_ALLOWED_CIDRS"),
            "{url}: {message}"
        );

        let batch =
            json!({"notifications": [notification("https://example.com/ok"), notification(url)]});
        let r = h
            .post_json("/v1/notifications/batch", ACME_KEY, &batch)
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_of(r).await,
            (
                422,
                "forbidden_target".into(),
                Some("notifications[1].recipient.address".into())
            ),
            "{url}"
        );

        let r = h
            .post_json("/v1/matches", ACME_KEY, &a_match_notifying(url))
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_of(r).await,
            (
                422,
                "forbidden_target".into(),
                Some("players[0].notify.recipient.address".into())
            ),
            "{url}"
        );
    }
    // The guard is for webhooks: the same text as a log label is just a label.
    let mut label = notification("http://127.0.0.1/");
    label["channel"] = json!("log");
    let r = h
        .post_json("/v1/notifications", ACME_KEY, &label)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    // Host names are the worker's to check once resolved: the API does no DNS.
    let r = h
        .post_json(
            "/v1/notifications",
            ACME_KEY,
            &notification("https://hooks.example.com/x"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(h.stored().await, 2, "nothing refused was stored");
    h.finish().await;
}

#[tokio::test]
async fn webhook_targets_in_allowed_ranges_are_accepted() {
    let h = Harness::with(
        "ssrf_allowed",
        Options {
            webhook_allowed_cidrs: Some("127.0.0.0/8, 169.254.169.254/32, 10.0.0.0/8, ::1/128"),
            ..Options::default()
        },
    )
    .await;
    for url in INTERNAL_TARGETS {
        let r = h
            .post_json("/v1/notifications", ACME_KEY, &notification(url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202, "{url}");
        let r = h
            .post_json("/v1/matches", ACME_KEY, &a_match_notifying(url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202, "{url}");
    }
    // Only the listed ranges: another private range is still refused.
    let r = h
        .post_json(
            "/v1/notifications",
            ACME_KEY,
            &notification("http://192.168.1.1/"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.1, "forbidden_target");
    assert_eq!(h.jobs(ACME).await.len(), 2 * INTERNAL_TARGETS.len());
    h.finish().await;
}
