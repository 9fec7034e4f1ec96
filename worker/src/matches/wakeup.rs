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

use async_trait::async_trait;
use herald_core::dispatch::rabbitmq::{Session, WakeQueue};
use herald_core::dispatch::DispatchError;
use herald_core::shutdown;
use herald_core::supervise::{SessionEnd, Supervised};
use herald_core::JobId;
use tokio::sync::{mpsc, watch, Notify};

/// The name of this session in logs, metrics and the broker's connection list.
pub const SESSION: &str = "match-wakeups";

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
    /// The subscriptions, and the session that consumes their wake-ups: run it under
    /// [`herald_core::supervise::supervise`], which reconnects it (and so re-binds
    /// every subscription) whenever the broker goes away.
    pub fn new() -> (Arc<Self>, WakeupSession) {
        let (commands, rx) = mpsc::unbounded_channel();
        let wakeups = Arc::new(Self {
            subscribed: Mutex::new(HashMap::new()),
            commands,
        });
        let session = WakeupSession {
            wakeups: wakeups.clone(),
            commands: rx,
        };
        (wakeups, session)
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
}

/// The wake-up queue's session: binds the queue to every subscribed match, follows
/// subscriptions as they come and go, and wakes hosts.
#[derive(Debug)]
pub struct WakeupSession {
    wakeups: Arc<Wakeups>,
    commands: mpsc::UnboundedReceiver<Command>,
}

#[async_trait]
impl Supervised for WakeupSession {
    type Ready = WakeQueue;

    async fn setup(&mut self, session: &Session) -> Result<WakeQueue, DispatchError> {
        let queue = session.wake_queue().await?;
        let current: Vec<String> = self.wakeups.lock().keys().cloned().collect();
        for id in current {
            queue.bind(&id).await?;
        }
        tracing::debug!(queue = queue.name(), "consuming match wake-ups");
        Ok(queue)
    }

    async fn run(
        &mut self,
        _session: &Session,
        mut queue: WakeQueue,
        stop: &mut watch::Receiver<bool>,
    ) -> SessionEnd {
        loop {
            let done = tokio::select! {
                () = shutdown::stopped(stop) => break,
                command = self.commands.recv() => match command {
                    // A subscription that ended meanwhile needs no binding.
                    Some(Command::Bind(id)) if self.wakeups.is_subscribed(&id) => queue.bind(&id).await,
                    Some(Command::Unbind(id)) if !self.wakeups.is_subscribed(&id) => queue.unbind(&id).await,
                    Some(_) => Ok(()),
                    None => break,
                },
                woken = queue.next() => woken.map(|id| self.wakeups.wake(&id)),
            };
            if let Err(e) = done {
                return SessionEnd::Lost(e);
            }
        }
        // Cancelled here, before the session closes its channels (`WakeQueue::cancel`).
        if let Err(e) = queue.cancel().await {
            tracing::debug!(error = %e, "cancelling the wake-up consumer failed");
        }
        SessionEnd::Stopped
    }
}
