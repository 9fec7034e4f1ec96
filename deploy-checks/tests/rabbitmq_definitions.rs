//! rabbitmq/definitions.json (imported by the compose stack's RabbitMQ at boot) is the
//! topology the services declare at start (`herald_core::dispatch::declare`, `docs/dispatch.md`):
//! same names, and arguments the broker accepts as equivalent — otherwise every
//! API and worker would fail to start with PRECONDITION_FAILED.
//!
//! Checked on the real broker of the tests (`HERALD_TEST_RABBITMQ_URL`): the file's
//! topology, renamed to a group of this test's own, is declared first, then the
//! services' declaration must succeed on top of it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use base64::Engine;
use deploy_checks::repo;
use herald_core::dispatch::{self, DispatchError, Topology};
use herald_testkit::services::rabbitmq_url;
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::ExchangeKind;
use serde_json::Value;
use sha2::{Digest, Sha256};

const DEFAULT_GROUP: &str = "notification-workers";

fn unique_group(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("deploy-checks-{name}-{}-{nanos}", std::process::id())
}

fn definitions() -> Value {
    repo::json("rabbitmq/definitions.json")
}

fn names(defs: &Value, section: &str) -> BTreeSet<String> {
    defs[section]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_definitions_name_the_default_groups_topology() {
    let defs = definitions();
    let topology = Topology::new(DEFAULT_GROUP);
    let mut queues: BTreeSet<String> = topology.work_queues().into_iter().collect();
    queues.insert(topology.dead_letter_queue());
    assert_eq!(names(&defs, "queues"), queues);
    assert_eq!(
        names(&defs, "exchanges"),
        [
            topology.exchange(),
            topology.dead_letter_exchange(),
            topology.match_events_exchange()
        ]
        .into()
    );
    let bindings: BTreeSet<(String, String, String)> = defs["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let s = |k: &str| b[k].as_str().unwrap().to_owned();
            (s("source"), s("destination"), s("routing_key"))
        })
        .collect();
    let mut expected: BTreeSet<(String, String, String)> = topology
        .work_queues()
        .into_iter()
        .map(|q| (topology.exchange(), q.clone(), q))
        .collect();
    expected.insert((
        topology.dead_letter_exchange(),
        topology.dead_letter_queue(),
        String::new(),
    ));
    assert_eq!(bindings, expected);
    for queue in defs["queues"].as_array().unwrap() {
        assert_eq!(queue["durable"], true);
        assert_eq!(queue["arguments"]["x-queue-type"], "quorum");
        assert_eq!(
            queue["arguments"]["x-delivery-limit"],
            dispatch::DELIVERY_LIMIT
        );
    }
}

