//! herald-worker: claims notification jobs through fenced leases and delivers them.
//!
//! Jobs reach a worker two ways. With `RABBITMQ_URL` set, every worker consumes the
//! same priority-classed queues with prefetch — the consumer group — and claims each
//! delivery's job by id. In every worker, a poller also claims due jobs straight from
//! the store: scheduled retries, expired leases of crashed workers, jobs whose publish
//! was lost; with no broker (embedded mode) it is the only path. Either way the job
//! ends in [`engine::Engine::process`], which delivers while renewing the lease and
//! writes the outcome fenced on the lease, so no two workers ever both record a job.
//!
//! Layout:
//! - [`config`] — the worker's own settings, built from an `Env` and checked at
//!   start-up (each channel's settings live with its transport);
//! - [`context`] — `WorkerContext`: what every part of the worker shares;
//! - [`engine`] — one claimed job → delivery → fenced outcome (`Outcome`), lease
//!   renewal; its claims by id and completions go through `herald_core::batch`;
//! - [`poller`] — the jittered store poll, and the poll loop the match side shares;
//! - [`consumer`] — the RabbitMQ consumer group (prefetch, acks), a session run by
//!   `herald_core::supervise`, which reconnects it;
//! - [`store_retry`] — the one loop that waits out a store outage (outcome writes,
//!   match saves, claims by id);
//! - [`matches`] — match hosting: `MAX_MATCHES` slots, the match queue consumer and
//!   poll, event wake-ups, the fenced host loop;
//! - [`delivery`] — the `Transport` seam (one per channel), the `log`, `webhook`,
//!   `email`, `sms` and `push` transports with their settings, and the delivery
//!   policies (quiet hours, circuit breakers);
//! - [`retention`] — every `PRUNE_INTERVAL_MS`: the cached queue depth and lag gauges,
//!   and the pruner on the holder of the store's pruner lease;
//! - [`http`], [`metrics`], [`stats`], [`resources`] — `/health`, `/metrics`,
//!   `/stats`, `/resources`;
//! - [`demo`] — `herald-worker demo`: the whole pipeline on a throwaway SQLite file.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use herald_core::backoff::Backoff;
use herald_core::dispatch::wake::{WakeAddress, WakeListener};
use herald_core::store::WorkerHeartbeat;
use herald_core::{shutdown, supervise};
use herald_core::{Clock, Store, StoreError, WorkerId};
use stats::Stats;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;

pub mod config;
pub mod consumer;
pub mod context;
pub mod delivery;
pub mod demo;
pub mod engine;
pub mod http;
pub mod matches;
pub mod metrics;
pub mod poller;
pub mod resources;
pub mod retention;
pub mod stats;
pub mod store_retry;
pub mod turns;

pub use config::Config;
pub use context::WorkerContext;
pub use engine::{Engine, Outcome, Step};

use delivery::breaker::{Breakers, CircuitMetrics};
use delivery::email::EmailTransport;
use delivery::push::PushTransport;
use delivery::sms::SmsTransport;
use delivery::{log::LogTransport, webhook::WebhookTransport, Transports};
use metrics::BrokerSessions;

/// A running worker. Tests start one in-process; `main` starts one and waits for a
/// signal.
#[derive(Debug)]
pub struct Worker {
    ctx: Arc<WorkerContext>,
    engine: Arc<Engine>,
    matches: Arc<matches::Matches>,
    metrics_addr: SocketAddr,
    slots: Arc<Semaphore>,
    stop: watch::Sender<bool>,
    abandon: watch::Sender<bool>,
    consumer: Option<JoinHandle<()>>,
    background: Vec<JoinHandle<()>>,
    /// The engine's batch loops: they serve claims and completions until every job
    /// has been recorded, so they stop last.
    engine_loops: JoinHandle<()>,
}

/// What a graceful shutdown did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Every in-flight job finished within the timeout.
    pub drained: bool,
    /// Jobs given back unfinished because the timeout passed.
    pub released: usize,
}

