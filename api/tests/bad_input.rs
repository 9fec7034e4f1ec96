//! Bad input never costs a 500 (`docs/security.md`): a property-based suite that posts
//! generated bodies — valid ones and mutated ones (wrong types, unknown fields, huge
//! strings, deep nesting, odd Unicode, boundary numbers, broken JSON text) — to every
//! route that takes a body, in process against the router and a real SQLite store.
//!
//! Every answer must be a documented 2xx or 4xx with an error code and message, never
//! a 5xx or a panic; a 4xx stores nothing and a 2xx stores what it says (the store is
//! counted before and after every case). `HERALD_PROPTEST_CASES` sets the number of
//! cases per route (default 10,000); each route prints what it answered.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use herald_api::auth::ApiKeys;
use herald_api::config::RateLimit;
use herald_api::{router, AppState, Config};
use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::StoreConfig;
use herald_core::{Store, TenantId};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use serde_json::{json, Value};
use tower::ServiceExt;

const KEY: &str = "acme-proptest-key-0001";

/// Statuses a body route may answer (docs/api.md's error table).
const DOCUMENTED: [u16; 8] = [200, 202, 400, 404, 409, 413, 415, 422];

fn cases() -> u32 {
    std::env::var("HERALD_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

struct Api {
    app: axum::Router,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

impl Api {
    async fn start() -> Self {
        herald_core::telemetry::init("error");
        let dir = tempfile::tempdir().unwrap();
        let store_config = StoreConfig::Sqlite(SqliteConfig::new(dir.path().join("herald.db")));
        let tenant = TenantId::parse("acme").unwrap();
        let mut keys = ApiKeys::default();
        keys.add(tenant, KEY).unwrap();
        let mut config = Config::new(store_config, keys);
        config.rate_limit = RateLimit {
            per_sec: 0,
            burst: 1,
        };
        // Literal loopback webhooks are refused with 422; public names pass.
        let state = AppState::open(&config).await.unwrap();
        let store = state.store.clone();
        Self {
            app: router(state),
            store,
            _dir: dir,
        }
    }

    /// Every job in the store (one aggregate query, so it can run twice a case).
    async fn stored(&self) -> usize {
        self.store.counts().await.unwrap().total() as usize
    }

    async fn post(&self, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let request = Request::post(path)
            .header("authorization", format!("Bearer {KEY}"))
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }
}

// ---- generators ----

fn odd_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,12}",
        Just(String::new()),
        Just("\u{0}".to_owned()),
        Just("\u{202e}\u{200b}\u{feff}".to_owned()),
        Just("e\u{301}\u{1f4a9}".to_owned()),
        Just("\u{10ffff}".to_owned()),
        Just("x".repeat(70_000)),
        "\\PC{0,40}",
    ]
}

fn boundary_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(i64::MIN)),
        Just(json!(i64::MAX)),
        Just(json!(u64::MAX)),
        Just(json!((i64::MAX as u64) + 1)),
        Just(json!(u32::MAX)),
        Just(json!(u64::from(u32::MAX) + 1)),
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(1.5)),
        Just(json!(-0.0)),
        Just(json!(1e308)),
        any::<i64>().prop_map(|n| json!(n)),
    ]
}

/// Any JSON value, nested up to a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        boundary_number(),
        odd_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(odd_text(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn deep(levels: usize) -> Value {
    (0..levels).fold(json!(1), |v, i| {
        if matches!(i % 2, 0) {
            json!({ "k": v })
        } else {
            json!([v])
        }
    })
}

fn valid_notification() -> impl Strategy<Value = Value> {
    let recipient = prop_oneof![
        Just(json!({"channel": "log", "recipient": {"address": "someone"}})),
        Just(
            json!({"channel": "webhook", "recipient": {"address": "https://hooks.example.com/h"}})
        ),
        Just(
            json!({"channel": "email", "recipient": {"address": "a@example.com", "timezone": "Europe/Paris"}})
        ),
        Just(json!({"channel": "sms", "recipient": {"address": "+14155550123"}})),
    ];
    (
        recipient,
        "[a-z ]{1,40}",
        prop::option::of(prop_oneof![
            Just("low"),
            Just("normal"),
            Just("high"),
            Just("critical")
        ]),
        prop::option::of(1u32..=25),
        prop::option::of(prop::collection::btree_map(
            "[a-z]{1,8}",
            any::<i32>(),
            0..4,
        )),
    )
        .prop_map(|(mut n, body, priority, attempts, metadata)| {
            n["body"] = json!(body);
            if let Some(p) = priority {
                n["priority"] = json!(p);
            }
            if let Some(a) = attempts {
                n["maxAttempts"] = json!(a);
            }
            if let Some(m) = metadata {
                n["metadata"] = json!(m);
            }
            n
        })
}

fn valid_match() -> impl Strategy<Value = Value> {
    (1usize..4, 1u32..3600).prop_map(|(players, duration)| {
        let players: Vec<Value> = (0..players)
            .map(|i| json!({"id": format!("p{i}"), "notify": {"channel": "log", "recipient": {"address": format!("p{i}")}}}))
            .collect();
        json!({"type": "scoreboard", "players": players, "durationSec": duration})
    })
}

fn valid_event() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"type": "join", "playerId": "p0"})),
        (-1000i64..1000).prop_map(|p| json!({"type": "score", "playerId": "p0", "points": p})),
    ]
}

