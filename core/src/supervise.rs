//! One supervised broker session loop for every long-lived RabbitMQ consumer.
//!
//! A consumer (the worker's job queues, its match queue, its match wake-ups) is a
//! [`Supervised`] session: what to open on a fresh connection ([`Supervised::setup`]),
//! then what to do with it until the connection breaks or the process stops
//! ([`Supervised::run`]). [`supervise`] owns everything around that: connecting,
//! jittered exponential backoff between attempts (reset once a session is set up),
//! telling the [`SessionObserver`] (the process's metrics) when a session is up, down
//! or re-established, logging the loss with its typed cause, and closing the
//! connection. So each consumer is written as its session alone, and every one of them
//! reconnects the same way.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;

use crate::backoff::Backoff;
use crate::dispatch::rabbitmq::Session;
use crate::dispatch::{DispatchError, Topology};
use crate::shutdown;

/// How one session ended.
#[derive(Debug)]
pub enum SessionEnd {
    /// The process asked to stop; the session wound down cleanly.
    Stopped,
    /// The connection, a channel or a consumer broke: reconnect after a pause.
    Lost(DispatchError),
}

/// Hears when sessions come and go (the process's metrics). Names are the ones given
/// to [`supervise`].
pub trait SessionObserver: Send + Sync + fmt::Debug {
    /// The session is set up and consuming.
    fn up(&self, session: &'static str);
    /// The session ended, for whatever reason.
    fn down(&self, session: &'static str);
    /// A session was set up again after an earlier one of the same name.
    fn reconnected(&self, session: &'static str);
}

/// An observer that hears nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unobserved;

impl SessionObserver for Unobserved {
    fn up(&self, _: &'static str) {}
    fn down(&self, _: &'static str) {}
    fn reconnected(&self, _: &'static str) {}
}

/// A consumer, written as one connection's life.
#[async_trait]
pub trait Supervised: Send {
    /// What `setup` opens and `run` consumes (channels, consumers, queues).
    type Ready: Send;

    /// Opens channels and consumers on a fresh session. An error is a lost session.
    async fn setup(&mut self, session: &Session) -> Result<Self::Ready, DispatchError>;

    /// Consumes until `stop` turns true ([`SessionEnd::Stopped`], after winding down
    /// whatever is in hand) or something breaks ([`SessionEnd::Lost`]).
    async fn run(
        &mut self,
        session: &Session,
        ready: Self::Ready,
        stop: &mut watch::Receiver<bool>,
    ) -> SessionEnd;
}

/// Where sessions connect: the broker's URL and the consumer group's topology, and who
/// hears about sessions.
#[derive(Clone)]
pub struct Broker {
    url: String,
    topology: Topology,
    observer: Arc<dyn SessionObserver>,
}

impl fmt::Debug for Broker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the URL: it may hold a password.
        f.debug_struct("Broker")
            .field("group", &self.topology.group())
            .finish_non_exhaustive()
    }
}

impl Broker {
    pub fn new(url: &str, topology: Topology) -> Self {
        Self {
            url: url.to_owned(),
            topology,
            observer: Arc::new(Unobserved),
        }
    }

    /// Reports every session supervised on this broker to `observer`.
    pub fn observed_by(mut self, observer: Arc<dyn SessionObserver>) -> Self {
        self.observer = observer;
        self
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }
}

/// Runs `session` on `broker` until `stop` turns true, reconnecting whenever the
/// broker goes away. `name` names it in logs, metrics and the connection name that
/// operators see in `rabbitmqctl list_connections`.
pub async fn supervise<S: Supervised>(
    name: &'static str,
    broker: &Broker,
    mut stop: watch::Receiver<bool>,
    mut session: S,
) {
    let connection_name = format!(
        "herald-{}:{name}:{}",
        std::process::id(),
        broker.topology.group()
    );
    let mut backoff = Backoff::reconnect();
    let mut sessions = 0u64;
    loop {
        if *stop.borrow() {
            return;
        }
        let end = match Session::open(&broker.url, &connection_name, &broker.topology).await {
            Err(e) => SessionEnd::Lost(e),
            Ok(open) => {
                let end = match session.setup(&open).await {
                    Err(e) => SessionEnd::Lost(e),
                    Ok(ready) => {
                        sessions += 1;
                        if sessions > 1 {
                            broker.observer.reconnected(name);
                        }
                        backoff.reset();
                        broker.observer.up(name);
                        let end = session.run(&open, ready, &mut stop).await;
                        broker.observer.down(name);
                        end
                    }
                };
                open.close(&format!("herald {name} session ending")).await;
                end
            }
        };
        let error = match end {
            SessionEnd::Stopped => return,
            SessionEnd::Lost(error) => error,
        };
        let waited = backoff
            .wait(&mut stop, |pause| {
                tracing::warn!(
                    session = name,
                    error = %error,
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

/// Waits for `stop`; for a session whose work all happens in tasks of its own.
pub async fn until_stopped(stop: &mut watch::Receiver<bool>) -> SessionEnd {
    shutdown::stopped(stop).await;
    SessionEnd::Stopped
}
