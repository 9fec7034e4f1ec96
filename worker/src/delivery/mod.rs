//! Delivery: how a notification leaves Herald.
//!
//! A [`Transport`] carries notifications of one [`Channel`] to the outside world: it
//! turns one notification job into one attempt and says how it went with a typed
//! result: delivered, retry (optionally after a delay the far side asked for),
//! permanent failure, or snooze (reschedule without spending the attempt). The engine
//! maps that onto the fenced store outcome; transports never touch the store or the
//! lease.
//!
//! Transports: [`log`] (no-op, for load tests), [`webhook`] (signed HTTP POST,
//! SSRF-guarded at connect time), [`email`] (SMTP), [`sms`] (Twilio's Messages API) and
//! [`push`] (Firebase Cloud Messaging HTTP v1). The HTTP ones share one typed
//! classification of an answer in [`http`]. Each owns its configuration and its
//! parsing (`WebhookConfig`, `EmailConfig`, …). A transport whose configuration is
//! absent is not registered, so its jobs die with "not available on this worker".
//! `docs/channels.md` has each channel's configuration, request shape and outcome
//! table.
//!
//! Before a transport is called, [`Transports::deliver`] reads the job's payload into a
//! checked [`Notification`] (its address and time zone parsed once) and applies the
//! delivery policies, each of which can only snooze: the recipient's quiet hours
//! (`herald_core::quiet_hours`), then the circuit breaker of the channel and provider
//! ([`breaker`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use herald_core::config::ConfigError;
use herald_core::notification::{Address, Channel, Notification, NotificationRequest};
use herald_core::ssrf::TargetGuard;
use herald_core::{Clock, Job};

use push::{PushAuth, PushConfig};
use sms::SmsConfig;

use breaker::{BreakerConfig, Breakers};

pub mod breaker;
pub mod email;
pub mod http;
pub mod log;
pub mod push;
pub mod push_token;
pub mod sms;
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

/// One notification to deliver: the job, and its checked notification.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    pub job: &'a Job,
    pub notification: &'a Notification,
    /// This attempt's number (1 for the first), sent as `X-Herald-Attempt`.
    pub attempt: u32,
}

/// The subject of a notification that gives none.
pub const DEFAULT_SUBJECT: &str = "Notification";

impl Message<'_> {
    /// The request as the client sent it (and as it is stored).
    pub fn request(&self) -> &NotificationRequest {
        self.notification.request()
    }

    /// `recipient.address`, parsed for the channel: a URL for webhooks, an email
    /// address, a phone number, a device token.
    pub fn address(&self) -> &Address {
        self.notification.address()
    }

    /// `subject`, or [`DEFAULT_SUBJECT`].
    pub fn subject(&self) -> &str {
        self.request().subject.as_deref().unwrap_or(DEFAULT_SUBJECT)
    }

    /// The text a person reads: `body`, or for a template job the template's name on
    /// the first line and then one `key: value` line per `data` entry, in key order
    /// (strings as they are, other values as JSON). Templates are rendered by the
    /// tenant's own webhook receiver; the text channels send this plain form.
    pub fn text(&self) -> String {
        let request = self.request();
        if let Some(body) = &request.body {
            return body.clone();
        }
        let mut text = request.template.clone().unwrap_or_default();
        let mut entries: Vec<_> = request.data.iter().flatten().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        for (key, value) in entries {
            let value = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            text.push_str(&format!("\n{key}: {value}"));
        }
        text
    }
}

/// What carries the notifications of one channel.
#[async_trait]
pub trait Transport: Send + Sync + std::fmt::Debug {
    /// The channel whose notifications it carries.
    fn channel(&self) -> Channel;

    /// Who is on the other end of this message, for the per-channel/provider circuit
    /// breaker: the webhook's host, the SMTP relay, the SMS or push provider. A bounded
    /// set of values per deployment (it becomes a metric label).
    fn provider(&self, message: &Message<'_>) -> String {
        let _ = message;
        self.channel().as_str().to_owned()
    }

    async fn deliver(&self, message: Message<'_>) -> Result<(), DeliveryError>;
}

/// How one delivery attempt went.
#[derive(Debug)]
pub struct Attempt {
    /// The notification's channel; `None` when the payload is not a notification.
    pub channel: Option<Channel>,
    pub result: Result<(), DeliveryError>,
}

impl Attempt {
    /// The `channel` label of the delivery metrics.
    pub fn channel_label(&self) -> &'static str {
        self.channel.map_or("unknown", Channel::as_str)
    }

