//! The MongoDB store's indexes: created at open (idempotently), shaped as documented in
//! docs/lease-protocol.md, and used by the queries they exist for (explain).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use herald_core::store::mongo::pipeline as q;
use herald_core::store::mongo::{MongoConfig, MongoStore};
use herald_core::WorkerId;
use herald_testkit::services::mongodb_uri;
use mongodb::bson::{doc, Bson, Document};
use mongodb::Database;

fn config(test: &str) -> MongoConfig {
    let mut config = MongoConfig::new(mongodb_uri());
    config.database = format!("herald_test_{test}_{:08x}", rand::random::<u32>());
    config
}

async fn indexes(db: &Database, collection: &str) -> Vec<Document> {
    let listed = db
        .run_command(doc! { "listIndexes": collection })
        .await
        .unwrap();
    listed
        .get_document("cursor")
        .unwrap()
        .get_array("firstBatch")
        .unwrap()
        .iter()
        .map(|b| b.as_document().unwrap().clone())
        .collect()
}

fn named<'a>(list: &'a [Document], name: &str) -> &'a Document {
    list.iter()
        .find(|i| i.get_str("name") == Ok(name))
        .unwrap_or_else(|| panic!("no index {name} in {list:?}"))
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
        for input in inputs {
            if let Some(input) = input.as_document() {
                stages(input, out);
            }
        }
    }
}

async fn winning_plan(db: &Database, command: Document) -> Vec<(String, Option<String>)> {
    let explained = db
        .run_command(doc! { "explain": command, "verbosity": "queryPlanner" })
        .await
        .unwrap();
    let plan = explained
        .get_document("queryPlanner")
        .unwrap()
        .get_document("winningPlan")
        .unwrap();
    let mut out = Vec::new();
    stages(plan, &mut out);
    out
}

fn uses_index(plan: &[(String, Option<String>)], index: &str) -> bool {
    plan.iter()
        .any(|(stage, name)| stage == "IXSCAN" && name.as_deref() == Some(index))
}

