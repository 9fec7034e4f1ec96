//! Delivery channels: how a notification leaves Herald.
//!
//! A [`Channel`] turns one notification job into one attempt at the outside world and
//! says how it went with a typed result: delivered, retry (optionally after a delay the
//! far side asked for), permanent failure, or snooze (reschedule without spending the
//! attempt). The engine maps that onto the fenced store outcome; channels never touch
//! the store or the lease.
//!
//! This issue ships `log` (no-op) and `webhook`; SMTP, SMS, push, quiet hours and
//! circuit breakers plug in here as further channels and policies.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use herald_core::notification::NotificationRequest;
use herald_core::Job;

pub mod log;
pub mod webhook;

/// How one delivery attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Worth trying again: a timeout, a connection error, a 5xx, a 429. `retry_after`
    /// is the far side's own request (`Retry-After`); otherwise the retry policy decides.
    #[error("{message}")]
    Retryable {
        message: String,
        retry_after: Option<Duration>,
    },
    /// Retrying cannot help (a 4xx, a malformed request, an unknown channel).
    #[error("{message}")]
    Permanent { message: String },
    /// Not now, and not the job's fault: reschedule without spending the attempt.
    #[error("deferred: {reason}")]
    Snooze { delay: Duration, reason: String },
}

impl DeliveryError {
    pub fn retryable(message: impl Into<String>) -> Self {
        Self::Retryable {
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        Self::Permanent {
            message: message.into(),
        }
    }
}

/// One notification to deliver: the job, and the parts of its request every channel
/// reads.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    pub job: &'a Job,
    /// The job's payload, read back as the request the API accepted.
    pub request: &'a NotificationRequest,
    /// `recipient.address`: a URL for webhooks, an email address, a phone number.
    pub address: &'a str,
    /// This attempt's number (1 for the first), sent as `X-Herald-Attempt`.
    pub attempt: u32,
}

/// A way of delivering notifications.
#[async_trait]
pub trait Channel: Send + Sync + std::fmt::Debug {
    /// The `channel` value of the notification requests it serves.
    fn name(&self) -> &'static str;

    async fn deliver(&self, message: Message<'_>) -> Result<(), DeliveryError>;
}

/// The channels this worker can deliver on, by name.
#[derive(Debug, Clone, Default)]
pub struct Channels {
    by_name: HashMap<&'static str, Arc<dyn Channel>>,
}

impl Channels {
    pub fn with(mut self, channel: Arc<dyn Channel>) -> Self {
        self.by_name.insert(channel.name(), channel);
        self
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Channel>> {
        self.by_name.get(name)
    }

    /// Reads the notification request back out of the job's payload (the API stored
    /// it validated) and delivers it on its channel.
    pub async fn deliver(&self, job: &Job) -> Result<&'static str, (String, DeliveryError)> {
        let request = match NotificationRequest::from_payload(&job.payload) {
            Ok(r) => r,
            Err(e) => {
                let err = DeliveryError::permanent(format!("unreadable notification payload: {e}"));
                return Err(("unknown".to_owned(), err));
            }
        };
        let channel_name = request.channel.as_str();
        let Some(channel) = self.get(channel_name) else {
            let err = DeliveryError::permanent(format!(
                "channel {channel_name:?} is not available on this worker"
            ));
            return Err((channel_name.to_owned(), err));
        };
        let message = Message {
            job,
            request: &request,
            address: &request.recipient.address,
            attempt: job.attempts,
        };
        match channel.deliver(message).await {
            Ok(()) => Ok(channel.name()),
            Err(e) => Err((channel_name.to_owned(), e)),
        }
    }
}
