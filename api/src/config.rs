//! The API's configuration, read once from the environment and checked at start-up
//! (`docs/operations.md`). A bad value stops the process with a message naming the variable;
//! secrets (API keys, broker passwords) never appear in messages or logs.

use std::time::Duration;

use herald_core::config::{self, ConfigError, Env};
use herald_core::dispatch::BrokerConfig;
use herald_core::ssrf::TargetGuard;
use herald_core::store::StoreConfig;

use crate::auth::ApiKeys;
use crate::console::session::SessionSecret;

/// `PORT` when unset.
pub const DEFAULT_PORT: u16 = 3000;
/// `MAX_BODY_BYTES` when unset: room for a batch of 1000 ordinary notifications.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 4 * 1024 * 1024;
/// `BODY_TIMEOUT_MS` when unset: how long a request body may take to arrive.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// `RATE_LIMIT_PER_SEC` / `RATE_LIMIT_BURST` when unset (per API key).
pub const DEFAULT_RATE_LIMIT_PER_SEC: u32 = 1000;
pub const DEFAULT_RATE_LIMIT_BURST: u32 = 2000;

/// The API's own variables, with what they mean; `--help` prints them, then the
/// shared ones ([`env_help`]).
const OWN_ENV_HELP: &str = "\
Environment (every value is checked at start-up; a bad one names the variable):
  API_KEYS                 bootstrap keys: comma-separated tenant:key pairs (keys >= 8 chars);
                           may be empty once the store holds keys (herald-store keys create),
                           which every instance rereads every 2 s
  PORT                     listen port (3000)
  RATE_LIMIT_PER_SEC       requests per second per API key; 0 turns rate limiting off (1000)
  RATE_LIMIT_BURST         token-bucket size per API key, at least 1 (2000)
  MAX_BODY_BYTES           largest request body (4194304)
  BODY_TIMEOUT_MS          how long a request body may take to arrive; then 408 (30000)
  CONSOLE_SESSION_SECRET   signs the web console's session cookies and CSRF tokens (>= 32
                           chars; the same value on every API instance behind one address);
                           unset: the console at /console is off (503) and the API runs";

/// Every variable the API reads, for `--help`.
pub fn env_help() -> String {
    format!("{OWN_ENV_HELP}\n{}", config::SHARED_ENV_HELP)
}

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
    /// `RABBITMQ_URL` and `RABBITMQ_CONSUMER_GROUP`; without a URL, embedded mode:
    /// jobs are stored only, and the workers' poller is the only dispatch path.
    pub broker: BrokerConfig,
    /// `API_KEYS`: `tenant:key,tenant:key`.
    pub api_keys: ApiKeys,
    /// `RATE_LIMIT_PER_SEC`, `RATE_LIMIT_BURST`.
    pub rate_limit: RateLimit,
    /// `MAX_BODY_BYTES`: larger request bodies are refused (413) before being read.
    pub max_body_bytes: usize,
    /// `BODY_TIMEOUT_MS`: a body that has not fully arrived by then is refused (408).
    pub body_timeout: Duration,
    /// `WEBHOOK_ALLOWED_CIDRS`: internal ranges a webhook URL may still name. Empty
    /// (the default) refuses every loopback, private and link-local literal target.
    pub webhook_guard: TargetGuard,
    /// `CONSOLE_SESSION_SECRET`: `None` turns the console off.
    pub console_secret: Option<SessionSecret>,
}

impl Config {
    /// A configuration with defaults for everything but the store and the keys.
    pub fn new(store: StoreConfig, api_keys: ApiKeys) -> Self {
        Self {
            port: DEFAULT_PORT,
            store,
            broker: BrokerConfig::embedded(),
            api_keys,
            rate_limit: RateLimit::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES as usize,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            webhook_guard: TargetGuard::default(),
            console_secret: None,
        }
    }

    /// Reads and checks every variable of `env`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let api_keys = match env.var("API_KEYS") {
            Some(raw) => ApiKeys::parse(&raw).map_err(|m| ConfigError::new("API_KEYS", m))?,
            None => ApiKeys::default(),
        };
        config::check_log_settings(env)?;
        let rate_limit = RateLimit {
            per_sec: env.parse_or("RATE_LIMIT_PER_SEC", DEFAULT_RATE_LIMIT_PER_SEC)?,
            burst: u32::try_from(
                env.positive_or("RATE_LIMIT_BURST", u64::from(DEFAULT_RATE_LIMIT_BURST))?,
            )
            .map_err(|_| ConfigError::new("RATE_LIMIT_BURST", "too large"))?,
        };
        let max_body_bytes =
            usize::try_from(env.positive_or("MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)?)
                .map_err(|_| ConfigError::new("MAX_BODY_BYTES", "too large"))?;
        Ok(Self {
            port: env.parse_or("PORT", DEFAULT_PORT)?,
            store: StoreConfig::from_env(env)?,
            broker: BrokerConfig::from_env(env)?,
            api_keys,
            rate_limit,
            max_body_bytes,
            body_timeout: env.millis_or("BODY_TIMEOUT_MS", DEFAULT_BODY_TIMEOUT)?,
            webhook_guard: TargetGuard::from_env(env)?,
            console_secret: env
                .var("CONSOLE_SESSION_SECRET")
                .map(|raw| {
                    SessionSecret::parse(&raw)
                        .map_err(|m| ConfigError::new("CONSOLE_SESSION_SECRET", m))
                })
                .transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every variable the API reads, on SQLite and on MongoDB, is listed by `--help`.
    #[test]
    fn help_names_every_variable_the_api_reads() {
        let keys = ("API_KEYS", "acme:key-12345678");
        let envs = [
            Env::from_pairs([keys]),
            Env::from_pairs([
                keys,
                ("MONGODB_URI", "mongodb://db:27017/herald"),
                ("RABBITMQ_URL", "amqp://guest:guest@rabbit:5672/%2f"),
                (
                    "CONSOLE_SESSION_SECRET",
                    "a-console-secret-of-32-characters!",
                ),
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
}
