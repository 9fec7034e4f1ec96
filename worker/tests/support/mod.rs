//! Shared pieces of the worker's integration tests: real RabbitMQ (from
//! `HERALD_TEST_RABBITMQ_URL`), a SQLite file per test, and worker processes spawned
//! from the real binary. The webhook sink, the service URLs and `wait_for` are
//! herald-testkit's.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use herald_core::dispatch::{self, Dispatch, JobMessage, RabbitDispatch, Topology};
use herald_core::notification::NotificationRequest;
use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::StoreConfig;
use herald_core::{Job, JobId, NewJob, Priority, Store, TenantId};
use herald_testkit::services::{mongodb_uri, rabbitmq_url};
use herald_testkit::wait::wait_for;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

pub mod faults;

pub const TENANT: &str = "acme";
pub const SECRET: &str = "test-webhook-secret";

pub fn tenant() -> TenantId {
    TenantId::parse(TENANT).unwrap()
}

/// One test's world: its own SQLite file and its own consumer group on the broker.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub store: Arc<dyn Store>,
    pub group: String,
    pub publisher: RabbitDispatch,
    /// Extra environment for workers (the MongoDB store's variables).
    pub store_env: Vec<(String, String)>,
}

impl Harness {
    pub async fn new(name: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("herald.db");
        let config = StoreConfig::Sqlite(SqliteConfig::new(&db));
        Self::with_store(name, dir, db, config, Vec::new()).await
    }

    /// A harness on the MongoDB test server, in a database of its own.
    pub async fn mongo(name: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("unused.db");
        let uri = mongodb_uri();
        let database = format!(
            "worker_{name}_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let mut config = herald_core::store::mongo::MongoConfig::new(&uri);
        config.database = database.clone();
        let env = vec![
            ("MONGODB_URI".to_owned(), uri),
            ("MONGODB_DATABASE".to_owned(), database),
        ];
        Self::with_store(name, dir, db, StoreConfig::Mongo(config), env).await
    }

    async fn with_store(
        name: &str,
        dir: tempfile::TempDir,
        db: PathBuf,
        config: StoreConfig,
        store_env: Vec<(String, String)>,
    ) -> Self {
        let store = herald_core::store::open(&config, herald_core::clock::system())
            .await
            .unwrap();
        let group = format!(
            "test-{name}-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let publisher = RabbitDispatch::connect(&rabbitmq_url(), Topology::new(&group))
            .await
            .expect("connecting to RabbitMQ");
        Self {
            dir,
            db,
            store,
            group,
            publisher,
            store_env,
        }
    }

    /// Stores the jobs, then publishes them — what the API does for each request.
    pub async fn enqueue(&self, jobs: Vec<NewJob>) -> Vec<JobId> {
        let mut ids = Vec::with_capacity(jobs.len());
        let mut jobs = jobs.into_iter().peekable();
        while jobs.peek().is_some() {
            let chunk: Vec<NewJob> = jobs.by_ref().take(1000).collect();
            let inserted = self.store.insert_many(chunk).await.unwrap();
            let messages: Vec<JobMessage> = inserted
                .iter()
                .map(|i| JobMessage::for_job(i.job()))
                .collect();
            self.publisher.publish(&messages).await.unwrap();
            ids.extend(inserted.into_iter().map(|i| i.into_job().id));
        }
        ids
    }

    pub async fn job(&self, id: &JobId) -> Job {
        self.store.get(&tenant(), id).await.unwrap()
    }

    pub async fn jobs(&self, ids: &[JobId]) -> Vec<Job> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.job(id).await);
        }
        out
    }

    /// Waits until every job is in a final state.
    pub async fn wait_final(&self, ids: &[JobId], timeout: Duration) -> Vec<Job> {
        wait_for(timeout, "every job to reach a final state", || async {
            let counts = self.store.counts().await.ok()?;
            let finals = counts.get(herald_core::JobStatus::Succeeded)
                + counts.get(herald_core::JobStatus::Dead)
                + counts.get(herald_core::JobStatus::Cancelled);
            (finals >= ids.len() as u64).then_some(())
        })
        .await;
        self.jobs(ids).await
    }

    /// A worker process on this harness's store and group.
    pub fn worker(&self) -> WorkerSpec {
        let mut spec = WorkerSpec::new(&self.db)
            .env("RABBITMQ_URL", &rabbitmq_url())
            .env("RABBITMQ_CONSUMER_GROUP", &self.group);
        for (k, v) in &self.store_env {
            spec = spec.env(k, v);
        }
        spec
    }

    /// Removes this test's queues and exchanges from the broker.
    pub async fn cleanup(&self) {
        if let Ok(conn) = dispatch::connect(&rabbitmq_url()).await {
            if let Ok(ch) = conn.create_channel().await {
                let _ = dispatch::delete(&ch, &Topology::new(&self.group)).await;
            }
            let _ = conn.close(200, "test done".into()).await;
        }
    }
}