/// Sets a [`Worker`] up: its configuration, and, instead of what the configuration
/// opens, a store and a clock of the caller's (the demo, tests).
#[derive(Debug)]
pub struct WorkerBuilder {
    config: Config,
    store: Option<Arc<dyn Store>>,
    clock: Option<Arc<dyn Clock>>,
}

impl WorkerBuilder {
    /// Runs on `store` instead of opening the configured one.
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// The clock that quiet hours and circuit breakers read: a test passes the
    /// `ManualClock` it opened the store on, and moves time.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Opens the store unless one was given (retrying while it is unreachable), binds
    /// the metrics port, and starts every task of the worker: the engine's batch loops,
    /// the HTTP server, the pollers, the registry heartbeat and, when `RABBITMQ_URL`
    /// is set, the broker sessions.
    pub async fn start(self) -> anyhow::Result<Worker> {
        let config = Arc::new(self.config);
        let handed_store = self.store.is_some();
        let store = match self.store {
            Some(store) => store,
            None => open_store(&config).await?,
        };
        // Embedded mode: the API's wake-ups. A store handed in may not be the configured
        // file, so that worker hears only its own process.
        let wake = config.broker.is_embedded().then(|| {
            let address = WakeAddress::for_store(&config.store);
            if handed_store {
                WakeListener::in_process(&address)
            } else {
                WakeListener::listen(&address)
            }
        });
        let clock = self.clock.unwrap_or_else(herald_core::clock::system);
        let metrics = Arc::new(metrics::Metrics::new().context("registering metrics")?);
        let breakers = Arc::new(Breakers::new(
            config.breaker,
            clock.clone(),
            Some(CircuitMetrics {
                state: metrics.circuit_state.clone(),
                transitions: metrics.circuit_transitions.clone(),
            }),
        ));
        let ctx = Arc::new(WorkerContext {
            store,
            id: WorkerId::generate(),
            config: config.clone(),
            metrics,
            stats: Arc::new(Stats::default().with_circuits(breakers.clone())),
            clock: clock.clone(),
        });
        let transports = configured_transports(Transports::new(clock, breakers), &config)?;
        let listener = tokio::net::TcpListener::bind((config.metrics_host, config.metrics_port))
            .await
            .with_context(|| {
                format!(
                    "binding METRICS_PORT {} on {}",
                    config.metrics_port, config.metrics_host
                )
            })?;
        let metrics_addr = listener
            .local_addr()
            .context("reading the metrics address")?;

        let (stop, stop_rx) = watch::channel(false);
        let (abandon, abandon_rx) = watch::channel(false);
        let (engine, engine_loops) = Engine::new(ctx.clone(), transports, abandon_rx);
        let engine = Arc::new(engine);
        let engine_loops = tokio::spawn(engine_loops.run());
        let slots = Arc::new(Semaphore::new(config.concurrency));
        let broker = config.broker.url().map(|url| {
            supervise::Broker::new(url, config.broker.topology())
                .observed_by(Arc::new(BrokerSessions::new(&ctx.metrics, 3)))
        });

        let state = http::AppState {
            ctx: ctx.clone(),
            sampler: Arc::new(resources::Sampler::default()),
            broker_configured: broker.is_some(),
        };
        let mut http_stop = stop_rx.clone();
        let mut background = vec![tokio::spawn(async move {
            let served = axum::serve(listener, http::router(state))
                .with_graceful_shutdown(async move {
                    let () = shutdown::stopped(&mut http_stop).await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "metrics server stopped");
            }
        })];
        background.push(tokio::spawn(
            poller::Poller::new(engine.clone(), slots.clone(), wake).run(stop_rx.clone()),
        ));
        background.push(tokio::spawn(heartbeat(ctx.clone(), stop_rx.clone())));
        background.push(tokio::spawn(retention::run(ctx.clone(), stop_rx.clone())));
        let consumer = broker.clone().map(|broker| {
            let session = consumer::Consumer::new(engine.clone(), slots.clone());
            let stop = stop_rx.clone();
            tokio::spawn(async move {
                supervise::supervise(consumer::SESSION, &broker, stop, session).await;
            })
        });
        let matches = start_matches(&ctx, broker.as_ref(), &stop_rx, &mut background);

        tracing::info!(
            worker_id = %ctx.id,
            metrics_addr = %metrics_addr,
            store = %config.store.describe(),
            mode = if broker.is_some() { "rabbitmq" } else { "embedded" },
            consumer_group = %config.broker.consumer_group,
            concurrency = config.concurrency,
            prefetch = config.prefetch,
            lock_duration_ms = config.lock_duration.as_millis() as u64,
            poll_interval_ms = config.poll_interval.as_millis() as u64,
            "worker started; metrics listening on {metrics_addr}"
        );
        Ok(Worker {
            ctx,
            engine,
            matches,
            metrics_addr,
            slots,
            stop,
            abandon,
            consumer,
            background,
            engine_loops,
        })
    }
}

