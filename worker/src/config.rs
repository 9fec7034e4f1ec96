//! The worker's configuration, read once from the environment and checked at start-up
//! (DESIGN §9). A bad value stops the process with a message naming the variable.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use herald_core::config::{millis_or, parse_or, positive_or, var, ConfigError};
use herald_core::store::StoreConfig;
use herald_core::{RetryPolicy, TenantId};
use lettre::transport::smtp::client::TlsParameters;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::delivery::breaker::BreakerConfig;

pub const DEFAULT_CONSUMER_GROUP: &str = "notification-workers";
pub const DEFAULT_PREFETCH_COUNT: u16 = 10;
pub const DEFAULT_LOCK_DURATION: Duration = Duration::from_millis(300_000);
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(5_000);
/// With no broker the poller is the only dispatch path, so it polls this often.
pub const DEFAULT_EMBEDDED_POLL_INTERVAL: Duration = Duration::from_millis(50);
pub const DEFAULT_BATCH_SIZE: usize = 50;
pub const DEFAULT_MAX_MATCHES: u32 = 3;
pub const DEFAULT_METRICS_PORT: u16 = 9091;
pub const DEFAULT_CONCURRENCY: usize = 64;
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(25);
pub const DEFAULT_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);
pub const DEFAULT_SMTP_PORT: u16 = 587;
pub const DEFAULT_SMTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Per-request timeout of the SMS and push providers' APIs.
pub const DEFAULT_PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// Twilio's REST API.
pub const DEFAULT_SMS_BASE_URL: &str = "https://api.twilio.com";
/// Firebase Cloud Messaging's HTTP v1 API.
pub const DEFAULT_PUSH_BASE_URL: &str = "https://fcm.googleapis.com";

