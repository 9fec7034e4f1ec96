//! Reading configuration (`docs/operations.md`). Every value is checked at start-up; a bad one
//! stops the process with a message naming the variable, and never quoting a secret.
//!
//! Configuration is built from an [`Env`]: the process's environment in `main`
//! ([`Env::process`]), or one a test writes ([`Env::from_pairs`]), so no test has to
//! mutate the process environment or start a binary to check a parse.
//!
//! Settings both binaries read are parsed here, once: the broker
//! ([`crate::dispatch::BrokerConfig`]), the store ([`crate::store::StoreConfig`]), the
//! SSRF allow-list ([`crate::ssrf::TargetGuard::from_env`]), the heartbeat period and
//! the log settings ([`heartbeat_interval`], [`check_log_settings`]).

use std::collections::HashMap;
use std::fmt::{self, Display};
use std::str::FromStr;
use std::time::Duration;

/// A configuration value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl ConfigError {
    pub fn new(var: &'static str, message: impl Into<String>) -> Self {
        Self {
            var,
            message: message.into(),
        }
    }
}

/// The variables a process reads its configuration from. It remembers the names it
/// was asked for, so a test can hold every variable the code reads against the
/// `--help` text and the deployment files ([`Env::names_read`]).
#[derive(Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
    read: std::sync::Arc<std::sync::Mutex<std::collections::BTreeSet<String>>>,
}

impl fmt::Debug for Env {
    /// Names only: values may be secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.vars.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("Env").field("names", &names).finish()
    }
}

impl Env {
    /// The process's environment, as it is now (variables that are not UTF-8 are
    /// left out: none of Herald's are).
    pub fn process() -> Self {
        Self {
            vars: std::env::vars().collect(),
            read: Default::default(),
        }
    }

    /// An environment of exactly these variables.
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            read: Default::default(),
        }
    }

    /// This environment with `name` set to `value`.
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.vars.insert(name.to_owned(), value.to_owned());
        self
    }

    /// The variable's value; unset and empty (or blank) are the same.
    pub fn var(&self, name: &str) -> Option<String> {
        self.read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(name.to_owned());
        self.vars
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .cloned()
    }

    /// Every variable name looked up so far, by this environment and its clones.
    pub fn names_read(&self) -> Vec<String> {
        self.read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// Whether the variable is set to something.
    pub fn is_set(&self, name: &str) -> bool {
        self.var(name).is_some()
    }

    /// Parses `name`, or returns `default` when it is unset.
    pub fn parse_or<T>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.var(name) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|e| ConfigError::new(name, format!("{raw:?}: {e}"))),
        }
    }

    /// A positive integer (counts, sizes), or `default`.
    pub fn positive_or(&self, name: &'static str, default: u64) -> Result<u64, ConfigError> {
        let n: u64 = self.parse_or(name, default)?;
        if n == 0 {
            return Err(ConfigError::new(name, "must be at least 1"));
        }
        Ok(n)
    }

    /// A duration given in milliseconds (`*_MS` variables), or `default`.
    pub fn millis_or(
        &self,
        name: &'static str,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        let default = u64::try_from(default.as_millis()).unwrap_or(u64::MAX);
        Ok(Duration::from_millis(self.positive_or(name, default)?))
    }

    /// A count from 1 to `max`, or `default`.
    pub fn count_or(
        &self,
        name: &'static str,
        default: usize,
        max: usize,
    ) -> Result<usize, ConfigError> {
        let n = self.positive_or(name, default as u64)?;
        match usize::try_from(n) {
            Ok(n) if n <= max => Ok(n),
            _ => Err(ConfigError::new(name, format!("must be at most {max}"))),
        }
    }
}

/// The `tenant:value` pairs of a comma-separated list, trimmed, blanks skipped; a pair
/// without `:` is refused with `expected` ("expected tenant:secret pairs").
fn tenant_pairs<'a>(
    raw: Option<&'a str>,
    expected: &str,
) -> Result<Vec<(&'a str, &'a str)>, String> {
    raw.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            pair.split_once(':')
                .map(|(tenant, value)| (tenant.trim(), value.trim()))
                .ok_or_else(|| expected.to_owned())
        })
        .collect()
}

