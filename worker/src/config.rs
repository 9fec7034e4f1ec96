//! The worker's configuration, built once from an [`Env`] and checked at start-up
//! (`docs/operations.md`). A bad value stops the process with a message naming the variable.
//!
//! What the worker shares with the API is parsed in core, once: the store
//! ([`StoreConfig`]), the broker ([`BrokerConfig`]), the SSRF allow-list
//! ([`TargetGuard`]), the heartbeat. Each delivery channel owns its own settings and
//! their parsing, next to its code (`delivery::webhook::WebhookConfig`,
//! `delivery::email::EmailConfig`, …); this module holds the worker's own knobs and puts
//! the pieces together.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use herald_core::config::{self, ConfigError, Env};
use herald_core::dispatch::BrokerConfig;
use herald_core::ssrf::TargetGuard;
use herald_core::store::{StoreConfig, TenantLimits};
use herald_core::RetryPolicy;

use crate::delivery::breaker::BreakerConfig;
use crate::delivery::check_provider_targets;
use crate::delivery::email::EmailConfig;
use crate::delivery::push::PushConfig;
use crate::delivery::sms::SmsConfig;
use crate::delivery::webhook::WebhookConfig;

pub const DEFAULT_PREFETCH_COUNT: u16 = 10;
pub const DEFAULT_LOCK_DURATION: Duration = Duration::from_millis(300_000);
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(5_000);
/// With no broker the poller is the only dispatch path, so it polls this often.
pub const DEFAULT_EMBEDDED_POLL_INTERVAL: Duration = Duration::from_millis(50);
pub const DEFAULT_BATCH_SIZE: usize = 50;
pub const DEFAULT_MAX_MATCHES: u32 = 3;
pub const DEFAULT_METRICS_PORT: u16 = 9091;
pub const DEFAULT_CONCURRENCY: usize = 64;
/// The whole stop on SIGTERM, every phase included: Kubernetes' default grace period,
/// and the one compose sets from the same variable.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// `PRUNE_INTERVAL_MS` when unset.
pub const DEFAULT_PRUNE_INTERVAL: Duration = Duration::from_secs(60);

/// The worker's own variables, with what they mean; `--help` prints them, then the
/// shared ones ([`env_help`]), so operators see one source of truth.
const OWN_ENV_HELP: &str = "\
Environment (every value is checked at start-up; a bad one names the variable):
  PREFETCH_COUNT           unacked deliveries per work queue (10)
  LOCK_DURATION_MS         lease length; renewed at a third of it (300000)
  POLL_INTERVAL_MS         poller period, jittered (5000; 50 in embedded mode, where the API also
                           wakes the pollers through <SQLITE_PATH>.wake/ at once)
  WORKER_BATCH_SIZE        jobs claimed per poll and completed per store write (50)
  WORKER_CONCURRENCY       jobs processed at once by this process (64)
  MAX_MATCHES              matches hosted at once (3)
  TENANT_CONCURRENCY       the most notifications of one tenant running at once across the
                           whole fleet, enforced by the store: tenant:N pairs, * for every
                           other tenant, e.g. acme:20,*:100 (unset: no cap)
  METRICS_PORT             port of /health /metrics /resources /stats (9091; 0 = any free port)
  METRICS_HOST             address the metrics server binds (0.0.0.0)
  SHUTDOWN_TIMEOUT_MS      on SIGTERM, the whole stop: in-flight jobs finish, the rest are released,
                           the worker deregisters and exits within it (30000); give the
                           orchestrator at least this grace period
  HEARTBEAT_INTERVAL_MS    registry heartbeat period; GET /v1/workers lists this worker while
                           heard from within 3 of its own intervals (5000)
  PRUNE_INTERVAL_MS        how often this worker refreshes the queue depth and lag gauges and, when
                           it holds the pruner lease (one worker at a time), deletes what outlived
                           RETENTION_* in short batches (60000)
  WEBHOOK_SECRETS          tenant:secret,... HMAC-SHA256 keys for X-Herald-Signature
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
  RETRY_MAX_MS             retry delay cap (900000)";

/// Every variable the worker reads, for `--help`.
pub fn env_help() -> String {
    format!("{OWN_ENV_HELP}\n{}", config::SHARED_ENV_HELP)
}

