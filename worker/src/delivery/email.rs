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
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use herald_core::config::{self, ConfigError, Env, Secret};
use herald_core::notification::Channel;
use herald_core::TenantId;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use super::{DeliveryError, Message, Transport};

const JOB_ID_HEADER: HeaderName = HeaderName::new_from_ascii_str("X-Herald-Job-Id");

#[derive(Debug, Clone)]
pub struct EmailTransport {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// `host:port` of the relay: the circuit breaker's key.
    relay: String,
    from: Mailbox,
    from_tenants: HashMap<TenantId, Mailbox>,
}

impl EmailTransport {
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
            builder =
                builder.credentials(Credentials::new(user.clone(), password.expose().clone()));
        }
        Ok(Self {
            transport: builder.build(),
            relay: format!("{}:{}", config.host.to_ascii_lowercase(), config.port),
            from: config.from.clone(),
            from_tenants: config.from_tenants.clone(),
        })
    }

    fn compose(&self, message: &Message<'_>) -> Result<lettre::Message, DeliveryError> {
        let address = message.address().as_str();
        let to: Mailbox = address.trim().parse().map_err(|e| {
            DeliveryError::permanent(format!(
                "recipient {address:?} is not an email address: {e}"
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
impl Transport for EmailTransport {
    fn channel(&self) -> Channel {
        Channel::Email
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

/// `SMTP_PORT` and `SMTP_TIMEOUT_MS` when unset.
pub const DEFAULT_SMTP_PORT: u16 = 587;
pub const DEFAULT_SMTP_TIMEOUT: Duration = Duration::from_secs(10);

pub use lettre::message::Mailbox;
pub use lettre::transport::smtp::client::Certificate;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text (a relay on the same host or a test server).
    None,
    /// Plain connect, then `STARTTLS`, required (submission on port 587).
    StartTls,
    /// TLS from the first byte (implicit TLS, port 465).
    Tls,
}

impl std::str::FromStr for SmtpTls {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Self::None),
            "starttls" => Ok(Self::StartTls),
            "tls" => Ok(Self::Tls),
            other => Err(format!("{other:?} is not one of none, starttls, tls")),
        }
    }
}

/// What the email channel needs.
#[derive(Clone)]
pub struct EmailConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<Secret<String>>,
    pub timeout: Duration,
    /// `SMTP_CA_FILE`: roots trusted for the relay besides Mozilla's (a private CA).
    pub extra_roots: Option<SmtpRoots>,
    pub from: Mailbox,
    pub from_tenants: HashMap<TenantId, Mailbox>,
}

/// Root certificates from a PEM file, trusted for the SMTP relay in addition to the
/// built-in webpki roots: an internal relay's certificate often comes from a private
/// CA that no public root store has.
#[derive(Clone)]
pub struct SmtpRoots {
    /// Where they were read from, for messages.
    pub path: PathBuf,
    /// One per `CERTIFICATE` block of the file, in order.
    pub certificates: Vec<Certificate>,
}

impl SmtpRoots {
    /// Reads and checks `path`: every `CERTIFICATE` block must be a certificate that
    /// rustls accepts as a trust anchor, and there must be at least one, so a wrong
    /// file stops the start-up instead of the first delivery.
    pub fn load(path: &Path) -> Result<Self, String> {
        let pem = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        let certificates = Self::parse(&pem).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Self {
            path: path.to_owned(),
            certificates,
        })
    }

    /// The certificates of a PEM text, each checked by building TLS parameters with it
    /// (rustls parses a root when it is added to the store).
    pub fn parse(pem: &[u8]) -> Result<Vec<Certificate>, String> {
        let ders = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("not a PEM file of certificates: {e}"))?;
        if ders.is_empty() {
            return Err("no BEGIN CERTIFICATE block in the file".into());
        }
        ders.into_iter()
            .enumerate()
            .map(|(i, der)| {
                let n = i + 1;
                let certificate = Certificate::from_der(der.to_vec())
                    .map_err(|e| format!("certificate {n}: {e}"))?;
                // The domain is irrelevant here: only the root store is built.
                TlsParameters::builder("localhost".into())
                    .add_root_certificate(certificate.clone())
                    .build()
                    .map_err(|e| format!("certificate {n} is not a usable root: {e}"))?;
                Ok(certificate)
            })
            .collect()
    }
}

impl std::fmt::Debug for SmtpRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpRoots")
            .field("path", &self.path)
            .field("certificates", &self.certificates.len())
            .finish()
    }
}

impl std::fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("timeout", &self.timeout)
            .field("extra_roots", &self.extra_roots)
            .field("from", &self.from.to_string())
            .field("from_tenants", &self.from_tenants.len())
            .finish()
    }
}

