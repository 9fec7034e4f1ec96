//! The worker's configuration, read once from the environment and checked at start-up
//! (DESIGN §9). A bad value stops the process with a message naming the variable.

use std::collections::HashMap;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use herald_core::config::{millis_or, parse_or, positive_or, var, ConfigError, StoreConfig};
use herald_core::{RetryPolicy, TenantId};

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
  WEBHOOK_ALLOWED_CIDRS    CIDRs a webhook may target although private/loopback (none)
  WEBHOOK_TIMEOUT_MS       per-request webhook timeout (10000)
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
        }
    }

    /// Leases are renewed this often while a job runs.
    pub fn renew_interval(&self) -> Duration {
        self.lock_duration / 3
    }
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

/// An address range such as `10.0.0.0/8` or `::1/128` (a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    if a[..full] != b[..full] {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    (a[full] & mask) == (b[full] & mask)
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an address or CIDR"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?} has a bad prefix length"))?,
        };
        Ok(Self { network, prefix })
    }
}

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
    fn cidrs_match_their_ranges() {
        let lo: Cidr = "127.0.0.0/8".parse().unwrap();
        assert!(lo.contains("127.1.2.3".parse().unwrap()));
        assert!(lo.contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!lo.contains("128.0.0.1".parse().unwrap()));
        let odd: Cidr = "10.64.0.0/10".parse().unwrap();
        assert!(odd.contains("10.127.255.255".parse().unwrap()));
        assert!(!odd.contains("10.128.0.0".parse().unwrap()));
        let one: Cidr = "::1".parse().unwrap();
        assert!(one.contains("::1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("nonsense".parse::<Cidr>().is_err());
        let err = parse_cidrs(Some("10.0.0.0/8, bad")).unwrap_err();
        assert_eq!(err.var, "WEBHOOK_ALLOWED_CIDRS");
    }
}
