//! Ten simulated days on SQLite (issue 16's proof): the store is filled with ten days of
//! finished jobs in mixed terminal states, timestamps backdated (one SQL statement per
//! day, as the store would have stamped them by its clock), then the pruner runs at the
//! store's clock of day 10: exactly the retention window remains. Then another day of
//! traffic and another prune: the file does not grow (freed pages are reused).
//!
//! The test runs at 1/100 of 1M jobs a day. The same test is the full-scale bench
//! (`docs/benchmarks.md`):
//! `HERALD_RETENTION_JOBS_PER_DAY=1000000 cargo test --release -p herald-core --test retention_sqlite -- --nocapture`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use herald_core::clock::ManualClock;
use herald_core::store::sqlite::{SqliteConfig, SqliteStore};
use herald_core::store::{JobStore, Lifecycle, MaintenanceStore, PRUNER_DUTY};
use herald_core::{JobStatus, WorkerId};
use rusqlite::Connection;

#[path = "support/retention_fill.rs"]
mod retention_fill;
use retention_fill::{fill_day, pages, DAY_MS};

fn jobs_per_day() -> i64 {
    std::env::var("HERALD_RETENTION_JOBS_PER_DAY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

/// Runs the pruner to the end; (jobs deleted, events deleted, seconds).
async fn prune_all(store: &SqliteStore, worker: &WorkerId) -> (u64, u64, f64) {
    let lease = store
        .acquire_duty(PRUNER_DUTY, worker, Duration::from_secs(600))
        .await
        .unwrap()
        .unwrap();
    let started = Instant::now();
    let (mut jobs, mut events) = (0, 0);
    loop {
        let report = store.prune(&lease, 500).await.unwrap();
        if report.total() == 0 {
            break;
        }
        jobs += report.jobs.values().sum::<u64>();
        events += report.events;
    }
    (jobs, events, started.elapsed().as_secs_f64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_simulated_days_leave_exactly_the_retention_window() {
    let n = jobs_per_day();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("herald.db");
    let day0: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let clock = ManualClock::new(day0 + chrono::Duration::days(10));
    let mut config = SqliteConfig::new(&path);
    config.lifecycle = Lifecycle::default();
    let store = SqliteStore::open(config, Arc::new(clock.clone()))
        .await
        .unwrap();
    let conn = Connection::open(&path).unwrap();

    let filled = Instant::now();
    for day in 0..10 {
        fill_day(&conn, day, day0.timestamp_millis() + day * DAY_MS, n).unwrap();
    }
    let fill_secs = filled.elapsed().as_secs_f64();
    let before = pages(&conn).unwrap();
    let size_before = std::fs::metadata(&path).unwrap().len();

    // The queue gauges' reads at this size (what a worker does once per interval).
    let read = Instant::now();
    let counts = store.counts().await.unwrap();
    let counts_ms = read.elapsed().as_secs_f64() * 1e3;
    let read = Instant::now();
    let ready = store.oldest_ready().await.unwrap();
    let lag_ms = read.elapsed().as_secs_f64() * 1e3;
    assert_eq!(counts.total(), (10 * n) as u64);
    assert!(ready.is_empty(), "every simulated job is finished");

    let worker = WorkerId::generate();
    let (deleted, events, secs) = prune_all(&store, &worker).await;
    // Exactly the window: succeeded and cancelled of days 3..9 (7 days), dead of all 10.
    let per_day = |pred: &dyn Fn(i64) -> bool| (0..n).filter(|i| pred(*i)).count() as u64;
    let dead_per_day = per_day(&|i| i % 20 == 0);
    let cancelled_per_day = per_day(&|i| i % 20 == 1);
    let succeeded_per_day = n as u64 - dead_per_day - cancelled_per_day;
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.get(JobStatus::Succeeded), 7 * succeeded_per_day);
    assert_eq!(counts.get(JobStatus::Cancelled), 7 * cancelled_per_day);
    assert_eq!(counts.get(JobStatus::Dead), 10 * dead_per_day);
    assert_eq!(deleted, 3 * (succeeded_per_day + cancelled_per_day));
    let events_left: i64 = conn
        .query_row("SELECT COUNT(*) FROM match_events", [], |r| r.get(0))
        .unwrap();
    let matches_left: i64 = conn
        .query_row("SELECT COUNT(*) FROM jobs WHERE kind = 'match'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(
        events_left,
        3 * matches_left,
        "every kept match keeps its log"
    );
    assert!(events > 0, "the deleted matches' events went with them");
    let after = pages(&conn).unwrap();
    let size_after = std::fs::metadata(&path).unwrap().len();
    assert!(after.1 > 0, "the deleted rows' pages are on the free list");

    // Another day of traffic, then day 11's prune: the new rows reuse the freed pages.
    fill_day(&conn, 10, day0.timestamp_millis() + 10 * DAY_MS, n).unwrap();
    clock.set(day0 + chrono::Duration::days(11));
    let (deleted_next, _, secs_next) = prune_all(&store, &worker).await;
    assert_eq!(deleted_next, succeeded_per_day + cancelled_per_day);
    let next_day = pages(&conn).unwrap();
    let size_next = std::fs::metadata(&path).unwrap().len();
    assert!(
        next_day.0 <= before.0,
        "the file grew after pruning: {} pages, {} before",
        next_day.0,
        before.0
    );
    println!(
        "retention, {n} jobs/day x 10 days: filled in {fill_secs:.1}s; counts {counts_ms:.1} ms, \
         oldest-ready {lag_ms:.2} ms; pruned {deleted} jobs + {events} events in {secs:.2}s \
         ({:.0} jobs/s); file {size_before} B ({} pages, {} free) -> {size_after} B ({} pages, \
         {} free) -> after day 11 {size_next} B ({} pages, {} free; pruned {deleted_next} in \
         {secs_next:.2}s)",
        deleted as f64 / secs,
        before.0,
        before.1,
        after.0,
        after.1,
        next_day.0,
        next_day.1,
    );
}
