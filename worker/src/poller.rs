//! The poller (`docs/dispatch.md`): in every worker, jittered every `POLL_INTERVAL_MS`, it
//! claims up to `WORKER_BATCH_SIZE` due notifications — scheduled retries, snoozed
//! jobs, expired leases of dead workers, and pending jobs whose publish was lost — and
//! processes them. In embedded mode it is the only dispatch path: while polls come back
//! full it keeps claiming as slots free up instead of sleeping, so a backlog drains at
//! the store's pace and an idle queue is seen within one (short) interval. There it also
//! listens for the API's wake-ups (`herald_core::dispatch::wake`), so a job enqueued on
//! an idle queue is claimed at once, not at the next poll.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use herald_core::backoff::poll_pause;
use herald_core::dispatch::wake::WakeListener;
use herald_core::shutdown;
use herald_core::StoreError;
use tokio::sync::{watch, Semaphore};

use crate::engine::Engine;

#[derive(Debug)]
pub struct Poller {
    engine: Arc<Engine>,
    slots: Arc<Semaphore>,
    interval: Duration,
    batch: usize,
    /// Embedded mode: the API's wake-ups.
    wake: Option<WakeListener>,
}

impl Poller {
    /// A poller of `engine`'s store; with `wake`, it also polls whenever that rings.
    pub fn new(engine: Arc<Engine>, slots: Arc<Semaphore>, wake: Option<WakeListener>) -> Self {
        let interval = engine.context().config.poll_interval;
        let batch = engine.context().config.batch_size;
        Self {
            engine,
            slots,
            interval,
            batch,
            wake,
        }
    }

    /// Polls until `stop` turns true: every interval, at once when a capped tenant's
    /// job finishes here ([`crate::turns`]: the tenant has room again), and at once on a
    /// wake-up. While polls fail, only the growing pause paces it.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut failures = 0u32;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(poll_pause(self.interval, failures)) => {}
                () = self.engine.turns().poked(), if failures == 0 => {}
                () = woken(self.wake.as_ref()), if failures == 0 => {}
                () = shutdown::stopped(&mut stop) => return,
            }
            match self.drain(stop.clone()).await {
                Ok(()) => failures = 0,
                Err(e) => {
                    failures += 1;
                    tracing::warn!(error = %e, failures, "poll failed; backing off");
                }
            }
        }
    }

    /// Claims and starts due jobs until a poll comes back short of a full batch.
    async fn drain(&self, mut stop: watch::Receiver<bool>) -> Result<(), StoreError> {
        loop {
            // Wait for at least one free slot, then ask for as many as are free.
            let first = tokio::select! {
                permit = self.slots.clone().acquire_owned() => match permit {
                    Ok(p) => p,
                    Err(_) => return Ok(()),
                },
                () = shutdown::stopped(&mut stop) => return Ok(()),
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

/// The next wake-up; never, without a listener.
async fn woken(wake: Option<&WakeListener>) {
    match wake {
        Some(wake) => wake.rung().await,
        None => std::future::pending().await,
    }
}

/// Runs `poll` every `interval` (jittered) until `stop` turns true; while polls fail,
/// the pause grows exponentially ([`poll_pause`]), so a broken store is never spun on.
/// `what` names the poll in the log.
pub(crate) async fn every<F, Fut>(
    what: &str,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
    mut poll: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), StoreError>>,
{
    let mut failures = 0u32;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(poll_pause(interval, failures)) => {}
            () = shutdown::stopped(&mut stop) => return,
        }
        match poll().await {
            Ok(()) => failures = 0,
            Err(e) => {
                failures += 1;
                tracing::warn!(error = %e, failures, "{what} failed; backing off");
            }
        }
    }
}