impl Worker {
    /// A worker of `config`; [`WorkerBuilder::start`] starts it.
    pub fn builder(config: Config) -> WorkerBuilder {
        WorkerBuilder {
            config,
            store: None,
            clock: None,
        }
    }

    pub fn metrics_addr(&self) -> SocketAddr {
        self.metrics_addr
    }

    pub fn worker_id(&self) -> &WorkerId {
        &self.ctx.id
    }

    /// What the worker's parts share: store, config, metrics, stats, clock.
    pub fn context(&self) -> &Arc<WorkerContext> {
        &self.ctx
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    pub fn matches(&self) -> &Arc<matches::Matches> {
        &self.matches
    }

    /// Graceful shutdown, bounded as a whole by `SHUTDOWN_TIMEOUT_MS`: stop taking
    /// work (the consumers cancel and requeue what they have not started; hosted
    /// matches release their leases at once), let in-flight jobs finish until the
    /// release reserve, then abandon the rest and release their leases so they are
    /// claimable at once, and deregister. Every phase is cut at the one deadline, so
    /// an orchestrator's grace period of `SHUTDOWN_TIMEOUT_MS` is never outlived.
    pub async fn shutdown(self) -> anyhow::Result<ShutdownReport> {
        let config = self.ctx.config.clone();
        let stop = StopDeadline::new(config.shutdown_timeout);
        tracing::info!(
            in_flight = self.ctx.stats.in_flight(),
            timeout_ms = config.shutdown_timeout.as_millis() as u64,
            "shutting down: no new work; waiting for in-flight jobs"
        );
        let _ = self.stop.send(true);
        let all = u32::try_from(config.concurrency).unwrap_or(u32::MAX);
        let drained = stop
            .within(stop.finish_by(), self.slots.acquire_many(all))
            .await
            .is_some();
        let released_before = self.ctx.metrics.lease_releases.get();
        if !drained {
            tracing::warn!(
                in_flight = self.ctx.stats.in_flight(),
                "shutdown timeout passed; releasing unfinished jobs"
            );
            let _ = self.abandon.send(true);
            if stop
                .within(stop.release_by(), self.slots.acquire_many(all))
                .await
                .is_none()
            {
                tracing::warn!("in-flight jobs did not stop in time; their leases will expire");
            }
        }
        // Hosted matches release their leases as soon as `stop` is set.
        if !self.matches.wait_idle_until(stop.release_by()).await {
            tracing::warn!("hosted matches did not stop in time; their leases will expire");
        }
        let released =
            usize::try_from(self.ctx.metrics.lease_releases.get() - released_before).unwrap_or(0);
        if let Some(consumer) = self.consumer {
            if stop.within(stop.release_by(), consumer).await.is_none() {
                tracing::warn!("the broker consumer did not stop in time");
            }
        }
        for task in self.background {
            let _ = stop.within(stop.release_by(), task).await;
        }
        // Every outcome is written by now; the batch loops end with the engine.
        drop(self.engine);
        let _ = stop.within(stop.release_by(), self.engine_loops).await;
        match stop
            .within(stop.exit_by(), self.ctx.store.deregister(&self.ctx.id))
            .await
        {
            Some(Ok(())) => {}
            Some(Err(e)) => {
                tracing::warn!(error = %e, "could not deregister from the worker registry")
            }
            None => {
                tracing::warn!("deregistering did not finish in time; the registry entry ages out")
            }
        }
        tracing::info!(
            drained,
            released,
            processed = self.ctx.stats.processed(),
            stopped_in_ms = stop.elapsed().as_millis() as u64,
            "worker stopped"
        );
        Ok(ShutdownReport { drained, released })
    }
}

/// The one deadline of a shutdown, and the marks inside it: in-flight jobs may finish
/// until `finish_by`; releasing leases and stopping tasks must be done by
/// `release_by`; deregistering, the last write, by `exit_by`, which leaves a margin
/// before `SHUTDOWN_TIMEOUT_MS` for the process to exit.
#[derive(Debug, Clone, Copy)]
struct StopDeadline {
    started: tokio::time::Instant,
    total: Duration,
}

impl StopDeadline {
    fn new(total: Duration) -> Self {
        Self {
            started: tokio::time::Instant::now(),
            total,
        }
    }

