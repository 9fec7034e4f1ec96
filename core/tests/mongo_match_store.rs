//! The MongoDB match store's storage shape: the `match_events` index (unique, created
//! at open, serving `events_after`) and the field names of `docs/lease-protocol.md`, `docs/matches.md` on the
//! stored documents. The behaviour itself is proved by the conformance suite.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::Utc;
use herald_core::matches::{EndedBy, EventKind, EventRequest, MatchRequest, MatchSnapshot};
use herald_core::store::mongo::pipeline as q;
use herald_core::store::mongo::{MongoConfig, MongoStore};
use herald_core::store::{ClaimOutcome, JobStore, LeaseStore, MaintenanceStore, MatchStore};
use herald_core::{JobKind, NewJob, TenantId, WorkerId};
use herald_testkit::services::mongodb_uri;
use mongodb::bson::{doc, Bson, Document};
use mongodb::Database;

async fn open(test: &str) -> MongoStore {
    let mut config = MongoConfig::new(mongodb_uri());
    config.database = format!("herald_test_{test}_{:08x}", rand::random::<u32>());
    MongoStore::open(config, herald_core::clock::system())
        .await
        .unwrap()
}

async fn index(db: &Database, collection: &str, name: &str) -> Document {
    let listed = db
        .run_command(doc! { "listIndexes": collection })
        .await
        .unwrap();
    let all = listed
        .get_document("cursor")
        .unwrap()
        .get_array("firstBatch")
        .unwrap()
        .clone();
    all.iter()
        .filter_map(|b| b.as_document())
        .find(|i| i.get_str("name") == Ok(name))
        .cloned()
        .unwrap_or_else(|| panic!("no index {name} on {collection}: {all:?}"))
}

/// Every (stage, index name) in an explain plan tree.
fn stages(plan: &Document, out: &mut Vec<(String, Option<String>)>) {
    out.push((
        plan.get_str("stage").unwrap_or("?").to_owned(),
        plan.get_str("indexName").ok().map(str::to_owned),
    ));
    if let Ok(input) = plan.get_document("inputStage") {
        stages(input, out);
    }
    if let Ok(inputs) = plan.get_array("inputStages") {
        for input in inputs.iter().filter_map(|b| b.as_document()) {
            stages(input, out);
        }
    }
}

fn spec() -> MatchRequest {
    serde_json::from_value(serde_json::json!({
        "type": "scoreboard",
        "players": [{"id": "ann", "notify": {"channel": "log", "recipient": {"address": "ann"}}}],
        "durationSec": 60,
    }))
    .unwrap()
}

