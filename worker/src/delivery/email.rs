//! The `email` channel: one plain-text message per job through an SMTP relay (lettre,
//! async on tokio, a pooled connection).
//!
//! The message: `To` = `recipient.address`, `From` = the tenant's address from
//! `EMAIL_FROM_TENANTS` or else `EMAIL_FROM`, `Subject` = `subject` (or
//! [`super::DEFAULT_SUBJECT`]), a `text/plain` body from [`Message::text`], and the job
//! id twice — `Message-ID: <job id@sender domain>` and `X-Herald-Job-Id` — so a message
//! sent again after a lost answer is recognisable as the same message.
//!
//! `SMTP_TLS=starttls` (the default) and `tls` verify the relay's certificate against
//! Mozilla's roots plus those of `SMTP_CA_FILE`, if set.
//!
//! SMTP answers are typed by lettre from their reply codes (RFC 5321 §4.2.1): a
//! transient 4xx reply (451 try later, 452 mailbox full), a timeout, a refused or
//! dropped connection or a failed TLS handshake retry with the policy's backoff; a
//! permanent 5xx reply (550 no such user, 554 rejected) is permanent, and so is a
//! recipient that is not an email address.

use std::collections::HashMap;

use async_trait::async_trait;
use herald_core::TenantId;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{Channel, DeliveryError, Message};
use crate::config::{EmailConfig, SmtpTls};

const JOB_ID_HEADER: HeaderName = HeaderName::new_from_ascii_str("X-Herald-Job-Id");

#[derive(Debug, Clone)]
pub struct EmailChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// `host:port` of the relay: the circuit breaker's key.
    relay: String,
    from: Mailbox,
    from_tenants: HashMap<TenantId, Mailbox>,
}

impl EmailChannel {
    pub fn new(config: &EmailConfig) -> anyhow::Result<Self> {
        let tls = match config.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::StartTls => Tls::Required(tls_parameters(config)?),
            SmtpTls::Tls => Tls::Wrapper(tls_parameters(config)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout));
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Self {
            transport: builder.build(),
            relay: format!("{}:{}", config.host.to_ascii_lowercase(), config.port),
            from: config.from.clone(),
            from_tenants: config.from_tenants.clone(),
        })
    }

    fn compose(&self, message: &Message<'_>) -> Result<lettre::Message, DeliveryError> {
        let to: Mailbox = message.address.trim().parse().map_err(|e| {
            DeliveryError::permanent(format!(
                "recipient {:?} is not an email address: {e}",
                message.address
            ))
        })?;
        let from = self
            .from_tenants
            .get(&message.job.tenant)
            .unwrap_or(&self.from);
        let id = message.job.id.as_str();
        let mut email = lettre::Message::builder()
            .from(from.clone())
            .to(to)
            .subject(message.subject())
            .message_id(Some(format!("<{id}@{}>", from.email.domain())))
            .header(ContentType::TEXT_PLAIN)
            .body(message.text())
            .map_err(|e| DeliveryError::permanent(format!("composing the email: {e}")))?;
        email
            .headers_mut()
            .insert_raw(HeaderValue::new(JOB_ID_HEADER, id.to_owned()));
        Ok(email)
    }
}

/// The relay's certificate must name `SMTP_HOST` and chain to Mozilla's roots or to
/// one of `SMTP_CA_FILE`'s (a private CA of an internal relay).
fn tls_parameters(config: &EmailConfig) -> anyhow::Result<TlsParameters> {
    let mut builder = TlsParameters::builder(config.host.clone());
    for certificate in config
        .extra_roots
        .iter()
        .flat_map(|roots| roots.certificates.iter())
    {
        builder = builder.add_root_certificate(certificate.clone());
    }
    builder.build().map_err(|e| {
        let roots = config
            .extra_roots
            .as_ref()
            .map(|r| format!(" with the roots of SMTP_CA_FILE {}", r.path.display()))
            .unwrap_or_default();
        anyhow::anyhow!("TLS settings for SMTP relay {}{roots}: {e}", config.host)
    })
}

/// What an SMTP failure means for the job.
fn classify(err: &lettre::transport::smtp::Error) -> DeliveryError {
    let message = format!("SMTP relay: {err}");
    if err.is_permanent() {
        DeliveryError::permanent(message)
    } else {
        // Transient replies, timeouts, connection, network and TLS failures, a reply
        // that could not be parsed: the relay or the path to it, not the message.
        DeliveryError::retryable(message)
    }
}

#[async_trait]
impl Channel for EmailChannel {
    fn name(&self) -> &'static str {
        "email"
    }

    fn provider(&self, _message: &Message<'_>) -> String {
        self.relay.clone()
    }

    async fn deliver(&self, message: Message<'_>) -> Result<(), DeliveryError> {
        let email = self.compose(&message)?;
        self.transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| classify(&e))
    }
}