/// Every environment variable the worker reads, with what it means; `--help` prints
/// this table so operators see one source of truth.
pub const ENV_HELP: &str = "\
Environment (every value is checked at start-up; a bad one names the variable):
  MONGODB_URI              MongoDB job store; unset = embedded SQLite store
  MONGODB_DATABASE         database name (from the URI, else herald)
  MONGODB_MAX_POOL_SIZE    MongoDB connection pool bounds (driver defaults)
  MONGODB_MIN_POOL_SIZE
  MONGODB_WRITE_CONCERN    majority (default) or a number of nodes
  SQLITE_PATH              SQLite file when MONGODB_URI is unset (./herald.db)
  SQLITE_SYNCHRONOUS       normal (default) | full: SQLite durability, see docs
  SQLITE_POOL_SIZE         SQLite connections per process (8)
  SQLITE_BUSY_TIMEOUT_MS   how long a writer waits for SQLite's write lock (10000)
  RABBITMQ_URL             amqp:// URL; unset = embedded mode (the poller alone dispatches)
  RABBITMQ_CONSUMER_GROUP  queue/exchange name prefix shared by the group (notification-workers)
  PREFETCH_COUNT           unacked deliveries per work queue (10)
  LOCK_DURATION_MS         lease length; renewed at a third of it (300000)
  POLL_INTERVAL_MS         poller period, jittered (5000; 50 in embedded mode)
  WORKER_BATCH_SIZE        jobs claimed per poll and completed per store write (50)
  WORKER_CONCURRENCY       jobs processed at once by this process (64)
  MAX_MATCHES              matches hosted at once (3)
  METRICS_PORT             port of /health /metrics /resources /stats (9091; 0 = any free port)
  METRICS_HOST             address the metrics server binds (0.0.0.0)
  SHUTDOWN_TIMEOUT_MS      on SIGTERM, how long in-flight jobs may finish (25000)
  HEARTBEAT_INTERVAL_MS    registry heartbeat period, read by GET /v1/workers (5000)
  WEBHOOK_SECRETS          tenant:secret,... HMAC-SHA256 keys for X-Herald-Signature
  WEBHOOK_ALLOWED_CIDRS    CIDRs a webhook (or the sms/push base URL) may target although
                           private/loopback (none)
  WEBHOOK_TIMEOUT_MS       per-request webhook timeout (10000)
  SMTP_HOST                SMTP relay of the email channel; unset = no email channel
  SMTP_PORT                SMTP port (587)
  SMTP_TLS                 starttls (default) | tls (implicit TLS, usually port 465) | none
  SMTP_USERNAME            SMTP AUTH credentials (optional; set both)
  SMTP_PASSWORD
  SMTP_TIMEOUT_MS          per-command SMTP timeout (10000)
  SMTP_CA_FILE             PEM file of extra root CAs trusted for the relay (starttls/tls only)
  EMAIL_FROM               From address of emails, e.g. \"Herald <no-reply@example.com>\"
  EMAIL_FROM_TENANTS       tenant:address,... per-tenant From addresses (else EMAIL_FROM)
  SMS_ACCOUNT_SID          Twilio account SID of the sms channel; unset = no sms channel
  SMS_AUTH_TOKEN           Twilio auth token
  SMS_FROM                 sender phone number (E.164) or Twilio sender id
  SMS_BASE_URL             Twilio API base URL (https://api.twilio.com)
  SMS_TIMEOUT_MS           per-request SMS provider timeout (10000)
  PUSH_PROJECT_ID          Firebase project of the push channel (FCM HTTP v1); unset = no push
                           (unless PUSH_SERVICE_ACCOUNT_FILE is set: then its project_id)
  PUSH_ACCESS_TOKEN        OAuth 2.0 access token for FCM (Bearer), used as given (it expires)
  PUSH_SERVICE_ACCOUNT_FILE Google service-account JSON key: the worker mints and refreshes
                           FCM access tokens itself (set this or PUSH_ACCESS_TOKEN, not both)
  PUSH_BASE_URL            FCM API base URL (https://fcm.googleapis.com)
  PUSH_TIMEOUT_MS          per-request push provider timeout (10000)
  BREAKER_FAILURE_THRESHOLD consecutive retryable failures that open a channel/provider circuit (5)
  BREAKER_OPEN_MS          how long an open circuit snoozes its jobs before a probe (30000)
  RETRY_BASE_MS            first retry delay; doubles per attempt (2000)
  RETRY_MAX_MS             retry delay cap (900000)
  RUST_LOG                 log filter (info); LOG_FORMAT=json for JSON logs";

/// Everything the worker needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    pub store: StoreConfig,
    /// `None` is embedded mode: no broker, the poller is the only dispatch path.
    pub rabbitmq_url: Option<String>,
    pub consumer_group: String,
    pub prefetch: u16,
    pub lock_duration: Duration,
    pub poll_interval: Duration,
    pub batch_size: usize,
    pub concurrency: usize,
    pub max_matches: u32,
    pub metrics_host: IpAddr,
    pub metrics_port: u16,
    pub shutdown_timeout: Duration,
    pub heartbeat_interval: Duration,
    pub retry: RetryPolicy,
    pub webhook: WebhookConfig,
    /// `None` when `SMTP_HOST` is unset: no email channel on this worker.
    pub email: Option<EmailConfig>,
    /// `None` when `SMS_ACCOUNT_SID` is unset.
    pub sms: Option<SmsConfig>,
    /// `None` when `PUSH_PROJECT_ID` is unset.
    pub push: Option<PushConfig>,
    /// Circuit breakers per channel and provider.
    pub breaker: BreakerConfig,
}

/// What the webhook channel needs.
#[derive(Clone, Default)]
pub struct WebhookConfig {
    /// Per-tenant HMAC keys. Never logged.
    pub secrets: HashMap<TenantId, String>,
    pub allowed_cidrs: Vec<Cidr>,
    pub timeout: Duration,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut tenants: Vec<&str> = self.secrets.keys().map(TenantId::as_str).collect();
        tenants.sort_unstable();
        f.debug_struct("WebhookConfig")
            .field("secrets_for", &tenants)
            .field("allowed_cidrs", &self.allowed_cidrs)
            .field("timeout", &self.timeout)
            .finish()
    }
}

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
    /// Never logged.
    pub password: Option<String>,
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
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("extra_roots", &self.extra_roots)
            .field("from", &self.from.to_string())
            .field("from_tenants", &self.from_tenants.len())
            .finish()
    }
}

/// What the sms channel (Twilio's Messages API) needs.
#[derive(Clone)]
pub struct SmsConfig {
    /// Without a trailing slash.
    pub base_url: String,
    pub account_sid: String,
    /// Never logged.
    pub auth_token: String,
    pub from: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for SmsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsConfig")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// What the push channel (Firebase Cloud Messaging HTTP v1) needs.
#[derive(Clone)]
pub struct PushConfig {
    /// Without a trailing slash.
    pub base_url: String,
    pub project_id: String,
    /// How requests to FCM are authorised.
    pub auth: PushAuth,
    pub timeout: Duration,
}

impl std::fmt::Debug for PushConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushConfig")
            .field("base_url", &self.base_url)
            .field("project_id", &self.project_id)
            .field("auth", &self.auth)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The push channel's credentials: exactly one of `PUSH_ACCESS_TOKEN` and
/// `PUSH_SERVICE_ACCOUNT_FILE`.
#[derive(Clone)]
pub enum PushAuth {
    /// `PUSH_ACCESS_TOKEN`, sent as given. Google's access tokens expire after about an
    /// hour, so this suits a deployment that rotates the token (and restarts the worker).
    /// Never logged.
    Static(String),
    /// `PUSH_SERVICE_ACCOUNT_FILE`: the worker mints its own access tokens from the key
    /// and refreshes them before they expire (`delivery::push_token`).
    ServiceAccount(ServiceAccount),
}

impl std::fmt::Debug for PushAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Static(_) => f.write_str("Static(<redacted>)"),
            Self::ServiceAccount(account) => {
                f.debug_tuple("ServiceAccount").field(account).finish()
            }
        }
    }
}

