//! The API's configuration, read once from the environment and checked at start-up
//! (`docs/operations.md`). A bad value stops the process with a message naming the variable;
//! secrets (API keys, broker passwords) never appear in messages or logs.

use std::time::Duration;

use herald_core::config::{self, ConfigError, Env, PerTenant};
use herald_core::dispatch::BrokerConfig;
use herald_core::ssrf::{Cidr, TargetGuard};
use herald_core::store::StoreConfig;
use herald_core::{Priority, TenantId};

use crate::auth::ApiKeys;
use crate::console::session::SessionSecret;
use crate::serve::{self, ConnectionLimits};
use crate::streams::StreamConfig;

/// `PORT` when unset.
pub const DEFAULT_PORT: u16 = 3000;
/// `MAX_BODY_BYTES` when unset: room for a batch of 1000 ordinary notifications.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 4 * 1024 * 1024;
/// `BODY_TIMEOUT_MS` when unset: how long a request body may take to arrive.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// `RATE_LIMIT_PER_SEC` / `RATE_LIMIT_BURST` when unset (per API key).
pub const DEFAULT_RATE_LIMIT_PER_SEC: u32 = 1000;
pub const DEFAULT_RATE_LIMIT_BURST: u32 = 2000;
/// `AUTH_FAILURE_LIMIT_PER_SEC` and `AUTH_FAILURE_LIMIT_BURST` when unset: requests
/// with no or an unknown key that one client address may make, refilling at 1 a
/// second up to 20 (a client that mistyped its key sees 401 twenty times, then 429).
pub const DEFAULT_AUTH_FAILURE_LIMIT_PER_SEC: u32 = 1;
pub const DEFAULT_AUTH_FAILURE_LIMIT_BURST: u32 = 20;

/// The API's own variables, with what they mean; `--help` prints them, then the
/// shared ones ([`env_help`]).
const OWN_ENV_HELP: &str = "\
Environment (every value is checked at start-up; a bad one names the variable):
  API_KEYS                 bootstrap keys: comma-separated tenant:key pairs (keys >= 8 chars);
                           may be empty once the store holds keys (herald-store keys create),
                           which every instance rereads every 2 s
  PORT                     listen port (3000)
  RATE_LIMIT_PER_SEC       jobs per second per API key (a request costs 1, a batch of n costs n);
                           0 turns rate limiting off (1000)
  RATE_LIMIT_BURST         token-bucket size per API key, at least 1 (2000); a batch of n
                           costs n, and one larger than the burst is refused with 422
  AUTH_FAILURE_LIMIT_PER_SEC  requests with no or an unknown key one client address may make
                           per second, past the burst; then 429 (1)
  AUTH_FAILURE_LIMIT_BURST the failed authentications an address may make at once (20)
  TRUSTED_PROXY_CIDRS      comma-separated ranges of reverse proxies (nginx) whose X-Real-IP
                           names the client address for that throttle (none: the peer's)
  TENANT_MAX_PRIORITY      the highest priority each tenant may send: tenant:priority pairs,
                           * for every other tenant (e.g. acme:critical,*:high); above it,
                           422. Unset: no cap
  HEADER_READ_TIMEOUT_MS   how long a client may take to send a request's head; then the
                           connection is closed (10000; slowloris)
  KEEP_ALIVE_TIMEOUT_MS    an idle keep-alive connection is closed after this (75000; above
                           nginx's 60 s upstream keep-alive)
  MAX_CONNECTIONS          open connections per instance; more wait to be accepted (4096)
  MAX_BODY_BYTES           largest request body (4194304)
  BODY_TIMEOUT_MS          how long a request body may take to arrive; then 408 (30000)
  CONSOLE_SESSION_SECRET   signs the web console's session cookies and CSRF tokens (>= 32
                           chars; the same value on every API instance behind one address);
                           unset: the console at /console is off (503) and the API runs
  STREAM_TOKEN_SECRET      signs player tokens for the live match streams (POST
                           /v1/matches/{id}/tokens): >= 32 bytes, comma-separated for
                           rotation (the first signs, every one verifies; the same on every
                           instance). Unset: no player tokens, streams take tenant keys only
  STREAM_MAX_CONNECTIONS   open SSE/WebSocket streams per instance; past it, 503 with
                           Retry-After (2048)
  STREAM_BUFFER_MESSAGES   messages a stream may fall behind before it is closed as a slow
                           consumer (it resumes by seq) (256)
  STREAM_ALLOWED_ORIGINS   comma-separated browser origins (scheme://host[:port]) that may open
                           streams besides the API's own, or *; the WebSocket Origin check and
                           the SSE CORS header (none)
  STREAM_HEARTBEAT_MS      SSE heartbeat comment / WebSocket ping interval (15000)
  STREAM_REPAIR_POLL_MS    with RabbitMQ: how often each streamed match is checked in the store
                           for an update the broker lost (1000)
  STREAM_POLL_MS           embedded mode: how often each streamed match's log is read (100)";

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
    /// `RATE_LIMIT_PER_SEC`, `RATE_LIMIT_BURST`: per key, one token per job.
    pub rate_limit: RateLimit,
    /// `AUTH_FAILURE_LIMIT_PER_SEC`, `AUTH_FAILURE_LIMIT_BURST`: failed
    /// authentications per client address.
    pub auth_failure_limit: RateLimit,
    /// `HEADER_READ_TIMEOUT_MS`, `KEEP_ALIVE_TIMEOUT_MS`, `MAX_CONNECTIONS`.
    pub connection_limits: ConnectionLimits,
    /// `TENANT_MAX_PRIORITY`.
    pub priority_caps: PriorityCaps,
    /// `TRUSTED_PROXY_CIDRS`: peers whose `X-Real-IP` is believed.
    pub trusted_proxies: Vec<Cidr>,
    /// `MAX_BODY_BYTES`: larger request bodies are refused (413) before being read.
    pub max_body_bytes: usize,
    /// `BODY_TIMEOUT_MS`: a body that has not fully arrived by then is refused (408).
    pub body_timeout: Duration,
    /// `WEBHOOK_ALLOWED_CIDRS`: internal ranges a webhook URL may still name. Empty
    /// (the default) refuses every loopback, private and link-local literal target.
    pub webhook_guard: TargetGuard,
    /// `CONSOLE_SESSION_SECRET`: `None` turns the console off.
    pub console_secret: Option<SessionSecret>,
    /// `STREAM_*`: live match streams.
    pub streams: StreamConfig,
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
            auth_failure_limit: RateLimit {
                per_sec: DEFAULT_AUTH_FAILURE_LIMIT_PER_SEC,
                burst: DEFAULT_AUTH_FAILURE_LIMIT_BURST,
            },
            trusted_proxies: Vec::new(),
            connection_limits: ConnectionLimits::default(),
            priority_caps: PriorityCaps::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES as usize,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            webhook_guard: TargetGuard::default(),
            console_secret: None,
            streams: StreamConfig::default(),
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
        let auth_failure_limit = RateLimit {
            per_sec: env.parse_or(
                "AUTH_FAILURE_LIMIT_PER_SEC",
                DEFAULT_AUTH_FAILURE_LIMIT_PER_SEC,
            )?,
            burst: u32::try_from(env.positive_or(
                "AUTH_FAILURE_LIMIT_BURST",
                u64::from(DEFAULT_AUTH_FAILURE_LIMIT_BURST),
            )?)
            .map_err(|_| ConfigError::new("AUTH_FAILURE_LIMIT_BURST", "too large"))?,
        };
        let trusted_proxies = env
            .var("TRUSTED_PROXY_CIDRS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::parse::<Cidr>)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|m| ConfigError::new("TRUSTED_PROXY_CIDRS", m))?;
        let connection_limits = ConnectionLimits {
            header_read_timeout: env
                .millis_or("HEADER_READ_TIMEOUT_MS", serve::DEFAULT_HEADER_READ_TIMEOUT)?,
            keep_alive_timeout: env
                .millis_or("KEEP_ALIVE_TIMEOUT_MS", serve::DEFAULT_KEEP_ALIVE_TIMEOUT)?,
            max_connections: usize::try_from(
                env.positive_or("MAX_CONNECTIONS", serve::DEFAULT_MAX_CONNECTIONS as u64)?,
            )
            .map_err(|_| ConfigError::new("MAX_CONNECTIONS", "too large"))?,
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
            auth_failure_limit,
            trusted_proxies,
            connection_limits,
            priority_caps: PriorityCaps::parse(env.var("TENANT_MAX_PRIORITY").as_deref())
                .map_err(|m| ConfigError::new("TENANT_MAX_PRIORITY", m))?,
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
            streams: StreamConfig::from_env(env)?,
        })
    }
}

