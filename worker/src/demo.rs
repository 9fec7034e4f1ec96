//! `herald-worker demo`: the whole pipeline on a fresh machine with no services.
//!
//! It opens the embedded SQLite store on a throwaway file, enqueues notifications on
//! the `log` channel with mixed priorities, runs the real worker engine in embedded
//! (poller-only) mode, logs each delivery and the progress, and prints a summary:
//! how many were delivered, how long it took, and enqueue→completed p50/p99.

use std::path::PathBuf;

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::StoreConfig;
use herald_core::{JobId, JobKind, JobStatus, NewJob, Priority, TenantId};

use crate::{Config, Worker};

/// How long the demo waits for every job before giving up.
const DEADLINE: Duration = Duration::from_secs(120);

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub jobs: usize,
    /// Reuse this database file instead of a fresh temporary one.
    pub db: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub delivered: usize,
    pub duration: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub by_priority: Vec<(Priority, usize)>,
    pub db: PathBuf,
}

impl std::fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let by: Vec<String> = self
            .by_priority
            .iter()
            .map(|(p, n)| format!("{p} {n}"))
            .collect();
        writeln!(
            f,
            "Herald demo: {} notifications delivered in {:.2} s",
            self.delivered,
            self.duration.as_secs_f64()
        )?;
        writeln!(
            f,
            "  enqueue→completed  p50 {:.1} ms   p99 {:.1} ms",
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3
        )?;
        writeln!(f, "  by priority        {}", by.join(", "))?;
        write!(f, "  store              {}", self.db.display())
    }
}

/// The priority of the `i`-th demo job: a few critical, some high and low, mostly normal.
fn priority_of(i: usize) -> Priority {
    match i % 10 {
        0 => Priority::Critical,
        1 | 2 => Priority::High,
        9 => Priority::Low,
        _ => Priority::Normal,
    }
}

/// The nearest-rank percentile of sorted samples.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub async fn run(options: DemoOptions) -> anyhow::Result<DemoSummary> {
    if options.jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    // The temporary directory lives until the summary is printed.
    let (_tmp, db) = match &options.db {
        Some(path) => (None, path.clone()),
        None => {
            let dir = tempfile::Builder::new()
                .prefix("herald-demo-")
                .tempdir()
                .context("creating a temporary directory")?;
            let db = dir.path().join("herald-demo.db");
            (Some(dir), db)
        }
    };
    let store_config = StoreConfig::Sqlite(SqliteConfig::new(&db));
    tracing::info!(store = %store_config.describe(), jobs = options.jobs, "demo: starting");
    let store = herald_core::store::open(&store_config, herald_core::clock::system())
        .await
        .context("opening the demo store")?;
    let config = Config::embedded(store_config);
    let worker = Worker::builder(config).store(store.clone()).start().await?;
    let ctx = worker.context().clone();
    tracing::info!(
        metrics = %format!("http://{}/stats", worker.metrics_addr()),
        "demo: worker running in embedded mode (poller only)"
    );

    let tenant = TenantId::parse("demo").context("demo tenant")?;
    let base = ctx.stats.view("", 0, 0).succeeded;
    let started = Instant::now();
    let mut ids: Vec<JobId> = Vec::with_capacity(options.jobs);
    // Enqueue in a few waves so the log shows jobs arriving while others complete.
    let wave = options.jobs.div_ceil(5).max(1);
    let indices: Vec<usize> = (0..options.jobs).collect();
    for chunk in indices.chunks(wave) {
        let batch: Vec<NewJob> = chunk
            .iter()
            .map(|&i| {
                let priority = priority_of(i);
                NewJob::new(
                    JobKind::Notification,
                    tenant.clone(),
                    serde_json::json!({
                        "channel": "log",
                        "recipient": {"address": format!("user-{i}@example.com")},
                        "subject": format!("Demo notification {}", i + 1),
                        "body": "Hello from Herald",
                        "priority": priority.as_str(),
                    }),
                )
                .priority(priority)
            })
            .collect();
        let inserted = store.insert_many(batch).await.context("enqueueing")?;
        ids.extend(inserted.into_iter().map(|i| i.into_job().id));
        tracing::info!(enqueued = ids.len(), total = options.jobs, "demo: enqueued");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut last_report = Instant::now();
    loop {
        let done = ctx.stats.view("", 0, 0).succeeded - base;
        if done >= options.jobs as u64 {
            break;
        }
        if started.elapsed() > DEADLINE {
            bail!(
                "only {done} of {} delivered within {DEADLINE:?}",
                options.jobs
            );
        }
        if last_report.elapsed() >= Duration::from_millis(250) {
            tracing::info!(delivered = done, total = options.jobs, "demo: progress");
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let duration = started.elapsed();

    let mut latencies = Vec::with_capacity(ids.len());
    let mut by_priority: Vec<(Priority, usize)> = Priority::ALL.iter().map(|p| (*p, 0)).collect();
    for id in &ids {
        let job = store.get(&tenant, id).await?;
        if job.status != JobStatus::Succeeded {
            bail!("job {id} ended {}", job.status);
        }
        if let Some(done) = job.completed_at {
            latencies.push((done - job.created_at).to_std().unwrap_or_default());
        }
        if let Some(slot) = by_priority.iter_mut().find(|(p, _)| *p == job.priority) {
            slot.1 += 1;
        }
    }
    latencies.sort_unstable();
    worker.shutdown().await?;
    drop(ctx);
    let summary = DemoSummary {
        delivered: ids.len(),
        duration,
        p50: percentile(&latencies, 50.0),
        p99: percentile(&latencies, 99.0),
        by_priority,
        db: if options.db.is_some() {
            db
        } else {
            PathBuf::from("(temporary file, removed on exit)")
        },
    };
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let ms: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&ms, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&ms, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&ms[..1], 99.0), Duration::from_millis(1));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }

    #[test]
    fn demo_mixes_priorities() {
        let ps: Vec<Priority> = (0..10).map(priority_of).collect();
        for p in Priority::ALL {
            assert!(ps.contains(p), "{p} missing");
        }
    }
}
