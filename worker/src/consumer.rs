//! The RabbitMQ consumer group (DESIGN §4).
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
//! deliveries go back to the queues (the broker requeues them), and the worker
//! reconnects with jittered exponential backoff. Jobs already claimed finish and are
//! recorded in the store regardless; their stale acks fail harmlessly and the
//! redelivered messages find the jobs finished.
//!
//! Shutdown: stop consuming (basic.cancel), nack with requeue every delivery not yet
//! started, let the started ones finish and ack, then close the connection.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use herald_core::dispatch::{self, JobMessage, Topology};
use herald_core::store::ClaimOutcome;
use herald_core::{JobId, JobKind, StoreError};
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions,
    BasicRejectOptions,
};
use lapin::types::FieldTable;
use lapin::Connection;
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};

use crate::backoff::{self, Backoff};
use crate::engine::{Engine, Outcome};

/// How long to wait for deliveries still in the client's buffer after basic.cancel.
const CANCEL_DRAIN: Duration = Duration::from_millis(300);
/// First pause of a claim waiting out a store outage.
const CLAIM_RETRY_FIRST: Duration = Duration::from_millis(100);

#[derive(Debug)]
pub struct Consumer {
    engine: Arc<Engine>,
    slots: Arc<Semaphore>,
    url: String,
    topology: Topology,
}

/// Why a session ended.
enum SessionEnd {
    Stopped,
    Lost(String),
}

impl Consumer {
    pub fn new(engine: Arc<Engine>, slots: Arc<Semaphore>, url: String) -> Self {
        let topology = Topology::new(&engine.config.consumer_group);
        Self {
            engine,
            slots,
            url,
            topology,
        }
    }

    /// Consumes until `stop` turns true, reconnecting whenever the broker goes away.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut backoff = Backoff::reconnect();
        let mut sessions = 0u64;
        loop {
            let end = match dispatch::connect(&self.url).await {
                Ok(connection) => {
                    sessions += 1;
                    if sessions > 1 {
                        self.engine.metrics.broker_reconnects.inc();
                    }
                    let end = self.session(&connection, &mut stop, &mut backoff).await;
                    self.engine.metrics.broker_connected.set(0);
                    if matches!(end, SessionEnd::Stopped) {
                        // In-flight jobs ack on this connection: wait for them first.
                        let all = u32::try_from(self.engine.config.concurrency).unwrap_or(u32::MAX);
                        let _ = self.slots.acquire_many(all).await;
                    }
                    let _ = connection
                        .close(200, "worker stopping consumer".into())
                        .await;
                    end
                }
                Err(e) => SessionEnd::Lost(e.to_string()),
            };
            match end {
                SessionEnd::Stopped => return,
                SessionEnd::Lost(reason) => {
                    let waited = backoff
                        .wait(&mut stop, |pause| {
                            tracing::warn!(
                                reason = %reason,
                                retry_in_ms = pause.as_millis() as u64,
                                "RabbitMQ unavailable; reconnecting"
                            );
                        })
                        .await;
                    if !waited {
                        return;
                    }
                }
            }
        }
    }

    /// One connection's life: declare, consume every notification queue, until the
    /// connection breaks or `stop` turns true.
    async fn session(
        &self,
        connection: &Connection,
        stop: &mut watch::Receiver<bool>,
        backoff: &mut Backoff,
    ) -> SessionEnd {
        let setup = async {
            let channel = connection
                .create_channel()
                .await
                .map_err(|e| e.to_string())?;
            dispatch::declare(&channel, &self.topology)
                .await
                .map_err(|e| e.to_string())?;
            // Kept open (not closed) for the session: closing a channel while the
            // connection may be failing only adds noise to the log.
            let _declared_on = channel;
            let mut queues = Vec::new();
            for queue in self.topology.work_queues() {
                if queue
                    == self
                        .topology
                        .queue(JobKind::Match, herald_core::Priority::Normal)
                {
                    // Matches take a match slot, not a job slot: `matches::consumer`.
                    continue;
                }
                let channel = connection
                    .create_channel()
                    .await
                    .map_err(|e| e.to_string())?;
                channel
                    .basic_qos(self.engine.config.prefetch, BasicQosOptions::default())
                    .await
                    .map_err(|e| e.to_string())?;
                let tag = format!("{}:{queue}", self.engine.worker);
                let consumer = channel
                    .basic_consume(
                        queue.as_str().into(),
                        tag.as_str().into(),
                        BasicConsumeOptions::default(),
                        FieldTable::default(),
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                queues.push((queue, tag, channel, consumer));
            }
            Ok::<_, String>(queues)
        };
        let queues = match setup.await {
            Ok(queues) => queues,
            Err(e) => return SessionEnd::Lost(e),
        };
        self.engine.metrics.broker_connected.set(1);
        backoff.reset();
        tracing::info!(
            group = self.topology.group(),
            prefetch = self.engine.config.prefetch,
            "consuming from RabbitMQ"
        );

        let (lost_tx, mut lost_rx) = mpsc::channel::<String>(queues.len());
        let mut loops = Vec::new();
        for (queue, tag, channel, consumer) in queues {
            let queue_loop = QueueLoop {
                engine: self.engine.clone(),
                slots: self.slots.clone(),
                queue,
                tag,
                channel,
            };
            let stop = stop.clone();
            let lost = lost_tx.clone();
            loops.push(tokio::spawn(async move {
                if let Err(reason) = queue_loop.run(consumer, stop).await {
                    let _ = lost.send(reason).await;
                }
            }));
        }
        drop(lost_tx);
        let end = tokio::select! {
            () = crate::signal_on(stop) => SessionEnd::Stopped,
            reason = lost_rx.recv() => SessionEnd::Lost(reason.unwrap_or_else(|| "consumers ended".into())),
        };
        if matches!(end, SessionEnd::Lost(_)) {
            for l in &loops {
                l.abort();
            }
        }
        for l in loops {
            let _ = l.await;
        }
        end
    }
}

