//! How long the store keeps things (DESIGN §13, `docs/operations.md`): finished jobs
//! per terminal state, an ended match's event log, and idempotency keys.
//!
//! Both stores read the same [`Lifecycle`]. MongoDB sets `expireAt` at each terminal
//! transition and lets its TTL index delete; SQLite's pruner deletes what
//! [`Lifecycle::cutoffs`] names, in short batches, under the `pruner` lease.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::{ConfigError, Env};
use crate::job::JobStatus;

pub const DEFAULT_RETENTION_SUCCEEDED: Duration = Duration::from_secs(7 * 86_400);
pub const DEFAULT_RETENTION_DEAD: Duration = Duration::from_secs(30 * 86_400);
pub const DEFAULT_RETENTION_CANCELLED: Duration = Duration::from_secs(7 * 86_400);
/// An ended match's event log is kept as long as the match itself by default.
pub const DEFAULT_RETENTION_MATCH_EVENTS: Duration = DEFAULT_RETENTION_SUCCEEDED;
/// Stripe's and Novu's convention.
pub const DEFAULT_IDEMPOTENCY_TTL: Duration = Duration::from_secs(86_400);

/// Retention per terminal state and the life of idempotency keys. `None` keeps forever
/// (`0` or `off` in the environment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    pub succeeded: Option<Duration>,
    pub dead: Option<Duration>,
    pub cancelled: Option<Duration>,
    pub match_events: Option<Duration>,
    pub idempotency_ttl: Option<Duration>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self {
            succeeded: Some(DEFAULT_RETENTION_SUCCEEDED),
            dead: Some(DEFAULT_RETENTION_DEAD),
            cancelled: Some(DEFAULT_RETENTION_CANCELLED),
            match_events: Some(DEFAULT_RETENTION_MATCH_EVENTS),
            idempotency_ttl: Some(DEFAULT_IDEMPOTENCY_TTL),
        }
    }
}

impl Lifecycle {
    /// Keeps everything for ever, keys included (the behaviour before retention).
    pub const FOREVER: Lifecycle = Lifecycle {
        succeeded: None,
        dead: None,
        cancelled: None,
        match_events: None,
        idempotency_ttl: None,
    };

    /// `RETENTION_SUCCEEDED`, `RETENTION_DEAD`, `RETENTION_CANCELLED`,
    /// `RETENTION_MATCH_EVENTS`, `IDEMPOTENCY_TTL`: humantime values (`7d`, `36h`,
    /// `90m`), `0` or `off` for "keep forever".
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let d = Self::default();
        Ok(Self {
            succeeded: keep(env, "RETENTION_SUCCEEDED", d.succeeded)?,
            dead: keep(env, "RETENTION_DEAD", d.dead)?,
            cancelled: keep(env, "RETENTION_CANCELLED", d.cancelled)?,
            match_events: keep(env, "RETENTION_MATCH_EVENTS", d.match_events)?,
            idempotency_ttl: keep(env, "IDEMPOTENCY_TTL", d.idempotency_ttl)?,
        })
    }

    /// How long a job that reached `status` is kept; `None` for non-terminal states
    /// and for "forever".
    pub fn retention(&self, status: JobStatus) -> Option<Duration> {
        match status {
            JobStatus::Succeeded => self.succeeded,
            JobStatus::Dead => self.dead,
            JobStatus::Cancelled => self.cancelled,
            JobStatus::Pending | JobStatus::Scheduled | JobStatus::Running => None,
        }
    }

    /// When a job that reached `status` at `at` expires.
    pub fn expires_at(&self, status: JobStatus, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let keep = chrono::Duration::from_std(self.retention(status)?).ok()?;
        at.checked_add_signed(keep)
    }

    /// Jobs of each terminal state finished before its cutoff are due for deletion.
    pub fn cutoffs(&self, now: DateTime<Utc>) -> Vec<(JobStatus, DateTime<Utc>)> {
        JobStatus::ALL
            .iter()
            .filter_map(|&status| {
                let keep = chrono::Duration::from_std(self.retention(status)?).ok()?;
                Some((status, now.checked_sub_signed(keep)?))
            })
            .collect()
    }

    /// Whether a key first used at `created_at` has expired at `now`.
    pub fn key_expired(&self, created_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        match self
            .idempotency_ttl
            .and_then(|t| chrono::Duration::from_std(t).ok())
        {
            Some(ttl) => created_at + ttl <= now,
            None => false,
        }
    }

    /// One line for the start-up log.
    pub fn describe(&self) -> String {
        let show = |d: Option<Duration>| {
            d.map_or_else(
                || "forever".to_owned(),
                |d| humantime::format_duration(d).to_string(),
            )
        };
        format!(
            "retention: succeeded {}, dead {}, cancelled {}, match events {}; idempotency keys {}",
            show(self.succeeded),
            show(self.dead),
            show(self.cancelled),
            show(self.match_events),
            show(self.idempotency_ttl),
        )
    }
}

