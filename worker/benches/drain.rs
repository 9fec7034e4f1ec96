//! Worker benchmark (not a timed test): drain rate of a backlog of `log` jobs with 1 and
//! 2 worker processes on SQLite + RabbitMQ, and enqueue→completed latency at 12 jobs/s
//! and at half the measured 1-worker drain rate.
//!
//!     cargo bench -p herald-worker --bench drain
//!     cargo bench -p herald-worker --bench drain -- --jobs 50000 --workers 1,2 --latency-secs 20
//!     cargo bench -p herald-worker --bench drain -- --jobs 20000 --latency-secs 0   # drains only
//!
//! Each drain also prints a machine-readable line, `herald_drain workers=N jobs_per_s=R`,
//! which `bench/drain.sh` (the comparison with BullMQ) reads, and
//! `herald_drain_resources ...`: each worker's peak memory (VmHWM, and the highest VmRSS
//! sampled while draining), the CPU seconds of the workers and of RabbitMQ, and how busy
//! the machine's cores were over the drain (from `/proc`).
//!
//! Needs RabbitMQ (`HERALD_TEST_RABBITMQ_URL`, else amqp://guest:guest@127.0.0.1:5672/%2f).
//! "Enqueue" is what the API does per request: insert into the store, then publish
//! with confirms; enqueue→completed is `completedAt - createdAt` from the store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use herald_core::dispatch::{self, Dispatch, JobMessage, RabbitDispatch, Topology};
use herald_core::notification::NotificationRequest;
use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::StoreConfig;
use herald_core::{JobId, JobStatus, NewJob, Store, TenantId};

struct Args {
    jobs: usize,
    workers: Vec<usize>,
    latency_secs: u64,
    extra_env: Vec<(String, String)>,
}

fn args() -> Args {
    let mut a = Args {
        jobs: 50_000,
        workers: vec![1, 2],
        latency_secs: 20,
        extra_env: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--jobs" => a.jobs = it.next().and_then(|v| v.parse().ok()).unwrap_or(a.jobs),
            "--workers" => {
                a.workers = it
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|v| v.parse().ok())
                    .collect()
            }
            "--latency-secs" => {
                a.latency_secs = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(a.latency_secs)
            }
            "--env" => {
                if let Some((k, v)) = it.next().unwrap_or_default().split_once('=') {
                    a.extra_env.push((k.to_owned(), v.to_owned()));
                }
            }
            _ => {} // `cargo bench` adds --bench
        }
    }
    a
}

