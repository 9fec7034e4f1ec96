//! herald-api on the MongoDB store (`HERALD_TEST_MONGODB_URI`, a SecantusDB server in
//! scripts/test.sh) with a real RabbitMQ. The test server does tens of operations a
//! second, so this is a small set; the SQLite suite (tests/api.rs) covers the rest.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

use harness::*;
use herald_core::{JobKind, JobStatus, Priority};
use serde_json::json;

fn mongo() -> Options {
    Options {
        store: StoreKind::Mongo,
        ..Options::default()
    }
}

#[tokio::test]
async fn enqueue_get_and_tenant_isolation_on_mongodb() {
    let h = Harness::with("mongo_enqueue", mongo()).await;
    let r = h
        .post_json(
            "/v1/notifications",
            ACME_KEY,
            &notification("https://example.com/m"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let id = body(r).await["id"].as_str().unwrap().to_owned();
    let jobs = h.jobs(ACME).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].id.as_str(), id);
    assert_eq!(jobs[0].status, JobStatus::Pending);
    let normal = h.topology.queue(JobKind::Notification, Priority::Normal);
    assert_eq!(h.consume(&normal, 1).await[0].id.as_str(), id);

    let job = body(
        h.get(&format!("/v1/jobs/{id}"), ACME_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(job["id"], id.as_str());
    let r = h
        .get(&format!("/v1/jobs/{id}"), GLOBEX_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, 404);
    let r = h
        .post(&format!("/v1/jobs/{id}/cancel"), GLOBEX_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, 404);
    let list = body(h.get("/v1/jobs", GLOBEX_KEY).send().await.unwrap()).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);

    // A rejected request stores nothing.
    let bad = json!({"channel": "sms", "recipient": {"address": "12"}, "body": "b"});
    let r = h
        .post_json("/v1/notifications", ACME_KEY, &bad)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, 422);
    assert_eq!(h.stored().await, 1);
    assert_eq!(h.queued().await, 0);
    h.finish().await;
}

#[tokio::test]
async fn idempotency_across_instances_and_batches_on_mongodb() {
    let h = Harness::with("mongo_idem", mongo()).await;
    let n = notification("https://example.com/m");
    let r = h
        .post_json("/v1/notifications", ACME_KEY, &n)
        .header("idempotency-key", "k-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let id = body(r).await["id"].clone();
    // Another API instance on the same database: the unique index answers.
    let second = herald_api::Server::start(h.config.clone()).await.unwrap();
    let r = h
        .http
        .post(format!("{}/v1/notifications", second.url()))
        .bearer_auth(ACME_KEY)
        .header("idempotency-key", "k-1")
        .json(&n)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(body(r).await["id"], id);
    second.shutdown().await.unwrap();

    // All or nothing: one bad item stores none.
    let bad = json!({"notifications": [n.clone(), {"channel": "webhook", "recipient": {"address": "nope"}, "body": "b"}]});
    let r = h
        .post_json("/v1/notifications/batch", ACME_KEY, &bad)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(r).await.2.as_deref(),
        Some("notifications[1].recipient.address")
    );
    assert_eq!(h.stored().await, 1);
    let good = json!({"notifications": [n.clone(), n.clone(), n]});
    let r = h
        .post_json("/v1/notifications/batch", ACME_KEY, &good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(body(r).await["ids"].as_array().unwrap().len(), 3);
    assert_eq!(h.stored().await, 4);
    let normal = h.topology.queue(JobKind::Notification, Priority::Normal);
    assert_eq!(h.consume(&normal, 4).await.len(), 4);
    h.finish().await;
}

#[tokio::test]
async fn a_match_on_mongodb_takes_events_in_order_and_is_tenant_scoped() {
    let h = Harness::with("mongo_match", mongo()).await;
    let spec = json!({
        "type": "scoreboard",
        "players": [
            {"id": "ann", "notify": {"channel": "log", "recipient": {"address": "ann"}}},
            {"id": "bob", "notify": {"channel": "log", "recipient": {"address": "bob"}}}
        ],
        "durationSec": 60
    });
    let r = h
        .post_json("/v1/matches", ACME_KEY, &spec)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let id = body(r).await["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/matches/{id}/events");
    for (event, seq) in [
        (json!({"type": "join", "playerId": "ann"}), 1),
        (json!({"type": "score", "playerId": "bob", "points": 4}), 2),
    ] {
        let r = h.post_json(&path, ACME_KEY, &event).send().await.unwrap();
        assert_eq!(r.status(), 202);
        assert_eq!(body(r).await, json!({ "seq": seq }));
    }
    let r = h
        .post_json(&path, GLOBEX_KEY, &json!({"type": "end"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, 404);
    let m = body(
        h.get(&format!("/v1/matches/{id}"), ACME_KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(m["status"], "pending");
    assert_eq!(m["lastSeq"], 2);
    assert_eq!(m["appliedSeq"], 0);
    assert_eq!(m["state"]["scores"], json!({"ann": 0, "bob": 0}));
    let r = h
        .get(&format!("/v1/matches/{id}"), GLOBEX_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, 404);
    h.finish().await;
}

/// The cases of tests/api.rs's `metadata_one_store_cannot_hold_is_422_on_sqlite`: a
/// 422, never a 500 from the BSON encoder, and nothing stored.
#[tokio::test]
async fn metadata_one_store_cannot_hold_is_422_on_mongodb() {
    let h = Harness::with("mongo_unstorable", mongo()).await;
    assert_unstorable_refused(&h).await;
    h.finish().await;
}
