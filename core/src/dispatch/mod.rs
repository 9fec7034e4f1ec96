//! Dispatch (`docs/dispatch.md`): how a stored job reaches a worker fast. The store is the
//! source of truth; dispatch only saves the workers a poll. So nothing here retries a
//! failed publish: the caller has already stored the job durably, and a worker's poller
//! finds any job whose publish was lost.
//!
//! [`Dispatch`] is the seam the API and the match hosts publish through. Two
//! implementations sit next to each other, the way the store has SQLite next to
//! MongoDB:
//! - [`rabbitmq::RabbitDispatch`]: publishes job messages to the consumer group's
//!   quorum queues with publisher confirms, and match wake-ups to the hosts;
//! - [`embedded::EmbeddedDispatch`]: no broker (no `RABBITMQ_URL`); the workers' poller
//!   is the dispatch path, and publishing only rings it ([`wake`]: in one process
//!   directly, across processes through Unix sockets next to the SQLite file).
//!
//! The worker's side of RabbitMQ — consuming the work queues and its wake-up queue —
//! goes through [`rabbitmq::Session`], run under [`crate::supervise`], so no crate but
//! this one speaks AMQP.
//!
//! Topology, for a consumer group `G` (`RABBITMQ_CONSUMER_GROUP`):
//! - exchange `G.jobs` (direct, durable); each work queue is bound to it under its own
//!   name, which is also the routing key a message is published with;
//! - work queues `G.notification.critical`, `G.notification.high`,
//!   `G.notification.normal` (normal and low) and `G.match`: durable quorum queues
//!   with `x-delivery-limit` = [`DELIVERY_LIMIT`] and `x-dead-letter-exchange` = `G.dlx`;
//! - `G.dlx` (fanout, durable) bound to `G.dead`, where a message lands once it has
//!   been delivered [`DELIVERY_LIMIT`] times without an ack (a poison message);
//! - `G.match-events` (direct, durable, no queues of its own): match wake-ups. The API
//!   publishes one after appending a match event, routed by the match id; the worker
//!   hosting that match binds its private queue under the id. A wake-up is only a hint
//!   (the event log in the store is the truth, and the host also polls it), so it is
//!   transient and never retried.
//! - `G.match-updates` (direct, durable, no queues of its own): live match streams
//!   ([`updates`]). The API publishes each appended event, the host each saved state
//!   and the end, routed by match id; every API instance with subscribers to a match
//!   binds its own exclusive queue under the id. Also a hint: streams repair from the
//!   log.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::job::{JobId, JobKind, Priority};

pub mod config;
pub mod embedded;
pub mod rabbitmq;
pub mod updates;
pub mod wake;

pub use config::BrokerConfig;
pub use embedded::EmbeddedDispatch;
pub use rabbitmq::{connect, declare, delete, RabbitDispatch};
pub use updates::MatchUpdate;

/// The consumer group used when `RABBITMQ_CONSUMER_GROUP` is unset.
pub const DEFAULT_CONSUMER_GROUP: &str = "notification-workers";

/// `x-delivery-limit` on every quorum queue: a message delivered this many times
/// without an ack is dead-lettered instead of crashing workers forever.
pub const DELIVERY_LIMIT: i64 = 10;

/// How long a connection attempt may take before the broker counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a publish may wait for the broker's confirm (a broker under a memory
/// alarm blocks publishers indefinitely; the caller must not hang with it).
pub const CONFIRM_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a match wake-up waits for the broker's confirm: a wake-up only saves the
/// host a poll interval, so it is never worth waiting for long.
pub const WAKE_TIMEOUT: Duration = Duration::from_secs(1);

/// Which way jobs travel from the API to the workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DispatchMode {
    /// RabbitMQ: the consumer group's queues, with the poller as the fallback.
    RabbitMq,
    /// No broker: the workers' poller is the only path.
    Embedded,
}

impl DispatchMode {
    pub fn as_str(self) -> &'static str {
        match self {
            DispatchMode::RabbitMq => "rabbitmq",
            DispatchMode::Embedded => "embedded",
        }
    }
}

impl fmt::Display for DispatchMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How stored jobs and match events are handed on. Every call is a hint that saves a
/// poll: an error never means a job or an event is lost, only that a worker finds it
/// at its next poll.
#[async_trait]
pub trait Dispatch: Send + Sync + fmt::Debug {
    fn mode(&self) -> DispatchMode;

    /// Hands stored jobs that are due now to the workers, and returns once dispatch
    /// has taken responsibility for all of them (RabbitMQ: every publish confirmed).
    /// An error means at least one may not have been handed on.
    async fn publish(&self, jobs: &[JobMessage]) -> Result<(), DispatchError>;

    /// Tells the worker hosting match `id` to read its event log now. Best effort.
    async fn wake_match(&self, id: &JobId) -> Result<(), DispatchError>;

    /// Whether dispatch works now, for readiness. Always true without a broker.
    async fn is_healthy(&self) -> bool;

    /// Hands an update of match `id` to the API instances streaming it (`G.match-updates`).
    /// Best effort, like [`Dispatch::wake_match`]: streams repair a lost update from the
    /// store. Without a broker, a no-op (the API instances poll the store).
    async fn publish_update(&self, id: &JobId, update: &MatchUpdate) -> Result<(), DispatchError> {
        let _ = (id, update);
        Ok(())
    }
}