/// A humantime duration, or `0`/`off` (keep forever).
fn keep(
    env: &Env,
    name: &'static str,
    default: Option<Duration>,
) -> Result<Option<Duration>, ConfigError> {
    let Some(raw) = env.var(name) else {
        return Ok(default);
    };
    let value = raw.trim();
    if value == "0" || value.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    match humantime::parse_duration(value) {
        Ok(d) if d.is_zero() => Ok(None),
        Ok(d)
            if chrono::Duration::from_std(d).is_ok()
                && d < Duration::from_secs(100 * 365 * 86_400) =>
        {
            Ok(Some(d))
        }
        Ok(_) => Err(ConfigError::new(
            name,
            format!("{value:?} is longer than 100 years; use `off` to keep forever"),
        )),
        Err(e) => Err(ConfigError::new(
            name,
            format!("{value:?}: {e} (expected a duration such as 7d, 36h or 90m, or `off`)"),
        )),
    }
}

/// Which route an idempotency key was sent to. Keys are namespaced by it, so a
/// notification key, a batch key and a match key never collide (DESIGN §13): stored as
/// `<route>/<key>` (a batch item as `batch/<key>#<i>`). The result notifications a
/// match enqueues use `match:<id>:result:<player>`, outside every route's namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRoute {
    Notification,
    Batch,
    Match,
}

impl KeyRoute {
    const ALL: [KeyRoute; 3] = [KeyRoute::Notification, KeyRoute::Batch, KeyRoute::Match];

    fn prefix(self) -> &'static str {
        match self {
            KeyRoute::Notification => "notification/",
            KeyRoute::Batch => "batch/",
            KeyRoute::Match => "match/",
        }
    }

    /// The key as stored for this route.
    pub fn scope(self, key: &str) -> String {
        format!("{}{key}", self.prefix())
    }

    /// The key a client sent, from the stored one (a key stored before namespacing,
    /// or an internal one, is shown as it is).
    pub fn client_key(stored: &str) -> &str {
        Self::ALL
            .iter()
            .find_map(|route| stored.strip_prefix(route.prefix()))
            .unwrap_or(stored)
    }
}

/// The digest stored with an idempotency key: SHA-256 of the request as parsed (so
/// whitespace and key order do not count), hex. A replay under the key with another
/// digest is `idempotency_key_reused`.
pub fn request_digest(request: &impl Serialize) -> String {
    let canonical = serde_json::to_value(request)
        .map(sorted)
        .unwrap_or(serde_json::Value::Null);
    let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

/// `value` with every object's keys in order, whatever order the client sent (free-form
/// `metadata` and `data` keep the client's order when parsed).
fn sorted(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sorted).collect())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_is_read_checked_and_off_keeps_forever() {
        let env = Env::default()
            .with("RETENTION_SUCCEEDED", "36h")
            .with("RETENTION_DEAD", "off")
            .with("RETENTION_CANCELLED", "0")
            .with("IDEMPOTENCY_TTL", "90m");
        let l = Lifecycle::from_env(&env).unwrap();
        assert_eq!(l.succeeded, Some(Duration::from_secs(36 * 3600)));
        assert_eq!((l.dead, l.cancelled), (None, None));
        assert_eq!(l.match_events, Some(DEFAULT_RETENTION_MATCH_EVENTS));
        assert_eq!(l.idempotency_ttl, Some(Duration::from_secs(90 * 60)));
        assert_eq!(
            Lifecycle::from_env(&Env::default()).unwrap(),
            Lifecycle::default()
        );
        for (var, bad) in [
            ("RETENTION_SUCCEEDED", "7 days please"),
            ("RETENTION_DEAD", "-1d"),
            ("RETENTION_MATCH_EVENTS", "1000000y"),
            ("IDEMPOTENCY_TTL", "24"),
        ] {
            let err = Lifecycle::from_env(&Env::default().with(var, bad)).unwrap_err();
            assert!(err.to_string().contains(var), "{var}={bad}: {err}");
        }
    }

    #[test]
    fn cutoffs_and_key_expiry() {
        let l = Lifecycle {
            dead: None,
            ..Lifecycle::default()
        };
        let now = DateTime::parse_from_rfc3339("2026-01-31T00:00:00Z")
            .unwrap()
            .to_utc();
        let cutoffs = l.cutoffs(now);
        assert_eq!(
            cutoffs,
            vec![
                (JobStatus::Succeeded, now - chrono::Duration::days(7)),
                (JobStatus::Cancelled, now - chrono::Duration::days(7)),
            ]
        );
        assert_eq!(l.expires_at(JobStatus::Running, now), None);
        assert_eq!(l.expires_at(JobStatus::Dead, now), None);
        assert!(l.key_expired(now - chrono::Duration::hours(24), now));
        assert!(!l.key_expired(now - chrono::Duration::hours(23), now));
        assert!(!Lifecycle::FOREVER.key_expired(now - chrono::Duration::days(900), now));
    }

    #[test]
    fn keys_are_namespaced_by_route() {
        assert_ne!(
            KeyRoute::Batch.scope("k#0"),
            KeyRoute::Notification.scope("k#0")
        );
        assert_eq!(KeyRoute::client_key(&KeyRoute::Match.scope("k")), "k");
        assert_eq!(KeyRoute::client_key("match:1:result:p"), "match:1:result:p");
        assert_eq!(
            request_digest(&serde_json::json!({"a": 1, "b": 2})),
            request_digest(&serde_json::json!({"b": 2, "a": 1}))
        );
    }
}
