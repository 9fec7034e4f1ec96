//! The API's configuration, read once from the environment and checked at start-up
//! (DESIGN §9). A bad value stops the process with a message naming the variable;
//! secrets (API keys, broker passwords) never appear in messages or logs.

use std::time::Duration;

use herald_core::config::{self as env, ConfigError};
use herald_core::dispatch::DEFAULT_CONSUMER_GROUP;
use herald_core::ssrf::{TargetGuard, ALLOWED_CIDRS_VAR};
use herald_core::store::StoreConfig;

use crate::auth::ApiKeys;

/// `PORT` when unset.
pub const DEFAULT_PORT: u16 = 3000;
/// `MAX_BODY_BYTES` when unset: room for a batch of 1000 ordinary notifications.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 4 * 1024 * 1024;
/// `BODY_TIMEOUT_MS` when unset: how long a request body may take to arrive.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// `RATE_LIMIT_PER_SEC` / `RATE_LIMIT_BURST` when unset (per API key).
pub const DEFAULT_RATE_LIMIT_PER_SEC: u32 = 1000;
pub const DEFAULT_RATE_LIMIT_BURST: u32 = 2000;
/// `HEARTBEAT_INTERVAL_MS` when unset; the workers use the same variable.
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);
/// A worker counts as live in `GET /v1/workers` if heard from within this many
/// heartbeat intervals.
pub const LIVE_HEARTBEATS: u32 = 3;

/// Per-key token bucket: `per_sec` tokens a second, holding at most `burst`.
/// `per_sec` 0 disables rate limiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_sec: u32,
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            per_sec: DEFAULT_RATE_LIMIT_PER_SEC,
            burst: DEFAULT_RATE_LIMIT_BURST,
        }
    }
}

/// Everything `herald-api` reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// `PORT`: where `main` binds. [`crate::run`] takes a bound listener instead.
    pub port: u16,
    /// `MONGODB_URI` (MongoDB) or else `SQLITE_PATH` (embedded SQLite).
    pub store: StoreConfig,
    /// `RABBITMQ_URL`; `None` is embedded mode: jobs are stored only, and the workers'
    /// poller is the only dispatch path.
    pub rabbitmq_url: Option<String>,
    /// `RABBITMQ_CONSUMER_GROUP`: the prefix of every queue and exchange name.
    pub consumer_group: String,
    /// `API_KEYS`: `tenant:key,tenant:key`.
    pub api_keys: ApiKeys,
    /// `RATE_LIMIT_PER_SEC`, `RATE_LIMIT_BURST`.
    pub rate_limit: RateLimit,
    /// `MAX_BODY_BYTES`: larger request bodies are refused (413) before being read.
    pub max_body_bytes: usize,
    /// `BODY_TIMEOUT_MS`: a body that has not fully arrived by then is refused (408).
    pub body_timeout: Duration,
    /// `HEARTBEAT_INTERVAL_MS`: the workers' heartbeat period.
    pub heartbeat_interval: Duration,
    /// `WEBHOOK_ALLOWED_CIDRS`: internal ranges a webhook URL may still name. Empty
    /// (the default) refuses every loopback, private and link-local literal target.
    pub webhook_guard: TargetGuard,
}