/// Consumes one queue on its own channel.
struct QueueLoop {
    engine: Arc<Engine>,
    slots: Arc<Semaphore>,
    queue: String,
    tag: String,
    channel: lapin::Channel,
}

impl QueueLoop {
    /// Returns `Ok` after a requested stop, `Err(reason)` when the channel broke.
    async fn run(
        self,
        mut consumer: lapin::Consumer,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(), String> {
        loop {
            let delivery = tokio::select! {
                biased;
                () = crate::signal_on(&mut stop) => break,
                next = consumer.next() => match next {
                    Some(Ok(delivery)) => delivery,
                    Some(Err(e)) => return Err(format!("{}: {e}", self.queue)),
                    None => return Err(format!("{}: consumer cancelled", self.queue)),
                },
            };
            // Wait for a processing slot with this one delivery in hand.
            let permit = tokio::select! {
                biased;
                () = crate::signal_on(&mut stop) => {
                    requeue(&delivery).await;
                    break;
                }
                permit = self.slots.clone().acquire_owned() => match permit {
                    Ok(p) => p,
                    Err(_) => { requeue(&delivery).await; break; }
                },
            };
            let engine = self.engine.clone();
            tokio::spawn(handle(engine, delivery, permit, stop.clone()));
        }
        // Stop: no more deliveries; give back what the client buffered meanwhile.
        let _ = cancel_and_requeue(&self.channel, &self.tag, &mut consumer).await;
        Ok(())
    }
}

/// Stops a consumer (basic.cancel) and requeues whatever the client had buffered for
/// it, so those messages go to a consumer that can take them now.
pub(crate) async fn cancel_and_requeue(
    channel: &lapin::Channel,
    tag: &str,
    consumer: &mut lapin::Consumer,
) -> Result<(), lapin::Error> {
    let cancelled = channel
        .basic_cancel(tag.into(), BasicCancelOptions::default())
        .await;
    while let Ok(Some(Ok(delivery))) = tokio::time::timeout(CANCEL_DRAIN, consumer.next()).await {
        requeue(&delivery).await;
    }
    cancelled
}

pub(crate) async fn requeue(delivery: &lapin::message::Delivery) {
    let _ = delivery
        .acker
        .nack(BasicNackOptions {
            multiple: false,
            requeue: true,
        })
        .await;
}

async fn ack(engine: &Engine, delivery: &lapin::message::Delivery, result: &str) {
    engine
        .metrics
        .deliveries_dropped
        .with_label_values(&[result])
        .inc();
    if let Err(e) = delivery.acker.ack(BasicAckOptions::default()).await {
        // The channel broke after the outcome was written: the broker redelivers the
        // message, and the claim finds the job finished.
        tracing::debug!(error = %e, "ack failed; the redelivery will be dropped");
    }
}

/// One delivery: claim by id → process → ack.
async fn handle(
    engine: Arc<Engine>,
    delivery: lapin::message::Delivery,
    permit: OwnedSemaphorePermit,
    stop: watch::Receiver<bool>,
) {
    let message = match JobMessage::decode(&delivery.data) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "undecodable message; dead-lettering it");
            engine
                .metrics
                .deliveries_dropped
                .with_label_values(&["invalid"])
                .inc();
            let _ = delivery
                .acker
                .reject(BasicRejectOptions { requeue: false })
                .await;
            return;
        }
    };
    let claimed = match claim(&engine, &message.id, stop).await {
        Ok(ClaimOutcome::Claimed(job)) => job,
        Ok(ClaimOutcome::NotClaimed(why)) => {
            let reason = why.label();
            engine
                .metrics
                .lease_conflicts
                .with_label_values(&[reason])
                .inc();
            tracing::debug!(job_id = %message.id, reason, "delivery dropped: job not claimable");
            ack(&engine, &delivery, "skipped").await;
            return;
        }
        Err(ClaimFailed::Stopping) => {
            // Stopping while the store is down: the message goes back to the queue.
            requeue(&delivery).await;
            engine
                .metrics
                .deliveries_dropped
                .with_label_values(&["requeued"])
                .inc();
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
        .metrics
        .lease_claims
        .with_label_values(&["rabbitmq"])
        .inc();
    let outcome = engine.process(*claimed).await;
    if outcome == Outcome::Released {
        // Shutdown gave the job back: let another worker have the message now.
        requeue(&delivery).await;
        engine
            .metrics
            .deliveries_dropped
            .with_label_values(&["requeued"])
            .inc();
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

/// Claims by id, waiting out store outages with backoff (the delivery stays unacked
/// meanwhile, bounded by prefetch, so an outage never turns into a redelivery spin).
pub(crate) async fn claim(
    engine: &Engine,
    id: &JobId,
    mut stop: watch::Receiver<bool>,
) -> Result<ClaimOutcome, ClaimFailed> {
    let mut backoff = Backoff::new(CLAIM_RETRY_FIRST, backoff::RECONNECT_MAX);
    loop {
        match engine.claim_by_id(id).await {
            Ok(outcome) => return Ok(outcome),
            Err(StoreError::Unavailable(e)) => {
                tracing::warn!(error = %e, job_id = %id, "store unavailable; claim will be retried");
            }
            Err(e) => {
                tracing::error!(error = %e, job_id = %id, "claim failed");
                return Err(ClaimFailed::Broken);
            }
        }
        if !backoff.wait(&mut stop, |_| {}).await {
            return Err(ClaimFailed::Stopping);
        }
    }
}