fn rabbitmq_url() -> String {
    std::env::var("HERALD_TEST_RABBITMQ_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

fn job(tenant: &TenantId, i: usize) -> NewJob {
    let request: NotificationRequest = serde_json::from_value(serde_json::json!({
        "channel": "log",
        "recipient": {"address": format!("user-{i}")},
        "body": "benchmark",
    }))
    .unwrap();
    request
        .validate(chrono::Utc::now())
        .unwrap()
        .to_new_job(tenant.clone())
        .unwrap()
}

struct World {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    store: Arc<dyn Store>,
    group: String,
    publisher: Arc<RabbitDispatch>,
    tenant: TenantId,
}

impl World {
    async fn new(name: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("bench.db");
        let store = herald_core::store::open(
            &StoreConfig::Sqlite(SqliteConfig::new(&db)),
            herald_core::clock::system(),
        )
        .await
        .unwrap();
        let group = format!(
            "bench-{name}-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let publisher = Arc::new(
            RabbitDispatch::connect(&rabbitmq_url(), Topology::new(&group))
                .await
                .expect("RabbitMQ"),
        );
        Self {
            _dir: dir,
            db,
            store,
            group,
            publisher,
            tenant: TenantId::parse("bench").unwrap(),
        }
    }

    /// Inserts then publishes `n` jobs; also returns how long that took (ms), which is
    /// part of every job's enqueue→completed time.
    async fn enqueue(&self, from: usize, n: usize) -> (Vec<JobId>, f64) {
        let started = Instant::now();
        let jobs: Vec<NewJob> = (from..from + n).map(|i| job(&self.tenant, i)).collect();
        let inserted = self.store.insert_many(jobs).await.unwrap();
        let msgs: Vec<JobMessage> = inserted
            .iter()
            .map(|i| JobMessage::for_job(i.job()))
            .collect();
        self.publisher.publish(&msgs).await.unwrap();
        let took = started.elapsed().as_secs_f64() * 1e3;
        (
            inserted.into_iter().map(|i| i.into_job().id).collect(),
            took,
        )
    }

    fn spawn(&self, extra: &[(String, String)]) -> Child {
        Command::new(env!("CARGO_BIN_EXE_herald-worker"))
            .env_remove("MONGODB_URI")
            .env("SQLITE_PATH", &self.db)
            .env("RABBITMQ_URL", rabbitmq_url())
            .env("RABBITMQ_CONSUMER_GROUP", &self.group)
            .env("METRICS_PORT", "0")
            .env("METRICS_HOST", "127.0.0.1")
            .env("RUST_LOG", "warn")
            .envs(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn herald-worker")
    }

    async fn succeeded(&self) -> u64 {
        self.store.counts().await.unwrap().get(JobStatus::Succeeded)
    }

    async fn wait_succeeded(&self, n: u64, timeout: Duration) {
        self.wait_succeeded_sampling(n, timeout, &[]).await;
    }

    /// [`Self::wait_succeeded`], sampling the resident memory of `pids` at each check;
    /// returns the highest VmRSS seen per process (kB).
    async fn wait_succeeded_sampling(&self, n: u64, timeout: Duration, pids: &[u32]) -> Vec<u64> {
        let deadline = Instant::now() + timeout;
        let mut peak = vec![0u64; pids.len()];
        while self.succeeded().await < n {
            for (max, pid) in peak.iter_mut().zip(pids) {
                *max = (*max).max(proc_status_kb(*pid, "VmRSS:").unwrap_or(0));
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} succeeded",
                self.succeeded().await
            );
            // Coarse: a `counts()` scan competes with the workers for the 2 cores.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        peak
    }

    async fn latencies(&self, ids: &[JobId]) -> Vec<f64> {
        let mut ms = Vec::with_capacity(ids.len());
        for id in ids {
            let j = self.store.get(&self.tenant, id).await.unwrap();
            if let Some(done) = j.completed_at {
                ms.push((done - j.created_at).num_microseconds().unwrap_or(0) as f64 / 1000.0);
            }
        }
        ms.sort_by(|a, b| a.total_cmp(b));
        ms
    }

    async fn cleanup(&self) {
        if let Ok(conn) = dispatch::connect(&rabbitmq_url()).await {
            if let Ok(ch) = conn.create_channel().await {
                let _ = dispatch::delete(&ch, &Topology::new(&self.group)).await;
            }
        }
    }
}

fn stop(children: Vec<Child>) {
    for c in &children {
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
    }
    for mut c in children {
        let _ = c.wait();
    }
}

/// A `kB` field of `/proc/<pid>/status` (`VmRSS:`, `VmHWM:`).
fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

/// CPU seconds (user + system) a process has used, from `/proc/<pid>/stat` (in clock
/// ticks of USER_HZ, 100 on Linux).
fn proc_cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after it start past its ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// The RabbitMQ node's process (`beam.smp`) on this host, if it runs here.
fn rabbitmq_pid() -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.find_map(|entry| {
        let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        (comm.trim() == "beam.smp").then_some(pid)
    })
}

/// Busy and total jiffies of the whole machine, from the first line of `/proc/stat`.
fn machine_jiffies() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let values: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: u64 = values.iter().take(8).sum();
    // idle and iowait
    let idle = values.get(3)? + values.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// What the drain cost: CPU of the workers, of RabbitMQ and of this process, and how
/// busy the machine's cores were, between [`Usage::start`] and [`Usage::report`].
struct Usage {
    rabbit: Option<u32>,
    rabbit_cpu: f64,
    own_cpu: f64,
    machine: Option<(u64, u64)>,
}

impl Usage {
    fn start() -> Self {
        let rabbit = rabbitmq_pid();
        Self {
            rabbit,
            rabbit_cpu: rabbit.and_then(proc_cpu_secs).unwrap_or(0.0),
            own_cpu: proc_cpu_secs(std::process::id()).unwrap_or(0.0),
            machine: machine_jiffies(),
        }
    }

    /// Prints the figures, with each worker's peak memory (VmHWM) and the highest VmRSS
    /// sampled while draining; call before the workers stop.
    fn report(&self, workers: usize, children: &[Child], rss_peaks: &[u64]) {
        let pids: Vec<u32> = children.iter().map(Child::id).collect();
        let hwm: Vec<u64> = pids
            .iter()
            .map(|&p| proc_status_kb(p, "VmHWM:").unwrap_or(0))
            .collect();
        let worker_cpu: f64 = pids.iter().filter_map(|&p| proc_cpu_secs(p)).sum();
        let rabbit_cpu = self
            .rabbit
            .and_then(proc_cpu_secs)
            .map_or(f64::NAN, |c| c - self.rabbit_cpu);
        let own_cpu = proc_cpu_secs(std::process::id()).unwrap_or(0.0) - self.own_cpu;
        let busy = match (self.machine, machine_jiffies()) {
            (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => {
                100.0 * (b1 - b0) as f64 / (t1 - t0) as f64
            }
            _ => f64::NAN,
        };
        let mb = |kb: u64| kb as f64 / 1024.0;
        let max_hwm = hwm.iter().copied().max().unwrap_or(0);
        let max_rss = rss_peaks.iter().copied().max().unwrap_or(0);
        println!(
            "  memory per worker process: VmHWM {} MB; highest VmRSS sampled while draining {} MB",
            hwm.iter()
                .map(|&k| format!("{:.1}", mb(k)))
                .collect::<Vec<_>>()
                .join(" / "),
            rss_peaks
                .iter()
                .map(|&k| format!("{:.1}", mb(k)))
                .collect::<Vec<_>>()
                .join(" / "),
        );
        println!(
            "  cpu: workers {worker_cpu:.2} s (all {workers}), RabbitMQ {rabbit_cpu:.2} s, this bench (store reads) {own_cpu:.2} s; machine busy {busy:.0}% of all cores"
        );
        println!(
            "herald_drain_resources workers={workers} worker_hwm_mb={:.1} worker_rss_mb={:.1} worker_cpu_s={worker_cpu:.2} rabbitmq_cpu_s={rabbit_cpu:.2} machine_busy_pct={busy:.0}",
            mb(max_hwm),
            mb(max_rss)
        );
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn drain(a: &Args, workers: usize) -> f64 {
    let w = World::new(&format!("drain{workers}")).await;
    let t = Instant::now();
    let mut from = 0;
    while from < a.jobs {
        let n = 1000.min(a.jobs - from);
        w.enqueue(from, n).await;
        from += n;
    }
    println!(
        "  backlog of {} enqueued in {:.1} s",
        a.jobs,
        t.elapsed().as_secs_f64()
    );
    let usage = Usage::start();
    let start = Instant::now();
    let children: Vec<Child> = (0..workers).map(|_| w.spawn(&a.extra_env)).collect();
    let pids: Vec<u32> = children.iter().map(Child::id).collect();
    let rss = w
        .wait_succeeded_sampling(a.jobs as u64, Duration::from_secs(600), &pids)
        .await;
    let secs = start.elapsed().as_secs_f64();
    usage.report(workers, &children, &rss);
    stop(children);
    let rate = a.jobs as f64 / secs;
    println!(
        "  drain, {workers} worker process(es): {} jobs in {secs:.2} s = {rate:.0} jobs/s (from process start, startup included)",
        a.jobs
    );
    println!("herald_drain workers={workers} jobs_per_s={rate:.0}");
    w.cleanup().await;
    rate
}

async fn latency(a: &Args, rate: f64) {
    let w = World::new("latency").await;
    let children = vec![w.spawn(&a.extra_env)];
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Enqueue in ticks of 10 ms (or one job per tick below 100/s), each tick's jobs
    // as one insert + one confirmed publish, concurrently with earlier ticks.
    let total = (rate * a.latency_secs as f64).round() as usize;
    let tick = if rate < 100.0 {
        Duration::from_secs_f64(1.0 / rate)
    } else {
        Duration::from_millis(10)
    };
    let per_tick = ((rate * tick.as_secs_f64()).round() as usize).max(1);
    let w = Arc::new(w);
    let mut interval = tokio::time::interval(tick);
    let mut tasks = Vec::new();
    let mut sent = 0;
    let start = Instant::now();
    while sent < total {
        interval.tick().await;
        let n = per_tick.min(total - sent);
        let world = w.clone();
        let from = sent;
        tasks.push(tokio::spawn(async move { world.enqueue(from, n).await }));
        sent += n;
    }
    let mut ids = Vec::new();
    let mut enqueue_ms = Vec::new();
    for t in tasks {
        let (batch, took) = t.await.unwrap();
        ids.extend(batch);
        enqueue_ms.push(took);
    }
    enqueue_ms.sort_by(|a, b| a.total_cmp(b));
    let offered = sent as f64 / start.elapsed().as_secs_f64();
    w.wait_succeeded(sent as u64, Duration::from_secs(120))
        .await;
    stop(children);
    let ms = w.latencies(&ids).await;
    println!(
        "  enqueue→completed at {rate:.0}/s (offered {offered:.0}/s, {sent} jobs, 1 worker): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(&ms, 50.0),
        pct(&ms, 99.0),
        pct(&ms, 100.0)
    );
    println!(
        "    of which enqueue (insert + confirmed publish, per batch): p50 {:.1} ms, p99 {:.1} ms",
        pct(&enqueue_ms, 50.0),
        pct(&enqueue_ms, 99.0)
    );
    w.cleanup().await;
}

#[tokio::main]
async fn main() {
    let a = args();
    println!(
        "herald-worker benchmark: {} `log` jobs, SQLite + RabbitMQ, release build",
        a.jobs
    );
    let mut one_worker_rate = None;
    for &workers in &a.workers {
        let rate = drain(&a, workers).await;
        if workers == 1 {
            one_worker_rate = Some(rate);
        }
    }
    if a.latency_secs == 0 {
        return;
    }
    latency(&a, 12.0).await;
    if let Some(rate) = one_worker_rate {
        latency(&a, rate / 2.0).await;
    }
}
