//! herald-api against a real RabbitMQ and a real SQLite store. Every test starts its
//! own API in-process (port 0) with its own SQLite file and consumer group, so its own
//! queues; what is "stored" and "published" is checked in the store and on the queues.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::time::Duration;

use harness::*;
use herald_api::config::RateLimit;
use herald_core::store::{ClaimOutcome, Retry, WorkerHeartbeat};
use herald_core::{JobKind, JobStatus, Priority, WorkerId};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn enqueue_stores_then_publishes_and_answers_202() {
    let h = Harness::start("enqueue").await;
    let response = h
        .post_json(
            "/v1/notifications",
            ACME_KEY,
            &notification("https://example.com/hook"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let accepted = body(response).await;
    assert_eq!(accepted["status"], "pending");
    let id = accepted["id"].as_str().unwrap().to_owned();

    // Durable: in the store, for this tenant, with the validated request as payload.
    let jobs = h.jobs(ACME).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].id.as_str(), id);
    assert_eq!(jobs[0].kind, JobKind::Notification);
    assert_eq!(
        jobs[0].payload["recipient"]["address"],
        "https://example.com/hook"
    );
    assert_eq!(jobs[0].max_attempts, 5);

    // Published: its id is on the normal-priority queue.
    let normal = h.topology.queue(JobKind::Notification, Priority::Normal);
    let msgs = h.consume(&normal, 1).await;
    assert_eq!(msgs[0].id.as_str(), id);

    // A critical one goes to the critical queue.
    let mut critical = notification("https://example.com/urgent");
    critical["priority"] = json!("critical");
    let response = h
        .post_json("/v1/notifications", ACME_KEY, &critical)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let id = body(response).await["id"].as_str().unwrap().to_owned();
    let q = h.topology.queue(JobKind::Notification, Priority::Critical);
    assert_eq!(h.consume(&q, 1).await[0].id.as_str(), id);

    // A notification scheduled for later is stored as scheduled and left to the poller.
    let mut later = notification("https://example.com/later");
    later["sendAt"] = json!((chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339());
    let response = h
        .post_json("/v1/notifications", ACME_KEY, &later)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(body(response).await["status"], "scheduled");
    assert_eq!(h.queued().await, 0, "a scheduled job is not published");

    assert_eq!(
        h.metric(r#"herald_jobs_enqueued_total{kind="notification",priority="normal"}"#)
            .await,
        2.0
    );
    assert_eq!(h.metric("herald_publish_failures_total").await, 0.0);
    assert_eq!(
        h.metric(r#"herald_api_requests_total{route="/v1/notifications",status="202"}"#)
            .await,
        3.0
    );
    h.finish().await;
}

/// Every rejection, from a real request: the status, the error body, and that nothing
/// was stored or published.
#[tokio::test]
async fn rejected_requests_store_and_publish_nothing() {
    let h = Harness::start("rejects").await;
    let valid = notification("https://example.com/hook");
    let path = "/v1/notifications";
    let url = h.endpoint(path);

    // 400: malformed JSON.
    let r = h
        .post(path, ACME_KEY)
        .header("content-type", "application/json")
        .body("{\"channel\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await, (400, "malformed_json".into(), None));

    // 400: an unknown field, named.
    let mut unknown = valid.clone();
    unknown["colour"] = json!("red");
    let (status, code, _) =
        error_of(h.post_json(path, ACME_KEY, &unknown).send().await.unwrap()).await;
    assert_eq!((status, code.as_str()), (400, "invalid_field"));
    let mut nested = valid.clone();
    nested["recipient"]["zip"] = json!("123");
    let (status, _, field) =
        error_of(h.post_json(path, ACME_KEY, &nested).send().await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(
        field.as_deref().is_some_and(|f| f.starts_with("recipient")),
        "{field:?}"
    );

    // 400: a field of the wrong type, named.
    let mut wrong = valid.clone();
    wrong["maxAttempts"] = json!("three");
    assert_eq!(
        error_of(h.post_json(path, ACME_KEY, &wrong).send().await.unwrap()).await,
        (400, "invalid_field".into(), Some("maxAttempts".into()))
    );

    // 401: no key, an unknown key, another scheme.
    let r = h.http.post(&url).json(&valid).send().await.unwrap();
    assert_eq!(error_of(r).await.0, 401);
    let r = h
        .post_json(path, "not-a-real-key-123", &valid)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await, (401, "unauthorized".into(), None));
    let r = h
        .http
        .post(&url)
        .header("authorization", format!("Basic {ACME_KEY}"))
        .json(&valid)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, 401);

    // 415: not JSON, or no content type.
    let r = h
        .post(path, ACME_KEY)
        .header("content-type", "text/plain")
        .body(valid.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(r).await,
        (415, "unsupported_media_type".into(), None)
    );
    let r = h
        .post(path, ACME_KEY)
        .body(valid.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, 415);

    // 422: valid JSON, invalid values; the field is named.
    let cases = [
        (
            json!({"channel": "webhook", "recipient": {"address": "ftp://x"}, "body": "b"}),
            "recipient.address",
        ),
        (
            json!({"channel": "email", "recipient": {"address": "nobody"}, "body": "b"}),
            "recipient.address",
        ),
        (
            json!({"channel": "sms", "recipient": {"address": "0123"}, "body": "b"}),
            "recipient.address",
        ),
        (
            json!({"channel": "log", "recipient": {"address": "x"}}),
            "body",
        ),
        (
            json!({"channel": "log", "recipient": {"address": "x"}, "body": "b", "maxAttempts": 26}),
            "maxAttempts",
        ),
    ];
    for (request, field) in cases {
        let r = h.post_json(path, ACME_KEY, &request).send().await.unwrap();
        assert_eq!(
            error_of(r).await,
            (422, "validation_failed".into(), Some(field.into())),
            "{request}"
        );
    }
    let r = h
        .post_json(path, ACME_KEY, &valid)
        .header("idempotency-key", "x".repeat(300))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(r).await,
        (
            422,
            "validation_failed".into(),
            Some("Idempotency-Key".into())
        )
    );

    // 413: over MAX_BODY_BYTES (256 KiB here).
    let mut huge = valid.clone();
    huge["metadata"] = json!({"blob": "x".repeat(300 * 1024)});
    let r = h.post_json(path, ACME_KEY, &huge).send().await.unwrap();
    assert_eq!(error_of(r).await, (413, "payload_too_large".into(), None));

    // 404: unknown route; unknown or malformed job id.
    assert_eq!(
        error_of(h.get("/v1/nope", ACME_KEY).send().await.unwrap())
            .await
            .0,
        404
    );
    let r = h
        .get(&format!("/v1/jobs/{}", herald_core::JobId::new()), ACME_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await, (404, "not_found".into(), None));
    assert_eq!(
        error_of(h.get("/v1/jobs/not-a-uuid", ACME_KEY).send().await.unwrap())
            .await
            .0,
        404
    );

    // 400 on list parameters.
    let r = h
        .get("/v1/jobs?status=lost", ACME_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(r).await,
        (400, "invalid_field".into(), Some("status".into()))
    );
    let r = h.get("/v1/jobs?colour=red", ACME_KEY).send().await.unwrap();
    assert_eq!(error_of(r).await.0, 400);
    let r = h.get("/v1/jobs?limit=0", ACME_KEY).send().await.unwrap();
    assert_eq!(error_of(r).await.0, 400);

    assert_eq!(h.stored().await, 0, "a rejected request stored something");
    assert_eq!(
        h.queued().await,
        0,
        "a rejected request published something"
    );
    // Rejections are counted by route and status.
    assert_eq!(
        h.metric(r#"herald_api_requests_total{route="/v1/notifications",status="422"}"#)
            .await,
        6.0
    );
    h.finish().await;
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after_and_stores_nothing() {
    let h = Harness::with(
        "ratelimit",
        Options {
            rate_limit: RateLimit {
                per_sec: 1,
                burst: 2,
            },
            ..Options::default()
        },
    )
    .await;
    let n = notification("https://example.com/hook");
    for _ in 0..2 {
        let r = h
            .post_json("/v1/notifications", ACME_KEY, &n)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
    }
    let r = h
        .post_json("/v1/notifications", ACME_KEY, &n)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(error_of(r).await.1, "rate_limited");
    // The other tenant's key has its own bucket.
    let r = h
        .post_json("/v1/notifications", GLOBEX_KEY, &n)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(h.stored().await, 3);
    let normal = h.topology.queue(JobKind::Notification, Priority::Normal);
    assert_eq!(h.consume(&normal, 3).await.len(), 3);
    assert_eq!(h.queued().await, 0);
    h.finish().await;
}

#[tokio::test]
async fn idempotency_key_replay_is_200_with_the_same_id_across_instances() {
    let h = Harness::start("idempotency").await;
    let n = notification("https://example.com/hook");
    let send = |key: &'static str| {
        h.post_json("/v1/notifications", ACME_KEY, &n)
            .header("idempotency-key", key)
            .send()
    };
    let first = send("order-42").await.unwrap();
    assert_eq!(first.status(), 202);
    let id = body(first).await["id"].as_str().unwrap().to_owned();
    let replay = send("order-42").await.unwrap();
    assert_eq!(replay.status(), 200);
    assert_eq!(body(replay).await["id"], id.as_str());

    // A second API instance on the same store: the store's unique index decides.
    let second = herald_api::Server::start(h.config.clone()).await.unwrap();
    let r = h
        .http
        .post(format!("{}/v1/notifications", second.url()))
        .bearer_auth(ACME_KEY)
        .header("idempotency-key", "order-42")
        .json(&n)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(body(r).await["id"], id.as_str());
    second.shutdown().await.unwrap();

    // The same key from another tenant is that tenant's own.
    let r = h
        .post_json("/v1/notifications", GLOBEX_KEY, &n)
        .header("idempotency-key", "order-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_ne!(body(r).await["id"], id.as_str());

    assert_eq!(h.jobs(ACME).await.len(), 1);
    assert_eq!(h.stored().await, 2);
    let normal = h.topology.queue(JobKind::Notification, Priority::Normal);
    let ids: Vec<String> = h
        .consume(&normal, 2)
        .await
        .into_iter()
        .map(|m| m.id.to_string())
        .collect();
    assert!(ids.contains(&id));
    assert_eq!(h.queued().await, 0, "a replay published again");
    h.finish().await;
}

#[tokio::test]
async fn batch_is_validated_all_or_nothing() {
    let h = Harness::start("batch").await;
    let mut high = notification("https://example.com/2");
    high["priority"] = json!("high");
    let good = json!({"notifications": [notification("https://example.com/1"), high, notification("https://example.com/3")]});
    let r = h
        .post_json("/v1/notifications/batch", ACME_KEY, &good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let ids: Vec<String> = body(r).await["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(h.stored().await, 3);
    let normal = h.topology.queue(JobKind::Notification, Priority::Normal);
    let high_q = h.topology.queue(JobKind::Notification, Priority::High);
    let mut published: Vec<String> = h
        .consume(&normal, 2)
        .await
        .into_iter()
        .map(|m| m.id.to_string())
        .collect();
    published.extend(
        h.consume(&high_q, 1)
            .await
            .into_iter()
            .map(|m| m.id.to_string()),
    );
    published.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(published, expected);

    // One bad item: 422 naming it, and none of the others stored or published.
    let bad = json!({"notifications": [notification("https://example.com/4"), {"channel": "email", "recipient": {"address": "nope"}, "body": "b"}]});
    let r = h
        .post_json("/v1/notifications/batch", ACME_KEY, &bad)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(r).await,
        (
            422,
            "validation_failed".into(),
            Some("notifications[1].recipient.address".into())
        )
    );
    // A shape error in one item: 400 naming it.
    let shape = json!({"notifications": [notification("https://example.com/5"), {"channel": "fax", "recipient": {"address": "x"}, "body": "b"}]});
    let r = h
        .post_json("/v1/notifications/batch", ACME_KEY, &shape)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(r).await,
        (
            400,
            "invalid_field".into(),
            Some("notifications[1].channel".into())
        )
    );
    // Too many, or none.
    let many = json!({"notifications": vec![json!({"channel": "log", "recipient": {"address": "x"}, "body": "b"}); 1001]});
    let r = h
        .post_json("/v1/notifications/batch", ACME_KEY, &many)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(r).await,
        (
            422,
            "validation_failed".into(),
            Some("notifications".into())
        )
    );
    let r = h
        .post_json(
            "/v1/notifications/batch",
            ACME_KEY,
            &json!({"notifications": []}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, 422);
    assert_eq!(h.stored().await, 3);
    assert_eq!(h.queued().await, 0);

    // A replayed batch (same Idempotency-Key) returns the same ids, 200, nothing new.
    let send = || {
        h.post_json("/v1/notifications/batch", GLOBEX_KEY, &good)
            .header("idempotency-key", "batch-7")
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 202);
    let first_ids = body(first).await["ids"].clone();
    let replay = send().await.unwrap();
    assert_eq!(replay.status(), 200);
    assert_eq!(body(replay).await["ids"], first_ids);
    assert_eq!(h.stored().await, 6);
    assert_eq!(h.queued().await, 3);
    h.finish().await;
}

/// The reproduction of issue 16: a batch under key `k` was answered with the id of an
/// earlier single job keyed `k#0`, and its own item 0 was never stored. Keys are now
/// namespaced by route, and a replay with another body is a 422.
#[tokio::test]
async fn idempotency_keys_are_namespaced_by_route_and_bound_to_their_body() {
    let h = Harness::start("idempotency-scope").await;
    let single = notification("https://example.com/single");
    let r = h
        .post_json("/v1/notifications", ACME_KEY, &single)
        .header("idempotency-key", "k#0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let single_id = body(r).await["id"].as_str().unwrap().to_owned();

    let batch = json!({"notifications": [
        notification("https://example.com/item-0"),
        notification("https://example.com/item-1"),
    ]});
    let r = h
        .post_json("/v1/notifications/batch", ACME_KEY, &batch)
        .header("idempotency-key", "k")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        202,
        "the batch is new, whatever single job used k#0"
    );
    let ids: Vec<String> = body(r).await["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(!ids.contains(&single_id), "{ids:?} names the single job");
    // Item 0 is stored, as the client was told.
    let item0 = h
        .store
        .get(&tenant(ACME), &ids[0].parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        item0.payload["recipient"]["address"],
        "https://example.com/item-0"
    );
    assert_eq!(h.stored().await, 3);

    // A replay with the same body is the same answer...
    let r = h
        .post_json("/v1/notifications/batch", ACME_KEY, &batch)
        .header("idempotency-key", "k")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // ...one with another body is refused, for a batch and for a single job.
    let mut changed = batch.clone();
    changed["notifications"][1]["body"] = json!("changed");
    let r = h
        .post_json("/v1/notifications/batch", ACME_KEY, &changed)
        .header("idempotency-key", "k")
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_of(r).await;
    assert_eq!((status, code.as_str()), (422, "idempotency_key_reused"));
    let mut other = single.clone();
    other["body"] = json!("another body");
    let r = h
        .post_json("/v1/notifications", ACME_KEY, &other)
        .header("idempotency-key", "k#0")
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_of(r).await;
    assert_eq!((status, code.as_str()), (422, "idempotency_key_reused"));
    // Whitespace and field order are not a different body.
    let reordered = r#"{"body":"hello","recipient":{"address":"https://example.com/single"},"channel":"webhook"}"#;
    let r = h
        .post("/v1/notifications", ACME_KEY)
        .header("idempotency-key", "k#0")
        .header("content-type", "application/json")
        .body(reordered)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(body(r).await["id"], single_id.as_str());
    assert_eq!(h.stored().await, 3);
    h.finish().await;
}

/// `GET /v1/queues`: the tenant's counts per kind × priority × state and the age of
/// its oldest ready job; another tenant's jobs are not in it.
#[tokio::test]
async fn queues_show_the_tenants_counts_and_lag() {
    let h = Harness::with(
        "queues",
        Options {
            broker: Broker::Embedded,
            ..Options::default()
        },
    )
    .await;
    for (key, n) in [(ACME_KEY, 3), (GLOBEX_KEY, 1)] {
        for _ in 0..n {
            let r = h
                .post_json(
                    "/v1/notifications",
                    key,
                    &notification("https://example.com/q"),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 202);
        }
    }
    let mut critical = notification("https://example.com/c");
    critical["priority"] = json!("critical");
    critical["sendAt"] = json!((chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339());
    let r = h
        .post_json("/v1/notifications", ACME_KEY, &critical)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let r = h.get("/v1/queues", ACME_KEY).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v = body(r).await;
    assert_eq!(v["countCap"], 10_000);
    let queues = v["queues"].as_array().unwrap();
    assert_eq!(queues.len(), 8, "2 kinds x 4 priorities: {v}");
    let row = |kind: &str, priority: &str| {
        queues
            .iter()
            .find(|q| q["kind"] == kind && q["priority"] == priority)
            .unwrap()
            .clone()
    };
    let normal = row("notification", "normal");
    assert_eq!(normal["counts"]["pending"], 3, "{normal}");
    assert_eq!(normal["counts"]["succeeded"], 0);
    assert!(normal["oldestReadyAgeSeconds"].as_f64().unwrap() >= 0.0);
    let critical = row("notification", "critical");
    assert_eq!(critical["counts"]["scheduled"], 1);
    assert!(
        critical["oldestReadyAgeSeconds"].is_null(),
        "not due yet: {critical}"
    );
    assert!(row("match", "normal")["oldestReadyAgeSeconds"].is_null());
    let r = h.get("/v1/queues", GLOBEX_KEY).send().await.unwrap();
    let v = body(r).await;
    let globex = v["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["kind"] == "notification" && q["priority"] == "normal")
        .unwrap()
        .clone();
    assert_eq!(globex["counts"]["pending"], 1);
    assert_eq!(
        h.get("/v1/queues", "nope").send().await.unwrap().status(),
        401
    );
    h.finish().await;
}

#[tokio::test]
async fn another_tenants_job_is_404_everywhere() {
    let h = Harness::start("tenants").await;
    let r = h
        .post_json(
            "/v1/notifications",
            ACME_KEY,
            &notification("https://example.com/a"),
        )
        .send()
        .await
        .unwrap();
    let id = body(r).await["id"].as_str().unwrap().to_owned();

    for (method, path) in [
        ("GET", format!("/v1/jobs/{id}")),
        ("POST", format!("/v1/jobs/{id}/cancel")),
        ("POST", format!("/v1/jobs/{id}/retry")),
    ] {
        let r = match method {
            "GET" => h.get(&path, GLOBEX_KEY),
            _ => h.post(&path, GLOBEX_KEY),
        }
        .send()
        .await
        .unwrap();
        assert_eq!(
            error_of(r).await,
            (404, "not_found".into(), None),
            "{method} {path}"
        );
    }
    let list = body(h.get("/v1/jobs", GLOBEX_KEY).send().await.unwrap()).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let dead = body(h.get("/v1/dead-letters", GLOBEX_KEY).send().await.unwrap()).await;
    assert_eq!(dead["items"].as_array().unwrap().len(), 0);

    // The owner still sees it, untouched by the other tenant's cancel.
    let job = body(
        h.get(&format!("/v1/jobs/{id}"), ACME_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(job["id"], id.as_str());
    assert_eq!(job["status"], "pending");
    assert_eq!(job["tenant"], ACME);
    let list = body(h.get("/v1/jobs", ACME_KEY).send().await.unwrap()).await;
    assert_eq!(list["items"][0]["id"], id.as_str());
    h.finish().await;
}

#[tokio::test]
async fn jobs_are_listed_newest_first_with_filters_and_cursor() {
    let h = Harness::with(
        "listing",
        Options {
            broker: Broker::Embedded,
            ..Options::default()
        },
    )
    .await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let mut n = notification(&format!("https://example.com/{i}"));
        if i == 4 {
            n["sendAt"] = json!((chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339());
        }
        let r = h
            .post_json("/v1/notifications", ACME_KEY, &n)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        ids.push(body(r).await["id"].as_str().unwrap().to_owned());
    }
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();

    let page1 = body(h.get("/v1/jobs?limit=2", ACME_KEY).send().await.unwrap()).await;
    let cursor = page1["nextCursor"].as_str().unwrap().to_owned();
    let page2 = body(
        h.get(&format!("/v1/jobs?limit=2&cursor={cursor}"), ACME_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let cursor = page2["nextCursor"].as_str().unwrap().to_owned();
    let page3 = body(
        h.get(&format!("/v1/jobs?limit=2&cursor={cursor}"), ACME_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page3["nextCursor"].is_null());
    let seen: Vec<String> = [page1, page2, page3]
        .iter()
        .flat_map(|p| {
            p["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|j| j["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(seen, newest_first);

    let scheduled = body(
        h.get("/v1/jobs?status=scheduled", ACME_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(scheduled["items"].as_array().unwrap().len(), 1);
    assert_eq!(scheduled["items"][0]["id"], ids[4].as_str());
    let pending = body(
        h.get("/v1/jobs?status=pending&kind=notification", ACME_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(pending["items"].as_array().unwrap().len(), 4);
    let matches = body(h.get("/v1/jobs?kind=match", ACME_KEY).send().await.unwrap()).await;
    assert_eq!(matches["items"].as_array().unwrap().len(), 0);

    // The job view: status, attempts, lease fields, history.
    let job = body(
        h.get(&format!("/v1/jobs/{}", ids[0]), ACME_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    for field in [
        "id",
        "status",
        "attempts",
        "maxAttempts",
        "lockedBy",
        "lockExpiry",
        "leaseVersion",
        "lastError",
        "history",
        "payload",
        "runAt",
        "createdAt",
    ] {
        assert!(job.get(field).is_some(), "job has no {field}: {job}");
    }
    h.finish().await;
}

#[tokio::test]
async fn cancel_and_retry_follow_the_state_machine() {
    let h = Harness::start("transitions").await;
    let post = |addr: &str| {
        h.post_json("/v1/notifications", ACME_KEY, &notification(addr))
            .send()
    };
    let a = body(post("https://example.com/a").await.unwrap()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = body(post("https://example.com/b").await.unwrap()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Cancel a waiting job: 200 and cancelled; again: 409.
    let r = h
        .post(&format!("/v1/jobs/{a}/cancel"), ACME_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(body(r).await["status"], "cancelled");
    let r = h
        .post(&format!("/v1/jobs/{a}/cancel"), ACME_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await, (409, "invalid_state".into(), None));
    // Retry a job that is not dead: 409.
    let r = h
        .post(&format!("/v1/jobs/{b}/retry"), ACME_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, 409);

    // Make b dead the way a worker would: claim it, fail it permanently.
    let worker = WorkerId::generate();
    let lease = match h
        .store
        .claim(&b.parse().unwrap(), &worker, Duration::from_secs(30))
        .await
        .unwrap()
    {
        ClaimOutcome::Claimed(job) => job.lease.clone(),
        other => panic!("claim: {other:?}"),
    };
    // Running: neither cancellable nor re-drivable.
    let r = h
        .post(&format!("/v1/jobs/{b}/cancel"), ACME_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, 409);
    h.store
        .fail(&lease, "410 Gone", Retry::Never)
        .await
        .unwrap();

    let dead = body(h.get("/v1/dead-letters", ACME_KEY).send().await.unwrap()).await;
    assert_eq!(dead["items"].as_array().unwrap().len(), 1);
    assert_eq!(dead["items"][0]["id"], b.as_str());
    assert_eq!(dead["items"][0]["lastError"], "410 Gone");

    // Drain the two original publishes, then re-drive: 202, pending, published again.
    let normal = h.topology.queue(JobKind::Notification, Priority::Normal);
    h.consume(&normal, 2).await;
    let r = h
        .post(&format!("/v1/jobs/{b}/retry"), ACME_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(body(r).await["status"], "pending");
    assert_eq!(h.consume(&normal, 1).await[0].id.as_str(), b);
    let job = h
        .store
        .get(&tenant(ACME), &b.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Pending);
    assert_eq!(job.attempts, 0);
    let dead = body(h.get("/v1/dead-letters", ACME_KEY).send().await.unwrap()).await;
    assert_eq!(dead["items"].as_array().unwrap().len(), 0);
    h.finish().await;
}

#[tokio::test]
async fn unreachable_broker_still_answers_202_and_counts_the_failed_publish() {
    let h = Harness::with(
        "nobroker",
        Options {
            broker: Broker::Unreachable,
            ..Options::default()
        },
    )
    .await;
    let r = h
        .post_json(
            "/v1/notifications",
            ACME_KEY,
            &notification("https://example.com/a"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let id = body(r).await["id"].as_str().unwrap().to_owned();
    let jobs = h.jobs(ACME).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].id.as_str(), id);
    assert_eq!(
        jobs[0].status,
        JobStatus::Pending,
        "left for the worker poller"
    );
    let batch = json!({"notifications": [notification("https://example.com/b"), notification("https://example.com/c")]});
    let r = h
        .post_json("/v1/notifications/batch", ACME_KEY, &batch)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(h.stored().await, 3);
    assert_eq!(h.metric("herald_publish_failures_total").await, 3.0);

    // Not ready (broker down), but alive.
    let r = h.http.get(h.endpoint("/ready")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let ready = body(r).await;
    assert_eq!(
        (ready["store"].as_str(), ready["broker"].as_str()),
        (Some("ok"), Some("unavailable"))
    );
    assert_eq!(
        h.http
            .get(h.endpoint("/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    h.finish().await;
}

/// The broker drops the API's connection mid-run (`rabbitmqctl close_connection`): the
/// next request still gets 202, the publisher reconnects, and the job is on its queue.
#[tokio::test]
async fn publisher_reconnects_after_the_broker_drops_its_connection() {
    let h = Harness::start("dropped").await;
    let normal = h.topology.queue(JobKind::Notification, Priority::Normal);
    let r = h
        .post_json(
            "/v1/notifications",
            ACME_KEY,
            &notification("https://example.com/a"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    h.consume(&normal, 1).await;

    // Close only this API's publisher connection, found by its name.
    let out = std::process::Command::new("rabbitmqctl")
        .args([
            "list_connections",
            "pid",
            "client_properties",
            "--no-table-headers",
            "--quiet",
        ])
        .output()
        .expect("rabbitmqctl is needed (scripts/test.sh installs RabbitMQ)");
    let listing = String::from_utf8_lossy(&out.stdout);
    let marker = format!("herald-publisher:{}:", h.topology.group());
    let pids: Vec<&str> = listing
        .lines()
        .filter(|l| l.contains(&marker))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        pids.len(),
        1,
        "publisher connection not found in:\n{listing}"
    );
    let closed = std::process::Command::new("rabbitmqctl")
        .args(["close_connection", pids[0], "test: broker drops the API"])
        .status()
        .unwrap();
    assert!(closed.success());

    // Wait (bounded) until the API notices; every request meanwhile must be a 202 with
    // the job stored, whether its publish failed or went through a new connection.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut sent = 1;
    loop {
        let r = h
            .post_json(
                "/v1/notifications",
                ACME_KEY,
                &notification("https://example.com/b"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        sent += 1;
        let failures = h.metric("herald_publish_failures_total").await as u32;
        let published = h.queued().await;
        if published > 0 {
            // Everything sent after the drop was either published or counted as failed.
            assert_eq!(published + failures, sent - 1);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "publisher never reconnected"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(h.stored().await, u64::from(sent));
    h.finish().await;
}

#[tokio::test]
async fn store_unavailable_is_503_and_nothing_is_published() {
    let h = Harness::with(
        "storedown",
        Options {
            sqlite_busy_timeout: Some(Duration::from_millis(300)),
            ..Options::default()
        },
    )
    .await;
    let StoreConfigPath(path) = sqlite_path(&h);
    // Hold SQLite's write lock from another connection, as a stuck process would.
    let blocker = rusqlite::Connection::open(&path).unwrap();
    blocker.busy_timeout(Duration::from_secs(1)).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let r = h
        .post_json(
            "/v1/notifications",
            ACME_KEY,
            &notification("https://example.com/a"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await, (503, "unavailable".into(), None));
    let batch = json!({"notifications": [notification("https://example.com/b")]});
    let r = h
        .post_json("/v1/notifications/batch", ACME_KEY, &batch)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, 503);
    blocker.execute_batch("ROLLBACK").unwrap();
    assert_eq!(h.stored().await, 0);
    assert_eq!(h.queued().await, 0);
    // Once the store is back, the same request is accepted.
    let r = h
        .post_json(
            "/v1/notifications",
            ACME_KEY,
            &notification("https://example.com/a"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    h.finish().await;
}

struct StoreConfigPath(std::path::PathBuf);

fn sqlite_path(h: &Harness) -> StoreConfigPath {
    match &h.config.store {
        herald_core::store::StoreConfig::Sqlite(c) => StoreConfigPath(c.path.clone()),
        other => panic!("not SQLite: {other:?}"),
    }
}

/// Reads an HTTP/1.1 response head from a raw socket.
async fn read_head(stream: &mut tokio::net::TcpStream) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).await.unwrap();
        assert!(
            n > 0,
            "connection closed after {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.push(byte[0]);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn a_stalled_body_is_refused_with_408_and_nothing_is_stored() {
    let h = Harness::with(
        "bodytimeout",
        Options {
            body_timeout: Some(Duration::from_millis(500)),
            ..Options::default()
        },
    )
    .await;
    let addr = h.url.trim_start_matches("http://").to_owned();
    let body = serde_json::to_string(&notification("https://example.com/hook")).unwrap();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /v1/notifications HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {ACME_KEY}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    // Half the body, then nothing: the client has stalled.
    s.write_all(&body.as_bytes()[..body.len() / 2])
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let response = tokio::time::timeout(Duration::from_secs(10), read_head(&mut s))
        .await
        .expect("no answer to a stalled body");
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "answered before the timeout: {:?}",
        started.elapsed()
    );
    assert_eq!(h.stored().await, 0);

    // A body that arrives in time is taken as usual.
    let r = h
        .post("/v1/notifications", ACME_KEY)
        .json(&notification("https://example.com/hook"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(h.stored().await, 1);
}

#[tokio::test]
async fn an_oversized_body_is_refused_before_it_is_read() {
    let h = Harness::start("bodylimit").await; // limit 256 KiB
    let addr = h.url.trim_start_matches("http://").to_owned();

    // A declared length of 1 GiB: refused with only the head sent.
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /v1/notifications HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {ACME_KEY}\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let response = tokio::time::timeout(Duration::from_secs(5), read_head(&mut s))
        .await
        .expect("no answer while the body is unsent");
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");

    // Chunked, no length: cut off once past the limit while the client keeps sending.
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /v1/notifications HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {ACME_KEY}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let (mut rd, mut wr) = s.into_split();
    let total: usize = 512 * 1024 * 1024; // far more than the limit; never all sent
    let writer = tokio::spawn(async move {
        let chunk = vec![b' '; 64 * 1024];
        let framed = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk,
            b"\r\n".to_vec(),
        ]
        .concat();
        let mut sent = 0usize;
        while sent < total {
            if wr.write_all(&framed).await.is_err() {
                break; // the server stopped reading and closed
            }
            sent += 64 * 1024;
        }
        sent
    });
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(10), rd.read(&mut buf))
        .await
        .expect("no 413 while the body streams")
        .unwrap();
    let response = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("payload_too_large"), "{response}");
    drop(rd);
    let sent = tokio::time::timeout(Duration::from_secs(20), writer)
        .await
        .expect("writer stuck")
        .unwrap();
    assert!(sent < total, "the whole body was accepted");

    assert_eq!(h.stored().await, 0);
    assert_eq!(h.queued().await, 0);
    h.finish().await;
}

#[tokio::test]
async fn workers_route_summarises_the_registry() {
    let h = Harness::with(
        "workers",
        Options {
            broker: Broker::Embedded,
            ..Options::default()
        },
    )
    .await;
    let empty = body(h.get("/v1/workers", ACME_KEY).send().await.unwrap()).await;
    assert_eq!(empty["totalWorkers"], 0);
    let beat = |in_flight: u32, matches: u32| WorkerHeartbeat {
        worker_id: WorkerId::generate(),
        hostname: "host-a".into(),
        pid: 42,
        started_at: chrono::Utc::now(),
        in_flight,
        capacity: 10,
        active_matches: matches,
        match_capacity: 3,
        processed: 7,
        interval_ms: 5_000,
    };
    for b in [beat(2, 0), beat(0, 2), beat(0, 0)] {
        h.store.heartbeat(&b).await.unwrap();
    }
    let r = h.get("/v1/workers", ACME_KEY).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let w = body(r).await;
    assert_eq!(w["totalWorkers"], 3);
    assert_eq!(w["activeWorkers"], 2);
    assert_eq!(w["idleWorkers"], 1);
    assert_eq!(w["totalMatches"], 2);
    let workers = w["workers"].as_array().unwrap();
    assert_eq!(workers.len(), 3);
    assert!(workers
        .iter()
        .all(|x| x["workerId"].is_string() && x["lastSeen"].is_string()));
    assert_eq!(workers.iter().filter(|x| x["status"] == "idle").count(), 1);
    assert_eq!(
        error_of(h.http.get(h.endpoint("/v1/workers")).send().await.unwrap())
            .await
            .0,
        401
    );
    h.finish().await;
}

#[tokio::test]
async fn probes_metrics_and_the_committed_openapi_document() {
    let h = Harness::start("probes").await;
    let r = h.http.get(h.endpoint("/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = h.http.get(h.endpoint("/ready")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        body(r).await,
        json!({"status": "ready", "store": "ok", "broker": "ok"})
    );

    let r = h.http.get(h.endpoint("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    for name in [
        "herald_api_requests_total",
        "herald_api_request_duration_seconds_bucket",
        "herald_publish_failures_total",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics");
    }
    assert_eq!(
        h.metric(r#"herald_api_requests_total{route="/ready",status="200"}"#)
            .await,
        1.0
    );

    let served: Value = h
        .http
        .get(h.endpoint("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
    if std::env::var("HERALD_WRITE_OPENAPI").is_ok() {
        std::fs::write(&path, serde_json::to_string_pretty(&served).unwrap() + "\n").unwrap();
    }
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("docs/openapi.json")).unwrap();
    assert!(
        served == committed,
        "docs/openapi.json differs from the served document; regenerate it with \
         HERALD_WRITE_OPENAPI=1 cargo test -p herald-api --test api probes"
    );
    // Every route the API serves is documented.
    for route in [
        "/v1/notifications",
        "/v1/notifications/batch",
        "/v1/jobs",
        "/v1/jobs/{id}",
        "/v1/jobs/{id}/cancel",
        "/v1/jobs/{id}/retry",
        "/v1/dead-letters",
        "/v1/workers",
        "/health",
        "/ready",
        "/metrics",
    ] {
        assert!(served["paths"].get(route).is_some(), "{route} undocumented");
    }
    h.finish().await;
}

#[tokio::test]
async fn embedded_mode_stores_without_a_broker() {
    let h = Harness::with(
        "embedded",
        Options {
            broker: Broker::Embedded,
            ..Options::default()
        },
    )
    .await;
    let r = h
        .post_json(
            "/v1/notifications",
            ACME_KEY,
            &notification("https://example.com/a"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(h.stored().await, 1);
    assert_eq!(h.metric("herald_publish_failures_total").await, 0.0);
    let ready = body(h.http.get(h.endpoint("/ready")).send().await.unwrap()).await;
    assert_eq!(ready["broker"], "embedded");
    assert_eq!(ready["status"], "ready");
    h.finish().await;
}

/// Shutdown stops accepting connections but finishes a request already in flight.
#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_requests() {
    let h = Harness::with(
        "shutdown",
        Options {
            broker: Broker::Embedded,
            ..Options::default()
        },
    )
    .await;
    let addr = h.url.trim_start_matches("http://").to_owned();
    let payload = notification("https://example.com/inflight").to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /v1/notifications HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {ACME_KEY}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nexpect: 100-continue\r\n\r\n",
        payload.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    // 100 Continue: the handler is now reading this request's body.
    let cont = tokio::time::timeout(Duration::from_secs(5), read_head(&mut s))
        .await
        .unwrap();
    assert!(cont.starts_with("HTTP/1.1 100"), "{cont}");

    let store = h.store.clone();
    let stopping = tokio::spawn(async move { h.finish().await });
    // New connections are refused once shutdown has begun.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(&addr).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "still accepting after shutdown"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !stopping.is_finished(),
        "stopped before the in-flight request finished"
    );
    // The in-flight request completes normally.
    s.write_all(payload.as_bytes()).await.unwrap();
    let response = tokio::time::timeout(Duration::from_secs(5), read_head(&mut s))
        .await
        .unwrap();
    assert!(response.starts_with("HTTP/1.1 202"), "{response}");
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("shutdown hung")
        .unwrap();
    let stored = store.counts().await.unwrap().total();
    assert_eq!(stored, 1);
}

/// A key created in the store works within seconds, with no restart; its tenant is
/// its own; its last use is recorded; once revoked it is refused within seconds,
/// while the `API_KEYS` bootstrap keys go on working.
#[tokio::test]
async fn store_keys_work_within_seconds_are_touched_and_stop_when_revoked() {
    use herald_core::store::keys::key_digest;
    use herald_core::store::NewApiKey;
    use herald_testkit::wait::wait_for;

    let h = Harness::start("storekeys").await;
    let key = "initech-store-key-0003";
    let status = |key: &'static str| {
        let request = h.get("/v1/jobs", key);
        async move { request.send().await.map(|r| r.status().as_u16()).ok() }
    };
    assert_eq!(status(key).await, Some(401), "an unknown key was accepted");

    let record = h
        .store
        .create_key(NewApiKey {
            tenant: tenant("initech"),
            name: "ci".into(),
            digest: key_digest(key),
        })
        .await
        .unwrap();
    wait_for(
        Duration::from_secs(10),
        "the new key to be accepted",
        || async { status(key).await == Some(200) },
    )
    .await;

    // Its jobs are its tenant's: acme does not see them.
    let r = h
        .post_json(
            "/v1/notifications",
            key,
            &notification("https://example.com/hook"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let id = body(r).await["id"].as_str().unwrap().to_owned();
    assert_eq!(h.jobs("initech").await.len(), 1);
    let r = h
        .get(&format!("/v1/jobs/{id}"), ACME_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let (store, id) = (h.store.clone(), record.id.clone());
    wait_for(
        Duration::from_secs(10),
        "the key's last use to be recorded",
        || {
            let (store, id) = (store.clone(), id.clone());
            async move {
                let keys = store.list_keys(None).await.map_err(|e| e.to_string())?;
                match keys.iter().find(|k| k.id == id) {
                    Some(k) if k.last_used_at.is_some() => Ok(()),
                    other => Err(format!("{other:?}")),
                }
            }
        },
    )
    .await;

    h.store.revoke_key(&record.id).await.unwrap();
    wait_for(
        Duration::from_secs(10),
        "the revoked key to be refused",
        || async { status(key).await == Some(401) },
    )
    .await;
    assert_eq!(
        status(ACME_KEY).await,
        Some(200),
        "the bootstrap key stopped working"
    );
    h.finish().await;
}

/// Metadata MongoDB could not hold is refused on SQLite too: one validation in core,
/// the same 422 on both stores (tests/mongo.rs runs the same cases there).
#[tokio::test]
async fn metadata_one_store_cannot_hold_is_422_on_sqlite() {
    let h = Harness::start("unstorable").await;
    assert_unstorable_refused(&h).await;
    h.finish().await;
}

/// The rate limit charges per job: with 1/s and a burst of 10, a batch of 10 passes
/// once, the next batch waits for its 10 tokens (429, nothing stored), and a batch
/// larger than the burst — which could never pass — is a 422 saying so.
#[tokio::test]
async fn a_batch_costs_one_token_per_job() {
    let h = Harness::with(
        "ratebatch",
        Options {
            rate_limit: RateLimit {
                per_sec: 1,
                burst: 10,
            },
            broker: Broker::Embedded,
            ..Options::default()
        },
    )
    .await;
    let batch = |n: usize| json!({"notifications": (0..n).map(|i| notification(&format!("https://example.com/{i}"))).collect::<Vec<_>>()});
    let post = |key: &'static str, n: usize| {
        h.post_json("/v1/notifications/batch", key, &batch(n))
            .send()
    };
    assert_eq!(post(ACME_KEY, 10).await.unwrap().status(), 202);
    let r = post(ACME_KEY, 2).await.unwrap();
    assert_eq!(r.status(), 429, "a second batch within the second");
    assert_eq!(error_of(r).await.1, "rate_limited");
    // (Another key, whose bucket is full: the request's own token passes.)
    let (status, code, field) = error_of(post(GLOBEX_KEY, 11).await.unwrap()).await;
    assert_eq!(
        (status, code.as_str(), field.as_deref()),
        (422, "validation_failed", Some("notifications"))
    );
    assert_eq!(h.stored().await, 10, "refused batches store nothing");
    h.finish().await;
}

/// Failed authentication is throttled per client address: after the burst of
/// failures, the address gets 429 (with Retry-After) even before its key is looked
/// at.
#[tokio::test]
async fn failed_authentication_is_throttled_per_client_address() {
    let h = Harness::start("auththrottle").await;
    let n = notification("https://example.com/hook");
    let burst = herald_api::config::DEFAULT_AUTH_FAILURE_LIMIT_BURST;
    for i in 0..burst {
        let r = h
            .post_json("/v1/notifications", &format!("guess-{i:08}"), &n)
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(r).await.0, 401, "guess {i}");
    }
    let r = h
        .post_json("/v1/notifications", "guess-one-more", &n)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "guess {burst} is throttled");
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(error_of(r).await.1, "rate_limited");
    assert_eq!(h.stored().await, 0);
    h.finish().await;
}

/// TENANT_MAX_PRIORITY caps what each tenant may send: above its cap is a 422 naming
/// `priority` (in a batch, the item), storing nothing; at or below it, 202.
#[tokio::test]
async fn a_priority_above_the_tenants_cap_is_422() {
    let h = Harness::with(
        "prioritycap",
        Options {
            broker: Broker::Embedded,
            tenant_max_priority: Some("acme:critical,*:high"),
            ..Options::default()
        },
    )
    .await;
    let with = |priority: &str| {
        let mut n = notification("https://example.com/hook");
        n["priority"] = json!(priority);
        n
    };
    let post = |key: &'static str, body: Value| h.post_json("/v1/notifications", key, &body).send();
    assert_eq!(
        post(ACME_KEY, with("critical")).await.unwrap().status(),
        202
    );
    assert_eq!(post(GLOBEX_KEY, with("high")).await.unwrap().status(), 202);
    assert_eq!(
        error_of(post(GLOBEX_KEY, with("critical")).await.unwrap()).await,
        (422, "validation_failed".into(), Some("priority".into()))
    );
    let batch = json!({"notifications": [with("low"), with("critical")]});
    let r = h
        .post_json("/v1/notifications/batch", GLOBEX_KEY, &batch)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(r).await,
        (
            422,
            "validation_failed".into(),
            Some("notifications[1].priority".into())
        )
    );
    assert_eq!(h.stored().await, 2);
    h.finish().await;
}

/// Claims `id` as a worker would and fails it for good with `error`.
async fn kill(h: &Harness, id: &str, error: &str) {
    let worker = WorkerId::generate();
    let lease = match h
        .store
        .claim(&id.parse().unwrap(), &worker, Duration::from_secs(30))
        .await
        .unwrap()
    {
        ClaimOutcome::Claimed(job) => job.lease.clone(),
        other => panic!("claim: {other:?}"),
    };
    h.store.fail(&lease, error, Retry::Never).await.unwrap();
}

async fn created(h: &Harness, key: &str, body_: &Value) -> String {
    let r = h
        .post_json("/v1/notifications", key, body_)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    body(r).await["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn bulk_retry_redrives_dead_letters_by_filter_in_steps_and_publishes_them() {
    let h = Harness::start("bulk-retry").await;
    let mut gone = Vec::new();
    for i in 0..3 {
        let id = created(
            &h,
            ACME_KEY,
            &notification(&format!("https://example.com/{i}")),
        )
        .await;
        kill(&h, &id, "HTTP 410 Gone").await;
        gone.push(id);
    }
    let timeout = created(&h, ACME_KEY, &notification("https://example.com/t")).await;
    kill(&h, &timeout, "connect timeout").await;
    let theirs = created(&h, GLOBEX_KEY, &notification("https://example.com/g")).await;
    kill(&h, &theirs, "HTTP 410 Gone").await;
    let normal = h.topology.queue(JobKind::Notification, Priority::Normal);
    h.consume(&normal, 5).await;

    // Two steps of 2 by error text, newest first; the second ends the sweep.
    let filter = json!({"channel": "webhook", "errorContains": "410"});
    let r = h
        .post_json(
            "/v1/dead-letters/retry",
            ACME_KEY,
            &json!({"filter": filter, "limit": 2}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let first = body(r).await;
    assert_eq!(first["matched"], 2);
    assert_eq!(first["retried"], 2);
    assert_eq!(first["ids"], json!([gone[2], gone[1]]));
    let cursor = first["nextCursor"].as_str().unwrap().to_owned();
    assert_eq!(cursor, gone[1]);
    let r = h
        .post_json(
            "/v1/dead-letters/retry",
            ACME_KEY,
            &json!({"filter": filter, "limit": 2, "cursor": cursor}),
        )
        .send()
        .await
        .unwrap();
    let second = body(r).await;
    assert_eq!(second["ids"], json!([gone[0]]));
    assert_eq!(second["nextCursor"], Value::Null);
    // Each is pending with fresh attempts, and published again.
    let published: Vec<String> = h
        .consume(&normal, 3)
        .await
        .iter()
        .map(|m| m.id.as_str().to_owned())
        .collect();
    for id in &gone {
        assert!(published.contains(id), "{id} was not published");
        let job = h
            .store
            .get(&tenant(ACME), &id.parse().unwrap())
            .await
            .unwrap();
        assert_eq!((job.status, job.attempts), (JobStatus::Pending, 0));
    }
    // The timeout and the other tenant's job are still dead, even named by id.
    let r = h
        .post_json(
            "/v1/dead-letters/retry",
            ACME_KEY,
            &json!({"filter": {"ids": [theirs], "errorContains": "410"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(body(r).await["matched"], 0);
    for (t, id) in [(ACME, &timeout), (GLOBEX, &theirs)] {
        let job = h.store.get(&tenant(t), &id.parse().unwrap()).await.unwrap();
        assert_eq!(job.status, JobStatus::Dead);
    }
    h.finish().await;
}

#[tokio::test]
async fn bulk_cancel_takes_waiting_jobs_only() {
    let h = Harness::start("bulk-cancel").await;
    let mut later = notification("https://example.com/later");
    later["sendAt"] = json!((chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339());
    let scheduled = created(&h, ACME_KEY, &later).await;
    let pending = created(&h, ACME_KEY, &notification("https://example.com/now")).await;
    let running = created(&h, ACME_KEY, &notification("https://example.com/run")).await;
    let worker = WorkerId::generate();
    assert!(matches!(
        h.store
            .claim(&running.parse().unwrap(), &worker, Duration::from_secs(30))
            .await
            .unwrap(),
        ClaimOutcome::Claimed(_)
    ));
    let theirs = created(&h, GLOBEX_KEY, &notification("https://example.com/g")).await;

    let r = h
        .post_json(
            "/v1/jobs/cancel",
            ACME_KEY,
            &json!({"filter": {"kind": "notification"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let done = body(r).await;
    assert_eq!(done["cancelled"], 2);
    assert_eq!(done["ids"], json!([pending, scheduled]));
    assert_eq!(done["nextCursor"], Value::Null);
    for (t, id, status) in [
        (ACME, &scheduled, JobStatus::Cancelled),
        (ACME, &pending, JobStatus::Cancelled),
        (ACME, &running, JobStatus::Running),
        (GLOBEX, &theirs, JobStatus::Pending),
    ] {
        let job = h.store.get(&tenant(t), &id.parse().unwrap()).await.unwrap();
        assert_eq!(job.status, status, "{id}");
    }
    h.finish().await;
}

#[tokio::test]
async fn bulk_bodies_are_checked() {
    let h = Harness::start("bulk-bad").await;
    let too_many: Vec<String> = (0..1001)
        .map(|_| herald_core::JobId::new().as_str().to_owned())
        .collect();
    for (route, bad, status, code, field) in [
        ("/v1/jobs/cancel", json!({}), 400, "invalid_field", None),
        (
            "/v1/jobs/cancel",
            json!({"filter": {}, "limit": 0}),
            422,
            "validation_failed",
            Some("limit"),
        ),
        (
            "/v1/jobs/cancel",
            json!({"filter": {}, "limit": 1001}),
            422,
            "validation_failed",
            Some("limit"),
        ),
        (
            "/v1/jobs/cancel",
            json!({"filter": {}, "cursor": "x"}),
            422,
            "validation_failed",
            Some("cursor"),
        ),
        (
            "/v1/jobs/cancel",
            json!({"filter": {"colour": "red"}}),
            400,
            "invalid_field",
            Some("filter"),
        ),
        (
            "/v1/dead-letters/retry",
            json!({"filter": {"ids": ["nope"]}}),
            422,
            "validation_failed",
            Some("filter.ids[0]"),
        ),
        (
            "/v1/dead-letters/retry",
            json!({"filter": {"ids": too_many}}),
            422,
            "validation_failed",
            Some("filter.ids"),
        ),
        (
            "/v1/dead-letters/retry",
            json!({"filter": {"errorContains": ""}}),
            422,
            "validation_failed",
            Some("filter.errorContains"),
        ),
        (
            "/v1/dead-letters/retry",
            json!({"filter": {"createdBefore": "yesterday"}}),
            400,
            "invalid_field",
            Some("filter.createdBefore"),
        ),
        (
            "/v1/dead-letters/retry",
            json!({"filter": {"channel": null}}),
            400,
            "invalid_field",
            Some("filter.channel"),
        ),
    ] {
        let r = h.post_json(route, ACME_KEY, &bad).send().await.unwrap();
        let (got_status, got_code, got_field) = error_of(r).await;
        assert_eq!(
            (got_status, got_code.as_str()),
            (status, code),
            "{route} {bad}"
        );
        if let Some(field) = field {
            assert!(
                got_field.as_deref().is_some_and(|f| f.starts_with(field)),
                "{route} {bad}: field {got_field:?}"
            );
        }
    }
    // No key: 401, before the body is read.
    let r = h
        .post_json("/v1/jobs/cancel", "", &json!({"filter": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, 401);
    h.finish().await;
}