/// `tenant:value,tenant:value` (`WEBHOOK_SECRETS`, `EMAIL_FROM_TENANTS`): one value per
/// tenant, each read by `value` (which names what it expects and never quotes a
/// secret), blanks ignored, a tenant listed twice refused.
pub fn tenant_map<T>(
    name: &'static str,
    raw: Option<&str>,
    what: &str,
    mut value: impl FnMut(&crate::job::TenantId, &str) -> Result<T, String>,
) -> Result<HashMap<crate::job::TenantId, T>, ConfigError> {
    let mut map = HashMap::new();
    let pairs = tenant_pairs(raw, &format!("expected tenant:{what} pairs"))
        .map_err(|m| ConfigError::new(name, m))?;
    for (tenant, raw_value) in pairs {
        let tenant = crate::job::TenantId::parse(tenant)
            .map_err(|e| ConfigError::new(name, e.to_string()))?;
        let parsed = value(&tenant, raw_value).map_err(|m| ConfigError::new(name, m))?;
        if map.insert(tenant.clone(), parsed).is_some() {
            return Err(ConfigError::new(
                name,
                format!("tenant {tenant} is listed twice"),
            ));
        }
    }
    Ok(map)
}

/// A per-tenant setting with a default for every other tenant: `tenant:value,*:value`
/// (`TENANT_MAX_PRIORITY`, `TENANT_CONCURRENCY`). Unset or blank: no value for anyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerTenant<T> {
    tenants: HashMap<crate::job::TenantId, T>,
    /// `*`: every tenant not listed.
    others: Option<T>,
}

impl<T> Default for PerTenant<T> {
    fn default() -> Self {
        Self {
            tenants: HashMap::new(),
            others: None,
        }
    }
}

impl<T> PerTenant<T> {
    /// Reads `raw`, each value with `value`; `what` names a value in errors
    /// ("priority": "expected tenant:priority pairs").
    pub fn parse(
        raw: Option<&str>,
        what: &str,
        mut value: impl FnMut(&str) -> Result<T, String>,
    ) -> Result<Self, String> {
        let mut out = Self::default();
        let expected = format!("expected tenant:{what} pairs (* for every other tenant)");
        for (tenant, raw_value) in tenant_pairs(raw, &expected)? {
            let parsed = value(raw_value)?;
            let fresh = if tenant == "*" {
                out.others.replace(parsed).is_none()
            } else {
                let id = crate::job::TenantId::parse(tenant).map_err(|e| e.to_string())?;
                out.tenants.insert(id, parsed).is_none()
            };
            if !fresh {
                return Err(format!("{tenant} is listed twice"));
            }
        }
        Ok(out)
    }

    /// `tenant`'s value: its own, else the `*` one.
    pub fn get(&self, tenant: &crate::job::TenantId) -> Option<&T> {
        self.tenants.get(tenant).or(self.others.as_ref())
    }

    /// Whether no tenant has a value.
    pub fn is_empty(&self) -> bool {
        self.tenants.is_empty() && self.others.is_none()
    }
}

/// A value that must never be printed: a password, a token, a key. `Debug` and
/// `Display` show `<redacted>`; [`Secret::expose`] is the one way to the value, so
/// every use of it is visible in the code.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Query options whose value is a credential (`password=`, `authMechanismProperties=`
/// with an AWS session token, `tlsCertificateKeyFilePassword=` ...), matched on the
/// lower-cased name.
const SECRET_OPTION_WORDS: [&str; 6] = [
    "pass",
    "secret",
    "token",
    "credential",
    "authmechanismproperties",
    "signature",
];