/// Google's default OAuth 2.0 token endpoint, for a key file without `token_uri`.
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// A Google service-account key (the JSON file the Cloud console hands out), read and
/// checked at start-up so a wrong file stops the worker instead of failing every push.
/// Only the fields the token flow needs are kept; the private key only as a signing key.
#[derive(Clone)]
pub struct ServiceAccount {
    /// Where it was read from, for messages.
    pub path: PathBuf,
    /// `client_email`: the JWT's issuer.
    pub client_email: String,
    /// `token_uri`: where assertions are exchanged for access tokens, and the JWT's
    /// audience.
    pub token_uri: String,
    /// `project_id`, the default of `PUSH_PROJECT_ID`.
    pub project_id: Option<String>,
    /// `private_key` (PEM, RSA), parsed. Never logged.
    pub key: jsonwebtoken::EncodingKey,
}

impl ServiceAccount {
    /// Reads and checks the key file at `path`. Messages name the file and the field,
    /// never a field's value: the file holds a private key.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        Self::parse(path, &text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The key file's content. Parsed as a generic JSON value first, so a field of the
    /// wrong type is reported by name rather than by serde's message (which can quote
    /// the value).
    pub fn parse(path: &Path, text: &[u8]) -> Result<Self, String> {
        let json: serde_json::Value = serde_json::from_slice(text).map_err(|e| {
            // Position only: serde's syntax errors carry no content.
            format!(
                "not a JSON service-account key (line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        if !json.is_object() {
            return Err("not a JSON service-account key (expected an object)".into());
        }
        let field = |name: &str| -> Result<Option<String>, String> {
            match json.get(name) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s.trim().to_owned())),
                Some(_) => Err(format!("field {name} is not a string")),
            }
        };
        let required =
            |name: &str| field(name)?.ok_or_else(|| format!("field {name} is missing or empty"));
        if let Some(kind) = field("type")? {
            if kind != "service_account" {
                return Err(format!(
                    "type is {kind:?}, expected \"service_account\" (a service-account key)"
                ));
            }
        }
        let client_email = required("client_email")?;
        let private_key = required("private_key")?;
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(private_key.as_bytes())
            .map_err(|e| format!("private_key is not a PEM RSA private key: {e}"))?;
        // The PEM parse above does not look inside the key; signing once does, so a
        // damaged key fails here and not at the first delivery.
        probe_sign(&key).map_err(|e| format!("private_key cannot sign: {e}"))?;
        let token_uri = field("token_uri")?.unwrap_or_else(|| DEFAULT_TOKEN_URI.to_owned());
        let parsed =
            url::Url::parse(&token_uri).map_err(|e| format!("token_uri is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err("token_uri must be an http:// or https:// URL".into());
        }
        Ok(Self {
            path: path.to_owned(),
            client_email,
            token_uri,
            project_id: field("project_id")?,
            key,
        })
    }
}