/// A webhook notification to `url`.
pub fn webhook(url: &str, priority: Priority) -> NewJob {
    let request: NotificationRequest = serde_json::from_value(serde_json::json!({
        "channel": "webhook",
        "recipient": {"address": url},
        "body": "hello",
        "priority": priority.as_str(),
    }))
    .unwrap();
    request
        .validate(chrono::Utc::now())
        .unwrap()
        .to_new_job(tenant())
        .unwrap()
}

/// A `log` notification.
pub fn log_job(priority: Priority) -> NewJob {
    let request: NotificationRequest = serde_json::from_value(serde_json::json!({
        "channel": "log",
        "recipient": {"address": "someone"},
        "body": "hello",
        "priority": priority.as_str(),
    }))
    .unwrap();
    request
        .validate(chrono::Utc::now())
        .unwrap()
        .to_new_job(tenant())
        .unwrap()
}

/// How to start a worker process.
#[derive(Debug, Clone)]
pub struct WorkerSpec {
    env: HashMap<String, String>,
}

impl WorkerSpec {
    pub fn new(db: &Path) -> Self {
        let mut spec = Self {
            env: HashMap::new(),
        };
        for (k, v) in [
            ("METRICS_PORT", "0"),
            ("METRICS_HOST", "127.0.0.1"),
            ("POLL_INTERVAL_MS", "500"),
            ("LOCK_DURATION_MS", "30000"),
            ("HEARTBEAT_INTERVAL_MS", "1000"),
            ("SHUTDOWN_TIMEOUT_MS", "10000"),
            ("WEBHOOK_ALLOWED_CIDRS", "127.0.0.0/8"),
            ("RUST_LOG", "info,herald_worker::delivery::log=warn"),
        ] {
            spec.env.insert(k.into(), v.into());
        }
        spec.env
            .insert("SQLITE_PATH".into(), db.display().to_string());
        spec.env
            .insert("WEBHOOK_SECRETS".into(), format!("{TENANT}:{SECRET}"));
        spec
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    pub fn spawn(&self, log_dir: &Path, name: &str) -> WorkerProcess {
        let log = log_dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_herald-worker"));
        cmd.env_remove("MONGODB_URI")
            .env_remove("RABBITMQ_URL")
            .envs(&self.env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(file));
        let child = cmd.spawn().expect("spawning herald-worker");
        WorkerProcess {
            pid: child.id(),
            child,
            log,
            name: name.to_owned(),
        }
    }
}

/// A running `herald-worker` process; killed on drop.
pub struct WorkerProcess {
    child: Child,
    pub pid: u32,
    pub log: PathBuf,
    pub name: String,
}

impl WorkerProcess {
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The metrics address it logged at start-up.
    pub async fn metrics_addr(&self) -> String {
        wait_for(
            Duration::from_secs(30),
            &format!("{} to start", self.name),
            || async {
                let text = self.log_text();
                let at = text.find("metrics listening on ")?;
                let rest = &text[at + "metrics listening on ".len()..];
                let addr: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                    .collect();
                (!addr.is_empty()).then_some(addr)
            },
        )
        .await
    }

    /// Waits until it logs that it is consuming from RabbitMQ.
    pub async fn wait_consuming(&self) {
        let n = self.log_text().matches("consuming from RabbitMQ").count();
        self.wait_log_count("consuming from RabbitMQ", n.max(1))
            .await;
    }

    pub async fn wait_log_count(&self, needle: &str, count: usize) {
        wait_for(
            Duration::from_secs(30),
            &format!("{} to log {needle:?}", self.name),
            || async { (self.log_text().matches(needle).count() >= count).then_some(()) },
        )
        .await;
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let addr = self.metrics_addr().await;
        let text = reqwest::get(format!("http://{addr}{path}"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    pub async fn metrics(&self) -> String {
        let addr = self.metrics_addr().await;
        reqwest::get(format!("http://{addr}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub fn signal(&self, signal: Signal) {
        kill(Pid::from_raw(self.pid as i32), signal).unwrap();
    }

    /// Waits for the process to exit.
    pub async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit within {timeout:?}; log:\n{}",
                self.name,
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Closes this process's RabbitMQ connections from the broker side.
    pub fn drop_broker_connections(&self) -> usize {
        let out = Command::new("rabbitmqctl")
            .args([
                "list_connections",
                "-q",
                "--no-table-headers",
                "pid",
                "client_properties",
            ])
            .output()
            .expect("running rabbitmqctl");
        let text = String::from_utf8_lossy(&out.stdout);
        let marker = format!("herald-{}", self.pid);
        let mut closed = 0;
        for line in text.lines().filter(|l| l.contains(&marker)) {
            let Some(pid) = line.split_whitespace().next() else {
                continue;
            };
            let status = Command::new("rabbitmqctl")
                .args(["close_connection", pid, "test: dropping the connection"])
                .status()
                .expect("running rabbitmqctl");
            if status.success() {
                closed += 1;
            }
        }
        closed
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
