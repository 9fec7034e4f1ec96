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

use futures::StreamExt;
use herald_core::dispatch::{self, JobMessage, Topology};
use herald_core::store::ClaimOutcome;
use herald_core::{JobKind, Priority};
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions, BasicRejectOptions};
use lapin::types::FieldTable;
use tokio::sync::watch;

use super::Matches;
use crate::backoff::Backoff;
use crate::consumer::{self, requeue, ClaimFailed};

#[derive(Debug)]
pub struct MatchConsumer {
    matches: Arc<Matches>,
    url: String,
    topology: Topology,
}

impl MatchConsumer {
    pub fn new(matches: Arc<Matches>, url: String) -> Self {
        let topology = Topology::new(&matches.engine.config.consumer_group);
        Self {
            matches,
            url,
            topology,
        }
    }

    /// Consumes until `stop` turns true, reconnecting whenever the broker goes away.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut backoff = Backoff::reconnect();
        loop {
            let lost = match dispatch::connect(&self.url).await {
                Ok(connection) => {
                    let result = self.session(&connection, &mut stop, &mut backoff).await;
                    let _ = connection
                        .close(200, "worker stopping match consumer".into())
                        .await;
                    match result {
                        Ok(()) => return,
                        Err(e) => e,
                    }
                }
                Err(e) => e.to_string(),
            };
            let waited = backoff
                .wait(&mut stop, |pause| {
                    tracing::warn!(reason = %lost, retry_in_ms = pause.as_millis() as u64, "match consumer lost RabbitMQ; reconnecting");
                })
                .await;
            if !waited {
                return;
            }
        }
    }

    /// One connection's life; `Ok` after a requested stop.
    async fn session(
        &self,
        connection: &lapin::Connection,
        stop: &mut watch::Receiver<bool>,
        backoff: &mut Backoff,
    ) -> Result<(), String> {
        let channel = connection
            .create_channel()
            .await
            .map_err(|e| e.to_string())?;
        dispatch::declare(&channel, &self.topology)
            .await
            .map_err(|e| e.to_string())?;
        channel
            .basic_qos(1, BasicQosOptions::default())
            .await
            .map_err(|e| e.to_string())?;
        backoff.reset();
        let queue = self.topology.queue(JobKind::Match, Priority::Normal);
        let mut consumer: Option<(String, lapin::Consumer)> = None;
        let mut consumes = 0u64;
        let slots = self.matches.slots().clone();
        loop {
            if consumer.is_none() {
                // Full: consume again only once a slot is free.
                tokio::select! {
                    biased;
                    () = crate::signal_on(stop) => return Ok(()),
                    permit = slots.acquire() => drop(permit),
                }
                consumes += 1;
                let tag = format!("{}:{queue}:{consumes}", self.matches.engine.worker);
                let c = channel
                    .basic_consume(
                        queue.as_str().into(),
                        tag.as_str().into(),
                        BasicConsumeOptions::default(),
                        FieldTable::default(),
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                tracing::debug!(free = slots.available_permits(), "consuming matches");
                consumer = Some((tag, c));
            }
            let Some((_, c)) = consumer.as_mut() else {
                continue;
            };
            let delivery = tokio::select! {
                biased;
                () = crate::signal_on(stop) => break,
                next = c.next() => match next {
                    Some(Ok(delivery)) => delivery,
                    Some(Err(e)) => return Err(format!("{queue}: {e}")),
                    None => return Err(format!("{queue}: consumer cancelled")),
                },
            };
            match slots.clone().try_acquire_owned() {
                Ok(slot) => match self.claim(&delivery, stop).await {
                    Taken::Claimed(job) => {
                        ack(&delivery).await;
                        self.matches
                            .engine
                            .metrics
                            .lease_claims
                            .with_label_values(&["rabbitmq"])
                            .inc();
                        self.matches.spawn_host(*job, slot);
                    }
                    Taken::Dropped => ack(&delivery).await,
                    // Already rejected (dead-lettered): nothing more to answer (lapin
                    // would refuse a second answer for the delivery anyway).
                    Taken::Rejected => {}
                    Taken::Stopping => {
                        requeue(&delivery).await;
                        break;
                    }
                },
                // The poller took the last slot since: this one goes to a worker with room.
                Err(_) => requeue(&delivery).await,
            }
            if slots.available_permits() == 0 {
                if let Some((tag, c)) = consumer.take() {
                    pause(&channel, &tag, c).await?;
                    tracing::debug!("match slots full; stopped consuming matches");
                }
            }
        }
        if let Some((tag, c)) = consumer.take() {
            pause(&channel, &tag, c).await?;
        }
        Ok(())
    }

    /// Claims the delivery's match, waiting out store outages (the one delivery stays
    /// unacked meanwhile).
    async fn claim(&self, delivery: &Delivery, stop: &mut watch::Receiver<bool>) -> Taken {
        let engine = &self.matches.engine;
        let message = match JobMessage::decode(&delivery.data) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "undecodable match message; dead-lettering it");
                let _ = delivery
                    .acker
                    .reject(BasicRejectOptions { requeue: false })
                    .await;
                return Taken::Rejected;
            }
        };
        match consumer::claim(engine, &message.id, stop.clone()).await {
            Ok(ClaimOutcome::Claimed(job)) => Taken::Claimed(job),
            Ok(ClaimOutcome::NotClaimed(why)) => {
                let reason = why.label();
                engine
                    .metrics
                    .lease_conflicts
                    .with_label_values(&[reason])
                    .inc();
                tracing::debug!(match_id = %message.id, reason, "match delivery dropped: not claimable");
                Taken::Dropped
            }
            // The poller still finds the match if it is claimable.
            Err(ClaimFailed::Broken) => Taken::Dropped,
            Err(ClaimFailed::Stopping) => Taken::Stopping,
        }
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

/// Stops consuming and gives back whatever the client buffered meanwhile.
async fn pause(
    channel: &lapin::Channel,
    tag: &str,
    mut consumer: lapin::Consumer,
) -> Result<(), String> {
    consumer::cancel_and_requeue(channel, tag, &mut consumer)
        .await
        .map_err(|e| e.to_string())
}

async fn ack(delivery: &Delivery) {
    if let Err(e) = delivery.acker.ack(BasicAckOptions::default()).await {
        // The claim is in the store; a redelivery finds the match held and is dropped.
        tracing::debug!(error = %e, "match ack failed");
    }
}