/// A JSON path into `value` (object keys and array indexes), picked by `seed`.
fn pick_path(value: &Value, mut seed: u64) -> Vec<Value> {
    let mut path = Vec::new();
    let mut here = value;
    loop {
        let children: Vec<(Value, &Value)> = match here {
            Value::Object(m) => m.iter().map(|(k, v)| (json!(k), v)).collect(),
            Value::Array(a) => a.iter().enumerate().map(|(i, v)| (json!(i), v)).collect(),
            _ => break,
        };
        if children.is_empty() || (matches!(seed % 3, 0) && !path.is_empty()) {
            break;
        }
        let (key, child) = &children[(seed as usize / 3) % children.len()];
        path.push(key.clone());
        here = child;
        seed /= 7;
    }
    path
}

fn at_mut<'a>(value: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(value, |v, key| match key {
        Value::String(k) => &mut v[k.as_str()],
        Value::Number(i) => &mut v[i.as_u64().unwrap_or(0) as usize],
        _ => v,
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    None,
    Replace(u64, Value),
    Remove(u64),
    Unknown(String, Value),
    Deep(u64, usize),
    Text(TextMutation),
}

#[derive(Debug, Clone)]
enum TextMutation {
    Truncate(usize),
    LoneSurrogate,
    InvalidUtf8,
    TrailingGarbage,
    Duplicate,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => Just(Mutation::None),
        4 => (any::<u64>(), any_json()).prop_map(|(s, v)| Mutation::Replace(s, v)),
        2 => (any::<u64>(), boundary_number()).prop_map(|(s, v)| Mutation::Replace(s, v)),
        2 => any::<u64>().prop_map(Mutation::Remove),
        1 => ("[a-zA-Z]{1,10}", any_json()).prop_map(|(k, v)| Mutation::Unknown(k, v)),
        1 => (any::<u64>(), prop_oneof![Just(20usize), Just(33), Just(120), Just(200)])
            .prop_map(|(s, n)| Mutation::Deep(s, n)),
        1 => prop_oneof![
            (0usize..400).prop_map(TextMutation::Truncate),
            Just(TextMutation::LoneSurrogate),
            Just(TextMutation::InvalidUtf8),
            Just(TextMutation::TrailingGarbage),
            Just(TextMutation::Duplicate),
        ]
        .prop_map(Mutation::Text),
    ]
}

