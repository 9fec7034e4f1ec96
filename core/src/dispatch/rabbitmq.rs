//! The RabbitMQ side of dispatch: the topology every API and worker declares, the
//! confirming publisher ([`RabbitDispatch`]), and the sessions workers consume through
//! ([`Session`]: a connection, its consumers, and the deliveries they hand out).
//!
//! Only this module speaks AMQP. A session is run by [`crate::supervise`], which
//! connects, backs off and closes; a [`Session`]'s methods give typed consumers, so a
//! worker module never sees a lapin type.

use std::fmt;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions,
    BasicPublishOptions, BasicQosOptions, BasicRejectOptions, ConfirmSelectOptions,
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, ExchangeKind,
};
use tokio::sync::Mutex;

use super::{
    Dispatch, DispatchError, DispatchMode, JobMessage, MatchUpdate, Topology, WakeMessage,
    CONFIRM_TIMEOUT, CONNECT_TIMEOUT, DELIVERY_LIMIT, WAKE_TIMEOUT,
};
use crate::backoff::Backoff;
use crate::config::Secret;
use crate::job::JobId;

/// The publisher's reconnect back-off after a failed connection: doubles from the
/// first to the max. Short: it only decides how soon a request may try again.
const PUBLISHER_BACKOFF_FIRST: Duration = Duration::from_millis(100);
const PUBLISHER_BACKOFF_MAX: Duration = Duration::from_secs(5);

/// How long to wait for deliveries still in the client's buffer after basic.cancel.
const CANCEL_DRAIN: Duration = Duration::from_millis(300);

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
    let match_updates = topology.match_updates_exchange();
    channel
        .exchange_declare(
            match_updates.as_str().into(),
            ExchangeKind::Direct,
            durable,
            FieldTable::default(),
        )
        .await
        .map_err(|e| declare_error(&match_updates, e))?;
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
        topology.match_updates_exchange(),
    ] {
        channel
            .exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default())
            .await
            .map_err(|e| declare_error(&exchange, e))?;
    }
    Ok(())
}

/// Persistent, JSON, `message_id` = the job id (so a broker-side duplicate is
/// recognisable).
fn job_properties(msg: &JobMessage) -> BasicProperties {
    BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type("application/json".into())
        .with_message_id(msg.id.as_str().into())
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

#[derive(Debug)]
struct LinkState {
    link: Option<Link>,
    /// After a failed connection attempt, no new attempt before this instant, so a
    /// dead broker costs each request nothing instead of a connect timeout.
    retry_at: Option<Instant>,
    backoff: Backoff,
}

impl Default for LinkState {
    fn default() -> Self {
        Self {
            link: None,
            retry_at: None,
            backoff: Backoff::new(PUBLISHER_BACKOFF_FIRST, PUBLISHER_BACKOFF_MAX),
        }
    }
}

/// Publishes job messages with publisher confirms over one connection and one
/// confirm-mode channel, shared by all callers (publishes pipeline on it). When the
/// broker goes away it reconnects lazily on the next call, with back-off.
pub struct RabbitDispatch {
    /// May hold a password: never printed.
    url: Secret<String>,
    topology: Topology,
    state: Mutex<LinkState>,
}

impl fmt::Debug for RabbitDispatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RabbitDispatch")
            .field("url", &crate::config::redact_uri(self.url.expose()))
            .field("group", &self.topology.group())
            .finish_non_exhaustive()
    }
}

impl RabbitDispatch {
    /// Connects, declares the topology and enables confirms. Fails if the broker
    /// cannot be reached now; use [`RabbitDispatch::lazy`] to start without it.
    pub async fn connect(url: &str, topology: Topology) -> Result<Self, DispatchError> {
        let publisher = Self::lazy(url, topology);
        publisher.channel().await?;
        Ok(publisher)
    }

