//! Starts a real herald-api in this process against a real store (a fresh SQLite file,
//! or a fresh database on the MongoDB test server) and a real RabbitMQ, with a consumer
//! group of its own so each test has its own queues.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use herald_api::config::RateLimit;
use herald_api::{auth::ApiKeys, Config, Server};
use herald_core::dispatch::{self, JobMessage, Topology};
use herald_core::store::mongo::MongoConfig;
use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::{ListFilter, PageRequest, StoreConfig};
use herald_core::{Job, Store, TenantId};
use herald_testkit::services::{free_port, mongodb_uri, rabbitmq_url};
use lapin::options::{BasicAckOptions, BasicGetOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use serde_json::{json, Value};

pub const ACME: &str = "acme";
pub const ACME_KEY: &str = "acme-test-key-0001";
pub const GLOBEX: &str = "globex";
pub const GLOBEX_KEY: &str = "globex-test-key-0002";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broker {
    /// The test RabbitMQ.
    Real,
    /// `RABBITMQ_URL` pointing at a closed port.
    Unreachable,
    /// No `RABBITMQ_URL`: embedded mode.
    Embedded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Sqlite,
    Mongo,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub broker: Broker,
    pub store: StoreKind,
    pub rate_limit: RateLimit,
    pub max_body_bytes: usize,
    /// SQLite's busy timeout (how long a write waits for the lock before `Unavailable`).
    pub sqlite_busy_timeout: Option<Duration>,
    /// `WEBHOOK_ALLOWED_CIDRS`; `None` keeps the default (every internal range refused).
    pub webhook_allowed_cidrs: Option<&'static str>,
    /// `BODY_TIMEOUT_MS`; `None` keeps the default.
    pub body_timeout: Option<Duration>,
    /// `HEADER_READ_TIMEOUT_MS`, `KEEP_ALIVE_TIMEOUT_MS`, `MAX_CONNECTIONS`; `None`
    /// keeps the defaults.
    pub connection_limits: Option<herald_api::serve::ConnectionLimits>,
    /// `TENANT_MAX_PRIORITY`; `None`: no cap.
    pub tenant_max_priority: Option<&'static str>,
    /// `STREAM_*`; `None` keeps the defaults.
    pub streams: Option<herald_api::streams::StreamConfig>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            broker: Broker::Real,
            store: StoreKind::Sqlite,
            rate_limit: RateLimit::default(),
            max_body_bytes: 256 * 1024,
            sqlite_busy_timeout: None,
            webhook_allowed_cidrs: None,
            body_timeout: None,
            connection_limits: None,
            tenant_max_priority: None,
            streams: None,
        }
    }
}

pub struct Harness {
    server: Option<Server>,
    pub url: String,
    pub http: reqwest::Client,
    /// The same store the API writes, opened separately (as a worker would).
    pub store: Arc<dyn Store>,
    pub topology: Topology,
    pub config: Config,
    amqp: Option<(lapin::Connection, lapin::Channel)>,
    _dir: tempfile::TempDir,
}

pub fn tenant(name: &str) -> TenantId {
    TenantId::parse(name).unwrap()
}

/// A valid notification body.
pub fn notification(address: &str) -> Value {
    json!({
        "channel": "webhook",
        "recipient": {"address": address},
        "body": "hello"
    })
}

impl Harness {
    pub async fn start(name: &str) -> Self {
        Self::with(name, Options::default()).await
    }

