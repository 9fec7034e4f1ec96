//! The match queue's consumer: new matches reach the worker with a free slot.
//!
//! The `{group}.match` queue is consumed on its own channel with prefetch 1, and only
//! while this worker has a free match slot: a delivery is taken into a slot, claimed by
//! id, and acked right after the claim — a match's delivery is never held for the
//! match's life (RabbitMQ would close the channel at its consumer timeout). When the
//! last slot is taken the consumer is cancelled (anything the client buffered
//! meanwhile is requeued), so the broker hands new matches to workers with room; it
//! consumes again when a slot frees. The match poller takes slots too, so a delivery
//! that finds no slot left is requeued the same way.

use std::sync::Arc;

use async_trait::async_trait;
use herald_core::dispatch::rabbitmq::{Delivery, JobChannel, JobConsumer, Session};
use herald_core::dispatch::DispatchError;
use herald_core::shutdown;
use herald_core::store::ClaimOutcome;
use herald_core::supervise::{SessionEnd, Supervised};
use tokio::sync::watch;

use super::Matches;
use crate::consumer::{self, ClaimFailed};

/// The name of this session in logs, metrics and the broker's connection list.
pub const SESSION: &str = "matches";

#[derive(Debug)]
pub struct MatchConsumer {
    matches: Arc<Matches>,
    /// Consumers started, for distinct consumer tags on one channel.
    consumes: u64,
}

impl MatchConsumer {
    pub fn new(matches: Arc<Matches>) -> Self {
        Self {
            matches,
            consumes: 0,
        }
    }

    /// Consumes the match queue, but only once a slot is free; `None` on a stop.
    async fn consume_when_free(
        &mut self,
        channel: &JobChannel,
        queue: &str,
        stop: &mut watch::Receiver<bool>,
    ) -> Option<Result<JobConsumer, DispatchError>> {
        let slots = self.matches.slots().clone();
        tokio::select! {
            biased;
            () = shutdown::stopped(stop) => return None,
            permit = slots.acquire() => drop(permit),
        }
        self.consumes += 1;
        let tag = format!("{}:{queue}:{}", self.matches.ctx.id, self.consumes);
        let consumer = channel.consume(queue, &tag).await;
        tracing::debug!(free = slots.available_permits(), "consuming matches");
        Some(consumer)
    }

    /// Claims the delivery's match, waiting out store outages (the one delivery stays
    /// unacked meanwhile).
    async fn claim(&self, delivery: &Delivery, stop: &watch::Receiver<bool>) -> Taken {
        let ctx = self.matches.context();
        let message = match delivery.job() {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "undecodable match message; dead-lettering it");
                delivery.reject().await;
                return Taken::Rejected;
            }
        };
        let lease = ctx.config.lock_duration;
        let claim = || ctx.store.claim(&message.id, &ctx.id, lease);
        match consumer::claim(ctx, &message.id, stop.clone(), claim).await {
            Ok(ClaimOutcome::Claimed(job)) => Taken::Claimed(job),
            Ok(ClaimOutcome::NotClaimed(_)) => Taken::Dropped,
            // The poller still finds the match if it is claimable.
            Err(ClaimFailed::Broken) => Taken::Dropped,
            Err(ClaimFailed::Stopping) => Taken::Stopping,
        }
    }
}

#[async_trait]
impl Supervised for MatchConsumer {
    type Ready = JobChannel;

    async fn setup(&mut self, session: &Session) -> Result<JobChannel, DispatchError> {
        session.channel(1).await
    }

    async fn run(
        &mut self,
        session: &Session,
        channel: JobChannel,
        stop: &mut watch::Receiver<bool>,
    ) -> SessionEnd {
        let queue = session.topology().match_queue();
        let slots = self.matches.slots().clone();
        let mut consumer: Option<JobConsumer> = None;
        loop {
            let c = match consumer.as_mut() {
                Some(c) => c,
                // Full: consume again only once a slot is free.
                None => match self.consume_when_free(&channel, &queue, stop).await {
                    None => return SessionEnd::Stopped,
                    Some(Err(e)) => return SessionEnd::Lost(e),
                    Some(Ok(c)) => consumer.insert(c),
                },
            };
            let delivery = tokio::select! {
                biased;
                () = shutdown::stopped(stop) => break,
                next = c.next() => match next {
                    Ok(delivery) => delivery,
                    Err(e) => return SessionEnd::Lost(e),
                },
            };
            match slots.clone().try_acquire_owned() {
                Ok(slot) => match self.claim(&delivery, stop).await {
                    Taken::Claimed(job) => {
                        ack(&delivery).await;
                        self.matches
                            .ctx
                            .metrics
                            .lease_claims
                            .with_label_values(&["rabbitmq"])
                            .inc();
                        self.matches.spawn_host(*job, slot);
                    }
                    Taken::Dropped => ack(&delivery).await,
                    // Already rejected (dead-lettered): nothing more to answer (the
                    // broker would refuse a second answer for the delivery anyway).
                    Taken::Rejected => {}
                    Taken::Stopping => {
                        delivery.requeue().await;
                        break;
                    }
                },
                // The poller took the last slot since: this one goes to a worker with room.
                Err(_) => delivery.requeue().await,
            }
            if slots.available_permits() == 0 {
                if let Some(c) = consumer.take() {
                    if let Err(e) = c.cancel().await {
                        return SessionEnd::Lost(e);
                    }
                    tracing::debug!("match slots full; stopped consuming matches");
                }
            }
        }
        if let Some(c) = consumer.take() {
            if let Err(e) = c.cancel().await {
                return SessionEnd::Lost(e);
            }
        }
        SessionEnd::Stopped
    }
}

enum Taken {
    Claimed(Box<herald_core::ClaimedJob>),
    /// Acked without hosting: finished, held elsewhere, or unknown.
    Dropped,
    /// Unreadable: rejected to the dead-letter queue, nothing more to answer.
    Rejected,
    /// Shutdown began while the store was unreachable.
    Stopping,
}

async fn ack(delivery: &Delivery) {
    if let Err(e) = delivery.ack().await {
        // The claim is in the store; a redelivery finds the match held and is dropped.
        tracing::debug!(error = %e, "match ack failed");
    }
}