/// Signs a throwaway JWT with `key`.
fn probe_sign(key: &jsonwebtoken::EncodingKey) -> Result<(), jsonwebtoken::errors::Error> {
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    jsonwebtoken::encode(&header, &serde_json::json!({"probe": true}), key).map(|_| ())
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("path", &self.path)
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri)
            .field("project_id", &self.project_id)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl Config {
    /// Reads and checks every variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        let store = StoreConfig::from_env()?;
        let rabbitmq_url = match var("RABBITMQ_URL") {
            Some(url) if url.starts_with("amqp://") || url.starts_with("amqps://") => Some(url),
            Some(_) => {
                return Err(ConfigError::new(
                    "RABBITMQ_URL",
                    "must start with amqp:// or amqps://",
                ))
            }
            None => None,
        };
        let consumer_group =
            var("RABBITMQ_CONSUMER_GROUP").unwrap_or_else(|| DEFAULT_CONSUMER_GROUP.to_owned());
        let group_ok = consumer_group.len() <= 100
            && consumer_group
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !group_ok {
            return Err(ConfigError::new(
                "RABBITMQ_CONSUMER_GROUP",
                "use at most 100 letters, digits, '-', '_' or '.'",
            ));
        }
        let prefetch = u16::try_from(positive_or(
            "PREFETCH_COUNT",
            u64::from(DEFAULT_PREFETCH_COUNT),
        )?)
        .map_err(|_| ConfigError::new("PREFETCH_COUNT", "must be at most 65535"))?;
        let lock_duration = millis_or("LOCK_DURATION_MS", DEFAULT_LOCK_DURATION)?;
        if lock_duration < Duration::from_millis(300) {
            return Err(ConfigError::new(
                "LOCK_DURATION_MS",
                "must be at least 300 (leases renew at a third of it)",
            ));
        }
        let default_poll = if rabbitmq_url.is_some() {
            DEFAULT_POLL_INTERVAL
        } else {
            DEFAULT_EMBEDDED_POLL_INTERVAL
        };
        let poll_interval = millis_or("POLL_INTERVAL_MS", default_poll)?;
        let batch_size = small_count("WORKER_BATCH_SIZE", DEFAULT_BATCH_SIZE, 1_000)?;
        let concurrency = small_count("WORKER_CONCURRENCY", DEFAULT_CONCURRENCY, 10_000)?;
        let max_matches =
            u32::try_from(positive_or("MAX_MATCHES", u64::from(DEFAULT_MAX_MATCHES))?)
                .map_err(|_| ConfigError::new("MAX_MATCHES", "too large"))?;
        let metrics_host = parse_or("METRICS_HOST", IpAddr::from([0, 0, 0, 0]))?;
        let metrics_port = parse_or("METRICS_PORT", DEFAULT_METRICS_PORT)?;
        let shutdown_timeout = millis_or("SHUTDOWN_TIMEOUT_MS", DEFAULT_SHUTDOWN_TIMEOUT)?;
        let heartbeat_interval = millis_or("HEARTBEAT_INTERVAL_MS", DEFAULT_HEARTBEAT_INTERVAL)?;
        let defaults = RetryPolicy::default();
        let retry = RetryPolicy {
            base: millis_or("RETRY_BASE_MS", defaults.base)?,
            cap: millis_or("RETRY_MAX_MS", defaults.cap)?,
            ..defaults
        };
        if retry.cap < retry.base {
            return Err(ConfigError::new(
                "RETRY_MAX_MS",
                "must not be below RETRY_BASE_MS",
            ));
        }
        let webhook = WebhookConfig {
            secrets: parse_secrets(var("WEBHOOK_SECRETS").as_deref())?,
            allowed_cidrs: parse_cidrs(var("WEBHOOK_ALLOWED_CIDRS").as_deref())?,
            timeout: millis_or("WEBHOOK_TIMEOUT_MS", DEFAULT_WEBHOOK_TIMEOUT)?,
        };
        let email = email_from_env()?;
        let sms = sms_from_env()?;
        let push = push_from_env()?;
        let breaker = breaker_from_env()?;
        Ok(Self {
            store,
            rabbitmq_url,
            consumer_group,
            prefetch,
            lock_duration,
            poll_interval,
            batch_size,
            concurrency,
            max_matches,
            metrics_host,
            metrics_port,
            shutdown_timeout,
            heartbeat_interval,
            retry,
            webhook,
            email,
            sms,
            push,
            breaker,
        })
    }

    /// An embedded-mode configuration for `store` with the defaults (the demo and tests
    /// adjust fields from here).
    pub fn embedded(store: StoreConfig) -> Self {
        Self {
            store,
            rabbitmq_url: None,
            consumer_group: DEFAULT_CONSUMER_GROUP.to_owned(),
            prefetch: DEFAULT_PREFETCH_COUNT,
            lock_duration: DEFAULT_LOCK_DURATION,
            poll_interval: DEFAULT_EMBEDDED_POLL_INTERVAL,
            batch_size: DEFAULT_BATCH_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            max_matches: DEFAULT_MAX_MATCHES,
            metrics_host: IpAddr::from([127, 0, 0, 1]),
            metrics_port: 0,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
            retry: RetryPolicy::default(),
            webhook: WebhookConfig {
                timeout: DEFAULT_WEBHOOK_TIMEOUT,
                ..WebhookConfig::default()
            },
            email: None,
            sms: None,
            push: None,
            breaker: BreakerConfig::default(),
        }
    }

    /// Leases are renewed this often while a job runs.
    pub fn renew_interval(&self) -> Duration {
        self.lock_duration / 3
    }
}

