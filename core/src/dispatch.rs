//! RabbitMQ dispatch (DESIGN §4): the topology every API and worker declares, the
//! message that names a job, and a publisher that waits for the broker's confirms.
//!
//! The store is the source of truth; RabbitMQ only makes dispatch fast. So the
//! publisher never retries a failed publish itself: the caller has already stored the
//! job durably, and a worker's poller finds any job whose publish was lost.
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

use std::time::{Duration, Instant};

use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions, ExchangeDeleteOptions,
    QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, ExchangeKind,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::job::{JobId, JobKind, Priority};

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

/// Reconnect back-off after a failed connection: doubles from the first to the max.
const BACKOFF_FIRST: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Why talking to the broker failed.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The broker cannot be reached, or the connection or channel broke. Transient.
    #[error("broker unavailable: {0}")]
    Unavailable(String),
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
    fn unavailable(context: &str, error: impl std::fmt::Display) -> Self {
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

    /// The four work queues, highest priority first.
    pub fn work_queues(&self) -> Vec<String> {
        vec![
            self.queue(JobKind::Notification, Priority::Critical),
            self.queue(JobKind::Notification, Priority::High),
            self.queue(JobKind::Notification, Priority::Normal),
            self.queue(JobKind::Match, Priority::Normal),
        ]
    }
}

/// Connects to the broker (bounded by [`CONNECT_TIMEOUT`]).
pub async fn connect(url: &str) -> Result<Connection, DispatchError> {
    connect_named(url, &format!("herald-{}", std::process::id())).await
}

/// Connects under a name that operators see in the management UI and
/// `rabbitmqctl list_connections` (never the URL: it may hold a password).
pub async fn connect_named(url: &str, name: &str) -> Result<Connection, DispatchError> {
    let properties = ConnectionProperties::default().with_connection_name(name.to_owned().into());
    match tokio::time::timeout(CONNECT_TIMEOUT, Connection::connect(url, properties)).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(e)) => Err(DispatchError::unavailable("connect", e)),
        Err(_) => Err(DispatchError::Unavailable(format!(
            "connect: no answer within {CONNECT_TIMEOUT:?}"
        ))),
    }
}

fn quorum_arguments(dead_letter_exchange: Option<&str>) -> FieldTable {
    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    args.insert(
        "x-delivery-limit".into(),
        AMQPValue::LongLongInt(DELIVERY_LIMIT),
    );
    if let Some(dlx) = dead_letter_exchange {
        args.insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString(dlx.into()),
        );
    }
    args
}

/// A declaration failed: a closed connection is transient, a refusal
/// (`PRECONDITION_FAILED`: the queue exists with other arguments) is not.
fn declare_error(what: &str, e: lapin::Error) -> DispatchError {
    match e.kind() {
        lapin::ErrorKind::ProtocolError(_) => DispatchError::Topology(format!("{what}: {e}")),
        _ => DispatchError::unavailable(what, e),
    }
}

/// Declares the whole topology. Idempotent: declaring what exists with the same
/// arguments is a no-op, so every API instance and worker calls it at start.
pub async fn declare(channel: &Channel, topology: &Topology) -> Result<(), DispatchError> {
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    let dlx = topology.dead_letter_exchange();
    channel
        .exchange_declare(
            dlx.as_str().into(),
            ExchangeKind::Fanout,
            durable,
            FieldTable::default(),
        )
        .await
        .map_err(|e| declare_error(&dlx, e))?;
    let dead = topology.dead_letter_queue();
    channel
        .queue_declare(
            dead.as_str().into(),
            QueueDeclareOptions::durable(),
            quorum_arguments(None),
        )
        .await
        .map_err(|e| declare_error(&dead, e))?;
    channel
        .queue_bind(
            dead.as_str().into(),
            dlx.as_str().into(),
            "".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(|e| declare_error(&dead, e))?;

    let exchange = topology.exchange();
    channel
        .exchange_declare(
            exchange.as_str().into(),
            ExchangeKind::Direct,
            durable,
            FieldTable::default(),
        )
        .await
        .map_err(|e| declare_error(&exchange, e))?;
    let match_events = topology.match_events_exchange();
    channel
        .exchange_declare(
            match_events.as_str().into(),
            ExchangeKind::Direct,
            durable,
            FieldTable::default(),
        )
        .await
        .map_err(|e| declare_error(&match_events, e))?;
    for queue in topology.work_queues() {
        channel
            .queue_declare(
                queue.as_str().into(),
                QueueDeclareOptions::durable(),
                quorum_arguments(Some(&dlx)),
            )
            .await
            .map_err(|e| declare_error(&queue, e))?;
        channel
            .queue_bind(
                queue.as_str().into(),
                exchange.as_str().into(),
                queue.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| declare_error(&queue, e))?;
    }
    Ok(())
}

/// Deletes the whole topology of a group (queues with their messages, exchanges).
/// For tests and for decommissioning a group; never called by the services.
pub async fn delete(channel: &Channel, topology: &Topology) -> Result<(), DispatchError> {
    let mut queues = topology.work_queues();
    queues.push(topology.dead_letter_queue());
    for queue in queues {
        channel
            .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
            .await
            .map_err(|e| declare_error(&queue, e))?;
    }
    for exchange in [
        topology.exchange(),
        topology.dead_letter_exchange(),
        topology.match_events_exchange(),
    ] {
        channel
            .exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default())
            .await
            .map_err(|e| declare_error(&exchange, e))?;
    }
    Ok(())
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

    /// Persistent, JSON, `message_id` = the job id (so a broker-side duplicate is
    /// recognisable).
    fn properties(&self) -> BasicProperties {
        BasicProperties::default()
            .with_delivery_mode(2)
            .with_content_type("application/json".into())
            .with_message_id(self.id.as_str().into())
    }
}