    /// A twentieth of the budget (at least 100 ms, at most 1 s) is kept for exiting.
    fn margin(&self) -> Duration {
        (self.total / 20).clamp(Duration::from_millis(100), Duration::from_secs(1))
    }

    /// Releases and task stops get a fifth of the budget (at most 5 s).
    fn release_reserve(&self) -> Duration {
        (self.total / 5).min(Duration::from_secs(5))
    }

    fn exit_by(&self) -> tokio::time::Instant {
        self.started + self.total.saturating_sub(self.margin())
    }

    fn release_by(&self) -> tokio::time::Instant {
        self.exit_by() - self.margin().min(self.total / 10)
    }

    fn finish_by(&self) -> tokio::time::Instant {
        let reserve = self.release_reserve();
        let finish = self
            .release_by()
            .checked_sub(reserve)
            .unwrap_or(self.started);
        finish.max(self.started)
    }

    fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// `future`'s output, or `None` once `at` passes.
    async fn within<F: Future>(&self, at: tokio::time::Instant, future: F) -> Option<F::Output> {
        tokio::time::timeout_at(at, future).await.ok()
    }
}

/// Starts a worker, runs until `shutdown` resolves, then shuts down gracefully.
pub async fn run(config: Config, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    tokio::pin!(shutdown);
    let worker = tokio::select! {
        worker = Worker::builder(config).start() => worker?,
        () = &mut shutdown => return Ok(()),
    };
    shutdown.await;
    worker.shutdown().await.map(|_| ())
}

/// Adds the transports whose configuration is present (`SMTP_HOST`, `SMS_ACCOUNT_SID`,
/// `PUSH_PROJECT_ID`; `log` and `webhook` always) and logs which channels this worker
/// delivers on; a job for an absent one dies with "not available on this worker".
fn configured_transports(transports: Transports, config: &Config) -> anyhow::Result<Transports> {
    // `Config::from_env` checked this for an operator's environment; a configuration
    // built in code (the demo, tests) is checked here.
    delivery::check_provider_targets(&config.ssrf, config.sms.as_ref(), config.push.as_ref())?;
    let guard = config.ssrf.clone();
    let webhook = WebhookTransport::new(&config.webhook, guard.clone())
        .context("building the webhook client")?;
    let mut transports = transports
        .with(Arc::new(LogTransport))
        .with(Arc::new(webhook));
    if let Some(email) = &config.email {
        let email = EmailTransport::new(email).context("building the SMTP transport")?;
        transports = transports.with(Arc::new(email));
    }
    if let Some(sms) = &config.sms {
        let sms = SmsTransport::new(sms, guard.clone()).context("building the SMS client")?;
        transports = transports.with(Arc::new(sms));
    }
    if let Some(push) = &config.push {
        let push = PushTransport::new(push, guard).context("building the push client")?;
        transports = transports.with(Arc::new(push));
    }
    let enabled: Vec<&str> = transports
        .channels()
        .into_iter()
        .map(|c| c.as_str())
        .collect();
    tracing::info!(channels = ?enabled, "delivery channels enabled");
    Ok(transports)
}

/// Opens the configured store, retrying with backoff while it is unreachable (a
/// worker started before its database should wait, not crash-loop).
async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let mut backoff = Backoff::reconnect();
    loop {
        match herald_core::store::open(&config.store, herald_core::clock::system()).await {
            Ok(store) => return Ok(store),
            Err(StoreError::Unavailable(e)) => {
                let pause = backoff.next_pause();
                tracing::warn!(error = %e, retry_in_ms = pause.as_millis() as u64, "store unreachable");
                tokio::time::sleep(pause).await;
            }
            Err(e) => return Err(anyhow::Error::new(e).context("opening the job store")),
        }
    }
}