/// Everything the worker needs to run.
#[derive(Debug, Clone)]
pub struct Config {
    pub store: StoreConfig,
    /// Without a URL, embedded mode: no broker, the poller is the only dispatch path.
    pub broker: BrokerConfig,
    pub prefetch: u16,
    pub lock_duration: Duration,
    pub poll_interval: Duration,
    pub batch_size: usize,
    pub concurrency: usize,
    pub max_matches: u32,
    /// `TENANT_CONCURRENCY`: caps on a tenant's running notifications, fleet-wide.
    pub tenant_limits: Arc<TenantLimits>,
    pub metrics_host: IpAddr,
    pub metrics_port: u16,
    pub shutdown_timeout: Duration,
    pub heartbeat_interval: Duration,
    /// `PRUNE_INTERVAL_MS`: the pruner's and the queue gauges' period.
    pub prune_interval: Duration,
    pub retry: RetryPolicy,
    /// `WEBHOOK_ALLOWED_CIDRS`: the internal ranges a tenant's webhook, and the sms and
    /// push providers, may still reach.
    pub ssrf: TargetGuard,
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

impl Config {
    /// Reads and checks every variable of `env`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        config::check_log_settings(env)?;
        let broker = BrokerConfig::from_env(env)?;
        let prefetch =
            u16::try_from(env.positive_or("PREFETCH_COUNT", u64::from(DEFAULT_PREFETCH_COUNT))?)
                .map_err(|_| ConfigError::new("PREFETCH_COUNT", "must be at most 65535"))?;
        let lock_duration = env.millis_or("LOCK_DURATION_MS", DEFAULT_LOCK_DURATION)?;
        if lock_duration < Duration::from_millis(300) {
            return Err(ConfigError::new(
                "LOCK_DURATION_MS",
                "must be at least 300 (leases renew at a third of it)",
            ));
        }
        let default_poll = if broker.is_embedded() {
            DEFAULT_EMBEDDED_POLL_INTERVAL
        } else {
            DEFAULT_POLL_INTERVAL
        };
        let max_matches =
            u32::try_from(env.positive_or("MAX_MATCHES", u64::from(DEFAULT_MAX_MATCHES))?)
                .map_err(|_| ConfigError::new("MAX_MATCHES", "too large"))?;
        let defaults = RetryPolicy::default();
        let retry = RetryPolicy {
            base: env.millis_or("RETRY_BASE_MS", defaults.base)?,
            cap: env.millis_or("RETRY_MAX_MS", defaults.cap)?,
            ..defaults
        };
        if retry.cap < retry.base {
            return Err(ConfigError::new(
                "RETRY_MAX_MS",
                "must not be below RETRY_BASE_MS",
            ));
        }
        let ssrf = TargetGuard::from_env(env)?;
        let sms = SmsConfig::from_env(env)?;
        let push = PushConfig::from_env(env)?;
        check_provider_targets(&ssrf, sms.as_ref(), push.as_ref())?;
        Ok(Self {
            store: StoreConfig::from_env(env)?,
            broker,
            prefetch,
            lock_duration,
            poll_interval: env.millis_or("POLL_INTERVAL_MS", default_poll)?,
            batch_size: env.count_or("WORKER_BATCH_SIZE", DEFAULT_BATCH_SIZE, 1_000)?,
            concurrency: env.count_or("WORKER_CONCURRENCY", DEFAULT_CONCURRENCY, 10_000)?,
            max_matches,
            tenant_limits: Arc::new(
                TenantLimits::parse(env.var("TENANT_CONCURRENCY").as_deref())
                    .map_err(|m| ConfigError::new("TENANT_CONCURRENCY", m))?,
            ),
            metrics_host: env.parse_or("METRICS_HOST", IpAddr::from([0, 0, 0, 0]))?,
            metrics_port: env.parse_or("METRICS_PORT", DEFAULT_METRICS_PORT)?,
            shutdown_timeout: env.millis_or("SHUTDOWN_TIMEOUT_MS", DEFAULT_SHUTDOWN_TIMEOUT)?,
            heartbeat_interval: config::heartbeat_interval(env)?,
            prune_interval: env.millis_or("PRUNE_INTERVAL_MS", DEFAULT_PRUNE_INTERVAL)?,
            retry,
            ssrf,
            webhook: WebhookConfig::from_env(env)?,
            email: EmailConfig::from_env(env)?,
            sms,
            push,
            breaker: BreakerConfig::from_env(env)?,
        })
    }