#[tokio::test]
async fn match_events_index_is_unique_and_serves_events_after() {
    let store = open("match_events_index").await;
    let db = store.database();
    let seq = index(db, "match_events", q::MATCH_EVENTS_INDEX).await;
    assert_eq!(
        seq.get_document("key").unwrap(),
        &doc! { "matchId": 1, "seq": 1 }
    );
    assert_eq!(seq.get_bool("unique"), Ok(true));

    // The exact query `events_after` sends, without its hint: the planner picks the
    // index by itself.
    let explained = db
        .run_command(doc! {
            "explain": {
                "find": "match_events",
                "filter": q::events_after_filter("m1", 3),
                "sort": q::events_sort(),
                "limit": 100_i64,
            },
            "verbosity": "queryPlanner",
        })
        .await
        .unwrap();
    let plan = explained
        .get_document("queryPlanner")
        .unwrap()
        .get_document("winningPlan")
        .unwrap();
    let mut found = Vec::new();
    stages(plan, &mut found);
    assert!(
        found.iter().any(
            |(stage, name)| stage == "IXSCAN" && name.as_deref() == Some(q::MATCH_EVENTS_INDEX)
        ),
        "events_after plan: {found:?}"
    );

    // A second event under one (match, seq) is refused, whoever writes it.
    let events = db.collection::<Document>("match_events");
    events
        .insert_one(doc! { "matchId": "m1", "seq": 1_i64 })
        .await
        .unwrap();
    let again = events
        .insert_one(doc! { "matchId": "m1", "seq": 1_i64 })
        .await
        .unwrap_err();
    assert!(again.to_string().contains("E11000") || again.to_string().contains("11000"));

    // The backstop of keyed appends: one event per (match, key). The error names the
    // index, which is how the store tells it from other duplicates (and re-runs the
    // append, which then finds the event as a replay).
    events
        .insert_one(doc! { "matchId": "m1", "seq": 2_i64, "idempotencyKey": "k" })
        .await
        .unwrap();
    let dup = events
        .insert_one(doc! { "matchId": "m1", "seq": 3_i64, "idempotencyKey": "k" })
        .await
        .unwrap_err()
        .to_string();
    assert!(
        dup.contains("11000") && dup.contains(q::EVENT_IDEMPOTENCY_INDEX),
        "{dup}"
    );
    // Another match may use the key, and unkeyed events never collide.
    events
        .insert_one(doc! { "matchId": "m2", "seq": 1_i64, "idempotencyKey": "k" })
        .await
        .unwrap();
    for seq in [4_i64, 5] {
        events
            .insert_one(doc! { "matchId": "m1", "seq": seq })
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn match_fields_use_the_documented_names() {
    let store = open("match_fields").await;
    let tenant = TenantId::parse("t1").unwrap();
    let m = store
        .insert(spec().to_new_job(tenant.clone()).unwrap())
        .await
        .unwrap()
        .into_job();
    let note = store
        .insert(NewJob::new(
            JobKind::Notification,
            tenant.clone(),
            serde_json::json!({}),
        ))
        .await
        .unwrap()
        .into_job();
    let event = EventRequest {
        kind: EventKind::Score,
        player_id: Some("ann".into()),
        points: Some(4),
        idempotency_key: Some("score-1".into()),
    };
    let appended = store
        .append_event(&tenant, &m.id, &event)
        .await
        .unwrap()
        .into_event();
    let ClaimOutcome::Claimed(held) = store
        .claim(&m.id, &WorkerId::generate(), Duration::from_secs(60))
        .await
        .unwrap()
    else {
        panic!("the match should be claimable");
    };
    let started = chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap();
    let snapshot = MatchSnapshot {
        state: serde_json::json!({"scores": {"ann": 4}, "joined": []}),
        state_version: 1,
        applied_seq: 1,
        started_at: Some(started),
        ends_at: Some(started + chrono::Duration::seconds(60)),
    };
    let engine = herald_core::matches::engine_for(spec().match_type);
    let result = engine
        .result(&spec(), &snapshot.state, EndedBy::End)
        .unwrap();
    store
        .finish_match(&held.lease, &snapshot, &result, Vec::new())
        .await
        .unwrap();

    let jobs = store.database().collection::<Document>("jobs");
    let stored = jobs
        .find_one(doc! { "_id": m.id.as_str() })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.get("eventSeq"), Some(&Bson::Int64(1)));
    assert_eq!(
        stored.get_document("state").unwrap(),
        &doc! { "scores": { "ann": 4_i64 }, "joined": [] }
    );
    assert_eq!(stored.get_i64("stateVersion"), Ok(1));
    assert_eq!(stored.get_i64("appliedSeq"), Ok(1));
    assert_eq!(
        stored.get_datetime("startedAt").unwrap().timestamp_millis(),
        started.timestamp_millis()
    );
    assert!(stored.get_datetime("endsAt").is_ok());
    let standings = stored
        .get_document("result")
        .unwrap()
        .get_array("standings")
        .unwrap();
    assert_eq!(standings.len(), 1);
    assert_eq!(stored.get_str("status"), Ok("succeeded"));

    let plain = jobs
        .find_one(doc! { "_id": note.id.as_str() })
        .await
        .unwrap()
        .unwrap();
    for field in [
        "eventSeq",
        "state",
        "stateVersion",
        "appliedSeq",
        "startedAt",
        "endsAt",
        "result",
    ] {
        assert!(!plain.contains_key(field), "a notification has {field}");
    }

    let logged = store
        .database()
        .collection::<Document>("match_events")
        .find_one(doc! { "matchId": m.id.as_str(), "seq": 1_i64 })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(logged.get_str("type"), Ok("score"));
    assert_eq!(logged.get_str("playerId"), Ok("ann"));
    assert_eq!(logged.get_i64("points"), Ok(4));
    assert_eq!(logged.get_str("idempotencyKey"), Ok("score-1"));
    assert_eq!(
        logged.get_datetime("at").unwrap().timestamp_millis(),
        appended.at.timestamp_millis()
    );
}

/// A match that ends dead has no finish transaction to set its log's expiry: the
/// pruner's sweep does, `RETENTION_MATCH_EVENTS` from the sweep, and a re-drive takes it
/// away again (the match runs on with its log).
#[tokio::test]
async fn a_dead_matchs_log_gets_an_expiry_that_a_redrive_removes() {
    let mut config = MongoConfig::new(mongodb_uri());
    config.database = format!("herald_test_dead_log_{:08x}", rand::random::<u32>());
    config.lifecycle.match_events = Some(Duration::from_secs(3600));
    let store = MongoStore::open(config, herald_core::clock::system())
        .await
        .unwrap();
    let tenant = TenantId::parse("acme").unwrap();
    let m = store
        .insert(spec().to_new_job(tenant.clone()).unwrap())
        .await
        .unwrap()
        .into_job();
    let join = EventRequest {
        kind: EventKind::Join,
        player_id: Some("ann".into()),
        points: None,
        idempotency_key: None,
    };
    store.append_event(&tenant, &m.id, &join).await.unwrap();
    let worker = WorkerId::generate();
    let ClaimOutcome::Claimed(held) = store
        .claim(&m.id, &worker, Duration::from_secs(60))
        .await
        .unwrap()
    else {
        panic!("the match is claimable");
    };
    store
        .fail(
            &held.lease,
            "host gave up",
            herald_core::store::Retry::Never,
        )
        .await
        .unwrap();
    let events = store.database().collection::<Document>("match_events");
    let expiry = || async {
        events
            .find_one(doc! { "matchId": m.id.as_str() })
            .await
            .unwrap()
            .unwrap()
            .get_datetime("expireAt")
            .ok()
            .copied()
    };
    assert_eq!(
        expiry().await,
        None,
        "a dead match's log has no expiry of its own"
    );

    let duty = store
        .acquire_duty(
            herald_core::store::PRUNER_DUTY,
            &worker,
            Duration::from_secs(300),
        )
        .await
        .unwrap()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let at = loop {
        store.prune(&duty, 100).await.unwrap();
        if let Some(at) = expiry().await {
            break at;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the sweep never gave the log an expiry"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let ahead = at.timestamp_millis() - Utc::now().timestamp_millis();
    assert!(
        (3_500_000..=3_600_000).contains(&ahead),
        "expires in {ahead} ms"
    );
    // Swept again (it sits at the watermark): the expiry is not pushed back.
    store.prune(&duty, 100).await.unwrap();
    assert_eq!(expiry().await, Some(at));

    store.redrive(&tenant, &m.id).await.unwrap();
    assert_eq!(expiry().await, None, "the re-driven match keeps its log");
    // The watermark moved on: the next sweep leaves the (pending) match alone.
    store.prune(&duty, 100).await.unwrap();
    assert_eq!(expiry().await, None);
}