fn apply(mut value: Value, mutation: &Mutation) -> Vec<u8> {
    match mutation {
        Mutation::None => {}
        Mutation::Replace(seed, with) => {
            let path = pick_path(&value, *seed);
            *at_mut(&mut value, &path) = with.clone();
        }
        Mutation::Remove(seed) => {
            let path = pick_path(&value, *seed);
            if let Some((last, parent)) = path.split_last() {
                match (at_mut(&mut value, parent), last) {
                    (Value::Object(m), Value::String(k)) => {
                        m.remove(k);
                    }
                    (Value::Array(a), Value::Number(i)) => {
                        let i = i.as_u64().unwrap_or(0) as usize;
                        if i < a.len() {
                            a.remove(i);
                        }
                    }
                    _ => {}
                }
            }
        }
        Mutation::Unknown(key, with) => {
            let path = pick_path(&value, key.len() as u64);
            if let Value::Object(m) = at_mut(&mut value, &path) {
                m.insert(key.clone(), with.clone());
            } else if let Value::Object(m) = &mut value {
                m.insert(key.clone(), with.clone());
            }
        }
        Mutation::Deep(seed, levels) => {
            let path = pick_path(&value, *seed);
            *at_mut(&mut value, &path) = deep(*levels);
        }
        Mutation::Text(text) => {
            let mut bytes = serde_json::to_vec(&value).unwrap();
            match text {
                TextMutation::Truncate(at) => bytes.truncate(*at % bytes.len().max(1)),
                TextMutation::LoneSurrogate => {
                    let s = String::from_utf8(bytes).unwrap();
                    return s.replacen(":\"", ":\"\\ud800", 1).into_bytes();
                }
                TextMutation::InvalidUtf8 => {
                    let at = bytes.len() / 2;
                    bytes.splice(at..at, [0xff, 0xfe, 0xc3]);
                }
                TextMutation::TrailingGarbage => bytes.extend_from_slice(b"}{\"x\":1"),
                TextMutation::Duplicate => {
                    let s = String::from_utf8(bytes).unwrap();
                    return s.replacen('{', "{\"channel\":\"log\",", 1).into_bytes();
                }
            }
            return bytes;
        }
    }
    serde_json::to_vec(&value).unwrap()
}

/// Answers by status, for the record in docs/security.md.
type Tally = Arc<Mutex<BTreeMap<u16, u64>>>;

/// Runs `cases()` generated bodies against `path`: each answer documented, a 4xx
/// storing nothing and a 202 storing what it says.
fn fuzz_route(
    api: &Api,
    rt: &tokio::runtime::Handle,
    path: &str,
    valid: impl Strategy<Value = Value>,
    stores_on_success: impl Fn(&Value) -> usize,
) {
    let tally: Tally = Arc::default();
    let mut runner = TestRunner::new(RunnerConfig {
        cases: cases(),
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    // What the store held after the last case: each case counts once, after.
    let held = std::cell::Cell::new(rt.block_on(api.stored()));
    let result = runner.run(&(valid, mutation()), |(value, mutation)| {
        let body = apply(value, &mutation);
        let before = held.get();
        let (status, answer, after) = rt.block_on(async {
            let (status, answer) = api.post(path, body.clone()).await;
            (status, answer, api.stored().await)
        });
        held.set(after);
        *tally.lock().unwrap().entry(status.as_u16()).or_default() += 1;
        let shown = || String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
        prop_assert!(
            DOCUMENTED.contains(&status.as_u16()),
            "{path}: {status} for {} -> {answer}",
            shown()
        );
        if status.is_client_error() {
            prop_assert!(
                answer["error"]["code"].is_string() && answer["error"]["message"].is_string(),
                "{path}: {status} without code and message: {answer}"
            );
            prop_assert_eq!(before, after, "{}: a {} stored something", path, status);
        } else if status == StatusCode::ACCEPTED {
            prop_assert_eq!(after, before + stores_on_success(&answer), "{}", path);
        }
        Ok::<(), TestCaseError>(())
    });
    let tally = tally.lock().unwrap().clone();
    println!("{path}: {} cases answered {tally:?}", cases());
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn generated_bodies_never_get_a_5xx_and_a_4xx_stores_nothing() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let api = rt.block_on(Api::start());
    let one = |_: &Value| 1;

    fuzz_route(
        &api,
        rt.handle(),
        "/v1/notifications",
        valid_notification(),
        one,
    );
    fuzz_route(
        &api,
        rt.handle(),
        "/v1/notifications/batch",
        prop::collection::vec(valid_notification(), 1..4)
            .prop_map(|ns| json!({ "notifications": ns })),
        |answer| answer["ids"].as_array().map_or(0, Vec::len),
    );
    fuzz_route(&api, rt.handle(), "/v1/matches", valid_match(), one);

    // Events go to one live match (an event is not a job: nothing is counted).
    let (status, created) = rt.block_on(
        api.post(
            "/v1/matches",
            serde_json::to_vec(&json!({"type": "scoreboard", "players": [
            {"id": "p0", "notify": {"channel": "log", "recipient": {"address": "p0"}}}
        ], "durationSec": 3600}))
            .unwrap(),
        ),
    );
    assert_eq!(status, StatusCode::ACCEPTED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    fuzz_route(
        &api,
        rt.handle(),
        &format!("/v1/matches/{id}/events"),
        valid_event(),
        |_| 0,
    );
}