/// Longest `BREAKER_OPEN_MS`: a day.
const MAX_BREAKER_OPEN: Duration = Duration::from_secs(86_400);

fn breaker_from_env() -> Result<BreakerConfig, ConfigError> {
    let defaults = BreakerConfig::default();
    let failure_threshold = u32::try_from(small_count(
        "BREAKER_FAILURE_THRESHOLD",
        defaults.failure_threshold as usize,
        1_000,
    )?)
    .map_err(|_| ConfigError::new("BREAKER_FAILURE_THRESHOLD", "must be at most 1000"))?;
    let open_for = millis_or("BREAKER_OPEN_MS", defaults.open_for)?;
    if open_for > MAX_BREAKER_OPEN {
        return Err(ConfigError::new(
            "BREAKER_OPEN_MS",
            "must be at most 86400000 (a day)",
        ));
    }
    Ok(BreakerConfig {
        failure_threshold,
        open_for,
    })
}

fn small_count(name: &'static str, default: usize, max: usize) -> Result<usize, ConfigError> {
    let n = positive_or(name, default as u64)?;
    match usize::try_from(n) {
        Ok(n) if n <= max => Ok(n),
        _ => Err(ConfigError::new(name, format!("must be at most {max}"))),
    }
}

/// `tenant:secret,tenant:secret`.
fn parse_secrets(raw: Option<&str>) -> Result<HashMap<TenantId, String>, ConfigError> {
    const NAME: &str = "WEBHOOK_SECRETS";
    let mut secrets = HashMap::new();
    for pair in raw.unwrap_or("").split(',').map(str::trim) {
        if pair.is_empty() {
            continue;
        }
        let Some((tenant, secret)) = pair.split_once(':') else {
            return Err(ConfigError::new(NAME, "expected tenant:secret pairs"));
        };
        let tenant =
            TenantId::parse(tenant.trim()).map_err(|e| ConfigError::new(NAME, e.to_string()))?;
        // The secret itself never goes into an error message.
        if secret.trim().len() < 8 {
            return Err(ConfigError::new(
                NAME,
                format!("the secret of tenant {tenant} is shorter than 8 characters"),
            ));
        }
        if secrets
            .insert(tenant.clone(), secret.trim().to_owned())
            .is_some()
        {
            return Err(ConfigError::new(
                NAME,
                format!("tenant {tenant} is listed twice"),
            ));
        }
    }
    Ok(secrets)
}

fn parse_cidrs(raw: Option<&str>) -> Result<Vec<Cidr>, ConfigError> {
    raw.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<Cidr>()
                .map_err(|e| ConfigError::new("WEBHOOK_ALLOWED_CIDRS", e))
        })
        .collect()
}

/// The email channel's variables; `None` when `SMTP_HOST` is unset.
fn email_from_env() -> Result<Option<EmailConfig>, ConfigError> {
    let Some(host) = var("SMTP_HOST") else {
        for name in ["EMAIL_FROM", "SMTP_USERNAME", "SMTP_PASSWORD"] {
            if var(name).is_some() {
                return Err(ConfigError::new(
                    "SMTP_HOST",
                    format!("must be set when {name} is (the email channel needs a relay)"),
                ));
            }
        }
        return Ok(None);
    };
    let username = var("SMTP_USERNAME");
    let password = var("SMTP_PASSWORD");
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
    let from = var("EMAIL_FROM")
        .ok_or_else(|| ConfigError::new("EMAIL_FROM", "must be set when SMTP_HOST is"))?;
    let from = parse_mailbox("EMAIL_FROM", &from)?;
    let tls = parse_or("SMTP_TLS", SmtpTls::StartTls)?;
    let extra_roots = match var("SMTP_CA_FILE") {
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
        port: parse_or("SMTP_PORT", DEFAULT_SMTP_PORT)?,
        tls,
        username,
        password,
        timeout: millis_or("SMTP_TIMEOUT_MS", DEFAULT_SMTP_TIMEOUT)?,
        extra_roots,
        from,
        from_tenants: parse_tenant_senders(var("EMAIL_FROM_TENANTS").as_deref())?,
    }))
}

fn parse_mailbox(name: &'static str, raw: &str) -> Result<Mailbox, ConfigError> {
    raw.trim()
        .parse::<Mailbox>()
        .map_err(|e| ConfigError::new(name, format!("{raw:?} is not an email address: {e}")))
}