/// The match side: slots, the store poll, and with a broker the match queue consumer,
/// the wake-up subscriptions and the publisher of result notifications.
fn start_matches(
    ctx: &Arc<WorkerContext>,
    broker: Option<&supervise::Broker>,
    stop: &watch::Receiver<bool>,
    background: &mut Vec<JoinHandle<()>>,
) -> Arc<matches::Matches> {
    let dispatch = ctx.config.broker.dispatch(&ctx.config.store);
    let wakeups = broker.map(|broker| {
        let (wakeups, session) = matches::wakeup::Wakeups::new();
        let (broker, stop) = (broker.clone(), stop.clone());
        background.push(tokio::spawn(async move {
            supervise::supervise(matches::wakeup::SESSION, &broker, stop, session).await;
        }));
        wakeups
    });
    let hosts = matches::Matches::new(ctx.clone(), dispatch, wakeups, stop.clone());
    background.push(tokio::spawn(hosts.clone().run_poller(stop.clone())));
    if let Some(broker) = broker {
        let session = matches::consumer::MatchConsumer::new(hosts.clone());
        let (broker, stop) = (broker.clone(), stop.clone());
        background.push(tokio::spawn(async move {
            supervise::supervise(matches::consumer::SESSION, &broker, stop, session).await;
        }));
    }
    hosts
}

/// Reports this worker to the registry behind `GET /v1/workers`.
async fn heartbeat(ctx: Arc<WorkerContext>, mut stop: watch::Receiver<bool>) {
    let hostname = hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_default();
    loop {
        let beat = WorkerHeartbeat {
            worker_id: ctx.id.clone(),
            hostname: hostname.clone(),
            pid: std::process::id(),
            started_at: ctx.stats.started_at,
            in_flight: u32::try_from(ctx.stats.in_flight()).unwrap_or(u32::MAX),
            capacity: u32::try_from(ctx.config.concurrency).unwrap_or(u32::MAX),
            active_matches: u32::try_from(ctx.stats.active_matches()).unwrap_or(u32::MAX),
            match_capacity: ctx.config.max_matches,
            processed: ctx.stats.processed(),
            interval_ms: u64::try_from(ctx.config.heartbeat_interval.as_millis())
                .unwrap_or(u64::MAX),
        };
        let result = ctx.store.heartbeat(&beat).await;
        ctx.metrics.observe_store(&result);
        if let Err(e) = result {
            tracing::warn!(error = %e, "registry heartbeat failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(ctx.config.heartbeat_interval) => {}
            () = shutdown::stopped(&mut stop) => return,
        }
    }
}