    /// An embedded-mode configuration for `store` with the defaults (the demo and tests
    /// adjust fields from here).
    pub fn embedded(store: StoreConfig) -> Self {
        Self {
            store,
            broker: BrokerConfig::embedded(),
            prefetch: DEFAULT_PREFETCH_COUNT,
            lock_duration: DEFAULT_LOCK_DURATION,
            poll_interval: DEFAULT_EMBEDDED_POLL_INTERVAL,
            batch_size: DEFAULT_BATCH_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            max_matches: DEFAULT_MAX_MATCHES,
            tenant_limits: Arc::default(),
            metrics_host: IpAddr::from([127, 0, 0, 1]),
            metrics_port: 0,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            heartbeat_interval: config::DEFAULT_HEARTBEAT_INTERVAL,
            prune_interval: DEFAULT_PRUNE_INTERVAL,
            retry: RetryPolicy::default(),
            ssrf: TargetGuard::default(),
            webhook: WebhookConfig::default(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The Debug of the whole config (what a careless `?config` would log) shows no
    /// password of the broker URL or the MongoDB URI, escaped or not.
    #[test]
    fn the_config_debug_shows_no_password() {
        let env = Env::from_pairs([
            ("SMTP_PASSWORD", "smtp-hunter2"),
            ("SMTP_HOST", "smtp.example.com"),
            ("SMTP_USERNAME", "u"),
            ("EMAIL_FROM", "a@b.example"),
            ("MONGODB_URI", "mongodb://herald:m0ngo/pw?@db:27017/herald"),
            ("RABBITMQ_URL", "amqp://herald:r4bbit%2Fpw@rabbit:5672/%2f"),
        ]);
        let shown = format!("{:?}", Config::from_env(&env).unwrap());
        for secret in ["m0ngo", "r4bbit", "hunter2", "key-12345678"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    /// Every variable the worker reads — on SQLite and on MongoDB, with every channel
    /// configured (the push channel both ways) — is listed by `--help`.
    #[test]
    fn help_names_every_variable_the_worker_reads() {
        let dir = tempfile::tempdir().unwrap();
        let key = include_str!("../tests/fixtures/push-test-key.pem");
        let account = dir.path().join("sa.json");
        let json = serde_json::json!({"type": "service_account", "project_id": "p",
            "client_email": "a@p.iam.gserviceaccount.com", "private_key": key});
        std::fs::write(&account, json.to_string()).unwrap();
        let channels = [
            ("SMTP_HOST", "smtp.example.com"),
            ("SMTP_USERNAME", "u"),
            ("SMTP_PASSWORD", "p"),
            ("EMAIL_FROM", "a@b.example"),
            ("SMS_ACCOUNT_SID", "AC1"),
            ("SMS_AUTH_TOKEN", "t"),
            ("SMS_FROM", "+15005550006"),
            ("PUSH_PROJECT_ID", "p"),
        ];
        let envs = [
            Env::from_pairs(channels).with("PUSH_ACCESS_TOKEN", "t"),
            Env::from_pairs([
                ("MONGODB_URI", "mongodb://db:27017/herald"),
                ("RABBITMQ_URL", "amqp://guest:guest@rabbit:5672/%2f"),
                ("PUSH_SERVICE_ACCOUNT_FILE", account.to_str().unwrap()),
            ]),
        ];
        let listed = config::help_names(&env_help());
        for env in envs {
            Config::from_env(&env).unwrap();
            for name in env.names_read() {
                assert!(listed.contains(&name), "--help does not list {name}");
            }
        }
    }

    #[test]
    fn bad_allowed_cidrs_name_the_variable() {
        let env = Env::from_pairs([("WEBHOOK_ALLOWED_CIDRS", "10.0.0.0/8, bad")]);
        let err = Config::from_env(&env).unwrap_err();
        assert_eq!(err.var, "WEBHOOK_ALLOWED_CIDRS");
    }

    #[test]
    fn tenant_concurrency_is_read_and_checked() {
        let env = Env::from_pairs([("TENANT_CONCURRENCY", "acme:5,*:50")]);
        let config = Config::from_env(&env).unwrap();
        let acme = herald_core::TenantId::parse("acme").unwrap();
        assert_eq!(config.tenant_limits.limit(&acme), Some(5));
        for bad in ["acme:0", "acme", "acme:1,acme:2"] {
            let err =
                Config::from_env(&Env::from_pairs([("TENANT_CONCURRENCY", bad)])).unwrap_err();
            assert_eq!(err.var, "TENANT_CONCURRENCY", "{bad}");
        }
    }

    /// The worker refuses a bad log setting as the API does, naming it.
    #[test]
    fn bad_log_settings_name_the_variable() {
        for (var, value) in [("RUST_LOG", "info,[[["), ("LOG_FORMAT", "xml")] {
            let err = Config::from_env(&Env::from_pairs([(var, value)])).unwrap_err();
            assert_eq!(err.var, var);
        }
    }
}
