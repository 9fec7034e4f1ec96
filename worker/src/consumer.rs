//! The RabbitMQ consumer group (`docs/dispatch.md`).
//!
//! Every worker consumes the same notification work queues — critical, high, normal —
//! each on its own channel with `PREFETCH_COUNT` and manual acks. Per delivery: claim
//! the job by id → process → write the fenced outcome → ack. A delivery whose job is
//! finished, cancelled, held by another live lease, or not yet due is acked and
//! dropped at once: the store is the source of truth, and the poller claims a waiting
//! job when its time comes, so no delivery is ever held while its job waits.
//!
//! Priority: the queues are separate, and each queue's loop waits for a processing
//! slot with at most one delivery in hand. Slots are handed out first come, first
//! served, so a critical delivery waits for at most one normal delivery ahead of it —
//! never for the normal backlog.
//!
//! Failure: when the connection or a channel breaks, the session ends, unacked
//! deliveries go back to the queues (the broker requeues them), and
//! [`herald_core::supervise`] reconnects with jittered exponential backoff. Jobs
//! already claimed finish and are recorded in the store regardless; their stale acks
//! fail harmlessly and the redelivered messages find the jobs finished.
//!
//! Shutdown: stop consuming (basic.cancel), requeue every delivery not yet started, let
//! the started ones finish and ack, then close the connection.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use herald_core::dispatch::rabbitmq::{Delivery, JobChannel, JobConsumer, Session};
use herald_core::dispatch::DispatchError;
use herald_core::shutdown;
use herald_core::store::{ClaimOutcome, StoreResult};
use herald_core::supervise::{SessionEnd, Supervised};
use herald_core::JobId;
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};

use crate::context::WorkerContext;
use crate::engine::{Engine, Outcome};
use crate::store_retry::{self, GaveUp, Patience};

/// The name of this session in logs, metrics and the broker's connection list.
pub const SESSION: &str = "jobs";

/// The notification queues' session.
#[derive(Debug)]
pub struct Consumer {
    engine: Arc<Engine>,
    slots: Arc<Semaphore>,
}

impl Consumer {
    pub fn new(engine: Arc<Engine>, slots: Arc<Semaphore>) -> Self {
        Self { engine, slots }
    }
}

#[async_trait]
impl Supervised for Consumer {
    /// One channel and consumer per notification queue, highest priority first.
    type Ready = Vec<(JobChannel, JobConsumer)>;

    async fn setup(&mut self, session: &Session) -> Result<Self::Ready, DispatchError> {
        let prefetch = self.engine.context().config.prefetch;
        let mut consumers = Vec::new();
        for queue in session.topology().notification_queues() {
            // Matches take a match slot, not a job slot: `matches::consumer`.
            let channel = session.channel(prefetch).await?;
            let tag = format!("{}:{queue}", self.engine.context().id);
            let consumer = channel.consume(&queue, &tag).await?;
            consumers.push((channel, consumer));
        }
        tracing::info!(
            group = session.topology().group(),
            prefetch,
            "consuming from RabbitMQ"
        );
        Ok(consumers)
    }

    async fn run(
        &mut self,
        _session: &Session,
        consumers: Self::Ready,
        stop: &mut watch::Receiver<bool>,
    ) -> SessionEnd {
        let (lost_tx, mut lost_rx) = mpsc::channel::<DispatchError>(consumers.len());
        let mut loops = Vec::new();
        for (channel, consumer) in consumers {
            let queue_loop = QueueLoop {
                engine: self.engine.clone(),
                slots: self.slots.clone(),
                _channel: channel,
            };
            let stop = stop.clone();
            let lost = lost_tx.clone();
            loops.push(tokio::spawn(async move {
                if let Err(error) = queue_loop.run(consumer, stop).await {
                    let _ = lost.send(error).await;
                }
            }));
        }
        drop(lost_tx);
        let end = tokio::select! {
            () = shutdown::stopped(stop) => SessionEnd::Stopped,
            error = lost_rx.recv() => SessionEnd::Lost(
                error.unwrap_or_else(|| DispatchError::Unavailable("every queue loop ended".into())),
            ),
        };
        if matches!(end, SessionEnd::Lost(_)) {
            for l in &loops {
                l.abort();
            }
        }
        for l in loops {
            let _ = l.await;
        }
        if matches!(end, SessionEnd::Stopped) {
            // In-flight jobs ack on this connection: wait for them before it closes.
            let all = u32::try_from(self.engine.context().config.concurrency).unwrap_or(u32::MAX);
            let _ = self.slots.acquire_many(all).await;
        }
        end
    }
}

/// Consumes one queue on its own channel.
struct QueueLoop {
    engine: Arc<Engine>,
    slots: Arc<Semaphore>,
    /// The consumer's channel, open as long as the loop runs.
    _channel: JobChannel,
}

