//! The instance's side of `G.match-updates`: one supervised session with this
//! instance's exclusive, auto-delete update queue, bound to the matches the hub has
//! feeds for, handing every update to its feed.
//!
//! Bindings change in the order the hub queues them (one task applies them), because
//! AMQP bindings are not counted: an unbind of a feed that just went, applied after
//! the bind of the next feed for the same match, would cut the new one off. On a new
//! session (after a broker restart) every live feed is bound again; updates lost
//! meanwhile are read from the log by the feeds' repair poll.

use std::sync::Arc;

use async_trait::async_trait;
use herald_core::dispatch::rabbitmq::Session;
use herald_core::dispatch::updates::UpdateQueue;
use herald_core::dispatch::{DispatchError, MatchUpdate};
use herald_core::supervise::{SessionEnd, Supervised};
use tokio::sync::{mpsc, watch};

use super::hub::{Binding, Hub};

#[derive(Debug)]
pub struct UpdateSubscriber {
    hub: Arc<Hub>,
    bindings: mpsc::UnboundedReceiver<Binding>,
}

impl UpdateSubscriber {
    pub fn new(hub: Arc<Hub>, bindings: mpsc::UnboundedReceiver<Binding>) -> Self {
        Self { hub, bindings }
    }
}

#[async_trait]
impl Supervised for UpdateSubscriber {
    type Ready = UpdateQueue;

    async fn setup(&mut self, session: &Session) -> Result<UpdateQueue, DispatchError> {
        let queue = UpdateQueue::open(session).await?;
        // Commands queued before this session are covered by binding what lives now.
        let mut acks = Vec::new();
        while let Ok(binding) = self.bindings.try_recv() {
            if let Binding::Bind(_, ack) = binding {
                acks.push(ack);
            }
        }
        for id in self.hub.matches() {
            queue.bind(&id).await?;
        }
        for ack in acks {
            let _ = ack.send(());
        }
        tracing::info!(
            queue = queue.name(),
            "consuming match updates for live streams"
        );
        Ok(queue)
    }

    async fn run(
        &mut self,
        _session: &Session,
        mut queue: UpdateQueue,
        stop: &mut watch::Receiver<bool>,
    ) -> SessionEnd {
        loop {
            tokio::select! {
                () = herald_core::shutdown::stopped(stop) => return SessionEnd::Stopped,
                binding = self.bindings.recv() => {
                    let done = match binding {
                        Some(Binding::Bind(id, ack)) => queue.bind(&id).await.map(|()| {
                            let _ = ack.send(());
                        }),
                        Some(Binding::Unbind(id)) => queue.unbind(&id).await,
                        None => return SessionEnd::Stopped,
                    };
                    if let Err(e) = done {
                        return SessionEnd::Lost(e);
                    }
                }
                body = queue.next() => match body {
                    Ok(body) => match MatchUpdate::decode(&body) {
                        Ok((id, update)) => self.hub.deliver(&id, update),
                        Err(e) => tracing::warn!(error = %e, "unreadable match update dropped"),
                    },
                    Err(e) => return SessionEnd::Lost(e),
                },
            }
        }
    }
}