/// `tenant:address,tenant:address` (an address may carry a display name).
fn parse_tenant_senders(raw: Option<&str>) -> Result<HashMap<TenantId, Mailbox>, ConfigError> {
    const NAME: &str = "EMAIL_FROM_TENANTS";
    let mut senders = HashMap::new();
    for pair in raw.unwrap_or("").split(',').map(str::trim) {
        if pair.is_empty() {
            continue;
        }
        let Some((tenant, address)) = pair.split_once(':') else {
            return Err(ConfigError::new(NAME, "expected tenant:address pairs"));
        };
        let tenant =
            TenantId::parse(tenant.trim()).map_err(|e| ConfigError::new(NAME, e.to_string()))?;
        let mailbox = parse_mailbox(NAME, address)?;
        if senders.insert(tenant.clone(), mailbox).is_some() {
            return Err(ConfigError::new(
                NAME,
                format!("tenant {tenant} is listed twice"),
            ));
        }
    }
    Ok(senders)
}

/// The sms channel's variables; `None` when `SMS_ACCOUNT_SID` is unset.
fn sms_from_env() -> Result<Option<SmsConfig>, ConfigError> {
    let Some(account_sid) = var("SMS_ACCOUNT_SID") else {
        return match ["SMS_AUTH_TOKEN", "SMS_FROM"]
            .into_iter()
            .find(|n| var(n).is_some())
        {
            Some(name) => Err(ConfigError::new(
                "SMS_ACCOUNT_SID",
                format!("must be set when {name} is"),
            )),
            None => Ok(None),
        };
    };
    let account_sid = path_segment("SMS_ACCOUNT_SID", &account_sid)?;
    let auth_token = var("SMS_AUTH_TOKEN")
        .ok_or_else(|| ConfigError::new("SMS_AUTH_TOKEN", "must be set when SMS_ACCOUNT_SID is"))?;
    let from = var("SMS_FROM")
        .ok_or_else(|| ConfigError::new("SMS_FROM", "must be set when SMS_ACCOUNT_SID is"))?;
    Ok(Some(SmsConfig {
        base_url: base_url("SMS_BASE_URL", DEFAULT_SMS_BASE_URL)?,
        account_sid,
        auth_token: auth_token.trim().to_owned(),
        from: from.trim().to_owned(),
        timeout: millis_or("SMS_TIMEOUT_MS", DEFAULT_PROVIDER_TIMEOUT)?,
    }))
}

/// The push channel's variables; `None` when none of `PUSH_PROJECT_ID`,
/// `PUSH_ACCESS_TOKEN`, `PUSH_SERVICE_ACCOUNT_FILE` is set. With a service-account file,
/// `PUSH_PROJECT_ID` defaults to the file's `project_id` (the project the account
/// belongs to, which is usually the Firebase project).
fn push_from_env() -> Result<Option<PushConfig>, ConfigError> {
    const FILE: &str = "PUSH_SERVICE_ACCOUNT_FILE";
    let project_id = var("PUSH_PROJECT_ID");
    let auth = match (var("PUSH_ACCESS_TOKEN"), var(FILE)) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::new(
                FILE,
                "set either PUSH_ACCESS_TOKEN or PUSH_SERVICE_ACCOUNT_FILE, not both",
            ))
        }
        (None, None) => {
            return match project_id {
                Some(_) => Err(ConfigError::new(
                    "PUSH_ACCESS_TOKEN",
                    "(or PUSH_SERVICE_ACCOUNT_FILE) must be set when PUSH_PROJECT_ID is",
                )),
                None => Ok(None),
            }
        }
        (Some(token), None) => PushAuth::Static(token.trim().to_owned()),
        (None, Some(path)) => PushAuth::ServiceAccount(
            ServiceAccount::load(Path::new(path.trim())).map_err(|e| ConfigError::new(FILE, e))?,
        ),
    };
    let project_id = match (project_id, &auth) {
        (Some(raw), _) => path_segment("PUSH_PROJECT_ID", &raw)?,
        (None, PushAuth::ServiceAccount(account)) => match &account.project_id {
            Some(raw) => path_segment(FILE, raw)
                .map_err(|e| ConfigError::new(FILE, format!("project_id: {}", e.message)))?,
            None => {
                return Err(ConfigError::new(
                    "PUSH_PROJECT_ID",
                    "must be set: the service-account file has no project_id",
                ))
            }
        },
        (None, PushAuth::Static(_)) => {
            return Err(ConfigError::new(
                "PUSH_PROJECT_ID",
                "must be set when PUSH_ACCESS_TOKEN is",
            ))
        }
    };
    Ok(Some(PushConfig {
        base_url: base_url("PUSH_BASE_URL", DEFAULT_PUSH_BASE_URL)?,
        project_id,
        auth,
        timeout: millis_or("PUSH_TIMEOUT_MS", DEFAULT_PROVIDER_TIMEOUT)?,
    }))
}