#[tokio::test]
async fn indexes_are_created_once_with_the_documented_shapes() {
    let config = config("indexes");
    let store = MongoStore::open(config.clone(), herald_core::clock::system())
        .await
        .unwrap();
    // Opening again (a second process, a restart) is a no-op, not an error.
    let again = MongoStore::open(config, herald_core::clock::system())
        .await
        .unwrap();
    let db = again.database();
    let jobs = indexes(db, "jobs").await;
    let mut names: Vec<&str> = jobs.iter().map(|i| i.get_str("name").unwrap()).collect();
    names.sort_unstable();
    let mut expected = vec![
        "_id_",
        q::CLAIM_INDEX,
        q::LEASE_EXPIRY_INDEX,
        // Fair claims between tenants.
        q::FAIR_INDEX,
        q::IDEMPOTENCY_INDEX,
        q::TENANT_LIST_INDEX,
        q::TENANT_STATUS_LIST_INDEX,
        // The console's filters and overview.
        q::TENANT_KIND_LIST_INDEX,
        q::TENANT_PRIORITY_LIST_INDEX,
        q::TENANT_CHANNEL_LIST_INDEX,
        q::TENANT_KIND_STATUS_LIST_INDEX,
        q::TENANT_STATUS_CHANNEL_LIST_INDEX,
        q::TENANT_SUMMARY_INDEX,
        q::TENANT_FINISHED_INDEX,
        // Retention: the engine deletes at expireAt; ended matches' logs get theirs.
        q::JOBS_EXPIRY_INDEX,
        q::ENDED_MATCHES_INDEX,
    ];
    expected.sort_unstable();
    assert_eq!(names, expected);
    let key = |name: &str| named(&jobs, name).get_document("key").unwrap().clone();
    let keys = |k: Document| k.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(key(q::CLAIM_INDEX)),
        ["status", "priorityRank", "runAt"]
    );
    assert_eq!(keys(key(q::LEASE_EXPIRY_INDEX)), ["status", "lockExpiry"]);
    assert_eq!(
        keys(key(q::FAIR_INDEX)),
        ["status", "priorityRank", "tenant", "runAt"]
    );
    assert_eq!(keys(key(q::TENANT_LIST_INDEX)), ["tenant", "_id"]);
    assert_eq!(
        keys(key(q::TENANT_STATUS_LIST_INDEX)),
        ["tenant", "status", "_id"]
    );
    assert_eq!(
        keys(key(q::TENANT_CHANNEL_LIST_INDEX)),
        ["tenant", "payload.channel", "_id"]
    );
    assert_eq!(
        keys(key(q::TENANT_SUMMARY_INDEX)),
        ["tenant", "kind", "priority", "status", "runAt"]
    );
    let idempotency = named(&jobs, q::IDEMPOTENCY_INDEX);
    assert_eq!(
        keys(key(q::IDEMPOTENCY_INDEX)),
        ["tenant", "idempotencyKey"]
    );
    assert_eq!(idempotency.get_bool("unique"), Ok(true));
    assert_eq!(
        idempotency.get_document("partialFilterExpression").unwrap(),
        &doc! { "idempotencyKey": { "$type": "string" } }
    );

    let workers = indexes(db, "workers").await;
    let ttl = named(&workers, q::WORKER_TTL_INDEX);
    assert_eq!(ttl.get_document("key").unwrap(), &doc! { "heartbeatAt": 1 });
    let expire = match ttl.get("expireAfterSeconds") {
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Int64(n)) => *n,
        other => panic!("TTL index without expireAfterSeconds: {other:?}"),
    };
    assert_eq!(expire, 86_400);
    let ttl_of = |index: &Document| match index.get("expireAfterSeconds") {
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Int64(n)) => *n,
        other => panic!("TTL index without expireAfterSeconds: {other:?}"),
    };
    let expiry = named(&jobs, q::JOBS_EXPIRY_INDEX);
    assert_eq!(expiry.get_document("key").unwrap(), &doc! { "expireAt": 1 });
    assert_eq!(ttl_of(expiry), 0, "a job goes at its expireAt");

    let events = indexes(db, "match_events").await;
    let mut names: Vec<&str> = events.iter().map(|i| i.get_str("name").unwrap()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        vec![
            "_id_",
            q::EVENTS_EXPIRY_INDEX,
            q::EVENT_IDEMPOTENCY_INDEX,
            q::MATCH_EVENTS_INDEX
        ]
    );
    assert_eq!(ttl_of(named(&events, q::EVENTS_EXPIRY_INDEX)), 0);
    let seq = named(&events, q::MATCH_EVENTS_INDEX);
    assert_eq!(
        seq.get_document("key").unwrap(),
        &doc! { "matchId": 1, "seq": 1 }
    );
    assert_eq!(seq.get_bool("unique"), Ok(true));
    let event_key = named(&events, q::EVENT_IDEMPOTENCY_INDEX);
    assert_eq!(
        event_key.get_document("key").unwrap(),
        &doc! { "matchId": 1, "idempotencyKey": 1 }
    );
    assert_eq!(event_key.get_bool("unique"), Ok(true));
    assert_eq!(
        event_key.get_document("partialFilterExpression").unwrap(),
        &doc! { "idempotencyKey": { "$type": "string" } }
    );
    drop(store);
}

/// The claim-next query is served by its index. SecantusDB's planner never picks an
/// index for a filter with a top-level `$expr`, so the store hints it; this proves the
/// hinted claim query plans as an index scan of `jobs_claim`.
#[tokio::test]
async fn the_claim_and_list_queries_use_their_indexes() {
    let store = MongoStore::open(config("explain"), herald_core::clock::system())
        .await
        .unwrap();
    let db = store.database();
    let claim = winning_plan(
        db,
        doc! {
            "findAndModify": "jobs",
            "query": q::claim_filter(None, None),
            "sort": q::claim_sort(),
            "hint": q::CLAIM_INDEX,
            "update": q::claim_update(&WorkerId::generate(), Duration::from_secs(30)),
            "new": true,
        },
    )
    .await;
    assert!(uses_index(&claim, q::CLAIM_INDEX), "claim plan: {claim:?}");

    let list = winning_plan(
        db,
        doc! { "find": "jobs", "filter": { "tenant": "t1" }, "sort": { "_id": -1 }, "limit": 51 },
    )
    .await;
    assert!(
        uses_index(&list, q::TENANT_LIST_INDEX),
        "list plan: {list:?}"
    );
    let by_status = winning_plan(
        db,
        doc! {
            "find": "jobs",
            "filter": { "tenant": "t1", "status": "dead" },
            "sort": { "_id": -1 },
            "limit": 51,
        },
    )
    .await;
    assert!(
        uses_index(&by_status, q::TENANT_STATUS_LIST_INDEX),
        "list-by-status plan: {by_status:?}"
    );
}