/// The body of a match wake-up: `{"matchId": "<id>"}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct WakeMessage<'a> {
    match_id: &'a JobId,
}

/// An open connection and its confirm-mode channel.
#[derive(Debug)]
struct Link {
    // Kept so the connection lives as long as the channel; dropping it closes both.
    connection: Connection,
    channel: Channel,
}

impl Link {
    fn is_open(&self) -> bool {
        self.connection.status().connected() && self.channel.status().connected()
    }
}

#[derive(Debug, Default)]
struct LinkState {
    link: Option<Link>,
    /// After a failed connection attempt, no new attempt before this instant, so a
    /// dead broker costs each request nothing instead of a connect timeout.
    retry_at: Option<Instant>,
    backoff: Duration,
}

/// Publishes job messages with publisher confirms over one connection and one
/// confirm-mode channel, shared by all callers (publishes pipeline on it). When the
/// broker goes away it reconnects lazily on the next call, with back-off.
#[derive(Debug)]
pub struct Publisher {
    url: String,
    topology: Topology,
    state: Mutex<LinkState>,
}

impl Publisher {
    /// Connects, declares the topology and enables confirms. Fails if the broker
    /// cannot be reached now; use [`Publisher::lazy`] to start without it.
    pub async fn connect(url: &str, topology: Topology) -> Result<Self, DispatchError> {
        let publisher = Self::lazy(url, topology);
        publisher.channel().await?;
        Ok(publisher)
    }

    /// A publisher that connects on first use, so a process can start while the broker
    /// is down (the store still takes jobs; the poller dispatches them).
    pub fn lazy(url: &str, topology: Topology) -> Self {
        Self {
            url: url.to_owned(),
            topology,
            state: Mutex::new(LinkState::default()),
        }
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The open channel, reconnecting if the last one broke and the back-off allows.
    async fn channel(&self) -> Result<Channel, DispatchError> {
        let mut state = self.state.lock().await;
        if let Some(link) = &state.link {
            if link.is_open() {
                return Ok(link.channel.clone());
            }
            state.link = None;
        }
        if let Some(at) = state.retry_at {
            if Instant::now() < at {
                return Err(DispatchError::Unavailable(
                    "broker unreachable; waiting before reconnecting".into(),
                ));
            }
        }
        match self.open().await {
            Ok(link) => {
                let channel = link.channel.clone();
                state.link = Some(link);
                state.retry_at = None;
                state.backoff = Duration::ZERO;
                Ok(channel)
            }
            Err(e) => {
                state.backoff = if state.backoff.is_zero() {
                    BACKOFF_FIRST
                } else {
                    (state.backoff * 2).min(BACKOFF_MAX)
                };
                state.retry_at = Some(Instant::now() + state.backoff);
                tracing::warn!(error = %e, backoff_ms = state.backoff.as_millis() as u64, "RabbitMQ connection failed");
                Err(e)
            }
        }
    }

    async fn open(&self) -> Result<Link, DispatchError> {
        let name = format!(
            "herald-publisher:{}:{}",
            self.topology.group(),
            std::process::id()
        );
        let connection = connect_named(&self.url, &name).await?;
        let channel = connection
            .create_channel()
            .await
            .map_err(|e| DispatchError::unavailable("create channel", e))?;
        declare(&channel, &self.topology).await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|e| DispatchError::unavailable("confirm.select", e))?;
        tracing::info!(group = self.topology.group(), "connected to RabbitMQ");
        Ok(Link {
            connection,
            channel,
        })
    }

    /// Drops a link that failed mid-use, so the next call reconnects.
    async fn forget(&self, channel: &Channel) {
        let mut state = self.state.lock().await;
        if state
            .link
            .as_ref()
            .is_some_and(|link| link.channel.id() == channel.id() && !link.is_open())
        {
            state.link = None;
        }
    }

    /// Publishes one message and waits for the broker's confirm.
    pub async fn publish(&self, msg: &JobMessage) -> Result<(), DispatchError> {
        self.publish_many(std::slice::from_ref(msg)).await
    }