    /// The `outcome` label of the delivery metrics.
    pub fn outcome_label(&self) -> &'static str {
        match &self.result {
            Ok(()) => "delivered",
            Err(DeliveryError::Retryable { .. }) => "retryable",
            Err(DeliveryError::Permanent { .. }) => "permanent",
            Err(DeliveryError::Snooze { .. }) => "snoozed",
        }
    }
}

/// The transports this worker delivers with, by channel, and the policies every
/// delivery passes first: quiet hours, then the circuit breaker of its channel and
/// provider.
#[derive(Debug, Clone)]
pub struct Transports {
    by_channel: HashMap<Channel, Arc<dyn Transport>>,
    clock: Arc<dyn Clock>,
    breakers: Arc<Breakers>,
}

impl Default for Transports {
    /// The wall clock and default breakers, without metrics.
    fn default() -> Self {
        let clock = herald_core::clock::system();
        let breakers = Arc::new(Breakers::new(BreakerConfig::default(), clock.clone(), None));
        Self::new(clock, breakers)
    }
}

impl Transports {
    /// No transports yet; quiet hours read `clock`, and deliveries pass `breakers`.
    pub fn new(clock: Arc<dyn Clock>, breakers: Arc<Breakers>) -> Self {
        Self {
            by_channel: HashMap::new(),
            clock,
            breakers,
        }
    }

    pub fn breakers(&self) -> &Arc<Breakers> {
        &self.breakers
    }

    pub fn with(mut self, transport: Arc<dyn Transport>) -> Self {
        self.by_channel.insert(transport.channel(), transport);
        self
    }

    pub fn get(&self, channel: Channel) -> Option<&Arc<dyn Transport>> {
        self.by_channel.get(&channel)
    }

    /// The channels this worker delivers on, for the start-up log.
    pub fn channels(&self) -> Vec<Channel> {
        Channel::ALL
            .into_iter()
            .filter(|c| self.by_channel.contains_key(c))
            .collect()
    }

    /// Reads the job's payload into a checked notification (the API stored it checked)
    /// and delivers it with its channel's transport — unless the recipient's quiet
    /// hours or the provider's open circuit snooze it.
    pub async fn deliver(&self, job: &Job) -> Attempt {
        let notification = match Notification::from_payload(&job.payload) {
            Ok(n) => n,
            Err(e) => {
                return Attempt {
                    channel: None,
                    result: Err(DeliveryError::permanent(e.to_string())),
                }
            }
        };
        let channel = notification.channel();
        let result = self.deliver_checked(job, &notification).await;
        Attempt {
            channel: Some(channel),
            result,
        }
    }

    async fn deliver_checked(
        &self,
        job: &Job,
        notification: &Notification,
    ) -> Result<(), DeliveryError> {
        let channel = notification.channel();
        let Some(transport) = self.get(channel) else {
            return Err(DeliveryError::permanent(format!(
                "channel {:?} is not available on this worker",
                channel.as_str()
            )));
        };
        let message = Message {
            job,
            notification,
            attempt: job.attempts,
        };
        self.quiet_hours(job, notification)?;
        let ticket = self.breakers.admit(
            job.tenant.as_str(),
            channel.as_str(),
            &transport.provider(&message),
        )?;
        let result = transport.deliver(message).await;
        ticket.record(&result);
        result
    }

