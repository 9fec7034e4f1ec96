//! `--spawn`: a whole local Herald for one run.
//!
//! It starts API and worker *processes* — this executable re-run with a hidden role
//! argument, which calls the same library entry points as `herald-api` and
//! `herald-worker` — on a fresh SQLite file (or `--mongodb-uri`), plus RabbitMQ dispatch when a broker
//! answers (otherwise the workers' poller is the only dispatch path). Children run
//! in their own process group, so a Ctrl-C reaches only the load test, which then
//! stops them in order: SIGTERM, a grace period, SIGKILL. Their logs go to files in
//! the run's temporary directory and are shown if a child fails to start.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use herald_core::dispatch::Topology;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use rand::Rng;
use tokio::process::{Child, Command};

/// The hidden first argument that makes this executable serve as an API process.
pub const ROLE_API: &str = "__serve-api";
/// The hidden first argument that makes this executable serve as a worker process.
pub const ROLE_WORKER: &str = "__serve-worker";

/// The tenant a spawned stack's key belongs to.
pub const TENANT: &str = "loadtest";
const DEFAULT_RABBITMQ: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
const START_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_GRACE: Duration = Duration::from_secs(20);

#[derive(Debug)]
struct Proc {
    exe: PathBuf,
    name: String,
    role: &'static str,
    env: Vec<(String, String)>,
    /// How many times it was started (a restart gets a log file of its own).
    incarnation: u32,
    child: Child,
    log: PathBuf,
    health: String,
}

/// A running local stack. Call [`Stack::stop`]; dropping it kills the children too.
#[derive(Debug)]
pub struct Stack {
    exe: PathBuf,
    dir: tempfile::TempDir,
    apis: Arc<Mutex<Vec<Proc>>>,
    workers: Arc<Mutex<Vec<Proc>>>,
    api_urls: Vec<String>,
    api_key: String,
    webhook_secret: String,
    rabbitmq: Option<(String, Topology)>,
    killed: Arc<AtomicU32>,
    /// Environment every child gets (ports are added per child).
    env: Vec<(String, String)>,
}

fn token() -> String {
    let bytes: [u8; 16] = rand::thread_rng().gen();
    hex::encode(bytes)
}

fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

impl Stack {
    pub async fn start(args: &crate::Args) -> anyhow::Result<Self> {
        Self::start_with(args, &[]).await
    }