impl EmailConfig {
    /// The email channel's variables; `None` when `SMTP_HOST` is unset.
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        let Some(host) = env.var("SMTP_HOST") else {
            for name in ["EMAIL_FROM", "SMTP_USERNAME", "SMTP_PASSWORD"] {
                if env.var(name).is_some() {
                    return Err(ConfigError::new(
                        "SMTP_HOST",
                        format!("must be set when {name} is (the email channel needs a relay)"),
                    ));
                }
            }
            return Ok(None);
        };
        let username = env.var("SMTP_USERNAME");
        let password = env.var("SMTP_PASSWORD");
        if username.is_some() != password.is_some() {
            let missing = if username.is_none() {
                "SMTP_USERNAME"
            } else {
                "SMTP_PASSWORD"
            };
            return Err(ConfigError::new(
                missing,
                "set SMTP_USERNAME and SMTP_PASSWORD together",
            ));
        }
        let from = env
            .var("EMAIL_FROM")
            .ok_or_else(|| ConfigError::new("EMAIL_FROM", "must be set when SMTP_HOST is"))?;
        let from = parse_mailbox("EMAIL_FROM", &from)?;
        let tls = env.parse_or("SMTP_TLS", SmtpTls::StartTls)?;
        let extra_roots = match env.var("SMTP_CA_FILE") {
            None => None,
            // Roots without TLS would be silently ignored: the operator meant something else.
            Some(_) if tls == SmtpTls::None => {
                return Err(ConfigError::new(
                    "SMTP_CA_FILE",
                    "is only used with SMTP_TLS=starttls or tls, and SMTP_TLS is none",
                ))
            }
            Some(path) => Some(
                SmtpRoots::load(Path::new(path.trim()))
                    .map_err(|e| ConfigError::new("SMTP_CA_FILE", e))?,
            ),
        };
        Ok(Some(EmailConfig {
            host: host.trim().to_owned(),
            port: env.parse_or("SMTP_PORT", DEFAULT_SMTP_PORT)?,
            tls,
            username,
            password: password.map(Secret::new),
            timeout: env.millis_or("SMTP_TIMEOUT_MS", DEFAULT_SMTP_TIMEOUT)?,
            extra_roots,
            from,
            from_tenants: parse_tenant_senders(env.var("EMAIL_FROM_TENANTS").as_deref())?,
        }))
    }
}

fn parse_mailbox(name: &'static str, raw: &str) -> Result<Mailbox, ConfigError> {
    raw.trim()
        .parse::<Mailbox>()
        .map_err(|e| ConfigError::new(name, format!("{raw:?} is not an email address: {e}")))
}

/// `tenant:address,tenant:address` (an address may carry a display name).
fn parse_tenant_senders(raw: Option<&str>) -> Result<HashMap<TenantId, Mailbox>, ConfigError> {
    config::tenant_map("EMAIL_FROM_TENANTS", raw, "address", |_, address| {
        address
            .parse::<Mailbox>()
            .map_err(|e| format!("{address:?} is not an email address: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_senders_parse_and_name_the_variable() {
        let senders = parse_tenant_senders(Some(
            "acme:Acme <no-reply@acme.example>, beta:b@beta.example",
        ))
        .unwrap();
        let acme = TenantId::parse("acme").unwrap();
        assert_eq!(senders[&acme].email.to_string(), "no-reply@acme.example");
        assert_eq!(senders[&acme].name.as_deref(), Some("Acme"));
        for bad in ["acme", "acme:not an address", "a:x@y.example,a:z@y.example"] {
            let err = parse_tenant_senders(Some(bad)).unwrap_err();
            assert_eq!(err.var, "EMAIL_FROM_TENANTS", "{bad}");
        }
        assert_eq!("STARTTLS".parse::<SmtpTls>(), Ok(SmtpTls::StartTls));
        assert!("ssl".parse::<SmtpTls>().is_err());
    }

    #[test]
    fn smtp_roots_take_every_certificate_block_and_refuse_files_without_one() {
        let ca = || {
            let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            let key = rcgen::KeyPair::generate().unwrap();
            (params.self_signed(&key).unwrap().pem(), key.serialize_pem())
        };
        let ((first, key), (second, _)) = (ca(), ca());
        // A key block between them is skipped, not an error.
        let bundle = format!("{first}{key}{second}");
        assert_eq!(SmtpRoots::parse(bundle.as_bytes()).unwrap().len(), 2);
        for bad in [
            "".to_owned(),
            "not pem".to_owned(),
            key,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_owned(),
        ] {
            assert!(SmtpRoots::parse(bad.as_bytes()).is_err(), "{bad}");
        }
        let err = SmtpRoots::load(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(err.contains("/nonexistent/ca.pem"), "{err}");
    }
}
