//! herald-load-test: drives synthetic notification traffic through Herald and
//! measures what its users feel — accepted, rejected, delivered, duplicated, lost,
//! and the latency from the moment a request was due to the moment its webhook
//! arrived.
//!
//! Layout:
//! - [`generator`] — the open-loop, constant-rate sender;
//! - [`sink`] — the built-in webhook receiver that checks signatures and timestamps
//!   arrivals;
//! - [`tracker`] — the ledger both write to;
//! - [`report`] — the summary, its table and JSON forms, and the thresholds;
//! - [`stack`] — `--spawn`: a whole local Herald (APIs + workers on embedded SQLite,
//!   RabbitMQ when reachable) started and stopped by the run;
//! - [`mix`] — `--priority-mix`;
//! - [`streams`] — `--subscribers`: live match streams, fan-out latency, missed and
//!   duplicated events.

pub mod chaos;
pub mod generator;
pub mod mix;
pub mod report;
pub mod sink;
pub mod stack;
pub mod streams;
pub mod tracker;

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::generator::{Channel, Plan};
use crate::mix::PriorityMix;
use crate::report::{secs, Latency, Rejections, Report, Thresholds, Throughput};
use crate::tracker::Tracker;

/// Command-line options. Every flag is explained by `--help`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "herald-load-test",
    version,
    about = "Drive synthetic notification traffic through Herald and report what users feel",
    long_about = "Sends notifications to a Herald API at a constant rate (open loop: requests \
        go out on schedule even when the API is slow, and every latency is measured from the \
        scheduled send time), receives the resulting webhooks in a built-in sink that checks \
        their signatures, and reports accepted, rejected (by reason), delivered, duplicates, \
        lost, API latency and end-to-end latency percentiles.\n\n\
        With --spawn it first starts a whole local Herald on the embedded SQLite store \
        (RabbitMQ too when one is reachable), and stops it afterwards.\n\n\
        Exit status: 0 when every threshold holds, 1 on an error, 2 when a threshold \
        (--max-p99-ms, --max-lost, --max-duplicates) is breached."
)]
pub struct Args {
    /// Base URL of the Herald API (ignored with --spawn). Repeat it (or separate with
    /// commas) for several instances: requests alternate between them; with
    /// --subscribers the events go to the first and the streams to the others.
    #[arg(
        long,
        env = "HERALD_URL",
        default_value = "http://127.0.0.1:3000",
        value_delimiter = ','
    )]
    pub url: Vec<String>,

    /// Jobs per second; fractions allowed (12 ≈ 1 million a day).
    #[arg(long, default_value_t = 12.0)]
    pub rate: f64,

    /// How long to send, e.g. 30s, 2m.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub duration: Duration,

    /// Number of distinct recipients to spread notifications over.
    #[arg(long, default_value_t = 1_000)]
    pub users: u32,

    /// API key (Bearer token) of the tenant to send as (generated with --spawn).
    #[arg(long, env = "HERALD_API_KEY")]
    pub api_key: Option<String>,

    /// Channel of the generated notifications: `webhook` is delivered to the built-in
    /// sink (true end-to-end timing); `log` is Herald's no-op channel, timed by the
    /// store's completion time read back through the API.
    #[arg(long, value_enum, default_value_t = Channel::Webhook)]
    pub channel: Channel,

    /// Send through the batch route, this many notifications per request.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub batch: Option<u32>,

    /// Relative weights of priorities, e.g. `critical=1,high=4,normal=90,low=5`.
    #[arg(long, default_value = "normal=1")]
    pub priority_mix: PriorityMix,

    /// Print the final report as one JSON document on stdout (the table goes away).
    #[arg(long)]
    pub json: bool,

    /// Fail (exit 2) when the end-to-end p99 exceeds this many milliseconds.
    #[arg(long)]
    pub max_p99_ms: Option<f64>,

    /// Fail (exit 2) when more than this many accepted jobs are never delivered.
    #[arg(long)]
    pub max_lost: Option<u64>,

    /// Fail (exit 2) when more than this many duplicate deliveries arrive.
    #[arg(long)]
    pub max_duplicates: Option<u64>,

    /// Address the webhook sink listens on.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub sink_listen: SocketAddr,

    /// URL workers use to reach the sink, when it differs from the listen address
    /// (e.g. from containers: http://host.docker.internal:9999).
    #[arg(long)]
    pub sink_url: Option<String>,

    /// The tenant's webhook secret (WEBHOOK_SECRETS on the workers); when given, the
    /// sink refuses and counts deliveries whose signature does not verify.
    #[arg(long, env = "HERALD_WEBHOOK_SECRET")]
    pub webhook_secret: Option<String>,

    /// How long to wait after sending for outstanding deliveries before counting
    /// them lost.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub grace: Duration,

    /// Client timeout for each API request.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub request_timeout: Duration,

    /// Start a local Herald (APIs + workers on a fresh SQLite file, RabbitMQ when
    /// reachable) for this run and stop it afterwards.
    #[arg(long)]
    pub spawn: bool,

    /// With --spawn: worker processes to start.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=32))]
    pub workers: u32,

    /// With --spawn: API processes to start (requests alternate between them; 2 by
    /// default with --subscribers, which streams from the second).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=2))]
    pub apis: u32,

    /// With --spawn: RabbitMQ to use; unset tries amqp://127.0.0.1:5672 and falls
    /// back to the poller-only embedded mode when nothing answers.
    #[arg(long, env = "RABBITMQ_URL")]
    pub rabbitmq_url: Option<String>,

    /// With --spawn: use this MongoDB as the store instead of a fresh SQLite file
    /// (give each run its own database in the URI path).
    #[arg(long)]
    pub mongodb_uri: Option<String>,

    /// With --spawn: run on this SQLite file instead of a fresh one, and keep it (e.g.
    /// a store filled by bench/retention.sh, to load-test while the pruner works).
    #[arg(long, conflicts_with = "mongodb_uri")]
    pub sqlite_path: Option<std::path::PathBuf>,

    /// With --spawn: don't use RabbitMQ even if one is reachable.
    #[arg(long)]
    pub no_rabbitmq: bool,

    /// With --spawn: kill -9 one worker this long into the run (its jobs must still
    /// be delivered by the others once its leases expire).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub kill_worker_after: Option<Duration>,

    /// With --spawn: lease length given to the workers.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub lock_duration: Duration,

    /// With --spawn: instead of a constant rate, enqueue this many jobs (batch route)
    /// while no worker runs, then start the workers and measure how fast they drain
    /// the backlog. End-to-end latency then counts from the workers' start.
    #[arg(long)]
    pub backlog: Option<u64>,

    /// Hide the progress bar.
    #[arg(long)]
    pub quiet: bool,

    /// Run the chaos check instead: spawn 2 APIs, 3 workers, RabbitMQ and SQLite (or
    /// --mongodb-uri), send at --rate (default 300/s here) for --duration (default 5m
    /// here) with 3 live matches, inject every fault on a schedule drawn from --seed
    /// (kill -9 and SIGSTOP of workers, kill -9 of an API, broker connection kills
    /// and a broker restart, a 10 s SQLite write lock, failing and dying webhook
    /// receivers, poison and duplicate messages), and check that nothing was lost.
    /// Exit 2 on any loss, duplicate without the same key, stuck job or match
    /// mismatch. It restarts the broker's app: run it where nothing else needs it.
    #[arg(long)]
    pub chaos: bool,

    /// With --chaos: the seed of the fault schedule and the traffic (random when
    /// unset; the report prints it so a run can be repeated).
    #[arg(long)]
    pub seed: Option<u64>,

    /// With --chaos: skip the full broker stop/start.
    #[arg(long)]
    pub no_broker_restart: bool,

    /// Run the live-stream load test instead: create --matches matches, open this
    /// many streams spread over them (on the last --url, or the second spawned API),
    /// then append score events at --event-rate for --duration (to the first --url).
    /// Reports fan-out latency (the event's `at`, the store's clock at the append →
    /// parsed by the subscriber; same host clock with --spawn) p50/p99 and, per
    /// subscriber, events missed and duplicated against the seqs the appends
    /// returned: any > 0, or a stream that cannot connect, exits 2 (so does
    /// --max-p99-ms on the fan-out p99). With --spawn it also reports the streaming
    /// API's RSS per connection. Raises the open-file limit as far as the hard limit.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub subscribers: Option<u32>,

    /// With --subscribers: the stream route, Server-Sent Events or WebSocket.
    #[arg(long, value_enum, default_value_t = streams::Transport::Sse)]
    pub transport: streams::Transport,

    /// With --subscribers: matches to create and spread the streams over.
    #[arg(long, default_value_t = 9, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub matches: u32,

    /// With --subscribers: events appended per second, over all matches (0: the
    /// streams stay idle for --duration, e.g. to measure memory per connection).
    #[arg(long, default_value_t = 100.0)]
    pub event_rate: f64,

    /// With --subscribers, to test the checker itself: every stream starts after
    /// this seq, so the server never sends events 1..=N and the run must report
    /// them missed and fail.
    #[arg(long, default_value_t = 0)]
    pub self_check_skip: u64,
}