/// `TENANT_MAX_PRIORITY`: the most urgent priority each tenant may send. A tenant
/// that may send `critical` skips every other tenant's queue and every quiet hour, so
/// an operator gives it to the tenants that need it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriorityCaps(PerTenant<Priority>);

impl PriorityCaps {
    /// `tenant:priority,*:priority`; blank is no cap.
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        PerTenant::parse(raw, "priority", |p| p.parse().map_err(|e| format!("{e}"))).map(Self)
    }

    /// The most urgent priority `tenant` may send, if capped.
    pub fn cap(&self, tenant: &TenantId) -> Option<Priority> {
        self.0.get(tenant).copied()
    }

    /// Whether `tenant` may send `priority`.
    pub fn allows(&self, tenant: &TenantId, priority: Priority) -> Result<(), Priority> {
        match self.cap(tenant) {
            Some(cap) if priority.rank() < cap.rank() => Err(cap),
            _ => Ok(()),
        }
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
            ("API_KEYS", "acme:key-12345678"),
            ("MONGODB_URI", "mongodb://herald:m0ngo/pw?@db:27017/herald"),
            ("RABBITMQ_URL", "amqp://herald:r4bbit%2Fpw@rabbit:5672/%2f"),
        ]);
        let shown = format!("{:?}", Config::from_env(&env).unwrap());
        for secret in ["m0ngo", "r4bbit", "hunter2", "key-12345678"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }

    #[test]
    fn priority_caps_are_per_tenant_with_a_default() {
        let caps = PriorityCaps::parse(Some("acme:critical, *:high")).unwrap();
        let (acme, other) = (
            TenantId::parse("acme").unwrap(),
            TenantId::parse("b").unwrap(),
        );
        assert_eq!(caps.allows(&acme, Priority::Critical), Ok(()));
        assert_eq!(caps.allows(&other, Priority::Critical), Err(Priority::High));
        assert_eq!(caps.allows(&other, Priority::High), Ok(()));
        assert_eq!(caps.allows(&other, Priority::Low), Ok(()));
        let none = PriorityCaps::parse(None).unwrap();
        assert_eq!(none.allows(&other, Priority::Critical), Ok(()));
        for bad in ["acme", "acme:urgent", "*:high,*:low", "a b:high"] {
            assert!(PriorityCaps::parse(Some(bad)).is_err(), "{bad}");
        }
    }

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