    /// A publisher that connects on first use, so a process can start while the broker
    /// is down (the store still takes jobs; the poller dispatches them).
    pub fn lazy(url: &str, topology: Topology) -> Self {
        Self {
            url: Secret::new(url.to_owned()),
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
                state.backoff.reset();
                Ok(channel)
            }
            Err(e) => {
                let pause = state.backoff.next_pause();
                state.retry_at = Some(Instant::now() + pause);
                tracing::warn!(error = %e, backoff_ms = pause.as_millis() as u64, "RabbitMQ connection failed");
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
        let connection = connect_named(self.url.expose(), &name).await?;
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
                    job_properties(msg),
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

    /// Publishes one transient hint (a wake-up, a live update) to `exchange` under the
    /// match's id as routing key, and awaits its confirm within [`WAKE_TIMEOUT`]. The
    /// channel is in confirm mode; the confirm is awaited (not dropped) because lapin
    /// keeps every dropped, unresolved confirm until `wait_for_confirms`. `what` names
    /// the hint in errors.
    async fn send_hint(
        &self,
        exchange: String,
        id: &JobId,
        body: &[u8],
        what: &str,
    ) -> Result<(), DispatchError> {
        // Not under the timeout: a connect cut short would record no back-off, and
        // every later hint would try (and wait) again.
        let channel = self.channel().await?;
        let sent = async {
            channel
                .basic_publish(
                    exchange.as_str().into(),
                    id.as_str().into(),
                    BasicPublishOptions::default(),
                    body,
                    BasicProperties::default()
                        .with_delivery_mode(1)
                        .with_content_type("application/json".into()),
                )
                .await
                .map_err(|e| DispatchError::unavailable(&format!("publish {what}"), e))?
                .await
                .map_err(|e| DispatchError::unavailable(&format!("confirm {what}"), e))
        };
        match tokio::time::timeout(WAKE_TIMEOUT, sent).await {
            Ok(Ok(Confirmation::Nack(_))) => Err(DispatchError::Nacked),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => {
                self.forget(&channel).await;
                Err(e)
            }
            Err(_) => {
                self.forget(&channel).await;
                Err(DispatchError::Unavailable(format!(
                    "{what} not confirmed within {WAKE_TIMEOUT:?}"
                )))
            }
        }
    }
}

#[async_trait]
impl Dispatch for RabbitDispatch {
    fn mode(&self) -> DispatchMode {
        DispatchMode::RabbitMq
    }

    /// Publishes several messages back to back, then waits for all their confirms.
    /// An error means at least one message may not have reached a queue.
    async fn publish(&self, msgs: &[JobMessage]) -> Result<(), DispatchError> {
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

    /// Tells the worker hosting match `id` to read its event log now. Best effort: the
    /// message is transient and unroutable when no worker hosts the match (nobody
    /// listens, which is fine). Connecting is the shared link's (bounded by
    /// [`CONNECT_TIMEOUT`], then failing at once during the back-off); the publish and
    /// its confirm are bounded by [`WAKE_TIMEOUT`]. An error only means the host
    /// learns of the event at its next poll. A caller that must not wait even for the
    /// connect (the API) runs this in a task of its own.
    async fn wake_match(&self, id: &JobId) -> Result<(), DispatchError> {
        let body = serde_json::to_vec(&WakeMessage { match_id: id })?;
        let exchange = self.topology.match_events_exchange();
        self.send_hint(exchange, id, &body, "match wake-up").await
    }

    /// Whether the broker is reachable now (reconnecting if allowed), for readiness.
    async fn is_healthy(&self) -> bool {
        self.channel().await.is_ok()
    }

    /// Publishes a live match update: transient, unroutable when no API instance streams
    /// the match (fine), bounded by [`WAKE_TIMEOUT`] like a wake-up.
    async fn publish_update(&self, id: &JobId, update: &MatchUpdate) -> Result<(), DispatchError> {
        let body = update.encode(id)?;
        let exchange = self.topology.match_updates_exchange();
        self.send_hint(exchange, id, &body, "match update").await
    }
}

/// One connection of a consuming process, with the topology declared on it. Every
/// channel and consumer opened from it lives as long as the session; a broken
/// connection ends them all, and [`crate::supervise`] opens a new session.
#[derive(Debug)]
pub struct Session {
    connection: Connection,
    topology: Topology,
    /// Every channel opened on the session (the one the topology was declared on
    /// first), closed one by one before the connection: a connection closed under open
    /// channels makes the client log each channel's close as an error.
    channels: std::sync::Mutex<Vec<Channel>>,
}

impl Session {
    /// Connects under `name` (what operators see in `rabbitmqctl list_connections`)
    /// and declares the whole topology (idempotent).
    pub async fn open(url: &str, name: &str, topology: &Topology) -> Result<Self, DispatchError> {
        let connection = connect_named(url, name).await?;
        let session = Self {
            connection,
            topology: topology.clone(),
            channels: std::sync::Mutex::new(Vec::new()),
        };
        let channel = session.create_channel().await?;
        declare(&channel, topology).await?;
        Ok(session)
    }

    /// A new channel on the session, closed with it (for consumers in sibling modules).
    pub(crate) async fn open_channel(&self) -> Result<Channel, DispatchError> {
        self.create_channel().await
    }

    async fn create_channel(&self) -> Result<Channel, DispatchError> {
        let channel = create_channel(&self.connection).await?;
        self.channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(channel.clone());
        Ok(channel)
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// A channel with at most `prefetch` unacknowledged deliveries, to consume work
    /// queues on.
    pub async fn channel(&self, prefetch: u16) -> Result<JobChannel, DispatchError> {
        let channel = self.create_channel().await?;
        channel
            .basic_qos(prefetch, BasicQosOptions::default())
            .await
            .map_err(|e| DispatchError::unavailable("basic.qos", e))?;
        Ok(JobChannel { channel })
    }

    /// This process's exclusive, auto-delete queue on the match wake-up exchange,
    /// consumed without acks (a wake-up is only a hint). It goes with the session.
    pub async fn wake_queue(&self) -> Result<WakeQueue, DispatchError> {
        let channel = self.create_channel().await?;
        let exchange = self.topology.match_events_exchange();
        Ok(WakeQueue(
            HintQueue::open(channel, exchange, "match wake-ups").await?,
        ))
    }

    /// Closes every channel of the session, then the connection, with `reason`.
    pub async fn close(&self, reason: &str) {
        let channels = std::mem::take(
            &mut *self
                .channels
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for channel in channels {
            if channel.status().connected() {
                let _ = channel.close(200, reason.into()).await;
            }
        }
        if self.connection.status().connected() {
            let _ = self.connection.close(200, reason.into()).await;
        }
    }
}

async fn create_channel(connection: &Connection) -> Result<Channel, DispatchError> {
    connection
        .create_channel()
        .await
        .map_err(|e| DispatchError::unavailable("create channel", e))
}

/// A channel to consume work queues on ([`Session::channel`]).
#[derive(Debug)]
pub struct JobChannel {
    channel: Channel,
}

impl JobChannel {
    /// Starts consuming `queue` with manual acks under consumer tag `tag`.
    pub async fn consume(&self, queue: &str, tag: &str) -> Result<JobConsumer, DispatchError> {
        let consumer = self
            .channel
            .basic_consume(
                queue.into(),
                tag.into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| DispatchError::unavailable(&format!("consume {queue}"), e))?;
        Ok(JobConsumer {
            channel: self.channel.clone(),
            queue: queue.to_owned(),
            tag: tag.to_owned(),
            consumer,
        })
    }
}

/// The deliveries of one work queue.
#[derive(Debug)]
pub struct JobConsumer {
    channel: Channel,
    queue: String,
    tag: String,
    consumer: lapin::Consumer,
}

impl JobConsumer {
    pub fn queue(&self) -> &str {
        &self.queue
    }

    /// The next delivery. An error ends the consumer: the channel broke, or the broker
    /// cancelled it.
    pub async fn next(&mut self) -> Result<Delivery, DispatchError> {
        match self.consumer.next().await {
            Some(Ok(delivery)) => Ok(Delivery { inner: delivery }),
            Some(Err(e)) => Err(DispatchError::unavailable(&self.queue, e)),
            None => Err(DispatchError::Cancelled(self.queue.clone())),
        }
    }

    /// Stops consuming (basic.cancel) and requeues whatever the client had buffered,
    /// so those messages go to a consumer that can take them now.
    pub async fn cancel(mut self) -> Result<(), DispatchError> {
        let cancelled = self
            .channel
            .basic_cancel(self.tag.as_str().into(), BasicCancelOptions::default())
            .await;
        while let Ok(Some(Ok(delivery))) =
            tokio::time::timeout(CANCEL_DRAIN, self.consumer.next()).await
        {
            Delivery { inner: delivery }.requeue().await;
        }
        cancelled.map_err(|e| DispatchError::unavailable(&format!("cancel {}", self.queue), e))
    }
}

/// One message from a work queue, to be answered once: ack, requeue or reject.
#[derive(Debug)]
pub struct Delivery {
    inner: lapin::message::Delivery,
}

impl Delivery {
    /// The job it names.
    pub fn job(&self) -> Result<JobMessage, serde_json::Error> {
        JobMessage::decode(&self.inner.data)
    }

    /// Done with: the broker forgets the message. Fails when the channel broke since
    /// it was delivered (the broker then redelivers it).
    pub async fn ack(&self) -> Result<(), DispatchError> {
        self.inner
            .acker
            .ack(BasicAckOptions::default())
            .await
            .map(|_| ())
            .map_err(|e| DispatchError::unavailable("ack", e))
    }

    /// Back to the queue, for any consumer. Best effort: if the channel broke, the
    /// broker requeues the message by itself.
    pub async fn requeue(&self) {
        let _ = self
            .inner
            .acker
            .nack(BasicNackOptions {
                multiple: false,
                requeue: true,
            })
            .await;
    }

    /// Refused for good: to the dead-letter queue (an unreadable message).
    pub async fn reject(&self) {
        let _ = self
            .inner
            .acker
            .reject(BasicRejectOptions { requeue: false })
            .await;
    }
}

/// A process's private queue of hints (match wake-ups, live match updates): exclusive
/// and auto-delete, so it goes with the session's connection; bound on its exchange
/// under the id of each match the process cares about; consumed without acks, since
/// a lost hint only delays what the store already holds.
#[derive(Debug)]
pub struct HintQueue {
    channel: Channel,
    exchange: String,
    queue: String,
    consumer: lapin::Consumer,
    /// What the queue carries, for errors ("match wake-ups").
    what: &'static str,
}

impl HintQueue {
    /// Declares a server-named queue on `channel` and starts consuming it; it is bound
    /// on `exchange` match by match ([`HintQueue::bind`]).
    pub(crate) async fn open(
        channel: Channel,
        exchange: String,
        what: &'static str,
    ) -> Result<Self, DispatchError> {
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
            .map_err(|e| DispatchError::unavailable(&format!("declare the queue of {what}"), e))?;
        let queue = queue.name().as_str().to_owned();
        let consumer = channel
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
            .map_err(|e| DispatchError::unavailable(&format!("consume the queue of {what}"), e))?;
        Ok(Self {
            channel,
            exchange,
            queue,
            consumer,
            what,
        })
    }

    pub fn name(&self) -> &str {
        &self.queue
    }

    /// Hints about match `id` reach this queue from now on.
    pub async fn bind(&self, id: &str) -> Result<(), DispatchError> {
        self.channel
            .queue_bind(
                self.queue.as_str().into(),
                self.exchange.as_str().into(),
                id.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| DispatchError::unavailable(&format!("bind {}", self.what), e))
    }

    pub async fn unbind(&self, id: &str) -> Result<(), DispatchError> {
        self.channel
            .queue_unbind(
                self.queue.as_str().into(),
                self.exchange.as_str().into(),
                id.into(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| DispatchError::unavailable(&format!("unbind {}", self.what), e))
    }

    /// Stops consuming and waits for the broker's cancel-ok. A consumer dropped while
    /// still active has the client send basic.cancel on its own, in the background,
    /// where it races the session's channel close and, losing, is logged by the client
    /// as an ERROR ("invalid channel state: Closing") on every clean stop.
    pub async fn cancel(&self) -> Result<(), DispatchError> {
        let tag = self.consumer.tag();
        self.channel
            .basic_cancel(tag.as_str().into(), BasicCancelOptions::default())
            .await
            .map_err(|e| {
                DispatchError::unavailable(&format!("cancel the consumer of {}", self.what), e)
            })
    }

    /// The next hint.
    pub async fn next_delivery(&mut self) -> Result<lapin::message::Delivery, DispatchError> {
        match self.consumer.next().await {
            Some(Ok(delivery)) => Ok(delivery),
            Some(Err(e)) => Err(DispatchError::unavailable(
                &format!("the queue of {}", self.what),
                e,
            )),
            None => Err(DispatchError::Cancelled(self.queue.clone())),
        }
    }
}

/// This process's queue of match wake-ups ([`Session::wake_queue`]): bound to the id
/// of every match it hosts, it hands out the ids of matches that have new events.
#[derive(Debug)]
pub struct WakeQueue(HintQueue);

impl std::ops::Deref for WakeQueue {
    type Target = HintQueue;
    fn deref(&self) -> &HintQueue {
        &self.0
    }
}

impl WakeQueue {
    /// The id of the next match woken.
    pub async fn next(&mut self) -> Result<String, DispatchError> {
        let delivery = self.0.next_delivery().await?;
        Ok(delivery.routing_key.as_str().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{JobKind, Priority};

    #[test]
    fn the_publisher_debug_shows_no_password() {
        let publisher =
            RabbitDispatch::lazy("amqp://herald:s3cr/t@w@rabbit:5672/%2f", Topology::new("g"));
        let shown = format!("{publisher:?}");
        assert!(!shown.contains("s3cr"), "{shown}");
        assert!(shown.contains("herald:***@rabbit"), "{shown}");
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
        let props = job_properties(&msg);
        assert_eq!(props.delivery_mode(), &Some(2));
        assert_eq!(
            props.message_id().as_ref().map(|s| s.as_str()),
            Some(id.as_str())
        );
    }
}