    /// [`Stack::start`] with more variables for every child (they win over the
    /// stack's own).
    pub async fn start_with(
        args: &crate::Args,
        extra_env: &[(String, String)],
    ) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("locating the load-test executable")?;
        Self::start_using(&exe, args, extra_env).await
    }

    /// [`Stack::start_with`], the processes run from `exe` (a `herald-load-test`
    /// binary: a test's own executable is not one).
    pub async fn start_using(
        exe: &Path,
        args: &crate::Args,
        extra_env: &[(String, String)],
    ) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("herald-load-test-")
            .tempdir()
            .context("creating the run directory")?;
        let db = args
            .sqlite_path
            .clone()
            .unwrap_or_else(|| dir.path().join("herald.db"));
        let api_key = token();
        let webhook_secret = token();
        let rabbitmq = if args.no_rabbitmq {
            None
        } else {
            let url = args
                .rabbitmq_url
                .clone()
                .unwrap_or_else(|| DEFAULT_RABBITMQ.to_owned());
            broker_reachable(&url).await.then(|| {
                (
                    url,
                    Topology::new(&format!("herald-loadtest-{}", &token()[..8])),
                )
            })
        };
        match &rabbitmq {
            Some((_, topology)) => tracing::info!(
                group = topology.group(),
                "spawning Herald with RabbitMQ dispatch"
            ),
            None => tracing::info!(
                "no RabbitMQ reachable: spawning Herald in embedded mode (poller dispatch)"
            ),
        }

        let mut common: Vec<(String, String)> = vec![
            ("SQLITE_PATH".into(), db.display().to_string()),
            (
                "RUST_LOG".into(),
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            ),
            ("API_KEYS".into(), format!("{TENANT}:{api_key}")),
            (
                "WEBHOOK_SECRETS".into(),
                format!("{TENANT}:{webhook_secret}"),
            ),
            // The sink listens on loopback; allow it past the SSRF guard.
            ("WEBHOOK_ALLOWED_CIDRS".into(), "127.0.0.0/8,::1/128".into()),
            (
                "LOCK_DURATION_MS".into(),
                args.lock_duration.as_millis().to_string(),
            ),
            // The load test is the client here; don't let the API throttle it.
            ("RATE_LIMIT_PER_SEC".into(), "1000000".into()),
            ("RATE_LIMIT_BURST".into(), "1000000".into()),
        ];
        match &rabbitmq {
            Some((url, topology)) => {
                common.push(("RABBITMQ_URL".into(), url.clone()));
                common.push((
                    "RABBITMQ_CONSUMER_GROUP".into(),
                    topology.group().to_owned(),
                ));
            }
            None => common.push(("RABBITMQ_URL".into(), String::new())),
        }
        // An empty value overrides a MONGODB_URI in the caller's environment.
        common.push((
            "MONGODB_URI".into(),
            args.mongodb_uri.clone().unwrap_or_default(),
        ));
        for (name, value) in extra_env {
            common.retain(|(n, _)| n != name);
            common.push((name.clone(), value.clone()));
        }

        let mut stack = Self {
            exe: exe.to_path_buf(),
            dir,
            apis: Arc::new(Mutex::new(Vec::new())),
            workers: Arc::new(Mutex::new(Vec::new())),
            api_urls: Vec::new(),
            api_key,
            webhook_secret,
            rabbitmq,
            killed: Arc::new(AtomicU32::new(0)),
            env: common,
        };
        // The first API creates the schema before anyone else opens the file.
        for i in 0..args.apis {
            let port = free_port()?;
            let mut env = stack.env.clone();
            env.push(("PORT".into(), port.to_string()));
            let url = format!("http://127.0.0.1:{port}");
            let proc = spawn(
                &stack.exe,
                stack.dir.path(),
                &format!("api-{i}"),
                ROLE_API,
                &env,
                format!("{url}/ready"),
            )?;
            let health = (proc.name.clone(), proc.health.clone(), proc.log.clone());
            lock(&stack.apis).push(proc);
            stack.api_urls.push(url);
            if let Err(e) = wait_healthy(&health.1).await {
                stack.stop().await;
                return Err(failed_to_start(&health.0, &health.2, e));
            }
        }
        if args.backlog.is_none() {
            if let Err(e) = stack.start_workers(args.workers).await {
                stack.stop().await;
                return Err(e);
            }
        }
        Ok(stack)
    }

    /// Starts the worker processes and waits until each reports healthy.
    pub async fn start_workers(&self, count: u32) -> anyhow::Result<()> {
        let mut started = Vec::new();
        for _ in 0..count {
            let port = free_port()?;
            let mut env = self.env.clone();
            env.push(("METRICS_PORT".into(), port.to_string()));
            let name = format!("worker-{}", self.workers_mut().len());
            let proc = spawn(
                &self.exe,
                self.dir.path(),
                &name,
                ROLE_WORKER,
                &env,
                format!("http://127.0.0.1:{port}/health"),
            )?;
            started.push((proc.name.clone(), proc.health.clone(), proc.log.clone()));
            self.workers_mut().push(proc);
        }
        for (name, url, log) in started {
            wait_healthy(&url)
                .await
                .map_err(|e| failed_to_start(&name, &log, e))?;
        }
        Ok(())
    }

    fn workers_mut(&self) -> std::sync::MutexGuard<'_, Vec<Proc>> {
        lock(&self.workers)
    }

    /// A handle for faults: signals and restarts of the processes, shareable with
    /// tasks while the stack runs.
    pub fn control(&self) -> StackControl {
        StackControl {
            dir: self.dir.path().to_path_buf(),
            apis: self.apis.clone(),
            workers: self.workers.clone(),
            rabbitmq: self.rabbitmq.clone(),
            env: self.env.clone(),
        }
    }

    /// The environment every child gets.
    pub fn child_env(&self) -> &[(String, String)] {
        &self.env
    }

    /// The API base URLs, one per API process.
    pub fn api_urls(&self) -> Vec<String> {
        self.api_urls.clone()
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    pub fn webhook_secret(&self) -> &str {
        &self.webhook_secret
    }

    pub fn uses_rabbitmq(&self) -> bool {
        self.rabbitmq.is_some()
    }

    /// The process id of API process `i`, while it runs.
    pub fn api_pid(&self, i: usize) -> Option<u32> {
        lock(&self.apis).get(i).and_then(|p| p.child.id())
    }

    /// Workers killed by `--kill-worker-after` so far.
    pub fn workers_killed(&self) -> u32 {
        self.killed.load(Ordering::SeqCst)
    }

    /// Where the stack keeps its database and logs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// kill -9 the first worker after `after`, as a crash would.
    pub fn kill_a_worker_after(&self, after: Duration) {
        let workers = self.workers.clone();
        let killed = self.killed.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let pid = workers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .first()
                .and_then(|p| p.child.id());
            if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
                tracing::warn!(pid, "killing worker-0 with SIGKILL");
                if kill(Pid::from_raw(pid), Signal::SIGKILL).is_ok() {
                    killed.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
    }

    /// Stops every process (workers first, so nothing is left running against a
    /// stopped API), deletes the run's RabbitMQ queues and the temporary directory.
    pub async fn stop(self) {
        let workers: Vec<Proc> = std::mem::take(&mut *self.workers_mut());
        terminate(workers).await;
        let apis: Vec<Proc> = std::mem::take(&mut *lock(&self.apis));
        terminate(apis).await;
        if let Some((url, topology)) = &self.rabbitmq {
            if let Err(e) = delete_topology(url, topology).await {
                tracing::warn!(error = %e, "could not delete the run's RabbitMQ queues");
            }
        }
    }
}

/// Signals and restarts of a running [`Stack`]'s processes (see [`Stack::control`]).
#[derive(Debug, Clone)]
pub struct StackControl {
    dir: PathBuf,
    apis: Arc<Mutex<Vec<Proc>>>,
    workers: Arc<Mutex<Vec<Proc>>>,
    rabbitmq: Option<(String, Topology)>,
    env: Vec<(String, String)>,
}

impl StackControl {
    fn env_value(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the stack runs on SQLite (no `--mongodb-uri`).
    pub fn is_sqlite(&self) -> bool {
        self.env_value("MONGODB_URI").is_none_or(str::is_empty)
    }

    /// The workers' `LOCK_DURATION_MS`.
    pub fn lock_duration(&self) -> Duration {
        self.env_value("LOCK_DURATION_MS")
            .and_then(|v| v.parse().ok())
            .map_or(Duration::from_secs(5), Duration::from_millis)
    }

    /// Whether worker `i`'s process is still running.
    pub fn worker_alive(&self, i: usize) -> bool {
        lock(&self.workers)
            .get_mut(i)
            .is_some_and(|p| matches!(p.child.try_wait(), Ok(None)))
    }

    /// How many times worker `i` was started.
    pub fn incarnation(&self, i: usize) -> u32 {
        lock(&self.workers).get(i).map_or(0, |p| p.incarnation)
    }

    /// The stack's store, opened as the processes open it.
    pub async fn open_store(&self) -> anyhow::Result<Arc<dyn herald_core::Store>> {
        let env = herald_core::config::Env::from_pairs(
            self.env.iter().filter(|(_, v)| !v.is_empty()).cloned(),
        );
        let config = herald_core::store::StoreConfig::from_env(&env)?;
        let clock = Arc::new(herald_core::clock::SystemClock::default());
        Ok(herald_core::store::open(&config, clock).await?)
    }

    /// The worker processes started so far (killed ones included).
    pub fn worker_count(&self) -> usize {
        lock(&self.workers).len()
    }

    /// The API processes.
    pub fn api_count(&self) -> usize {
        lock(&self.apis).len()
    }

    /// Sends `signal` to worker `i`; false when it is not running.
    pub fn signal_worker(&self, i: usize, signal: Signal) -> bool {
        signal_proc(&self.workers, i, signal)
    }

    /// Sends `signal` to API process `i`; false when it is not running.
    pub fn signal_api(&self, i: usize, signal: Signal) -> bool {
        signal_proc(&self.apis, i, signal)
    }

    /// Starts worker `i` again, as it was started (same environment and ports),
    /// after it died; waits until it is healthy.
    pub async fn restart_worker(&self, i: usize) -> anyhow::Result<()> {
        restart(&self.dir, &self.workers, i).await
    }

    /// Starts API process `i` again on its port; waits until it is ready.
    pub async fn restart_api(&self, i: usize) -> anyhow::Result<()> {
        restart(&self.dir, &self.apis, i).await
    }

    /// The process ids of every running child (for the broker's connection list).
    pub fn pids(&self) -> Vec<u32> {
        let mut pids: Vec<u32> = lock(&self.apis)
            .iter()
            .filter_map(|p| p.child.id())
            .collect();
        pids.extend(lock(&self.workers).iter().filter_map(|p| p.child.id()));
        pids
    }

    /// Each worker's metrics URL (`…/metrics`), by index.
    pub fn worker_metrics_urls(&self) -> Vec<String> {
        lock(&self.workers)
            .iter()
            .map(|p| p.health.replace("/health", "/metrics"))
            .collect()
    }

    /// The SQLite file every process shares (unused with `--mongodb-uri`).
    pub fn db_path(&self) -> PathBuf {
        self.dir.join("herald.db")
    }

    /// The broker's URL and the run's topology, when RabbitMQ dispatch is on.
    pub fn rabbitmq(&self) -> Option<&(String, Topology)> {
        self.rabbitmq.as_ref()
    }
}

/// Locks `m`, going on with the data a panicked holder left (it is counters and
/// process handles, never half-written).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn signal_proc(procs: &Mutex<Vec<Proc>>, i: usize, signal: Signal) -> bool {
    let pid = lock(procs)
        .get(i)
        .and_then(|p| p.child.id())
        .and_then(|p| i32::try_from(p).ok());
    pid.is_some_and(|pid| kill(Pid::from_raw(pid), signal).is_ok())
}

async fn restart(dir: &Path, procs: &Mutex<Vec<Proc>>, i: usize) -> anyhow::Result<()> {
    let (old, health, name, log) = {
        let mut procs = lock(procs);
        let old = procs
            .get(i)
            .ok_or_else(|| anyhow::anyhow!("no process {i} to restart"))?;
        let mut new = spawn(
            &old.exe,
            dir,
            &format!("{}.{}", old.name, old.incarnation + 1),
            old.role,
            &old.env,
            old.health.clone(),
        )?;
        new.name = old.name.clone();
        new.incarnation = old.incarnation + 1;
        let (health, name, log) = (new.health.clone(), new.name.clone(), new.log.clone());
        (std::mem::replace(&mut procs[i], new), health, name, log)
    };
    let mut old = old;
    let _ = old.child.kill().await;
    wait_healthy(&health)
        .await
        .map_err(|e| failed_to_start(&name, &log, e))
}

fn spawn(
    exe: &Path,
    dir: &Path,
    name: &str,
    role: &'static str,
    env: &[(String, String)],
    health: String,
) -> anyhow::Result<Proc> {
    let log = dir.join(format!("{name}.log"));
    let out = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
    let err = out.try_clone()?;
    let mut cmd = Command::new(exe);
    cmd.arg(role)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        // Its own process group: a terminal's Ctrl-C reaches only us, and we stop
        // the children in order.
        .process_group(0)
        .kill_on_drop(true);
    let child = cmd.spawn().with_context(|| format!("starting {name}"))?;
    Ok(Proc {
        exe: exe.to_path_buf(),
        name: name.to_owned(),
        role,
        env: env.to_vec(),
        incarnation: 1,
        child,
        log,
        health,
    })
}

async fn terminate(procs: Vec<Proc>) {
    for p in &procs {
        if let Some(pid) = p.child.id().and_then(|p| i32::try_from(p).ok()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
    }
    let deadline = Instant::now() + STOP_GRACE;
    for mut p in procs {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, p.child.wait()).await {
            Ok(Ok(status)) if !status.success() && status.code().is_some() => {
                tracing::warn!(process = p.name, %status, "exited with an error; log: {}", p.log.display());
            }
            Ok(_) => {}
            Err(_) => {
                tracing::warn!(process = p.name, "did not stop in time; killing it");
                let _ = p.child.kill().await;
            }
        }
    }
}

async fn wait_healthy(url: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    let deadline = Instant::now() + START_TIMEOUT;
    let mut last = String::from("no answer");
    while Instant::now() < deadline {
        match client.get(url).send().await {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) => last = format!("{url} answered {}", r.status()),
            Err(e) => last = format!("{url}: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("{last} after {START_TIMEOUT:?}")
}

fn failed_to_start(name: &str, log: &Path, e: anyhow::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "{name} did not become healthy: {e:#}\n--- {name} log ({}) ---\n{}",
        log.display(),
        log_tail(log)
    )
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

async fn broker_reachable(url: &str) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(3), herald_core::dispatch::connect(url)).await,
        Ok(Ok(_))
    )
}

async fn delete_topology(url: &str, topology: &Topology) -> anyhow::Result<()> {
    let conn = herald_core::dispatch::connect(url).await?;
    let channel = conn.create_channel().await?;
    herald_core::dispatch::delete(&channel, topology).await?;
    let _ = conn.close(200, "load test finished".into()).await;
    Ok(())
}