/// Why talking to the broker failed.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The broker cannot be reached, or the connection or channel broke. Transient.
    #[error("broker unavailable: {0}")]
    Unavailable(String),
    /// The broker cancelled a consumer (its queue was deleted, or the node is going
    /// away). The session is over; a new one consumes again.
    #[error("the broker cancelled the consumer of {0}")]
    Cancelled(String),
    /// The broker refused to take responsibility for a message.
    #[error("broker nacked the message")]
    Nacked,
    /// The broker confirmed the message but no queue was bound for its routing key
    /// (the topology was changed under us).
    #[error("message for routing key {0:?} was unroutable")]
    Unroutable(String),
    /// The broker rejected a declaration, e.g. a queue exists with other arguments.
    #[error("topology rejected by the broker: {0}")]
    Topology(String),
    #[error("cannot encode message: {0}")]
    Encode(#[from] serde_json::Error),
}

impl DispatchError {
    pub(crate) fn unavailable(context: &str, error: impl fmt::Display) -> Self {
        DispatchError::Unavailable(format!("{context}: {error}"))
    }
}

/// Queue and exchange names for one consumer group, so two deployments (or two test
/// runs) on one broker never share queues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    group: String,
}

impl Default for Topology {
    fn default() -> Self {
        Self::new(DEFAULT_CONSUMER_GROUP)
    }
}

impl Topology {
    pub fn new(group: &str) -> Self {
        Self {
            group: group.to_owned(),
        }
    }

    pub fn group(&self) -> &str {
        &self.group
    }

    /// The direct exchange jobs are published to.
    pub fn exchange(&self) -> String {
        format!("{}.jobs", self.group)
    }

    /// Where messages go once their delivery limit is spent.
    pub fn dead_letter_exchange(&self) -> String {
        format!("{}.dlx", self.group)
    }

    /// The direct exchange match wake-ups are published to, routed by match id.
    pub fn match_events_exchange(&self) -> String {
        format!("{}.match-events", self.group)
    }

    /// The direct exchange live match updates are published to, routed by match id.
    pub fn match_updates_exchange(&self) -> String {
        format!("{}.match-updates", self.group)
    }

    /// The queue bound to [`Self::dead_letter_exchange`].
    pub fn dead_letter_queue(&self) -> String {
        format!("{}.dead", self.group)
    }

    /// The work queue for a job; also its routing key on [`Self::exchange`]. Low and
    /// normal notifications share a queue: the store orders them, and a separate low
    /// queue would only starve.
    pub fn queue(&self, kind: JobKind, priority: Priority) -> String {
        match kind {
            JobKind::Match => format!("{}.match", self.group),
            JobKind::Notification => {
                let class = match priority {
                    Priority::Critical => "critical",
                    Priority::High => "high",
                    Priority::Normal | Priority::Low => "normal",
                };
                format!("{}.notification.{class}", self.group)
            }
        }
    }

    /// The notification work queues, highest priority first.
    pub fn notification_queues(&self) -> Vec<String> {
        [Priority::Critical, Priority::High, Priority::Normal]
            .into_iter()
            .map(|p| self.queue(JobKind::Notification, p))
            .collect()
    }

    /// The match work queue.
    pub fn match_queue(&self) -> String {
        self.queue(JobKind::Match, Priority::Normal)
    }

    /// The four work queues, highest priority first.
    pub fn work_queues(&self) -> Vec<String> {
        let mut queues = self.notification_queues();
        queues.push(self.match_queue());
        queues
    }
}

/// What a message carries: only the job's id and routing facts. The job itself is in
/// the store, which a worker claims it from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobMessage {
    pub id: JobId,
    pub kind: JobKind,
    pub priority: Priority,
}

impl JobMessage {
    pub fn new(id: JobId, kind: JobKind, priority: Priority) -> Self {
        Self { id, kind, priority }
    }

    pub fn for_job(job: &crate::job::Job) -> Self {
        Self::new(job.id.clone(), job.kind, job.priority)
    }

    /// Reads a delivery's body.
    pub fn decode(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }
}

/// The body of a match wake-up: `{"matchId": "<id>"}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct WakeMessage<'a> {
    match_id: &'a JobId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_derive_from_the_group() {
        let t = Topology::new("g1");
        assert_eq!(t.group(), "g1");
        assert_eq!(t.exchange(), "g1.jobs");
        assert_eq!(t.dead_letter_exchange(), "g1.dlx");
        assert_eq!(t.dead_letter_queue(), "g1.dead");
        assert_eq!(t.match_events_exchange(), "g1.match-events");
        assert_eq!(t.match_updates_exchange(), "g1.match-updates");
        assert_eq!(
            t.queue(JobKind::Notification, Priority::Critical),
            "g1.notification.critical"
        );
        assert_eq!(
            t.queue(JobKind::Notification, Priority::High),
            "g1.notification.high"
        );
        assert_eq!(
            t.queue(JobKind::Notification, Priority::Normal),
            "g1.notification.normal"
        );
        assert_eq!(
            t.queue(JobKind::Notification, Priority::Low),
            "g1.notification.normal"
        );
        assert_eq!(t.queue(JobKind::Match, Priority::Critical), "g1.match");
        assert_eq!(
            t.work_queues(),
            vec![
                "g1.notification.critical",
                "g1.notification.high",
                "g1.notification.normal",
                "g1.match"
            ]
        );
        assert_eq!(Topology::default().group(), DEFAULT_CONSUMER_GROUP);
    }

    #[test]
    fn wake_up_body_names_the_match() {
        let id = JobId::new();
        let body = serde_json::to_value(WakeMessage { match_id: &id }).unwrap_or_default();
        assert_eq!(body, serde_json::json!({ "matchId": id.as_str() }));
    }
}