impl QueueLoop {
    /// Returns `Ok` after a requested stop, the cause when the channel broke.
    async fn run(
        self,
        mut consumer: JobConsumer,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(), DispatchError> {
        loop {
            let delivery = tokio::select! {
                biased;
                () = shutdown::stopped(&mut stop) => break,
                next = consumer.next() => next?,
            };
            // Wait for a processing slot with this one delivery in hand.
            let permit = tokio::select! {
                biased;
                () = shutdown::stopped(&mut stop) => {
                    delivery.requeue().await;
                    break;
                }
                permit = self.slots.clone().acquire_owned() => match permit {
                    Ok(p) => p,
                    Err(_) => { delivery.requeue().await; break; }
                },
            };
            let engine = self.engine.clone();
            tokio::spawn(handle(engine, delivery, permit, stop.clone()));
        }
        // Stop: no more deliveries; give back what the client buffered meanwhile.
        let _ = consumer.cancel().await;
        Ok(())
    }
}

/// Acks a delivery that is done with, counting what became of it.
async fn ack(engine: &Engine, delivery: &Delivery, result: &str) {
    engine
        .context()
        .metrics
        .deliveries_dropped
        .with_label_values(&[result])
        .inc();
    if let Err(e) = delivery.ack().await {
        // The channel broke after the outcome was written: the broker redelivers the
        // message, and the claim finds the job finished.
        tracing::debug!(error = %e, "ack failed; the redelivery will be dropped");
    }
}

async fn requeue(engine: &Engine, delivery: &Delivery) {
    delivery.requeue().await;
    engine
        .context()
        .metrics
        .deliveries_dropped
        .with_label_values(&["requeued"])
        .inc();
}

/// One delivery: claim by id → process → ack.
async fn handle(
    engine: Arc<Engine>,
    delivery: Delivery,
    permit: OwnedSemaphorePermit,
    stop: watch::Receiver<bool>,
) {
    let message = match delivery.job() {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "undecodable message; dead-lettering it");
            engine
                .context()
                .metrics
                .deliveries_dropped
                .with_label_values(&["invalid"])
                .inc();
            delivery.reject().await;
            return;
        }
    };
    let ctx = engine.context();
    let claimed = match claim(ctx, &message.id, stop, || engine.claim_delivery(&message)).await {
        Ok(ClaimOutcome::Claimed(job)) => job,
        Ok(ClaimOutcome::NotClaimed(_)) => {
            ack(&engine, &delivery, "skipped").await;
            return;
        }
        Err(ClaimFailed::Stopping) => {
            // Stopping while the store is down: the message goes back to the queue.
            requeue(&engine, &delivery).await;
            return;
        }
        Err(ClaimFailed::Broken) => {
            // Not transient (a corrupt row, a bug): retrying the message cannot help,
            // and the job, if claimable, is still found by the poller.
            ack(&engine, &delivery, "invalid").await;
            return;
        }
    };
    engine
        .context()
        .metrics
        .lease_claims
        .with_label_values(&["rabbitmq"])
        .inc();
    let outcome = engine.process(*claimed).await;
    if outcome == Outcome::Released {
        // Shutdown gave the job back: let another worker have the message now.
        requeue(&engine, &delivery).await;
    } else {
        ack(&engine, &delivery, "processed").await;
    }
    drop(permit);
}

pub(crate) enum ClaimFailed {
    /// Shutdown began while the store was unreachable.
    Stopping,
    /// The store answered with an error that retrying will not fix.
    Broken,
}

/// Claims a delivery's job by id with `claim`, waiting out store outages (the
/// delivery stays unacked meanwhile, bounded by prefetch, so an outage never turns
/// into a redelivery spin). A job that is not claimable is counted in
/// `herald_lease_conflicts_total`.
pub(crate) async fn claim<F, Fut>(
    ctx: &WorkerContext,
    id: &JobId,
    stop: watch::Receiver<bool>,
    claim: F,
) -> Result<ClaimOutcome, ClaimFailed>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = StoreResult<ClaimOutcome>>,
{
    let patience = Patience::until_stopped(stop);
    match store_retry::call(&ctx.metrics, "the claim", patience, claim).await {
        Ok(ClaimOutcome::NotClaimed(why)) => {
            let reason = why.label();
            ctx.metrics
                .lease_conflicts
                .with_label_values(&[reason])
                .inc();
            tracing::debug!(job_id = %id, reason, "delivery dropped: job not claimable");
            Ok(ClaimOutcome::NotClaimed(why))
        }
        Ok(outcome) => Ok(outcome),
        Err(GaveUp::Stopping) => Err(ClaimFailed::Stopping),
        Err(GaveUp::Refused(e) | GaveUp::OutOfTime(e)) => {
            tracing::error!(error = %e, job_id = %id, "claim failed");
            Err(ClaimFailed::Broken)
        }
    }
}
