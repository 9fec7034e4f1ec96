//! Delivery channels: how a notification leaves Herald.
//!
//! A [`Channel`] turns one notification job into one attempt at the outside world and
//! says how it went with a typed result: delivered, retry (optionally after a delay the
//! far side asked for), permanent failure, or snooze (reschedule without spending the
//! attempt). The engine maps that onto the fenced store outcome; channels never touch
//! the store or the lease.
//!
//! Channels: [`log`] (no-op, for load tests), [`webhook`] (signed HTTP POST, SSRF-guarded
//! at connect time), [`email`] (SMTP), [`sms`] (Twilio's Messages API) and [`push`]
//! (Firebase Cloud Messaging HTTP v1). The HTTP ones share one typed classification of
//! an answer in [`http`]. A channel whose configuration is absent is not registered, so
//! its jobs die with "not available on this worker". `docs/channels.md` has each
//! channel's configuration, request shape and outcome table.
//!
//! Before a channel is called, [`Channels::deliver`] applies the delivery policies,
//! each of which can only snooze: the recipient's quiet hours
//! (`herald_core::quiet_hours`), then the circuit breaker of the channel and provider
//! ([`breaker`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use herald_core::config::ConfigError;
use herald_core::notification::NotificationRequest;
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

/// The subject of a notification that gives none.
pub const DEFAULT_SUBJECT: &str = "Notification";

impl Message<'_> {
    /// `subject`, or [`DEFAULT_SUBJECT`].
    pub fn subject(&self) -> &str {
        self.request.subject.as_deref().unwrap_or(DEFAULT_SUBJECT)
    }

    /// The text a person reads: `body`, or for a template job the template's name on
    /// the first line and then one `key: value` line per `data` entry, in key order
    /// (strings as they are, other values as JSON). Templates are rendered by the
    /// tenant's own webhook receiver; the text channels send this plain form.
    pub fn text(&self) -> String {
        if let Some(body) = &self.request.body {
            return body.clone();
        }
        let mut text = self.request.template.clone().unwrap_or_default();
        let mut entries: Vec<_> = self.request.data.iter().flatten().collect();
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

/// A way of delivering notifications.
#[async_trait]
pub trait Channel: Send + Sync + std::fmt::Debug {
    /// The `channel` value of the notification requests it serves.
    fn name(&self) -> &'static str;

    /// Who is on the other end of this message, for the per-channel/provider circuit
    /// breaker: the webhook's host, the SMTP relay, the SMS or push provider. A bounded
    /// set of values per deployment (it becomes a metric label).
    fn provider(&self, message: &Message<'_>) -> String {
        let _ = message;
        self.name().to_owned()
    }

    async fn deliver(&self, message: Message<'_>) -> Result<(), DeliveryError>;
}

/// The channels this worker can deliver on, by name, and the policies every delivery
/// passes first: quiet hours, then the circuit breaker of its channel and provider.
#[derive(Debug, Clone)]
pub struct Channels {
    by_name: HashMap<&'static str, Arc<dyn Channel>>,
    clock: Arc<dyn Clock>,
    breakers: Arc<Breakers>,
}

impl Default for Channels {
    /// The wall clock and default breakers, without metrics.
    fn default() -> Self {
        let clock = herald_core::clock::system();
        let breakers = Arc::new(Breakers::new(BreakerConfig::default(), clock.clone(), None));
        Self::new(clock, breakers)
    }
}

impl Channels {
    /// No channels yet; quiet hours read `clock`, and deliveries pass `breakers`.
    pub fn new(clock: Arc<dyn Clock>, breakers: Arc<Breakers>) -> Self {
        Self {
            by_name: HashMap::new(),
            clock,
            breakers,
        }
    }

    pub fn breakers(&self) -> &Arc<Breakers> {
        &self.breakers
    }

    pub fn with(mut self, channel: Arc<dyn Channel>) -> Self {
        self.by_name.insert(channel.name(), channel);
        self
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Channel>> {
        self.by_name.get(name)
    }

    /// Reads the notification request back out of the job's payload (the API stored
    /// it validated) and delivers it on its channel — unless the recipient's quiet
    /// hours or the provider's open circuit snooze it.
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
        let policy = self.quiet_hours(job, &request).and_then(|()| {
            self.breakers
                .admit(channel_name, &channel.provider(&message))
        });
        let ticket = match policy {
            Ok(ticket) => ticket,
            Err(snooze) => return Err((channel_name.to_owned(), snooze)),
        };
        let result = channel.deliver(message).await;
        ticket.record(&result);
        match result {
            Ok(()) => Ok(channel.name()),
            Err(e) => Err((channel_name.to_owned(), e)),
        }
    }

    /// A non-critical notification inside the recipient's quiet window waits for its
    /// end (checked on every attempt, so a retry that falls in the window waits too).
    fn quiet_hours(&self, job: &Job, request: &NotificationRequest) -> Result<(), DeliveryError> {
        let now = self.clock.now();
        let until = request.quiet_until(job.priority, now).unwrap_or_else(|e| {
            // The API checks zone names; only a tz database older than the API's gets
            // here. The window is still honoured, on UTC.
            tracing::warn!(error = %e, "quiet hours read in UTC");
            request
                .quiet_hours
                .and_then(|q| q.deferral(now, herald_core::quiet_hours::Tz::UTC))
        });
        match until {
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