/// An identifier that goes into a provider URL's path as it is.
fn path_segment(name: &'static str, raw: &str) -> Result<String, ConfigError> {
    let value = raw.trim();
    let ok = !value.is_empty()
        && value.len() <= 128
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if ok {
        Ok(value.to_owned())
    } else {
        Err(ConfigError::new(
            name,
            "use at most 128 letters, digits, '-' or '_'",
        ))
    }
}

/// `name` (else `default`) as an http(s) base URL, without a trailing slash.
fn base_url(name: &'static str, default: &str) -> Result<String, ConfigError> {
    let raw = var(name).unwrap_or_else(|| default.to_owned());
    check_base_url(name, &raw)
}

fn check_base_url(name: &'static str, raw: &str) -> Result<String, ConfigError> {
    let url = url::Url::parse(raw.trim())
        .map_err(|e| ConfigError::new(name, format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConfigError::new(name, "must be an http:// or https:// URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::new(name, "must not have a query or fragment"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// The sms and push base URLs (and a service account's `token_uri`) go through the SSRF
/// guard like a tenant's webhook: a literal internal address is refused at start-up
/// (when the channels are built),
/// unless `WEBHOOK_ALLOWED_CIDRS` allows its range; names (`localhost` too) are checked
/// on what they resolve to, at delivery.
pub fn check_adapter_targets(
    allowed: &[Cidr],
    sms: Option<&SmsConfig>,
    push: Option<&PushConfig>,
) -> Result<(), ConfigError> {
    let guard = herald_core::ssrf::TargetGuard::new(allowed.to_vec());
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

pub use herald_core::ssrf::Cidr;
pub use lettre::message::Mailbox;
pub use lettre::transport::smtp::client::Certificate;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_parse_and_never_echo_the_secret() {
        let secrets = parse_secrets(Some("acme:s3cretvalue, beta:another-secret")).unwrap();
        assert_eq!(secrets.len(), 2);
        let acme = TenantId::parse("acme").unwrap();
        assert_eq!(secrets[&acme], "s3cretvalue");
        let err = parse_secrets(Some("acme:short")).unwrap_err();
        assert_eq!(err.var, "WEBHOOK_SECRETS");
        assert!(!err.to_string().contains("short\""), "{err}");
        assert!(parse_secrets(Some("no-colon")).is_err());
        assert!(parse_secrets(Some("a:aaaaaaaaaa,a:bbbbbbbbbb")).is_err());
        assert!(parse_secrets(None).unwrap().is_empty());
    }

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
    fn provider_ids_and_base_urls_are_checked() {
        assert!(path_segment("SMS_ACCOUNT_SID", "AC0123abc").is_ok());
        for bad in ["AC/../x", "", "a b"] {
            let err = path_segment("SMS_ACCOUNT_SID", bad).unwrap_err();
            assert_eq!(err.var, "SMS_ACCOUNT_SID");
        }
        assert_eq!(
            check_base_url("SMS_BASE_URL", "https://api.twilio.com/").unwrap(),
            "https://api.twilio.com"
        );
        assert_eq!(
            check_base_url("PUSH_BASE_URL", "http://127.0.0.1:8080/fcm/").unwrap(),
            "http://127.0.0.1:8080/fcm"
        );
        for bad in ["ftp://x", "nonsense", "https://x.example/?a=b"] {
            assert_eq!(
                check_base_url("SMS_BASE_URL", bad).unwrap_err().var,
                "SMS_BASE_URL"
            );
        }
    }

    #[test]
    fn internal_adapter_base_urls_need_the_allow_list() {
        let sms = |base: &str| SmsConfig {
            base_url: base.into(),
            account_sid: "AC1".into(),
            auth_token: "t".into(),
            from: "+15005550006".into(),
            timeout: DEFAULT_PROVIDER_TIMEOUT,
        };
        let push = |base: &str| PushConfig {
            base_url: base.into(),
            project_id: "p".into(),
            auth: PushAuth::Static("t".into()),
            timeout: DEFAULT_PROVIDER_TIMEOUT,
        };
        let public = (sms(DEFAULT_SMS_BASE_URL), push(DEFAULT_PUSH_BASE_URL));
        assert!(check_adapter_targets(&[], Some(&public.0), Some(&public.1)).is_ok());
        assert!(check_adapter_targets(&[], None, None).is_ok());
        // A name passes here: the resolver judges it at delivery.
        assert!(check_adapter_targets(&[], Some(&sms("http://localhost:9")), None).is_ok());
        for base in [
            "http://10.0.0.5:8080",
            "http://127.0.0.1:9",
            "http://[::1]:9",
        ] {
            let err = check_adapter_targets(&[], Some(&sms(base)), None).unwrap_err();
            assert_eq!(err.var, "SMS_BASE_URL", "{base}");
            assert!(err.to_string().contains("WEBHOOK_ALLOWED_CIDRS"), "{err}");
        }
        let err =
            check_adapter_targets(&[], None, Some(&push("http://169.254.169.254"))).unwrap_err();
        assert_eq!(err.var, "PUSH_BASE_URL");
        let loopback = ["127.0.0.0/8".parse::<Cidr>().unwrap()];
        assert!(check_adapter_targets(&loopback, Some(&sms("http://127.0.0.1:9")), None).is_ok());
        assert!(check_adapter_targets(&loopback, Some(&sms("http://10.0.0.5")), None).is_err());
    }

    #[test]
    fn secrets_are_not_in_debug_output() {
        let sms = SmsConfig {
            base_url: DEFAULT_SMS_BASE_URL.into(),
            account_sid: "AC1".into(),
            auth_token: "twilio-token-value".into(),
            from: "+15005550006".into(),
            timeout: DEFAULT_PROVIDER_TIMEOUT,
        };
        let push = PushConfig {
            base_url: DEFAULT_PUSH_BASE_URL.into(),
            project_id: "p".into(),
            auth: PushAuth::Static("ya29.fcm-token-value".into()),
            timeout: DEFAULT_PROVIDER_TIMEOUT,
        };
        let email = EmailConfig {
            host: "smtp.example.com".into(),
            port: DEFAULT_SMTP_PORT,
            tls: SmtpTls::StartTls,
            username: Some("user".into()),
            password: Some("smtp-password-value".into()),
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

    #[test]
    fn service_account_keys_are_parsed_and_never_shown() {
        let key = include_str!("../tests/fixtures/push-test-key.pem");
        let path = Path::new("sa.json");
        let file = |fields: serde_json::Value| serde_json::to_vec(&fields).unwrap();
        let account = ServiceAccount::parse(
            path,
            &file(serde_json::json!({
                "type": "service_account", "client_email": "a@p.iam.gserviceaccount.com",
                "private_key": key, "project_id": "p"})),
        )
        .unwrap();
        assert_eq!(account.token_uri, DEFAULT_TOKEN_URI);
        assert_eq!(account.project_id.as_deref(), Some("p"));
        let body = key.lines().nth(1).unwrap();
        let shown = format!("{:?}", PushAuth::ServiceAccount(account));
        assert!(!shown.contains(body), "{shown}");
        assert!(!format!("{:?}", PushAuth::Static("ya29.x".into())).contains("ya29"));
        for (bad, expected) in [
            (b"nope".to_vec(), "not a JSON"),
            (file(serde_json::json!(["a"])), "expected an object"),
            (
                file(serde_json::json!({"private_key": key})),
                "client_email",
            ),
            (
                file(serde_json::json!({"client_email": "a@b"})),
                "private_key",
            ),
            (
                file(serde_json::json!({"client_email": "a@b", "private_key": 7})),
                "private_key is not a string",
            ),
            (
                file(
                    serde_json::json!({"client_email": "a@b", "private_key": key.replace('M', "N")}),
                ),
                "private_key",
            ),
            (
                file(
                    serde_json::json!({"client_email": "a@b", "private_key": key, "token_uri": "ftp://x"}),
                ),
                "token_uri",
            ),
            (
                file(
                    serde_json::json!({"type": "authorized_user", "client_email": "a@b", "private_key": key}),
                ),
                "service_account",
            ),
        ] {
            let err = ServiceAccount::parse(path, &bad).unwrap_err();
            assert!(err.contains(expected), "{expected}: {err}");
            assert!(!err.contains(body), "{err}");
        }
    }

    #[test]
    fn bad_allowed_cidrs_name_the_variable() {
        let err = parse_cidrs(Some("10.0.0.0/8, bad")).unwrap_err();
        assert_eq!(err.var, "WEBHOOK_ALLOWED_CIDRS");
    }
}
