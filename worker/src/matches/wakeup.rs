//! Event wake-ups: the API publishes a small message to the `{group}.match-events`
//! direct exchange after each append, with the match id as routing key. This worker
//! keeps one exclusive, auto-delete queue on that exchange and binds it to the id of
//! every match it hosts (unbinding when hosting ends), so a wake-up reaches exactly the
//! host; the host then reads its log at once.
//!
//! A wake-up carries nothing but "look now": the log in the store is the truth. So a
//! lost wake-up (broker down, a host mid-reconnect) costs only latency — the host's
//! fallback poll reads the log anyway — and the queue is never durable.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures::StreamExt;
use herald_core::dispatch::{self, Topology};
use herald_core::JobId;
use lapin::options::{BasicConsumeOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use tokio::sync::{mpsc, watch, Notify};

use crate::backoff::Backoff;

#[derive(Debug)]
enum Command {
    Bind(String),
    Unbind(String),
}

/// This worker's wake-up subscriptions, one per hosted match.
#[derive(Debug)]
pub struct Wakeups {
    subscribed: Mutex<HashMap<String, Arc<Notify>>>,
    commands: mpsc::UnboundedSender<Command>,
}

/// A host's subscription: `notify` fires on each wake-up; dropping it unbinds.
#[derive(Debug)]
pub struct Subscription {
    wakeups: Arc<Wakeups>,
    id: String,
    pub notify: Arc<Notify>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.wakeups.lock().remove(&self.id);
        let _ = self.wakeups.commands.send(Command::Unbind(self.id.clone()));
    }
}

impl Wakeups {
    /// Starts the wake-up consumer on its own connection; it reconnects (re-binding
    /// every subscription) whenever the broker goes away, until `stop` turns true.
    pub fn start(url: String, topology: &Topology, stop: watch::Receiver<bool>) -> Arc<Self> {
        let (commands, rx) = mpsc::unbounded_channel();
        let wakeups = Arc::new(Self {
            subscribed: Mutex::new(HashMap::new()),
            commands,
        });
        tokio::spawn(wakeups.clone().run(url, topology.clone(), rx, stop));
        wakeups
    }

    /// Subscribes to a match's wake-ups.
    pub fn subscribe(self: &Arc<Self>, id: &JobId) -> Subscription {
        let notify = Arc::new(Notify::new());
        self.lock().insert(id.to_string(), notify.clone());
        let _ = self.commands.send(Command::Bind(id.to_string()));
        Subscription {
            wakeups: self.clone(),
            id: id.to_string(),
            notify,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Notify>>> {
        self.subscribed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn is_subscribed(&self, id: &str) -> bool {
        self.lock().contains_key(id)
    }

    fn wake(&self, id: &str) {
        if let Some(notify) = self.lock().get(id) {
            // Stores a permit when the host is busy, so the wake-up is not lost.
            notify.notify_one();
        }
    }

    async fn run(
        self: Arc<Self>,
        url: String,
        topology: Topology,
        mut rx: mpsc::UnboundedReceiver<Command>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut backoff = Backoff::reconnect();
        loop {
            match self
                .session(&url, &topology, &mut rx, &mut stop, &mut backoff)
                .await
            {
                Ok(()) => return,
                Err(e) => {
                    let waited = backoff
                        .wait(&mut stop, |pause| {
                            tracing::warn!(error = %e, retry_in_ms = pause.as_millis() as u64, "match wake-ups unavailable; hosts poll meanwhile");
                        })
                        .await;
                    if !waited {
                        return;
                    }
                }
            }
        }
    }

    /// One connection's life. `Ok` after a requested stop.
    async fn session(
        &self,
        url: &str,
        topology: &Topology,
        rx: &mut mpsc::UnboundedReceiver<Command>,
        stop: &mut watch::Receiver<bool>,
        backoff: &mut Backoff,
    ) -> Result<(), String> {
        let connection = dispatch::connect(url).await.map_err(|e| e.to_string())?;
        let result = self.consume(&connection, topology, rx, stop, backoff).await;
        let _ = connection
            .close(200, "match wake-ups stopping".into())
            .await;
        result
    }

    async fn consume(
        &self,
        connection: &lapin::Connection,
        topology: &Topology,
        rx: &mut mpsc::UnboundedReceiver<Command>,
        stop: &mut watch::Receiver<bool>,
        backoff: &mut Backoff,
    ) -> Result<(), String> {
        let channel = connection
            .create_channel()
            .await
            .map_err(|e| e.to_string())?;
        // The whole topology, the wake-up exchange with it (idempotent).
        dispatch::declare(&channel, topology)
            .await
            .map_err(|e| e.to_string())?;
        let exchange = topology.match_events_exchange();
        let exchange = exchange.as_str();
        let queue = channel
            .queue_declare(
                "".into(),
                QueueDeclareOptions {
                    exclusive: true,
                    auto_delete: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(|e| e.to_string())?;
        let queue = queue.name().as_str().to_owned();
        let bind = |id: String| {
            let channel = channel.clone();
            let queue = queue.clone();
            async move {
                channel
                    .queue_bind(
                        queue.as_str().into(),
                        exchange.into(),
                        id.as_str().into(),
                        QueueBindOptions::default(),
                        FieldTable::default(),
                    )
                    .await
                    .map_err(|e| e.to_string())
            }
        };
        let current: Vec<String> = self.lock().keys().cloned().collect();
        for id in current {
            bind(id).await?;
        }
        let mut consumer = channel
            .basic_consume(
                queue.as_str().into(),
                "".into(),
                BasicConsumeOptions {
                    no_ack: true,
                    ..BasicConsumeOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(|e| e.to_string())?;
        backoff.reset();
        tracing::debug!(queue = %queue, "consuming match wake-ups");
        loop {
            tokio::select! {
                () = crate::signal_on(stop) => return Ok(()),
                command = rx.recv() => match command {
                    // A subscription that ended meanwhile needs no binding.
                    Some(Command::Bind(id)) if self.is_subscribed(&id) => bind(id).await?,
                    Some(Command::Unbind(id)) if !self.is_subscribed(&id) => {
                        channel
                            .queue_unbind(
                                queue.as_str().into(),
                                exchange.into(),
                                id.as_str().into(),
                                FieldTable::default(),
                            )
                            .await
                            .map_err(|e| e.to_string())?;
                    }
                    Some(_) => {}
                    None => return Ok(()),
                },
                delivery = consumer.next() => match delivery {
                    Some(Ok(delivery)) => self.wake(delivery.routing_key.as_str()),
                    Some(Err(e)) => return Err(e.to_string()),
                    None => return Err("wake-up consumer cancelled".into()),
                },
            }
        }
    }
}
