//! The retention and queue-gauge bench on SQLite (`docs/benchmarks.md`, "Retention at
//! 10M jobs"): fills a Herald SQLite file with simulated days of finished jobs, then
//! times what a worker reads once per `PRUNE_INTERVAL_MS` at that size, and the pruner.
//! `bench/retention.sh` drives it, with a live worker's `/metrics` and a load test.
//!
//! ```text
//! cargo bench -p herald-core --bench retention -- fill PATH [JOBS_PER_DAY] [DAYS] [ENDING_DAYS_AGO]
//! cargo bench -p herald-core --bench retention -- measure PATH
//! cargo bench -p herald-core --bench retention -- prune PATH SECONDS
//! ```
//!
//! `fill` appends DAYS days of JOBS_PER_DAY jobs (default 1,000,000 × 10) ending
//! ENDING_DAYS_AGO days before now (default 0), backdated on the real clock, so a worker
//! started on the file prunes what is past its retention. `measure` times the depth
//! (`counts`), the lag (`oldest_ready`) and a tenant's overview (`summarize`,
//! `GET /v1/queues`), 5 runs each. `prune` runs the pruner (batches of 500, the
//! worker's) for at most SECONDS and reports its rate.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chrono::Utc;
use herald_core::clock::SystemClock;
use herald_core::store::sqlite::{SqliteConfig, SqliteStore};
use herald_core::store::{JobStore, MaintenanceStore, PRUNER_DUTY};
use herald_core::{TenantId, WorkerId};
use rusqlite::Connection;

#[path = "../tests/support/retention_fill.rs"]
mod retention_fill;
use retention_fill::{fill_day, pages, DAY_MS};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; the rest is ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let arg = |i: usize, default: i64| -> anyhow::Result<i64> {
        match args.get(i) {
            Some(v) => v
                .parse()
                .with_context(|| format!("argument {i}: {v:?} is not a number")),
            None => Ok(default),
        }
    };
    match (args.first().map(String::as_str), args.get(1)) {
        (Some("fill"), Some(path)) => fill(path, arg(2, 1_000_000)?, arg(3, 10)?, arg(4, 0)?).await,
        (Some("measure"), Some(path)) => measure(path).await,
        (Some("prune"), Some(path)) => prune(path, arg(2, 60)?).await,
        _ => bail!(
            "usage: retention fill PATH [JOBS_PER_DAY] [DAYS] [ENDING_DAYS_AGO] | measure PATH | prune PATH SECONDS"
        ),
    }
}

async fn open(path: &str) -> anyhow::Result<SqliteStore> {
    SqliteStore::open(SqliteConfig::new(path), Arc::new(SystemClock::default()))
        .await
        .context("opening the store")
}

async fn fill(path: &str, per_day: i64, days: i64, ending_days_ago: i64) -> anyhow::Result<()> {
    let store = open(path).await?;
    let conn = Connection::open(path)?;
    // Day numbers continue after what the file holds, so ids never collide.
    let first: i64 = conn.query_row("SELECT COUNT(*) FROM jobs", [], |r| r.get(0))?;
    let offset = first / per_day.max(1) + 1;
    let start = Utc::now().timestamp_millis() - (ending_days_ago + days) * DAY_MS;
    let began = Instant::now();
    for day in 0..days {
        let t = Instant::now();
        fill_day(&conn, offset + day, start + day * DAY_MS, per_day)?;
        eprintln!(
            "fill: day {}/{days}: {per_day} jobs in {:.1}s",
            day + 1,
            t.elapsed().as_secs_f64()
        );
    }
    let (count, free) = pages(&conn)?;
    let total = store.counts().await?.total();
    println!(
        "retention_fill jobs={total} added={} secs={:.1} file_bytes={} pages={count} free_pages={free}",
        per_day * days,
        began.elapsed().as_secs_f64(),
        std::fs::metadata(path)?.len(),
    );
    Ok(())
}

/// Median and worst of 5 timed runs of `f`, in milliseconds.
async fn timed<T, F, Fut>(mut f: F) -> anyhow::Result<(f64, f64)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = herald_core::store::StoreResult<T>>,
{
    let mut ms = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        f().await?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    Ok((ms[2], ms[4]))
}

async fn measure(path: &str) -> anyhow::Result<()> {
    let store = open(path).await?;
    let jobs = store.counts().await?.total();
    let (depth, depth_max) = timed(|| store.counts()).await?;
    let (lag, lag_max) = timed(|| store.oldest_ready()).await?;
    let tenant = TenantId::parse("acme").map_err(|e| anyhow::anyhow!("{e}"))?;
    let since = Utc::now() - chrono::Duration::hours(1);
    let (queues, queues_max) = timed(|| store.summarize(&tenant, since, 10_000)).await?;
    println!(
        "retention_measure jobs={jobs} depth_ms={depth:.2} depth_max_ms={depth_max:.2} \
         lag_ms={lag:.2} lag_max_ms={lag_max:.2} queues_ms={queues:.1} queues_max_ms={queues_max:.1}"
    );
    Ok(())
}

async fn prune(path: &str, seconds: i64) -> anyhow::Result<()> {
    let store = open(path).await?;
    let worker = WorkerId::generate();
    let budget = Duration::from_secs(u64::try_from(seconds).unwrap_or(60));
    let lease = store
        .acquire_duty(PRUNER_DUTY, &worker, budget + Duration::from_secs(60))
        .await?
        .context("the pruner duty is held by a live worker")?;
    let began = Instant::now();
    let (mut jobs, mut events) = (0u64, 0u64);
    while began.elapsed() < budget {
        let report = store.prune(&lease, 500).await?;
        if report.total() == 0 {
            break;
        }
        jobs += report.jobs.values().sum::<u64>();
        events += report.events;
    }
    let secs = began.elapsed().as_secs_f64();
    store.release_duty(&lease).await?;
    println!(
        "retention_prune jobs={jobs} events={events} secs={secs:.1} jobs_per_s={:.0}",
        jobs as f64 / secs
    );
    Ok(())
}
