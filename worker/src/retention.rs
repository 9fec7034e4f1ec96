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

/// The most jobs one batch deletes.
pub const PRUNE_BATCH: usize = 500;
/// The first batch of a run (one job: its cost in a cold file is not known yet); later
/// ones are sized to [`BATCH_TARGET`].
const FIRST_BATCH: usize = 1;
/// How long one batch should hold SQLite's write lock. A deleted job touches every
/// index of `jobs`; in a large, cold file that is milliseconds per job, so a fixed
/// batch of 500 held the lock for seconds and stalled the API's writes behind it
/// (measured: `docs/benchmarks.md`, "Pruning under load"). The batch size follows
/// the time each batch took, between 1 and [`PRUNE_BATCH`].
const BATCH_TARGET: Duration = Duration::from_millis(10);
/// After each batch the pruner rests this many times as long as the batch held the lock
/// (and at least [`BATCH_PAUSE`]), so it holds the write lock at most a fifth of the time.
const REST_FACTOR: u32 = 4;
/// The shortest pause between two batches, when writers get the lock.
const BATCH_PAUSE: Duration = Duration::from_millis(5);

/// The next batch size after a batch of `limit` took `took`: scaled down to what
/// [`BATCH_TARGET`] allows when over it, doubled when well under it.
fn next_batch(limit: usize, took: Duration) -> usize {
    if took > BATCH_TARGET {
        let fits = limit as f64 * BATCH_TARGET.as_secs_f64() / took.as_secs_f64();
        (fits as usize).clamp(1, limit)
    } else if took < BATCH_TARGET / 2 {
        (limit * 2).min(PRUNE_BATCH)
    } else {
        limit
    }
}

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
    let mut limit = FIRST_BATCH;
    loop {
        if *stop.borrow() {
            break;
        }
        let batch = Instant::now();
        match ctx.store.prune(lease, limit).await {
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
                if jobs < limit as u64 && report.events < limit as u64 {
                    break;
                }
                // Sized by the time the batch held the write lock (waiting for it is
                // the writers' turn, not the pruner's cost); rested by the whole time.
                let held = if report.held.is_zero() {
                    batch.elapsed()
                } else {
                    report.held
                };
                limit = next_batch(limit, held);
                tokio::time::sleep((held * REST_FACTOR).max(BATCH_PAUSE)).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_follow_the_time_they_take() {
        assert_eq!(next_batch(50, Duration::from_millis(100)), 5);
        assert_eq!(next_batch(1, Duration::from_secs(2)), 1);
        assert_eq!(next_batch(50, Duration::from_millis(1)), 100);
        assert_eq!(next_batch(400, Duration::from_millis(1)), PRUNE_BATCH);
        assert_eq!(next_batch(50, Duration::from_millis(7)), 50);
    }
}