/// `uri` fit to print: the password of its user info and the value of every query
/// option that holds a credential replaced by `***`.
///
/// Passwords are not always escaped the way RFC 3986 asks: a `/`, `?` or `@` may stand
/// in one as typed. The user info is therefore taken to end at the *last* `@` of the
/// URI, so such a password is hidden whole; when a query value holds an `@` too, more
/// than the password is hidden, never less.
pub fn redact_uri(uri: &str) -> String {
    let Some((scheme, rest)) = uri.split_once("://") else {
        return "<unparseable URI>".to_owned();
    };
    let (user_info, rest) = match rest.rsplit_once('@') {
        Some((user_info, after)) => (Some(user_info), after),
        None => (None, rest),
    };
    let user = user_info.map(|info| match info.split_once(':') {
        Some((user, _)) => format!("{user}:***@"),
        None => format!("{info}@"),
    });
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let query = query.map(|q| {
        let options: Vec<String> = q
            .split('&')
            .map(|option| match option.split_once('=') {
                Some((name, _))
                    if SECRET_OPTION_WORDS
                        .iter()
                        .any(|w| name.to_ascii_lowercase().contains(w)) =>
                {
                    format!("{name}=***")
                }
                _ => option.to_owned(),
            })
            .collect();
        format!("?{}", options.join("&"))
    });
    format!(
        "{scheme}://{}{before_query}{}",
        user.unwrap_or_default(),
        query.unwrap_or_default()
    )
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret<String> {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// The `--help` lines of the variables every binary reads the same way: the store, the
/// broker, the SSRF allow-list, the heartbeat and the logs. Each binary prints them
/// after its own, so the two cannot drift apart.
pub const SHARED_ENV_HELP: &str = "  MONGODB_URI              MongoDB job store; unset = embedded SQLite store
  MONGODB_DATABASE         database name (from the URI, else herald)
  MONGODB_MAX_POOL_SIZE    MongoDB connection pool bounds (driver defaults)
  MONGODB_MIN_POOL_SIZE
  MONGODB_WRITE_CONCERN    majority (default) or a number of nodes
  SQLITE_PATH              SQLite file when MONGODB_URI is unset (./herald.db)
  SQLITE_SYNCHRONOUS       normal (default) | full: SQLite durability, see docs/lease-protocol.md
  SQLITE_POOL_SIZE         SQLite connections per process (8)
  SQLITE_BUSY_TIMEOUT_MS   how long a writer waits for SQLite's write lock (10000)
  RETENTION_SUCCEEDED      how long a succeeded job (and a finished match) is kept: 7d; humantime
                           (36h, 90m), 0 or off keeps forever
  RETENTION_DEAD           how long a dead job is kept (30d)
  RETENTION_CANCELLED      how long a cancelled job is kept (7d)
  RETENTION_MATCH_EVENTS   how long an ended match keeps its event log (7d)
  IDEMPOTENCY_TTL          how long an Idempotency-Key names its job (24h); after it the key
                           creates a new job
  RABBITMQ_URL             amqp://user:pass@host:5672/%2f; unset = embedded mode (no broker: the
                           workers' poller alone dispatches)
  RABBITMQ_CONSUMER_GROUP  queue/exchange name prefix shared by the group, 1-200 of A-Z a-z 0-9 - _ .
                           (notification-workers)
  WEBHOOK_ALLOWED_CIDRS    comma-separated CIDRs a webhook URL (and the worker's sms/push base URLs)
                           may target although internal (loopback, private, link-local); none
                           by default, e.g. 127.0.0.0/8
  RUST_LOG                 log filter (info)
  LOG_FORMAT               text (default) | json";

/// The variable names a `--help` text lists: the first word, in capitals, of each line
/// indented by exactly two spaces.
pub fn help_names(help: &str) -> std::collections::BTreeSet<String> {
    help.lines()
        .filter_map(|line| line.strip_prefix("  "))
        // A continuation line is indented further.
        .filter(|rest| !rest.starts_with(char::is_whitespace))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter(|word| {
            word.len() > 2
                && word
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .map(str::to_owned)
        .collect()
}

/// `HEARTBEAT_INTERVAL_MS` when unset.
pub const DEFAULT_HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);

/// `HEARTBEAT_INTERVAL_MS`: how often workers report to the registry that
/// `GET /v1/workers` reads. The API and the workers read it the same way.
pub fn heartbeat_interval(env: &Env) -> Result<Duration, ConfigError> {
    env.millis_or("HEARTBEAT_INTERVAL_MS", DEFAULT_HEARTBEAT_INTERVAL)
}

/// `RUST_LOG` must be a filter and `LOG_FORMAT` `json` or `text`: checked at start-up
/// by every binary, so a typo does not quietly log nothing.
pub fn check_log_settings(env: &Env) -> Result<(), ConfigError> {
    if let Some(filter) = env.var("RUST_LOG") {
        tracing_subscriber::EnvFilter::try_new(&filter)
            .map_err(|e| ConfigError::new("RUST_LOG", format!("{filter:?}: {e}")))?;
    }
    if let Some(format) = env.var("LOG_FORMAT") {
        if !(format.eq_ignore_ascii_case("json") || format.eq_ignore_ascii_case("text")) {
            return Err(ConfigError::new(
                "LOG_FORMAT",
                format!("{format:?}: use json or text"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_name_the_variable() {
        let env = Env::from_pairs([
            ("HERALD_TEST_PORT_A", "eighty"),
            ("HERALD_TEST_ZERO_B", "0"),
            ("HERALD_TEST_EMPTY_D", "  "),
            ("HERALD_TEST_MS_E", "250"),
        ]);
        let err = env.parse_or::<u16>("HERALD_TEST_PORT_A", 3000).unwrap_err();
        assert_eq!(err.var, "HERALD_TEST_PORT_A");
        assert!(err.to_string().contains("HERALD_TEST_PORT_A"), "{err}");

        assert!(env.positive_or("HERALD_TEST_ZERO_B", 5).is_err());

        assert_eq!(env.parse_or::<u16>("HERALD_TEST_UNSET_C", 3000), Ok(3000));
        assert_eq!(env.parse_or::<u16>("HERALD_TEST_EMPTY_D", 7), Ok(7));
        assert_eq!(
            env.millis_or("HERALD_TEST_MS_E", Duration::from_secs(1)),
            Ok(Duration::from_millis(250))
        );
    }

    #[test]
    fn secrets_and_environments_never_print_values() {
        let secret = Secret::new("hunter2".to_owned());
        assert_eq!(format!("{secret:?} {secret}"), "<redacted> <redacted>");
        assert_eq!(secret.expose(), "hunter2");
        let env = Env::from_pairs([("API_KEYS", "acme:hunter2")]);
        let shown = format!("{env:?}");
        assert!(
            shown.contains("API_KEYS") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    #[test]
    fn uris_print_without_passwords_even_unescaped_ones() {
        let cases = [
            (
                "amqp://herald:pa/ss?w@rd@rabbit:5672/%2f",
                "amqp://herald:***@rabbit:5672/%2f",
            ),
            (
                "mongodb://u:a@b/c?d@db1:27017,db2/herald?replicaSet=rs0",
                "mongodb://u:***@db1:27017,db2/herald?replicaSet=rs0",
            ),
            (
                "mongodb://db/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:tok3n",
                "mongodb://db/?authMechanism=MONGODB-AWS&authMechanismProperties=***",
            ),
            (
                "amqps://rabbit/vh?password=hunter2&heartbeat=10",
                "amqps://rabbit/vh?password=***&heartbeat=10",
            ),
            ("mongodb://h:27017/?w=1", "mongodb://h:27017/?w=1"),
            ("mongodb://user@h/", "mongodb://user@h/"),
            ("nonsense", "<unparseable URI>"),
        ];
        for (uri, shown) in cases {
            assert_eq!(redact_uri(uri), shown, "{uri}");
        }
    }

    #[test]
    fn log_settings_are_checked() {
        assert!(check_log_settings(&Env::default()).is_ok());
        let bad = Env::from_pairs([("LOG_FORMAT", "xml")]);
        assert_eq!(check_log_settings(&bad).unwrap_err().var, "LOG_FORMAT");
        let bad = Env::from_pairs([("RUST_LOG", "info,[")]);
        assert_eq!(check_log_settings(&bad).unwrap_err().var, "RUST_LOG");
    }
}