impl Args {
    fn thresholds(&self) -> Thresholds {
        Thresholds {
            max_p99_ms: self.max_p99_ms,
            max_lost: self.max_lost,
            max_duplicates: self.max_duplicates,
        }
    }
}

/// Runs the load (and the local stack with `--spawn`) and returns the judged report.
/// `shutdown` resolving (Ctrl-C) stops sending early; the report covers what was sent
/// and everything started is stopped either way.
pub async fn run(
    args: Args,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Report> {
    anyhow::ensure!(
        args.rate > 0.0 && args.rate.is_finite(),
        "--rate must be a positive number"
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let watcher = tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });

    let stack = if args.spawn {
        Some(stack::Stack::start(&args).await?)
    } else {
        None
    };
    let result = drive(&args, stack.as_ref(), stop_rx).await;
    if let Some(stack) = stack {
        stack.stop().await;
    }
    watcher.abort();
    result
}

async fn drive(
    args: &Args,
    stack: Option<&stack::Stack>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Report> {
    let tracker = Tracker::new()?;
    let (urls, api_key, secret) = match stack {
        Some(s) => (
            s.api_urls(),
            s.api_key().to_owned(),
            Some(s.webhook_secret().to_owned()),
        ),
        None => (
            args.url.clone(),
            args.api_key.clone().ok_or_else(|| {
                anyhow::anyhow!("--api-key (or HERALD_API_KEY) is required without --spawn")
            })?,
            args.webhook_secret.clone(),
        ),
    };
    let sink = match args.channel {
        Channel::Webhook => Some(sink::start(args.sink_listen, tracker.clone(), secret).await?),
        Channel::Log => None,
    };
    let sink_url = match (&args.sink_url, &sink) {
        (Some(u), _) => u.clone(),
        (None, Some(s)) => format!("http://{}", s.addr),
        (None, None) => String::new(),
    };
    let plan = Plan {
        urls,
        api_key,
        rate: args.rate,
        duration: args.duration,
        users: args.users,
        channel: args.channel,
        batch: args.batch.unwrap_or(1) as usize,
        mix: args.priority_mix.clone(),
        sink_url,
    };
    let client = reqwest::Client::builder()
        .timeout(args.request_timeout)
        .pool_max_idle_per_host(256)
        .build()?;

    let bar = progress_bar(args, plan.total_jobs());
    let ticker = spawn_progress(bar.clone(), tracker.clone());
    if let (Some(stack), Some(after)) = (stack, args.kill_worker_after) {
        stack.kill_a_worker_after(after);
    }

    let started = Instant::now();
    match (args.backlog, stack) {
        (Some(jobs), Some(stack)) => {
            bar.set_length(jobs);
            generator::fill(&plan, jobs, &client, &tracker, &stop).await;
            bar.set_prefix("draining");
            // Deliveries count from the moment the workers start.
            tracker.restart_clock(Instant::now(), chrono::Utc::now());
            stack.start_workers(args.workers).await?;
        }
        (Some(_), None) => {
            anyhow::bail!("--backlog needs --spawn (it starts the workers after filling)")
        }
        (None, _) => generator::run(&plan, &client, &tracker, &stop).await,
    }
    let send_elapsed = started.elapsed();
    bar.set_prefix("waiting");
    await_deliveries(args, &plan, &client, &tracker, &stop).await;
    ticker.abort();
    bar.finish_and_clear();
    if let Some(sink) = sink {
        sink.shutdown().await;
    }

    let mut report = summarize(args, &tracker, send_elapsed);
    report.spawned_with_rabbitmq = stack.map(stack::Stack::uses_rabbitmq);
    report.workers_killed = stack.map_or(0, stack::Stack::workers_killed);
    report.backlog = args.backlog;
    report.judge(&args.thresholds());
    Ok(report)
}

/// Waits until every accepted job is delivered, `--grace` runs out, or Ctrl-C.
async fn await_deliveries(
    args: &Args,
    plan: &Plan,
    client: &reqwest::Client,
    tracker: &Tracker,
    stop: &tokio::sync::watch::Receiver<bool>,
) {
    let deadline = Instant::now() + args.grace;
    loop {
        if plan.channel == Channel::Log {
            read_back_completions(plan, client, tracker).await;
        }
        let (accepted, delivered) = tracker.progress();
        if delivered >= accepted || Instant::now() >= deadline || *stop.borrow() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// For the `log` channel: asks the API which outstanding jobs have finished.
async fn read_back_completions(plan: &Plan, client: &reqwest::Client, tracker: &Tracker) {
    use futures::stream::{self, StreamExt};
    let base = plan
        .urls
        .first()
        .map(|u| u.trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let ids = tracker.undelivered();
    stream::iter(ids)
        .for_each_concurrent(32, |id| {
            let request = client
                .get(format!("{base}/v1/jobs/{id}"))
                .bearer_auth(&plan.api_key);
            async move {
                let Ok(response) = request.send().await else {
                    return;
                };
                let Ok(job) = response.json::<serde_json::Value>().await else {
                    return;
                };
                match job["status"].as_str() {
                    Some("succeeded") => {
                        if let Some(done) = job["completedAt"]
                            .as_str()
                            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                        {
                            tracker.completed_at(&id, done.with_timezone(&chrono::Utc));
                        }
                    }
                    Some("dead") => tracker.dead(),
                    _ => {}
                }
            }
        })
        .await;
}

fn summarize(args: &Args, tracker: &Tracker, send_elapsed: Duration) -> Report {
    let (accepted, delivered, duplicates, unacknowledged) = tracker.tally();
    let l = tracker.lock();
    let delivery_span = match (l.first_send, l.last_delivery) {
        (Some(a), Some(b)) => b.saturating_duration_since(a),
        _ => send_elapsed,
    };
    let rejected_total: u64 = l.rejected.values().sum();
    Report {
        channel: args.channel.as_str().to_owned(),
        duration_secs: send_elapsed.as_secs_f64(),
        sent: l.sent,
        accepted,
        rejected: Rejections {
            total: rejected_total,
            by_reason: l.rejected.clone(),
        },
        delivered,
        duplicates,
        lost: accepted.saturating_sub(delivered),
        delivered_unacknowledged: unacknowledged,
        bad_signatures: l.bad_signatures,
        dead: l.dead,
        api_latency_ms: Latency::from_micros(&l.api_latency),
        end_to_end_ms: Latency::from_micros(&l.end_to_end),
        throughput: Throughput {
            requested: args.rate,
            accepted: accepted as f64 / secs(send_elapsed),
            delivered: delivered as f64 / secs(delivery_span),
        },
        spawned_with_rabbitmq: None,
        backlog: None,
        workers_killed: 0,
        breaches: Vec::new(),
        passed: false,
    }
}

pub(crate) fn progress_bar(args: &Args, total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if args.quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let style = ProgressStyle::with_template(
        "{prefix:>8} [{elapsed_precise}] {bar:30.cyan/blue} {pos}/{len} sent · {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix("sending");
    bar
}

fn spawn_progress(bar: ProgressBar, tracker: Tracker) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last = (Instant::now(), 0u64);
        let mut rate = 0.0;
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let (_, delivered) = tracker.progress();
            let (sent, p99) = {
                let l = tracker.lock();
                let p99 = if l.end_to_end.is_empty() {
                    0.0
                } else {
                    l.end_to_end.value_at_quantile(0.99) as f64 / 1000.0
                };
                (l.sent, p99)
            };
            let now = Instant::now();
            let dt = now.duration_since(last.0).as_secs_f64();
            if dt >= 1.0 {
                rate = (delivered.saturating_sub(last.1)) as f64 / dt;
                last = (now, delivered);
            }
            bar.set_position(sent);
            bar.set_message(format!(
                "{delivered} delivered · {rate:.0}/s · p99 {p99:.1} ms"
            ));
        }
    })
}

/// Serves as one of `--spawn`'s API processes: the same entry point as
/// `herald-api`, config from the environment the stack set.
pub async fn serve_api() -> std::process::ExitCode {
    herald_core::telemetry::init("warn");
    let served = async {
        let config = herald_api::Config::from_env(&herald_core::config::Env::process())?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
        herald_api::run(config, listener, herald_core::shutdown::signal()).await
    };
    exit_code("api", served.await)
}

/// Serves as one of `--spawn`'s worker processes: the same entry point as
/// `herald-worker`.
pub async fn serve_worker() -> std::process::ExitCode {
    herald_core::telemetry::init("warn");
    let served = async {
        let config = herald_worker::Config::from_env(&herald_core::config::Env::process())?;
        herald_worker::run(config, herald_core::shutdown::signal()).await
    };
    exit_code("worker", served.await)
}

fn exit_code(role: &str, result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("herald-load-test {role}: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
