//! The poller (DESIGN §4): in every worker, jittered every `POLL_INTERVAL_MS`, it
//! claims up to `WORKER_BATCH_SIZE` due notifications — scheduled retries, snoozed
//! jobs, expired leases of dead workers, and pending jobs whose publish was lost — and
//! processes them. In embedded mode it is the only dispatch path: while polls come back
//! full it keeps claiming as slots free up instead of sleeping, so a backlog drains at
//! the store's pace and an idle queue is seen within one (short) interval.

use std::sync::Arc;
use std::time::Duration;

use herald_core::StoreError;
use rand::Rng;
use tokio::sync::{watch, Semaphore};

use crate::engine::Engine;

/// The longest pause after repeated store failures.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct Poller {
    engine: Arc<Engine>,
    slots: Arc<Semaphore>,
    interval: Duration,
    batch: usize,
}

impl Poller {
    pub fn new(engine: Arc<Engine>, slots: Arc<Semaphore>) -> Self {
        let interval = engine.config.poll_interval;
        let batch = engine.config.batch_size;
        Self {
            engine,
            slots,
            interval,
            batch,
        }
    }

    /// Polls until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut failures = 0u32;
        loop {
            let pause = if failures == 0 {
                jittered(self.interval)
            } else {
                // Store trouble: back off exponentially, never spinning.
                let exp = self.interval.max(Duration::from_millis(100))
                    * 2u32.saturating_pow(failures.min(8));
                jittered(exp.min(MAX_BACKOFF))
            };
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                () = crate::signal_on(&mut stop) => return,
            }
            match self.drain(&mut stop).await {
                Ok(()) => failures = 0,
                Err(e) => {
                    failures += 1;
                    tracing::warn!(error = %e, failures, "poll failed; backing off");
                }
            }
        }
    }

    /// Claims and starts due jobs until a poll comes back short of a full batch.
    async fn drain(&self, stop: &mut watch::Receiver<bool>) -> Result<(), StoreError> {
        loop {
            // Wait for at least one free slot, then ask for as many as are free.
            let first = tokio::select! {
                permit = self.slots.clone().acquire_owned() => match permit {
                    Ok(p) => p,
                    Err(_) => return Ok(()),
                },
                () = crate::signal_on(stop) => return Ok(()),
            };
            let limit = (self.slots.available_permits() + 1).min(self.batch);
            let claimed = self.engine.claim_due(limit).await?;
            let full = claimed.len() == limit;
            let mut first = Some(first);
            for job in claimed {
                // Slots were free when counted; a consumer may have taken one since,
                // in which case this waits briefly for the next.
                let permit = match first.take() {
                    Some(p) => p,
                    None => match self.slots.clone().acquire_owned().await {
                        Ok(p) => p,
                        Err(_) => return Ok(()),
                    },
                };
                let engine = self.engine.clone();
                tokio::spawn(async move {
                    engine.process(job).await;
                    drop(permit);
                });
            }
            if !full || *stop.borrow() {
                return Ok(());
            }
        }
    }
}

/// `base` ± 20 %, so workers started together do not poll in lockstep.
pub fn jittered(base: Duration) -> Duration {
    let factor = rand::thread_rng().gen_range(0.8..=1.2);
    base.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_a_fifth() {
        let base = Duration::from_millis(1000);
        for _ in 0..1000 {
            let d = jittered(base);
            assert!(d >= Duration::from_millis(800) && d <= Duration::from_millis(1200));
        }
    }
}