    pub async fn with(name: &str, options: Options) -> Self {
        herald_core::telemetry::init("warn");
        let dir = tempfile::tempdir().unwrap();
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let store_config = match options.store {
            StoreKind::Sqlite => {
                let mut c = SqliteConfig::new(dir.path().join("herald.db"));
                if let Some(t) = options.sqlite_busy_timeout {
                    c.busy_timeout = t;
                }
                StoreConfig::Sqlite(c)
            }
            StoreKind::Mongo => {
                let mut c = MongoConfig::new(mongodb_uri());
                let short: String = name.chars().take(30).collect();
                c.database = format!("herald_api_{short}_{}", &suffix[..8]);
                StoreConfig::Mongo(c)
            }
        };
        let mut keys = ApiKeys::default();
        keys.add(tenant(ACME), ACME_KEY).unwrap();
        keys.add(tenant(GLOBEX), GLOBEX_KEY).unwrap();
        let mut config = Config::new(store_config.clone(), keys);
        let group = format!("test-api-{name}-{}", &suffix[..12]);
        config.broker.consumer_group = group.clone();
        config.broker.url = match options.broker {
            Broker::Real => Some(rabbitmq_url().into()),
            Broker::Unreachable => {
                Some(format!("amqp://guest:guest@127.0.0.1:{}/%2f", free_port()).into())
            }
            Broker::Embedded => None,
        };
        config.rate_limit = options.rate_limit;
        config.max_body_bytes = options.max_body_bytes;
        if let Some(timeout) = options.body_timeout {
            config.body_timeout = timeout;
        }
        if let Some(caps) = options.tenant_max_priority {
            config.priority_caps = herald_api::config::PriorityCaps::parse(Some(caps)).unwrap();
        }
        if let Some(streams) = options.streams {
            config.streams = streams;
        }
        if let Some(limits) = options.connection_limits {
            config.connection_limits = limits;
        }
        if let Some(cidrs) = options.webhook_allowed_cidrs {
            config.webhook_guard = herald_core::ssrf::TargetGuard::parse(cidrs).unwrap();
        }
        let server = Server::start(config.clone()).await.unwrap();
        let store = herald_core::store::open(&store_config, herald_core::clock::system())
            .await
            .unwrap();
        let topology = Topology::new(&group);
        let amqp = match options.broker {
            Broker::Real => {
                let connection = dispatch::connect(&rabbitmq_url()).await.unwrap();
                let channel = connection.create_channel().await.unwrap();
                // The API declared it at start; declaring again is a no-op.
                dispatch::declare(&channel, &topology).await.unwrap();
                Some((connection, channel))
            }
            _ => None,
        };
        Self {
            url: server.url(),
            server: Some(server),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            store,
            topology,
            config,
            amqp,
            _dir: dir,
        }
    }

    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    pub fn get(&self, path: &str, key: &str) -> reqwest::RequestBuilder {
        self.http.get(self.endpoint(path)).bearer_auth(key)
    }

    pub fn post(&self, path: &str, key: &str) -> reqwest::RequestBuilder {
        self.http.post(self.endpoint(path)).bearer_auth(key)
    }

    pub fn post_json(&self, path: &str, key: &str, body: &Value) -> reqwest::RequestBuilder {
        self.post(path, key).json(body)
    }

    pub fn channel(&self) -> &lapin::Channel {
        &self.amqp.as_ref().expect("this harness has no RabbitMQ").1
    }

    /// Messages waiting in each work queue and the dead-letter queue.
    pub async fn queued(&self) -> u32 {
        let mut queues = self.topology.work_queues();
        queues.push(self.topology.dead_letter_queue());
        let mut total = 0;
        for q in queues {
            let declared = self
                .channel()
                .queue_declare(
                    q.as_str().into(),
                    QueueDeclareOptions {
                        passive: true,
                        ..QueueDeclareOptions::default()
                    },
                    FieldTable::default(),
                )
                .await
                .unwrap();
            total += declared.message_count();
        }
        total
    }

    /// Takes (gets and acks) exactly `n` messages from `queue`, failing after 10 s
    /// without one. `basic.get` rather than a consumer: a consumer would prefetch
    /// further messages and hide them, unacked, from [`Self::queued`].
    pub async fn consume(&self, queue: &str, n: usize) -> Vec<JobMessage> {
        let mut out = Vec::with_capacity(n);
        let mut deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while out.len() < n {
            let got = self
                .channel()
                .basic_get(queue.into(), BasicGetOptions::default())
                .await
                .unwrap();
            let Some(got) = got else {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "only {} of {n} messages on {queue} within 10 s",
                    out.len()
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            };
            let delivery = got.delivery;
            delivery.ack(BasicAckOptions::default()).await.unwrap();
            let msg = JobMessage::decode(&delivery.data).unwrap();
            assert_eq!(
                delivery
                    .properties
                    .message_id()
                    .as_ref()
                    .map(|s| s.to_string()),
                Some(msg.id.to_string()),
                "message_id is the job id"
            );
            assert_eq!(delivery.properties.delivery_mode(), &Some(2), "persistent");
            out.push(msg);
            deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        }
        out
    }