/// The compose file's RABBITMQ_URL logs in with the password whose hash the
/// definitions hold (RabbitMQ's SHA-256 scheme: base64(salt ‖ sha256(salt ‖ password))).
#[test]
fn the_services_password_matches_the_definitions_hash() {
    let compose = repo::yaml("docker-compose.scale.yml");
    let url = compose["services"]["worker"]["environment"]["RABBITMQ_URL"]
        .as_str()
        .unwrap();
    let credentials = url.split("://").nth(1).unwrap().split('@').next().unwrap();
    let (user, password) = credentials.split_once(':').unwrap();
    let defs = definitions();
    let entry = defs["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == user)
        .unwrap_or_else(|| panic!("no user {user} in the definitions"));
    assert_eq!(entry["hashing_algorithm"], "rabbit_password_hashing_sha256");
    let hash = base64::engine::general_purpose::STANDARD
        .decode(entry["password_hash"].as_str().unwrap())
        .unwrap();
    let (salt, digest) = hash.split_at(4);
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(password.as_bytes());
    assert_eq!(
        hasher.finalize().as_slice(),
        digest,
        "the hash is not of RABBITMQ_URL's password"
    );
    let permissions = defs["permissions"].as_array().unwrap();
    assert!(permissions
        .iter()
        .any(|p| p["user"] == user && p["vhost"] == "/" && p["configure"] == ".*"));
}

fn field_table(arguments: &Value, rename: &dyn Fn(&str) -> String) -> FieldTable {
    let mut table = FieldTable::default();
    for (key, value) in arguments.as_object().unwrap() {
        let value = match value {
            Value::String(s) => AMQPValue::LongString(rename(s).into()),
            // The management plugin imports JSON integers as signed 64-bit.
            Value::Number(n) => AMQPValue::LongLongInt(n.as_i64().unwrap()),
            Value::Bool(b) => AMQPValue::Boolean(*b),
            other => panic!("unexpected argument {key}: {other}"),
        };
        table.insert(key.as_str().into(), value);
    }
    table
}

/// Declares the file's topology with every name moved to `group`, `tweak` applied to
/// each queue's arguments first.
async fn declare_definitions(
    channel: &lapin::Channel,
    group: &str,
    tweak: impl Fn(&str, &mut serde_json::Map<String, Value>),
) {
    let defs = definitions();
    let rename = |s: &str| s.replacen(DEFAULT_GROUP, group, 1);
    for exchange in defs["exchanges"].as_array().unwrap() {
        let kind = match exchange["type"].as_str().unwrap() {
            "direct" => ExchangeKind::Direct,
            "fanout" => ExchangeKind::Fanout,
            "topic" => ExchangeKind::Topic,
            other => panic!("unexpected exchange type {other}"),
        };
        let name = rename(exchange["name"].as_str().unwrap());
        channel
            .exchange_declare(
                name.as_str().into(),
                kind,
                ExchangeDeclareOptions {
                    durable: exchange["durable"].as_bool().unwrap(),
                    auto_delete: exchange["auto_delete"].as_bool().unwrap(),
                    internal: exchange["internal"].as_bool().unwrap(),
                    ..ExchangeDeclareOptions::default()
                },
                field_table(&exchange["arguments"], &rename),
            )
            .await
            .unwrap();
    }
    for queue in defs["queues"].as_array().unwrap() {
        let name = rename(queue["name"].as_str().unwrap());
        let mut arguments = queue["arguments"].as_object().unwrap().clone();
        tweak(&name, &mut arguments);
        channel
            .queue_declare(
                name.as_str().into(),
                QueueDeclareOptions {
                    durable: queue["durable"].as_bool().unwrap(),
                    auto_delete: queue["auto_delete"].as_bool().unwrap(),
                    ..QueueDeclareOptions::default()
                },
                field_table(&Value::Object(arguments), &rename),
            )
            .await
            .unwrap();
    }
    for binding in defs["bindings"].as_array().unwrap() {
        channel
            .queue_bind(
                rename(binding["destination"].as_str().unwrap())
                    .as_str()
                    .into(),
                rename(binding["source"].as_str().unwrap()).as_str().into(),
                rename(binding["routing_key"].as_str().unwrap())
                    .as_str()
                    .into(),
                QueueBindOptions::default(),
                field_table(&binding["arguments"], &rename),
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_services_declaration_is_accepted_on_top_of_the_definitions() {
    let connection = dispatch::connect(&rabbitmq_url()).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    let group = unique_group("same");
    let topology = Topology::new(&group);
    declare_definitions(&channel, &group, |_, _| {}).await;
    let declared = dispatch::declare(&channel, &topology).await;
    dispatch::delete(&channel, &topology).await.unwrap();
    declared.expect("the services' declaration conflicts with rabbitmq/definitions.json");
}

/// The check above can fail: a definitions file with another delivery limit makes the
/// services' declaration fail as it would in the compose stack.
#[tokio::test]
async fn a_definitions_file_that_differs_is_refused() {
    let connection = dispatch::connect(&rabbitmq_url()).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    let group = unique_group("other");
    let topology = Topology::new(&group);
    let critical = topology.work_queues()[0].clone();
    declare_definitions(&channel, &group, |name, args| {
        if name == critical {
            args.insert("x-delivery-limit".into(), Value::from(3));
        }
    })
    .await;
    let declared = dispatch::declare(&channel, &topology).await;
    // The refused declaration closed the channel: clean up on a new one.
    let cleanup = connection.create_channel().await.unwrap();
    let _ = dispatch::delete(&cleanup, &topology).await;
    assert!(
        matches!(declared, Err(DispatchError::Topology(_))),
        "expected a refusal, got {declared:?}"
    );
}
