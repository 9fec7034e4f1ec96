//! Every `PRUNE_INTERVAL_MS`: the queue gauges, and the pruner on the lease holder.
//!
//! The depth (`notification_queue_depth{state}`) and lag
//! (`herald_queue_oldest_ready_seconds{kind,priority}`) are read from the store once per
//! interval here and cached in the gauges, so a scrape of `/metrics` never queries the
//! jobs. The pruner runs in one worker at a time: the holder of the store's `pruner`
//! duty lease (fenced like a job's lease) deletes in short batches until nothing is due;
//! on MongoDB the TTL indexes delete, and the run keeps the lease and gives the logs of
//! matches that ended dead or cancelled their expiry (`MongoStore::prune`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use herald_core::store::{DutyLease, PRUNER_DUTY};
use herald_core::{shutdown, JobKind, JobStatus, Priority, StoreError};
use tokio::sync::watch;

use crate::context::WorkerContext;

/// Jobs deleted per batch: one short write transaction (a few milliseconds on SQLite),
/// so an API write waits at most one batch for the lock.
pub const PRUNE_BATCH: usize = 500;
/// The pause between two batches, when writers get the lock.
const BATCH_PAUSE: Duration = Duration::from_millis(5);

/// The loop: refresh the gauges, prune if this worker holds (or takes) the duty, wait.
pub async fn run(ctx: Arc<WorkerContext>, mut stop: watch::Receiver<bool>) {
    let interval = ctx.config.prune_interval;
    // Held across a few intervals and renewed every run, so a live holder keeps it and
    // a dead one's lapses within about three intervals.
    let lease_for = interval.saturating_mul(3).max(Duration::from_secs(5));
    let mut held: Option<DutyLease> = None;
    loop {
        refresh_gauges(&ctx).await;
        match ctx
            .store
            .acquire_duty(PRUNER_DUTY, &ctx.id, lease_for)
            .await
        {
            Ok(Some(lease)) => {
                if held.is_none() {
                    tracing::info!(
                        version = lease.version,
                        "this worker holds the pruner lease"
                    );
                }
                prune_run(&ctx, &lease, &mut stop).await;
                held = Some(lease);
            }
            Ok(None) => held = None,
            Err(e) => tracing::warn!(error = %e, "pruner lease: store call failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            () = shutdown::stopped(&mut stop) => break,
        }
    }
    if let Some(lease) = held {
        if let Err(e) = ctx.store.release_duty(&lease).await {
            tracing::warn!(error = %e, "could not release the pruner lease; it lapses by itself");
        }
    }
}

/// Deletes in batches until a batch comes back short, the lease is lost or the worker
/// stops.
async fn prune_run(ctx: &WorkerContext, lease: &DutyLease, stop: &mut watch::Receiver<bool>) {
    let started = Instant::now();
    let mut total = 0_u64;
    loop {
        if *stop.borrow() {
            break;
        }
        match ctx.store.prune(lease, PRUNE_BATCH).await {
            Ok(report) => {
                for ((kind, state), n) in &report.jobs {
                    ctx.metrics
                        .pruned
                        .with_label_values(&[kind.as_str(), state.as_str()])
                        .inc_by(*n);
                }
                if report.events > 0 {
                    ctx.metrics
                        .pruned
                        .with_label_values(&["match_event", "ended"])
                        .inc_by(report.events);
                }
                let jobs: u64 = report.jobs.values().sum();
                total += report.total();
                if jobs < PRUNE_BATCH as u64 && report.events < PRUNE_BATCH as u64 {
                    break;
                }
                tokio::time::sleep(BATCH_PAUSE).await;
            }
            Err(StoreError::LeaseLost) => {
                tracing::info!("the pruner lease moved to another worker");
                break;
            }
            Err(e) => {
                tracing::warn!(error = %e, "prune batch failed; retried next interval");
                break;
            }
        }
    }
    ctx.metrics
        .prune_run_seconds
        .observe(started.elapsed().as_secs_f64());
    if total > 0 {
        tracing::info!(
            deleted = total,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "pruned"
        );
    }
}

/// The queue gauges from the store, once per interval; they keep their last value when
/// the store does not answer.
pub async fn refresh_gauges(ctx: &WorkerContext) {
    let m = &ctx.metrics;
    match ctx.store.counts().await {
        Ok(counts) => {
            for status in JobStatus::ALL {
                m.queue_depth
                    .with_label_values(&[status.as_str()])
                    .set(i64::try_from(counts.get(*status)).unwrap_or(i64::MAX));
            }
        }
        Err(e) => tracing::warn!(error = %e, "queue depth: store call failed"),
    }
    match ctx.store.oldest_ready().await {
        Ok(rows) => {
            let now = ctx.clock.now();
            for &kind in JobKind::ALL {
                for &priority in Priority::ALL {
                    let age = rows
                        .iter()
                        .find(|(k, p, _)| *k == kind && *p == priority)
                        .map_or(0.0, |(_, _, at)| {
                            (now - *at).num_milliseconds().max(0) as f64 / 1000.0
                        });
                    m.queue_oldest_ready_seconds
                        .with_label_values(&[kind.as_str(), priority.as_str()])
                        .set(age);
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "queue lag: store call failed"),
    }
}