    /// All jobs of a tenant in the store, newest first.
    pub async fn jobs(&self, tenant_name: &str) -> Vec<Job> {
        self.store
            .list(
                &tenant(tenant_name),
                &ListFilter::default(),
                &PageRequest::first(PageRequest::MAX_LIMIT),
            )
            .await
            .unwrap()
            .items
    }

    /// Jobs in the store, all tenants.
    pub async fn stored(&self) -> u64 {
        self.store.counts().await.unwrap().total()
    }

    /// A metric's value from `GET /metrics`: the first sample whose line starts with
    /// `series` (name, and labels as rendered), or 0 when absent.
    pub async fn metric(&self, series: &str) -> f64 {
        let text = self
            .http
            .get(self.endpoint("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .find_map(|l| {
                let (name, value) = l.rsplit_once(' ')?;
                (name == series)
                    .then(|| value.parse::<f64>().ok())
                    .flatten()
            })
            .unwrap_or(0.0)
    }

    /// Stops the API gracefully and deletes this test's queues.
    pub async fn finish(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.unwrap();
        }
        if let Some((_, channel)) = &self.amqp {
            dispatch::delete(channel, &self.topology).await.unwrap();
        }
    }
}

/// A response's JSON body.
pub async fn body(response: reqwest::Response) -> Value {
    response.json().await.unwrap()
}

/// The `{"error":{...}}` of a response, asserting its shape.
pub async fn error_of(response: reqwest::Response) -> (u16, String, Option<String>) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    let code = body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error.code in {body}"))
        .to_owned();
    assert!(
        body["error"]["message"].is_string(),
        "no error.message in {body}"
    );
    let field = body["error"]["field"].as_str().map(str::to_owned);
    (status, code, field)
}

/// Notifications whose `metadata` or `data` one store could not hold: an integer above
/// `i64::MAX`, a NUL in a key, nesting past the limit (`herald_core::storable`). Each
/// must be a 422 naming the field, on every store, with nothing stored.
pub fn unstorable_notifications() -> Vec<(Value, &'static str)> {
    let deep = (0..=herald_core::storable::MAX_JSON_DEPTH).fold(json!(1), |v, _| json!({ "k": v }));
    let with = |field: &str, value: Value| {
        let mut n = notification("https://example.com/hook");
        n[field] = value;
        n
    };
    let mut templated = json!({"channel": "log", "recipient": {"address": "a"}, "template": "t"});
    templated["data"] = json!({"big": u64::MAX});
    vec![
        (
            with("metadata", json!({"n": (i64::MAX as u64) + 1})),
            "metadata",
        ),
        (with("metadata", json!({"a\u{0}b": 1})), "metadata"),
        (
            with("metadata", json!({"list": [{"x\u{0}": 1}]})),
            "metadata",
        ),
        (with("metadata", deep), "metadata"),
        (templated, "data"),
    ]
}

/// Posts each of [`unstorable_notifications`] and checks it is a 422 naming its field
/// that stores nothing.
pub async fn assert_unstorable_refused(h: &Harness) {
    let before = h.stored().await;
    for (n, field) in unstorable_notifications() {
        let r = h
            .post_json("/v1/notifications", ACME_KEY, &n)
            .send()
            .await
            .unwrap();
        let (status, code, named) = error_of(r).await;
        assert_eq!(
            (status, code.as_str(), named.as_deref()),
            (422, "validation_failed", Some(field)),
            "{n}"
        );
        let batch = json!({"notifications": [notification("https://example.com/ok"), n]});
        let r = h
            .post_json("/v1/notifications/batch", ACME_KEY, &batch)
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(r).await.0, 422, "batch with {batch}");
    }
    assert_eq!(h.stored().await, before, "a 422 stores nothing");
}