    /// A non-critical notification inside the recipient's quiet window waits for its
    /// end (checked on every attempt, so a retry that falls in the window waits too).
    fn quiet_hours(&self, job: &Job, notification: &Notification) -> Result<(), DeliveryError> {
        let now = self.clock.now();
        match notification.quiet_until(job.priority, now) {
            None => Ok(()),
            Some(until) => Err(DeliveryError::Snooze {
                delay: (until - now).to_std().unwrap_or_default(),
                reason: format!(
                    "quiet hours until {}",
                    until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            }),
        }
    }
}

/// The sms and push base URLs (and a service account's `token_uri`) go through the SSRF
/// guard like a tenant's webhook: a literal internal address is refused at start-up
/// (when the channels are built),
/// unless `WEBHOOK_ALLOWED_CIDRS` allows its range; names (`localhost` too) are checked
/// on what they resolve to, at delivery.
pub fn check_provider_targets(
    guard: &TargetGuard,
    sms: Option<&SmsConfig>,
    push: Option<&PushConfig>,
) -> Result<(), ConfigError> {
    let token_uri = push.and_then(|c| match &c.auth {
        PushAuth::ServiceAccount(account) => Some(account.token_uri.as_str()),
        PushAuth::Static(_) => None,
    });
    let targets = [
        ("SMS_BASE_URL", "", sms.map(|c| c.base_url.as_str())),
        ("PUSH_BASE_URL", "", push.map(|c| c.base_url.as_str())),
        // IP literals never reach the guarded resolver, so the token endpoint's is
        // checked here like the base URLs.
        ("PUSH_SERVICE_ACCOUNT_FILE", "token_uri: ", token_uri),
    ];
    for (name, what, raw) in targets {
        if let Some(raw) = raw {
            let url = url::Url::parse(raw)
                .map_err(|e| ConfigError::new(name, format!("{what}not a URL: {e}")))?;
            guard
                .check_ip_literal(&url)
                .map_err(|refused| ConfigError::new(name, format!("{what}{refused}")))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use email::{EmailConfig, SmtpTls, DEFAULT_SMTP_PORT, DEFAULT_SMTP_TIMEOUT};
    use herald_core::config::Secret;
    use herald_core::ssrf::Cidr;
    use http::DEFAULT_PROVIDER_TIMEOUT;
    use push::{PushAuth, PushConfig, DEFAULT_PUSH_BASE_URL};
    use sms::{SmsConfig, DEFAULT_SMS_BASE_URL};
    use std::collections::HashMap;

    #[test]
    fn internal_adapter_base_urls_need_the_allow_list() {
        let sms = |base: &str| SmsConfig {
            base_url: base.into(),
            account_sid: "AC1".into(),
            auth_token: Secret::new("t".into()),
            from: "+15005550006".into(),
            timeout: DEFAULT_PROVIDER_TIMEOUT,
        };
        let push = |base: &str| PushConfig {
            base_url: base.into(),
            project_id: "p".into(),
            auth: PushAuth::Static(Secret::new("t".into())),
            timeout: DEFAULT_PROVIDER_TIMEOUT,
        };
        let public = (sms(DEFAULT_SMS_BASE_URL), push(DEFAULT_PUSH_BASE_URL));
        assert!(
            check_provider_targets(&TargetGuard::default(), Some(&public.0), Some(&public.1))
                .is_ok()
        );
        assert!(check_provider_targets(&TargetGuard::default(), None, None).is_ok());
        // A name passes here: the resolver judges it at delivery.
        assert!(check_provider_targets(
            &TargetGuard::default(),
            Some(&sms("http://localhost:9")),
            None
        )
        .is_ok());
        for base in [
            "http://10.0.0.5:8080",
            "http://127.0.0.1:9",
            "http://[::1]:9",
        ] {
            let err = check_provider_targets(&TargetGuard::default(), Some(&sms(base)), None)
                .unwrap_err();
            assert_eq!(err.var, "SMS_BASE_URL", "{base}");
            assert!(err.to_string().contains("WEBHOOK_ALLOWED_CIDRS"), "{err}");
        }
        let err = check_provider_targets(
            &TargetGuard::default(),
            None,
            Some(&push("http://169.254.169.254")),
        )
        .unwrap_err();
        assert_eq!(err.var, "PUSH_BASE_URL");
        let loopback = TargetGuard::new(vec!["127.0.0.0/8".parse::<Cidr>().unwrap()]);
        assert!(check_provider_targets(&loopback, Some(&sms("http://127.0.0.1:9")), None).is_ok());
        assert!(check_provider_targets(&loopback, Some(&sms("http://10.0.0.5")), None).is_err());
    }

    #[test]
    fn secrets_are_not_in_debug_output() {
        let sms = SmsConfig {
            base_url: DEFAULT_SMS_BASE_URL.into(),
            account_sid: "AC1".into(),
            auth_token: Secret::new("twilio-token-value".into()),
            from: "+15005550006".into(),
            timeout: DEFAULT_PROVIDER_TIMEOUT,
        };
        let push = PushConfig {
            base_url: DEFAULT_PUSH_BASE_URL.into(),
            project_id: "p".into(),
            auth: PushAuth::Static(Secret::new("ya29.fcm-token-value".into())),
            timeout: DEFAULT_PROVIDER_TIMEOUT,
        };
        let email = EmailConfig {
            host: "smtp.example.com".into(),
            port: DEFAULT_SMTP_PORT,
            tls: SmtpTls::StartTls,
            username: Some("user".into()),
            password: Some(Secret::new("smtp-password-value".into())),
            timeout: DEFAULT_SMTP_TIMEOUT,
            extra_roots: None,
            from: "a@b.example".parse().unwrap(),
            from_tenants: HashMap::new(),
        };
        let text = format!("{sms:?} {push:?} {email:?}");
        for secret in [
            "twilio-token-value",
            "ya29.fcm-token-value",
            "smtp-password-value",
        ] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}
