//! Match hosting end to end (issue #8, `docs/matches.md`): the real API → the store and
//! RabbitMQ → `herald-worker` processes hosting matches. Capacity (`MAX_MATCHES`),
//! concurrent event appends from two API processes, failover after `kill -9`, a stale
//! host that cannot write after a takeover, the end by time, and one run on the
//! MongoDB test server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use herald_api::auth::ApiKeys;
use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::{ListFilter, PageRequest, StoreConfig};
use herald_core::{JobId, JobKind, JobStatus, Store};
use herald_testkit::binaries::workspace_binary;
use herald_testkit::services::rabbitmq_url;
use herald_testkit::sink::Sink;
use herald_testkit::wait::wait_for;
use nix::sys::signal::Signal;
use serde_json::{json, Value};
use support::{tenant, Harness, WorkerProcess, TENANT};

const KEY: &str = "match-test-key-0123456789";

/// An API client for one base URL.
#[derive(Clone)]
struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    fn new(base: String) -> Self {
        Self {
            base,
            client: reqwest::Client::new(),
        }
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn create_match(&self, players: Value, duration_sec: u32) -> JobId {
        let (status, body) = self
            .post(
                "/v1/matches",
                json!({"type": "scoreboard", "players": players, "durationSec": duration_sec}),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        body["id"].as_str().unwrap().parse().unwrap()
    }

    /// Appends an event; its seq.
    async fn event(&self, id: &JobId, event: Value) -> u64 {
        let (status, body) = self.post(&format!("/v1/matches/{id}/events"), event).await;
        assert_eq!(status, 202, "{body}");
        body["seq"].as_u64().unwrap()
    }

    async fn score(&self, id: &JobId, player: &str, points: i64) -> u64 {
        self.event(
            id,
            json!({"type": "score", "playerId": player, "points": points}),
        )
        .await
    }

    async fn end(&self, id: &JobId) -> u64 {
        self.event(id, json!({"type": "end"})).await
    }

    async fn get(&self, id: &JobId) -> Value {
        self.get_path(&format!("/v1/matches/{id}")).await
    }

    async fn get_path(&self, path: &str) -> Value {
        let text = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// Waits until the match is in `status`; its view.
    async fn wait_status(&self, id: &JobId, status: &str, timeout: Duration) -> Value {
        wait_for(timeout, &format!("match {id} to be {status}"), || async {
            let view = self.get(id).await;
            (view["status"] == status).then_some(view)
        })
        .await
    }

    /// Waits until the match is running and its host has started it (`startedAt` and
    /// `endsAt` are set by the host's first save, a moment after its claim made the
    /// match `running`); its view.
    async fn wait_started(&self, id: &JobId, timeout: Duration) -> Value {
        wait_for(timeout, &format!("match {id} to start"), || async {
            let view = self.get(id).await;
            (view["status"] == "running" && view["startedAt"].is_string()).then_some(view)
        })
        .await
    }
}

/// `n` players notified on the `log` channel.
fn log_players(n: usize) -> Value {
    (0..n)
        .map(|i| json!({"id": format!("p{i}"), "notify": {"channel": "log", "recipient": {"address": format!("p{i}")}}}))
        .collect()
}

/// `n` players notified by webhook at the sink.
fn webhook_players(n: usize, sink: &Sink) -> Value {
    (0..n)
        .map(|i| json!({"id": format!("p{i}"), "notify": {"channel": "webhook", "recipient": {"address": sink.url("/ok")}}}))
        .collect()
}

fn api_config(store: StoreConfig, group: &str, broker: bool) -> herald_api::config::Config {
    let mut config =
        herald_api::config::Config::new(store, ApiKeys::parse(&format!("{TENANT}:{KEY}")).unwrap());
    if broker {
        config.broker.url = Some(herald_core::config::Secret::new(rabbitmq_url()));
    }
    config.broker.consumer_group = group.to_owned();
    config.webhook_guard = herald_core::ssrf::TargetGuard::parse("127.0.0.0/8").unwrap();
    config
}

async fn start_api(h: &Harness) -> herald_api::Server {
    herald_api::Server::start(api_config(
        StoreConfig::Sqlite(SqliteConfig::new(&h.db)),
        &h.group,
        true,
    ))
    .await
    .unwrap()
}

/// Scores per player from the events the API accepted.
fn expected_scores(players: usize, accepted: &[(u64, String, i64)]) -> Value {
    let mut scores: BTreeMap<String, i64> = (0..players).map(|i| (format!("p{i}"), 0)).collect();
    for (_, player, points) in accepted {
        *scores.get_mut(player).unwrap() += points;
    }
    serde_json::to_value(scores).unwrap()
}

/// The pid inside a `hostname-pid-uuid` worker id.
fn pid_of(worker_id: &str) -> u32 {
    let mut parts = worker_id.rsplitn(3, '-');
    parts.next();
    parts.next().unwrap().parse().unwrap()
}

fn host_of(view: &Value) -> Option<u32> {
    view["hostedBy"].as_str().map(pid_of)
}

/// The result notification jobs of a match, by idempotency key.
async fn result_notifications(store: &Arc<dyn Store>, id: &JobId) -> HashMap<String, Vec<JobId>> {
    let prefix = format!("match:{id}:result:");
    let filter = ListFilter {
        kind: Some(JobKind::Notification),
        ..ListFilter::default()
    };
    let mut by_key: HashMap<String, Vec<JobId>> = HashMap::new();
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    loop {
        let listed = store.list(&tenant(), &filter, &page).await.unwrap();
        for job in listed.items {
            if let Some(key) = job.idempotency_key.filter(|k| k.starts_with(&prefix)) {
                by_key.entry(key).or_default().push(job.id);
            }
        }
        match listed.next_cursor {
            Some(cursor) => page = PageRequest::after(PageRequest::MAX_LIMIT, cursor),
            None => return by_key,
        }
    }
}

/// A metric's value summed over its series, from a worker's `/metrics`.
async fn metric(worker: &WorkerProcess, name: &str) -> f64 {
    let text = worker.metrics().await;
    text.lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter(|l| l[name.len()..].starts_with([' ', '{']))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Posts score events round-robin until `stop` is set; every accepted event is
/// recorded as (seq, player, points).
fn keep_scoring(
    api: Api,
    id: JobId,
    players: usize,
    accepted: Arc<Mutex<Vec<(u64, String, i64)>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut i = 0i64;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            let player = format!("p{}", i as usize % players);
            let points = i % 7 + 1;
            let seq = api.score(&id, &player, points).await;
            accepted.lock().unwrap().push((seq, player, points));
            i += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
}

/// One look at the store: running matches per host, and how many wait.
type Sample = (HashMap<String, usize>, usize);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seven_matches_on_two_workers_never_more_than_three_each_and_the_seventh_waits() {
    let h = Harness::new("m7").await;
    let server = start_api(&h).await;
    let api = Api::new(server.url());
    let spec = |w: &Harness| w.worker().env("MAX_MATCHES", "3");
    let a = spec(&h).spawn(h.dir.path(), "a");
    let b = spec(&h).spawn(h.dir.path(), "b");
    a.wait_consuming().await;
    b.wait_consuming().await;

    // Sample the store continuously: running matches per host, and how many wait.
    let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (store, samples, sampling) = (h.store.clone(), samples.clone(), sampling.clone());
        tokio::spawn(async move {
            let filter = ListFilter {
                kind: Some(JobKind::Match),
                ..ListFilter::default()
            };
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                let page = store
                    .list(&tenant(), &filter, &PageRequest::first(100))
                    .await
                    .unwrap();
                let mut per_host = HashMap::new();
                let mut waiting = 0;
                for job in page.items {
                    match job.status {
                        JobStatus::Running => {
                            *per_host
                                .entry(job.locked_by.unwrap().to_string())
                                .or_insert(0) += 1
                        }
                        JobStatus::Pending | JobStatus::Scheduled => waiting += 1,
                        _ => {}
                    }
                }
                samples.lock().unwrap().push((per_host, waiting));
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        })
    };

    let mut ids = Vec::new();
    for _ in 0..7 {
        ids.push(api.create_match(log_players(2), 600).await);
    }
    // Six hosted (three each), the seventh pending.
    let running = || async {
        let mut running = Vec::new();
        let mut pending = Vec::new();
        for id in &ids {
            let view = api.get(id).await;
            match view["status"].as_str().unwrap() {
                "running" if view["startedAt"].is_string() => running.push(id.clone()),
                "pending" => pending.push(id.clone()),
                _ => {}
            }
        }
        (running, pending)
    };
    let (hosted, waiting) = wait_for(Duration::from_secs(30), "six matches hosted", || async {
        let (r, p) = running().await;
        (r.len() == 6 && p.len() == 1).then_some((r, p))
    })
    .await;
    for w in [&a, &b] {
        let stats = w.get_json("/stats").await;
        assert_eq!(stats["activeMatches"], 3, "{stats}");
        assert_eq!(stats["matchCapacity"], 3, "{stats}");
    }
    // The registry-derived gauge sees all six (heartbeats every second).
    wait_for(
        Duration::from_secs(10),
        "matchserver_active_matches_total to be 6",
        || async { (metric(&a, "matchserver_active_matches_total").await == 6.0).then_some(()) },
    )
    .await;
    assert_eq!(metric(&a, "matchserver_active_workers").await, 2.0);
    let registry = api.get_path("/v1/workers").await;
    assert_eq!(registry["totalMatches"], 6, "{registry}");
    for w in registry["workers"].as_array().unwrap() {
        assert_eq!(
            (&w["activeMatches"], &w["matchCapacity"]),
            (&json!(3), &json!(3)),
            "{w}"
        );
    }
    // The seventh stays pending over several poll intervals while both are full.
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(api.get(&waiting[0]).await["status"], "pending");
    }

    // One ends: its slot frees and the seventh is hosted.
    api.end(&hosted[0]).await;
    api.wait_status(&hosted[0], "succeeded", Duration::from_secs(20))
        .await;
    let seventh = wait_for(
        Duration::from_secs(20),
        "the seventh to be hosted",
        || async {
            let view = api.get(&waiting[0]).await;
            (view["status"] == "running" && view["startedAt"].is_string()).then_some(view)
        },
    )
    .await;
    assert!(seventh["hostedBy"].is_string());

    for id in &ids[..] {
        if id != &hosted[0] {
            api.end(id).await;
        }
    }
    for id in &ids {
        api.wait_status(id, "succeeded", Duration::from_secs(30))
            .await;
    }
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    sampler.await.unwrap();

    let samples = samples.lock().unwrap().clone();
    let max = samples
        .iter()
        .flat_map(|(per_host, _)| per_host.values().copied())
        .max()
        .unwrap_or(0);
    assert_eq!(max, 3, "a worker hosted {max} matches at once");
    assert!(
        samples
            .iter()
            .any(|(per_host, waiting)| per_host.values().sum::<usize>() == 6 && *waiting == 1),
        "never saw six hosted with the seventh waiting"
    );
    for w in [&a, &b] {
        wait_for(Duration::from_secs(10), "hosts to be idle", || async {
            (w.get_json("/stats").await["activeMatches"] == 0).then_some(())
        })
        .await;
    }
    h.cleanup().await;
}

/// A `herald-api` process; killed on drop.
struct ApiProcess(Child);

impl Drop for ApiProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn spawn_api(bin: &PathBuf, h: &Harness, name: &str) -> (ApiProcess, Api) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::fs::File::create(h.dir.path().join(format!("{name}.log"))).unwrap();
    let child = Command::new(bin)
        .env_clear()
        .env("API_KEYS", format!("{TENANT}:{KEY}"))
        .env("SQLITE_PATH", &h.db)
        .env("PORT", port.to_string())
        .env("RABBITMQ_URL", rabbitmq_url())
        .env("RABBITMQ_CONSUMER_GROUP", &h.group)
        .env("RATE_LIMIT_PER_SEC", "100000")
        .env("RATE_LIMIT_BURST", "100000")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let api = Api::new(format!("http://127.0.0.1:{port}"));
    let probe = api.clone();
    wait_for(Duration::from_secs(30), "herald-api to answer", || async {
        probe
            .client
            .get(format!("{}/health", probe.base))
            .send()
            .await
            .ok()
            .filter(|r| r.status().is_success())
            .map(|_| ())
    })
    .await;
    (ApiProcess(child), api)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_events_from_two_api_processes_sum_up_with_gap_free_seqs() {
    let h = Harness::new("m500").await;
    let bin = workspace_binary("herald-api");
    let (_p1, api1) = spawn_api(&bin, &h, "api1").await;
    let (_p2, api2) = spawn_api(&bin, &h, "api2").await;
    let worker = h.worker().spawn(h.dir.path(), "w");
    worker.wait_consuming().await;

    let players = 4;
    let id = api1.create_match(log_players(players), 600).await;
    api1.wait_status(&id, "running", Duration::from_secs(20))
        .await;

    // 500 score events, 250 through each API process, 16 in flight at a time each.
    let mut tasks = Vec::new();
    for (n, api) in [api1.clone(), api2.clone()].into_iter().enumerate() {
        for lane in 0..16 {
            let (api, id) = (api.clone(), id.clone());
            tasks.push(tokio::spawn(async move {
                let mut accepted = Vec::new();
                let mut i = lane;
                while i < 250 {
                    let player = format!("p{}", (i + n) % players);
                    let points = (i % 9 + 1) as i64;
                    let seq = api.score(&id, &player, points).await;
                    accepted.push((seq, player, points));
                    i += 16;
                }
                accepted
            }));
        }
    }
    let mut accepted = Vec::new();
    for t in tasks {
        accepted.extend(t.await.unwrap());
    }
    assert_eq!(accepted.len(), 500);
    let mut seqs: Vec<u64> = accepted.iter().map(|(s, _, _)| *s).collect();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=500).collect::<Vec<_>>(),
        "seqs are 1..=500, no gap, no repeat"
    );

    let end_seq = api2.end(&id).await;
    assert_eq!(end_seq, 501);
    let view = api1
        .wait_status(&id, "succeeded", Duration::from_secs(30))
        .await;
    assert_eq!(view["state"]["scores"], expected_scores(players, &accepted));
    assert_eq!(view["appliedSeq"], 501);
    assert_eq!(view["result"]["endedBy"], "end");
    assert!(metric(&worker, "herald_match_event_apply_seconds_count").await >= 500.0);
    h.cleanup().await;
}