impl Config {
    /// A configuration with defaults for everything but the store and the keys.
    pub fn new(store: StoreConfig, api_keys: ApiKeys) -> Self {
        Self {
            port: DEFAULT_PORT,
            store,
            rabbitmq_url: None,
            consumer_group: DEFAULT_CONSUMER_GROUP.to_owned(),
            api_keys,
            rate_limit: RateLimit::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES as usize,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            heartbeat_interval: DEFAULT_HEARTBEAT_INTERVAL,
            webhook_guard: TargetGuard::default(),
        }
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        let api_keys = match env::var("API_KEYS") {
            Some(raw) => ApiKeys::parse(&raw).map_err(|m| ConfigError::new("API_KEYS", m))?,
            None => {
                return Err(ConfigError::new(
                    "API_KEYS",
                    "is required: comma-separated tenant:key pairs, e.g. acme:s3cr3t-key-1",
                ))
            }
        };
        if let Some(filter) = env::var("RUST_LOG") {
            tracing_subscriber::EnvFilter::try_new(&filter)
                .map_err(|e| ConfigError::new("RUST_LOG", format!("{filter:?}: {e}")))?;
        }
        if let Some(format) = env::var("LOG_FORMAT") {
            if !(format.eq_ignore_ascii_case("json") || format.eq_ignore_ascii_case("text")) {
                return Err(ConfigError::new(
                    "LOG_FORMAT",
                    format!("{format:?}: use json or text"),
                ));
            }
        }
        let store = StoreConfig::from_env()?;
        let rabbitmq_url = env::var("RABBITMQ_URL");
        if let Some(url) = &rabbitmq_url {
            check_amqp_url(url).map_err(|m| ConfigError::new("RABBITMQ_URL", m))?;
        }
        let consumer_group = env::var("RABBITMQ_CONSUMER_GROUP")
            .unwrap_or_else(|| DEFAULT_CONSUMER_GROUP.to_owned());
        check_consumer_group(&consumer_group)
            .map_err(|m| ConfigError::new("RABBITMQ_CONSUMER_GROUP", m))?;
        let rate_limit = RateLimit {
            per_sec: env::parse_or("RATE_LIMIT_PER_SEC", DEFAULT_RATE_LIMIT_PER_SEC)?,
            burst: u32::try_from(env::positive_or(
                "RATE_LIMIT_BURST",
                u64::from(DEFAULT_RATE_LIMIT_BURST),
            )?)
            .map_err(|_| ConfigError::new("RATE_LIMIT_BURST", "too large"))?,
        };
        let max_body_bytes =
            usize::try_from(env::positive_or("MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)?)
                .map_err(|_| ConfigError::new("MAX_BODY_BYTES", "too large"))?;
        let webhook_guard = match env::var(ALLOWED_CIDRS_VAR) {
            Some(raw) => {
                TargetGuard::parse(&raw).map_err(|m| ConfigError::new(ALLOWED_CIDRS_VAR, m))?
            }
            None => TargetGuard::default(),
        };
        Ok(Self {
            port: env::parse_or("PORT", DEFAULT_PORT)?,
            store,
            rabbitmq_url,
            consumer_group,
            api_keys,
            rate_limit,
            max_body_bytes,
            body_timeout: env::millis_or("BODY_TIMEOUT_MS", DEFAULT_BODY_TIMEOUT)?,
            heartbeat_interval: env::millis_or(
                "HEARTBEAT_INTERVAL_MS",
                DEFAULT_HEARTBEAT_INTERVAL,
            )?,
            webhook_guard,
        })
    }

    /// How recently a worker must have sent a heartbeat to be listed.
    pub fn live_within(&self) -> Duration {
        self.heartbeat_interval * LIVE_HEARTBEATS
    }
}

/// The message never repeats the URL: it may hold a password.
fn check_amqp_url(url: &str) -> Result<(), String> {
    let scheme_ok = url.starts_with("amqp://") || url.starts_with("amqps://");
    if !scheme_ok {
        return Err("must be an amqp:// or amqps:// URL".into());
    }
    url.parse::<lapin::uri::AMQPUri>()
        .map(|_| ())
        .map_err(|_| "is not a valid AMQP URL (amqp://user:password@host:port/vhost)".into())
}

/// Group names become queue names: keep them short and free of odd characters.
pub(crate) fn check_consumer_group(group: &str) -> Result<(), String> {
    let ok = !group.is_empty()
        && group.len() <= 200
        && group
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!("{group:?}: use 1 to 200 of A-Z a-z 0-9 - _ ."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amqp_urls_are_checked_without_echoing_them() {
        assert!(check_amqp_url("amqp://guest:guest@127.0.0.1:5672/%2f").is_ok());
        assert!(check_amqp_url("amqps://u:p@rabbit.example.com/").is_ok());
        let err = check_amqp_url("http://user:hunter2@host/").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(check_amqp_url("amqp://u:p@host:notaport/").is_err());
    }

    #[test]
    fn consumer_groups_are_checked() {
        assert!(check_consumer_group("notification-workers").is_ok());
        assert!(check_consumer_group("").is_err());
        assert!(check_consumer_group("a b").is_err());
        assert!(check_consumer_group("a/b").is_err());
    }
}