    /// Publishes several messages back to back, then waits for all their confirms.
    /// An error means at least one message may not have reached a queue.
    pub async fn publish_many(&self, msgs: &[JobMessage]) -> Result<(), DispatchError> {
        if msgs.is_empty() {
            return Ok(());
        }
        let channel = self.channel().await?;
        let result = tokio::time::timeout(CONFIRM_TIMEOUT, self.send(&channel, msgs)).await;
        let result = match result {
            Ok(result) => result,
            Err(_) => Err(DispatchError::Unavailable(format!(
                "no confirm within {CONFIRM_TIMEOUT:?}"
            ))),
        };
        if matches!(result, Err(DispatchError::Unavailable(_))) {
            self.forget(&channel).await;
        }
        result
    }

    async fn send(&self, channel: &Channel, msgs: &[JobMessage]) -> Result<(), DispatchError> {
        let exchange = self.topology.exchange();
        let mut pending = Vec::with_capacity(msgs.len());
        for msg in msgs {
            let routing_key = self.topology.queue(msg.kind, msg.priority);
            let body = serde_json::to_vec(msg)?;
            let confirm = channel
                .basic_publish(
                    exchange.as_str().into(),
                    routing_key.as_str().into(),
                    // Mandatory: an unbound routing key comes back instead of vanishing.
                    BasicPublishOptions {
                        mandatory: true,
                        ..BasicPublishOptions::default()
                    },
                    &body,
                    msg.properties(),
                )
                .await
                .map_err(|e| DispatchError::unavailable("publish", e))?;
            pending.push((routing_key, confirm));
        }
        for (routing_key, confirm) in pending {
            match confirm
                .await
                .map_err(|e| DispatchError::unavailable("confirm", e))?
            {
                Confirmation::Ack(None) => {}
                Confirmation::Ack(Some(_returned)) => {
                    return Err(DispatchError::Unroutable(routing_key))
                }
                Confirmation::Nack(_) => return Err(DispatchError::Nacked),
                // confirm_select ran on this channel; anything else is a bug in the link.
                Confirmation::NotRequested => {
                    return Err(DispatchError::Unavailable(
                        "channel is not in confirm mode".into(),
                    ))
                }
            }
        }
        Ok(())
    }

    /// Tells the worker hosting match `id` to read its event log now. Best effort: the
    /// message is transient and unroutable when no worker hosts the match (nobody
    /// listens, which is fine). Connecting is the shared link's (bounded by
    /// [`CONNECT_TIMEOUT`], then failing at once during the back-off); the publish and
    /// its confirm are bounded by [`WAKE_TIMEOUT`]. An error only means the host
    /// learns of the event at its next poll. A caller that must not wait even for the
    /// connect (the API) runs this in a task of its own.
    pub async fn wake_match(&self, id: &JobId) -> Result<(), DispatchError> {
        // Not under the timeout: a connect cut short would record no back-off, and
        // every later wake-up would try (and wait) again.
        let channel = self.channel().await?;
        match tokio::time::timeout(WAKE_TIMEOUT, self.send_wake(&channel, id)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e),
            Err(_) => {
                self.forget(&channel).await;
                Err(DispatchError::Unavailable(format!(
                    "match wake-up not confirmed within {WAKE_TIMEOUT:?}"
                )))
            }
        }
    }

    async fn send_wake(&self, channel: &Channel, id: &JobId) -> Result<(), DispatchError> {
        let body = serde_json::to_vec(&WakeMessage { match_id: id })?;
        let exchange = self.topology.match_events_exchange();
        // The channel is in confirm mode; the confirm is awaited (not dropped) because
        // lapin keeps every dropped, unresolved confirm until `wait_for_confirms`.
        let sent = async {
            channel
                .basic_publish(
                    exchange.as_str().into(),
                    id.as_str().into(),
                    BasicPublishOptions::default(),
                    &body,
                    BasicProperties::default()
                        .with_delivery_mode(1)
                        .with_content_type("application/json".into()),
                )
                .await
                .map_err(|e| DispatchError::unavailable("publish wake-up", e))?
                .await
                .map_err(|e| DispatchError::unavailable("confirm wake-up", e))
        }
        .await;
        match sent {
            Ok(Confirmation::Nack(_)) => Err(DispatchError::Nacked),
            Ok(_) => Ok(()),
            Err(e) => {
                self.forget(channel).await;
                Err(e)
            }
        }
    }

    /// Whether the broker is reachable now (reconnecting if allowed), for readiness.
    pub async fn is_healthy(&self) -> bool {
        self.channel().await.is_ok()
    }
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

    #[test]
    fn message_is_json_with_the_job_id() {
        let id = JobId::new();
        let msg = JobMessage::new(id.clone(), JobKind::Notification, Priority::High);
        let body = serde_json::to_vec(&msg).unwrap_or_default();
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(value["id"], id.as_str());
        assert_eq!(value["kind"], "notification");
        assert_eq!(value["priority"], "high");
        assert_eq!(JobMessage::decode(&body).ok(), Some(msg.clone()));
        let props = msg.properties();
        assert_eq!(props.delivery_mode(), &Some(2));
        assert_eq!(
            props.message_id().as_ref().map(|s| s.as_str()),
            Some(id.as_str())
        );
    }
}