/// Two failover-ready workers: short leases, quick polls.
fn failover_worker(h: &Harness, name: &str) -> WorkerProcess {
    h.worker()
        .env("LOCK_DURATION_MS", "2000")
        .env("POLL_INTERVAL_MS", "300")
        .spawn(h.dir.path(), name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_host_mid_match_another_resumes_every_event_once_one_result_each() {
    let h = Harness::new("mkill").await;
    let sink = Sink::start().await;
    let server = start_api(&h).await;
    let api = Api::new(server.url());
    let mut workers = vec![failover_worker(&h, "a"), failover_worker(&h, "b")];
    for w in &workers {
        w.wait_consuming().await;
    }

    let players = 3;
    let id = api.create_match(webhook_players(players, &sink), 600).await;
    let view = api
        .wait_status(&id, "running", Duration::from_secs(20))
        .await;
    let first_host = host_of(&view).unwrap();

    let accepted = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let scoring = keep_scoring(
        api.clone(),
        id.clone(),
        players,
        accepted.clone(),
        stop.clone(),
    );
    wait_for(
        Duration::from_secs(20),
        "events applied mid-match",
        || async { (api.get(&id).await["appliedSeq"].as_u64() >= Some(30)).then_some(()) },
    )
    .await;

    let victim = workers.iter().position(|w| w.pid == first_host).unwrap();
    workers[victim].signal(Signal::SIGKILL);
    let _ = workers[victim].wait_exit(Duration::from_secs(10)).await;
    let survivor = workers.remove(1 - victim);

    // Events keep arriving; the survivor takes over after the lease expires.
    let view = wait_for(
        Duration::from_secs(20),
        "the survivor to host the match",
        || async {
            let view = api.get(&id).await;
            (host_of(&view) == Some(survivor.pid) && view["status"] == "running").then_some(view)
        },
    )
    .await;
    assert!(view["attempts"].as_u64() >= Some(2), "{view}");
    let resumed_at = accepted.lock().unwrap().len() as u64;
    wait_for(
        Duration::from_secs(20),
        "the survivor to apply new events",
        || async {
            (api.get(&id).await["appliedSeq"].as_u64() > Some(resumed_at + 20)).then_some(())
        },
    )
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    scoring.await.unwrap();
    let end_seq = api.end(&id).await;

    let view = api
        .wait_status(&id, "succeeded", Duration::from_secs(30))
        .await;
    let accepted = accepted.lock().unwrap().clone();
    let mut seqs: Vec<u64> = accepted.iter().map(|(s, _, _)| *s).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..end_seq).collect::<Vec<_>>(), "gap-free seqs");
    assert_eq!(view["appliedSeq"], end_seq);
    assert_eq!(
        view["state"]["scores"],
        expected_scores(players, &accepted),
        "final state = every event applied exactly once"
    );
    assert!(metric(&survivor, "herald_matches_total{event=\"resumed\"}").await >= 1.0);

    // One result notification per player, each delivered once.
    let notes = result_notifications(&h.store, &id).await;
    assert_eq!(notes.len(), players, "{notes:?}");
    assert!(notes.values().all(|ids| ids.len() == 1), "{notes:?}");
    let note_ids: Vec<JobId> = notes.values().flatten().cloned().collect();
    let jobs = h.wait_final(&note_ids, Duration::from_secs(30)).await;
    assert!(jobs.iter().all(|j| j.status == JobStatus::Succeeded));
    wait_for(Duration::from_secs(10), "three deliveries", || async {
        (sink.received().len() >= players).then_some(())
    })
    .await;
    let counts = sink.counts();
    assert_eq!(sink.received().len(), players, "{counts:?}");
    for note in &note_ids {
        assert_eq!(counts.get(note.as_str()), Some(&1));
    }
    h.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_host_past_its_lease_cannot_write_after_the_takeover() {
    let h = Harness::new("mstale").await;
    let server = start_api(&h).await;
    let api = Api::new(server.url());
    let workers = [failover_worker(&h, "a"), failover_worker(&h, "b")];
    for w in &workers {
        w.wait_consuming().await;
    }
    let players = 2;
    let id = api.create_match(log_players(players), 600).await;
    let view = api
        .wait_status(&id, "running", Duration::from_secs(20))
        .await;
    let stale_pid = host_of(&view).unwrap();
    let stale = workers.iter().find(|w| w.pid == stale_pid).unwrap();
    let other = workers.iter().find(|w| w.pid != stale_pid).unwrap();

    let mut accepted = Vec::new();
    for i in 0..10 {
        let player = format!("p{}", i % players);
        accepted.push((api.score(&id, &player, 1).await, player, 1));
    }
    wait_for(
        Duration::from_secs(10),
        "the first host to apply",
        || async { (api.get(&id).await["appliedSeq"] == 10).then_some(()) },
    )
    .await;

    stale.signal(Signal::SIGSTOP);
    // Events keep coming while it sleeps; the other worker takes over after expiry.
    for i in 0..10 {
        let player = format!("p{}", i % players);
        accepted.push((api.score(&id, &player, 2).await, player, 2));
    }
    wait_for(Duration::from_secs(20), "the takeover", || async {
        let view = api.get(&id).await;
        (host_of(&view) == Some(other.pid) && view["appliedSeq"] == 20).then_some(())
    })
    .await;

    // Watch the stored match while the stale host wakes and events keep coming.
    let before = api.get(&id).await;
    stale.signal(Signal::SIGCONT);
    let mut versions = vec![before["stateVersion"].as_u64().unwrap()];
    for i in 0..10 {
        let player = format!("p{}", i % players);
        accepted.push((api.score(&id, &player, 3).await, player, 3));
        let view = api.get(&id).await;
        assert_eq!(
            host_of(&view),
            Some(other.pid),
            "the new host keeps the match"
        );
        versions.push(view["stateVersion"].as_u64().unwrap());
    }
    wait_for(
        Duration::from_secs(20),
        "the stale host to see its lease lost",
        || async { (metric(stale, "herald_lease_lost_total").await >= 1.0).then_some(()) },
    )
    .await;
    assert_eq!(stale.get_json("/stats").await["activeMatches"], 0);
    assert!(
        versions.windows(2).all(|w| w[0] <= w[1]),
        "stateVersion went back: {versions:?}"
    );

    let end_seq = api.end(&id).await;
    let view = api
        .wait_status(&id, "succeeded", Duration::from_secs(30))
        .await;
    assert_eq!(view["appliedSeq"], end_seq);
    assert_eq!(view["state"]["scores"], expected_scores(players, &accepted));
    let notes = result_notifications(&h.store, &id).await;
    assert_eq!(notes.len(), players);
    assert!(notes.values().all(|ids| ids.len() == 1));
    h.cleanup().await;
}

/// The API and one worker in this process on a fresh SQLite file, without a broker
/// (embedded mode: the API only stores, the worker's polls find matches and events).
struct Embedded {
    _dir: tempfile::TempDir,
    /// The store itself (not what the worker was given).
    store: Arc<dyn Store>,
    server: herald_api::Server,
    api: Api,
    worker: herald_worker::Worker,
}

impl Embedded {
    /// The worker talks to `wrap(store)`.
    async fn start(group: &str, wrap: impl FnOnce(Arc<dyn Store>) -> Arc<dyn Store>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store_config = StoreConfig::Sqlite(SqliteConfig::new(dir.path().join("herald.db")));
        let server = herald_api::Server::start(api_config(store_config.clone(), group, false))
            .await
            .unwrap();
        let api = Api::new(server.url());
        let store = herald_core::store::open(&store_config, herald_core::clock::system())
            .await
            .unwrap();
        let worker = herald_worker::Worker::builder(herald_worker::Config::embedded(store_config))
            .store(wrap(store.clone()))
            .start()
            .await
            .unwrap();
        Self {
            _dir: dir,
            store,
            server,
            api,
            worker,
        }
    }

    /// Waits until every match slot is free again: hosting has returned, so its
    /// counters are final.
    async fn wait_idle(&self) {
        wait_for(
            Duration::from_secs(5),
            "the match slots to be free",
            || async { (self.worker.matches().free_slots() == 3).then_some(()) },
        )
        .await;
    }

    async fn stop(self) {
        self.worker.shutdown().await.unwrap();
        self.server.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_match_ends_at_ends_at_in_embedded_mode() {
    let e = Embedded::start("embedded", |store| store).await;
    let (api, worker) = (&e.api, &e.worker);

    let players = 3;
    let id = api.create_match(log_players(players), 2).await;
    let view = api.wait_started(&id, Duration::from_secs(10)).await;
    assert!(view["endsAt"].is_string(), "{view}");
    let mut accepted = Vec::new();
    for i in 0..6i64 {
        let player = format!("p{}", i % players as i64);
        accepted.push((api.score(&id, &player, i + 1).await, player, i + 1));
    }
    let view = api
        .wait_status(&id, "succeeded", Duration::from_secs(15))
        .await;
    assert_eq!(view["result"]["endedBy"], "time", "{view}");
    assert_eq!(view["state"]["scores"], expected_scores(players, &accepted));
    assert_eq!(view["appliedSeq"], 6);
    let started =
        chrono::DateTime::parse_from_rfc3339(view["startedAt"].as_str().unwrap()).unwrap();
    let ends = chrono::DateTime::parse_from_rfc3339(view["endsAt"].as_str().unwrap()).unwrap();
    assert_eq!((ends - started).num_seconds(), 2);
    e.wait_idle().await;

    let notes = result_notifications(&e.store, &id).await;
    assert_eq!(notes.len(), players);
    let m = &worker.context().metrics;
    assert_eq!(m.matches.with_label_values(&["started"]).get(), 1);
    assert_eq!(m.matches.with_label_values(&["finished"]).get(), 1);
    assert_eq!(m.match_event_apply_seconds.get_sample_count(), 6);
    e.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_match_is_hosted_and_ended_on_the_mongodb_store() {
    let h = Harness::mongo("match").await;
    let env: HashMap<String, String> = h.store_env.iter().cloned().collect();
    let mut mongo = herald_core::store::mongo::MongoConfig::new(&env["MONGODB_URI"]);
    mongo.database = env["MONGODB_DATABASE"].clone();
    let server = herald_api::Server::start(api_config(StoreConfig::Mongo(mongo), &h.group, true))
        .await
        .unwrap();
    let api = Api::new(server.url());
    let worker = h.worker().spawn(h.dir.path(), "w");
    worker.wait_consuming().await;

    let players = 2;
    let id = api.create_match(log_players(players), 600).await;
    api.wait_status(&id, "running", Duration::from_secs(60))
        .await;
    let mut accepted = Vec::new();
    for (player, points) in [("p0", 3), ("p1", 5), ("p0", 4)] {
        accepted.push((
            api.score(&id, player, points).await,
            player.to_owned(),
            points,
        ));
    }
    let end_seq = api.end(&id).await;
    assert_eq!(end_seq, 4);
    let view = api
        .wait_status(&id, "succeeded", Duration::from_secs(60))
        .await;
    assert_eq!(view["state"]["scores"], expected_scores(players, &accepted));
    assert_eq!(view["appliedSeq"], 4);
    assert_eq!(view["result"]["standings"][0]["playerId"], "p0");
    let notes = result_notifications(&h.store, &id).await;
    assert_eq!(notes.len(), players, "{notes:?}");
    assert!(notes.values().all(|ids| ids.len() == 1));
    h.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_releases_the_match_to_another_worker_at_once() {
    let h = Harness::new("mterm").await;
    let server = start_api(&h).await;
    let api = Api::new(server.url());
    // A long lease: a takeover within it can only come from the release.
    let spec = h
        .worker()
        .env("LOCK_DURATION_MS", "60000")
        .env("POLL_INTERVAL_MS", "300");
    let mut workers = vec![spec.spawn(h.dir.path(), "a"), spec.spawn(h.dir.path(), "b")];
    for w in &workers {
        w.wait_consuming().await;
    }
    let players = 2;
    let id = api.create_match(log_players(players), 600).await;
    let view = api
        .wait_status(&id, "running", Duration::from_secs(20))
        .await;
    let attempts = view["attempts"].as_u64().unwrap();
    let mut accepted = Vec::new();
    for i in 0..5 {
        let player = format!("p{}", i % players);
        accepted.push((api.score(&id, &player, 2).await, player, 2));
    }
    wait_for(Duration::from_secs(10), "events applied", || async {
        (api.get(&id).await["appliedSeq"] == 5).then_some(())
    })
    .await;

    let host = workers
        .iter()
        .position(|w| Some(w.pid) == host_of(&view))
        .unwrap();
    workers[host].signal(Signal::SIGTERM);
    let status = workers[host].wait_exit(Duration::from_secs(20)).await;
    assert!(status.success(), "{status}");
    assert!(workers[host]
        .log_text()
        .contains("released the match at shutdown"));
    let other = workers.remove(1 - host);
    let taken = wait_for(
        Duration::from_secs(10),
        "the other worker to host it",
        || async {
            let view = api.get(&id).await;
            (host_of(&view) == Some(other.pid)).then_some(view)
        },
    )
    .await;
    assert_eq!(
        taken["attempts"].as_u64(),
        Some(attempts),
        "a release spends no attempt"
    );
    assert_eq!(taken["appliedSeq"], 5, "resumed from the saved state");
    let end_seq = api.end(&id).await;
    let view = api
        .wait_status(&id, "succeeded", Duration::from_secs(20))
        .await;
    assert_eq!(view["appliedSeq"], end_seq);
    assert_eq!(view["state"]["scores"], expected_scores(players, &accepted));
    h.cleanup().await;
}

/// A message on the match queue that is not a job message is rejected to the
/// dead-letter queue once — not requeued into a loop, not dropped — and the consumer
/// carries on with its channel (no reconnect): the next match is hosted as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_match_message_is_dead_lettered_once_and_the_consumer_carries_on() {
    use futures::StreamExt;
    use lapin::options::{BasicConsumeOptions, BasicPublishOptions};
    use lapin::types::FieldTable;
    use lapin::BasicProperties;

    let h = Harness::new("mbad").await;
    let server = start_api(&h).await;
    let api = Api::new(server.url());
    let worker = h.worker().spawn(h.dir.path(), "w");
    worker.wait_consuming().await;

    let topology = herald_core::dispatch::Topology::new(&h.group);
    let connection = herald_core::dispatch::connect(&rabbitmq_url())
        .await
        .unwrap();
    let channel = connection.create_channel().await.unwrap();
    let garbage = b"{\"this is\": \"not a job message\"}".to_vec();
    channel
        .basic_publish(
            topology.exchange().as_str().into(),
            topology
                .queue(JobKind::Match, herald_core::Priority::Normal)
                .as_str()
                .into(),
            BasicPublishOptions {
                mandatory: true,
                ..BasicPublishOptions::default()
            },
            &garbage,
            BasicProperties::default().with_delivery_mode(2),
        )
        .await
        .unwrap()
        .await
        .unwrap();

    // It arrives on the dead-letter queue, as sent.
    let mut dead = channel
        .basic_consume(
            topology.dead_letter_queue().as_str().into(),
            "test-dead".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let delivery = tokio::time::timeout(Duration::from_secs(20), dead.next())
        .await
        .expect("the message to be dead-lettered within 20 s")
        .unwrap()
        .unwrap();
    assert_eq!(delivery.data, garbage);
    worker.wait_log_count("undecodable match message", 1).await;

    // The consumer kept its channel: the next match is hosted and ended as usual.
    let id = api.create_match(log_players(2), 600).await;
    api.wait_started(&id, Duration::from_secs(20)).await;
    api.score(&id, "p0", 3).await;
    api.end(&id).await;
    let view = api
        .wait_status(&id, "succeeded", Duration::from_secs(20))
        .await;
    assert_eq!(view["state"]["scores"]["p0"], 3, "{view}");
    let log = worker.log_text();
    assert!(
        !log.lines()
            .any(|l| l.contains("RabbitMQ unavailable; reconnecting")
                && l.contains("session=\"matches\"")),
        "the match consumer lost its channel:\n{log}"
    );
    assert_eq!(log.matches("undecodable match message").count(), 1);
    let _ = connection.close(200, "test done".into()).await;
    h.cleanup().await;
}

/// The host rides out a store outage shorter than its lease: a save that fails as
/// unavailable (here, SQLite's write lock held by another process past the worker's
/// busy timeout) is retried, and the match goes on with the same lease — no failover,
/// no event lost or applied twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_retries_its_save_through_a_store_outage_and_keeps_its_lease() {
    let h = Harness::new("mdown").await;
    let server = start_api(&h).await;
    let api = Api::new(server.url());
    let worker = h
        .worker()
        .env("SQLITE_BUSY_TIMEOUT_MS", "100")
        .env("LOCK_DURATION_MS", "30000")
        .spawn(h.dir.path(), "w");
    worker.wait_consuming().await;

    let players = 2;
    let id = api.create_match(log_players(players), 600).await;
    let started = api.wait_started(&id, Duration::from_secs(20)).await;
    let mut accepted = Vec::new();
    for i in 0..3i64 {
        let player = format!("p{}", i % 2);
        accepted.push((api.score(&id, &player, i + 1).await, player, i + 1));
    }
    wait_for(Duration::from_secs(10), "3 events applied", || async {
        (api.get(&id).await["appliedSeq"] == 3).then_some(())
    })
    .await;

    // Freeze the worker — at a moment it holds no write lock (it could be stopped in
    // the middle of a write: thaw and freeze again) —, append two events, take SQLite's
    // write lock, thaw the worker: its host reads the events (WAL readers are not
    // blocked) and cannot save them.
    let mut locker = rusqlite::Connection::open(&h.db).unwrap();
    locker.busy_timeout(Duration::from_millis(500)).unwrap();
    let mut frozen = false;
    for _ in 0..10 {
        worker.signal(Signal::SIGSTOP);
        let probe = locker.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate);
        if let Ok(probe) = probe {
            probe.rollback().unwrap();
            frozen = true;
            break;
        }
        worker.signal(Signal::SIGCONT);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        frozen,
        "the worker held SQLite's write lock at every freeze"
    );
    for i in 3..5i64 {
        let player = format!("p{}", i % 2);
        accepted.push((api.score(&id, &player, i + 1).await, player, i + 1));
    }
    let lock = locker
        .transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)
        .unwrap();
    worker.signal(Signal::SIGCONT);
    let retries = "store unavailable; retrying the match host's call";
    worker.wait_log_count(retries, 2).await;
    assert_eq!(
        api.get(&id).await["appliedSeq"],
        3,
        "nothing saved under the lock"
    );
    lock.rollback().unwrap();

    wait_for(Duration::from_secs(10), "5 events applied", || async {
        (api.get(&id).await["appliedSeq"] == 5).then_some(())
    })
    .await;
    api.end(&id).await;
    let view = api
        .wait_status(&id, "succeeded", Duration::from_secs(20))
        .await;
    assert_eq!(view["state"]["scores"], expected_scores(players, &accepted));
    assert_eq!(view["appliedSeq"], 6);
    assert_eq!(
        view["attempts"], started["attempts"],
        "hosted once: no failover"
    );
    let log = worker.log_text();
    assert!(!log.contains("lease lost"), "{log}");
    assert!(!log.contains("resuming match"), "{log}");
    let notes = result_notifications(&h.store, &id).await;
    assert_eq!(notes.len(), players);
    assert!(notes.values().all(|ids| ids.len() == 1));
    h.cleanup().await;
}

/// The finish commits but its answer is lost (an injected `Unavailable` after the real
/// write): the host's retry is refused as a lost lease, and the host recognises its own
/// committed end instead of reporting a lost lease. Each player's result notification
/// is delivered once, from the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finish_whose_answer_is_lost_counts_as_finished_and_notifies_once() {
    let mut lossy = None;
    let e = Embedded::start("lost", |real| {
        let store = support::faults::LostAnswers::new(real);
        store.lose("finish_match", 1);
        lossy = Some(store.clone());
        store
    })
    .await;
    let store = lossy.unwrap();
    let (api, real) = (&e.api, &e.store);

    let players = 2;
    let id = api.create_match(log_players(players), 600).await;
    api.wait_started(&id, Duration::from_secs(10)).await;
    api.score(&id, "p1", 4).await;
    api.end(&id).await;
    let view = api
        .wait_status(&id, "succeeded", Duration::from_secs(15))
        .await;
    assert_eq!(view["result"]["endedBy"], "end", "{view}");
    e.wait_idle().await;
    assert_eq!(
        store.calls("finish_match"),
        2,
        "the lost answer was retried"
    );
    let m = &e.worker.context().metrics;
    assert_eq!(m.matches.with_label_values(&["finished"]).get(), 1);
    assert_eq!(m.matches.with_label_values(&["lease_lost"]).get(), 0);
    assert_eq!(m.lease_lost.get(), 0);

    // The notifications the first try stored are delivered by the poller, once each.
    let notes = result_notifications(real, &id).await;
    assert_eq!(notes.len(), players);
    for ids in notes.values() {
        assert_eq!(ids.len(), 1);
        let job = wait_for(
            Duration::from_secs(15),
            "a result notification delivered",
            || async {
                let job = real.get(&tenant(), &ids[0]).await.ok()?;
                (job.status == JobStatus::Succeeded).then_some(job)
            },
        )
        .await;
        assert_eq!(job.attempts, 1);
    }
    e.stop().await;
}
