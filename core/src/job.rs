//! The job domain: what a job is, its kinds and priorities, and the state machine
//! every store enforces (`docs/lease-protocol.md`).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::lease::WorkerId;

/// How many attempts a job keeps in its `history`; older entries are dropped first.
pub const HISTORY_LIMIT: usize = 20;

/// Attempts a job gets when the caller does not say.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// A job's id: a UUIDv7, so ids sort by creation time (the list route pages on it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(String);

impl JobId {
    /// A fresh, time-ordered id.
    pub fn new() -> Self {
        Self(Uuid::now_v7().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for JobId {
    fn default() -> Self {
        Self::new()
    }
}

impl FromStr for JobId {
    type Err = ParseError;

    /// Accepts only hyphenated UUID text (36 characters, any case), so a malformed id
    /// is a 404 rather than a scan; the braced, `urn:uuid:` and unhyphenated forms
    /// `Uuid::parse_str` also reads are refused, as the OpenAPI `uuid` format does.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 36 {
            return Err(ParseError::new("job id", s));
        }
        let uuid = Uuid::parse_str(s).map_err(|_| ParseError::new("job id", s))?;
        Ok(Self(uuid.hyphenated().to_string()))
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The tenant a job belongs to. Every read and write through the API is scoped by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TenantId(String);

impl TenantId {
    /// Tenant names are short, printable and free of the separators used in config
    /// (`tenant:key,tenant:key`).
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ParseError::new("tenant", s))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A string that did not name a known value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: {value:?}")]
pub struct ParseError {
    pub what: &'static str,
    pub value: String,
}

impl ParseError {
    pub fn new(what: &'static str, value: &str) -> Self {
        let mut value = value.to_owned();
        value.truncate(80);
        Self { what, value }
    }
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(ParseError::new($what, other)),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// What a job does: deliver one notification, or host one live match.
    JobKind, "job kind" {
        Notification => "notification",
        Match => "match",
    }
);

string_enum!(
    /// Claim order: a critical job is claimed before any waiting high, normal or low job.
    Priority, "priority" {
        Critical => "critical",
        High => "high",
        Normal => "normal",
        Low => "low",
    }
);

// Not derived: the enum comes from `string_enum!`, which has no per-variant attributes.
#[allow(clippy::derivable_impls)]
impl Default for Priority {
    fn default() -> Self {
        Self::Normal
    }
}

impl Priority {
    /// Sort key stored beside the name (`priorityRank`): lower is claimed first.
    pub fn rank(self) -> i32 {
        match self {
            Priority::Critical => 0,
            Priority::High => 1,
            Priority::Normal => 2,
            Priority::Low => 3,
        }
    }
}

string_enum!(
    /// Where a job is in its life. See [`JobStatus::apply`] for the legal moves.
    JobStatus, "status" {
        Pending => "pending",
        Scheduled => "scheduled",
        Running => "running",
        Succeeded => "succeeded",
        Dead => "dead",
        Cancelled => "cancelled",
    }
);

/// Something that happens to a job. Each store performs these as atomic conditional
/// writes; [`JobStatus::apply`] is the single statement of which are legal from where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// A worker takes the lease. Legal from pending/scheduled once due, or from running
    /// when the previous lease has expired (the crashed worker's job comes back).
    Claim { lease_expired: bool },
    /// The holder finished the work.
    Complete,
    /// The holder failed; `retry` is false when attempts are spent or the error is permanent.
    Fail { retry: bool },
    /// The holder gives the job back with a new run time, without spending the attempt.
    Snooze,
    /// The holder gives the job back to be claimed at once (graceful shutdown).
    Release,
    /// A client cancels a job that has not started.
    Cancel,
    /// A client re-drives a dead job.
    Redrive,
    /// A lease expired on the job's last attempt: it goes to dead instead of looping.
    ExpireExhausted,
}

/// A move the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {transition:?} a job that is {from}")]
pub struct InvalidTransition {
    pub from: JobStatus,
    pub transition: Transition,
}

impl JobStatus {
    /// The status after `transition`, or why it is not allowed.
    pub fn apply(self, transition: Transition) -> Result<JobStatus, InvalidTransition> {
        use JobStatus::*;
        use Transition::*;
        let next = match (self, transition) {
            (Pending | Scheduled, Claim { .. }) => Running,
            (
                Running,
                Claim {
                    lease_expired: true,
                },
            ) => Running,
            (Running, Complete) => Succeeded,
            (Running, Fail { retry: true }) => Scheduled,
            (Running, Fail { retry: false }) => Dead,
            (Running, Snooze) => Scheduled,
            (Running, Release) => Pending,
            (Running, ExpireExhausted) => Dead,
            (Pending | Scheduled, Cancel) => Cancelled,
            (Dead, Redrive) => Pending,
            (from, transition) => return Err(InvalidTransition { from, transition }),
        };
        Ok(next)
    }

    /// Waiting to be claimed (and therefore cancellable).
    pub fn is_waiting(self) -> bool {
        matches!(self, JobStatus::Pending | JobStatus::Scheduled)
    }

    /// No further transition except a re-drive of a dead job.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Dead | JobStatus::Cancelled
        )
    }
}

/// How one attempt ended, as kept in a job's `history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    Succeeded,
    Retrying,
    Dead,
    Snoozed,
    Released,
    LeaseExpired,
    Cancelled,
}

/// One entry of a job's bounded `history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptRecord {
    pub at: DateTime<Utc>,
    pub attempt: u32,
    pub worker: Option<String>,
    pub outcome: AttemptOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A job as stored. Field names follow `docs/lease-protocol.md` when serialised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub id: JobId,
    pub kind: JobKind,
    pub tenant: TenantId,
    pub priority: Priority,
    pub status: JobStatus,
    pub payload: serde_json::Value,
    pub run_at: DateTime<Utc>,
    pub attempts: u32,
    pub max_attempts: u32,
    pub last_error: Option<String>,
    pub locked_by: Option<WorkerId>,
    pub locked_at: Option<DateTime<Utc>>,
    pub lock_expiry: Option<DateTime<Utc>>,
    pub lease_version: u64,
    pub idempotency_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub history: Vec<AttemptRecord>,
}

/// What a client asks to enqueue. The store assigns the id and the timestamps.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub id: JobId,
    pub kind: JobKind,
    pub tenant: TenantId,
    pub priority: Priority,
    pub payload: serde_json::Value,
    /// `None` means due at once.
    pub run_at: Option<DateTime<Utc>>,
    pub max_attempts: u32,
    pub idempotency_key: Option<String>,
    /// The digest of the request that carried the key
    /// ([`crate::store::lifecycle::request_digest`]): a replay with another digest is
    /// refused. `None` accepts any replay.
    pub request_digest: Option<String>,
}

impl NewJob {
    pub fn new(kind: JobKind, tenant: TenantId, payload: serde_json::Value) -> Self {
        Self {
            id: JobId::new(),
            kind,
            tenant,
            priority: Priority::Normal,
            payload,
            run_at: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            idempotency_key: None,
            request_digest: None,
        }
    }

    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = priority;
        self
    }

    pub fn run_at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at);
        self
    }

    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    pub fn request_digest(mut self, digest: impl Into<String>) -> Self {
        self.request_digest = Some(digest.into());
        self
    }

    /// A job inserted with a future `run_at` starts `scheduled`, otherwise `pending`.
    pub fn initial_status(&self, now: DateTime<Utc>) -> JobStatus {
        match self.run_at {
            Some(at) if at > now => JobStatus::Scheduled,
            _ => JobStatus::Pending,
        }
    }
}

/// Appends to a history, dropping the oldest entries past [`HISTORY_LIMIT`].
pub fn push_history(history: &mut Vec<AttemptRecord>, record: AttemptRecord) {
    history.push(record);
    if history.len() > HISTORY_LIMIT {
        let excess = history.len() - HISTORY_LIMIT;
        history.drain(..excess);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_paths_through_the_state_machine() {
        use JobStatus::*;
        use Transition::*;
        let expired = Claim {
            lease_expired: true,
        };
        let fresh = Claim {
            lease_expired: false,
        };
        assert_eq!(Pending.apply(fresh), Ok(Running));
        assert_eq!(Scheduled.apply(fresh), Ok(Running));
        assert_eq!(Running.apply(expired), Ok(Running));
        assert_eq!(Running.apply(Complete), Ok(Succeeded));
        assert_eq!(Running.apply(Fail { retry: true }), Ok(Scheduled));
        assert_eq!(Running.apply(Fail { retry: false }), Ok(Dead));
        assert_eq!(Running.apply(Snooze), Ok(Scheduled));
        assert_eq!(Running.apply(Release), Ok(Pending));
        assert_eq!(Running.apply(ExpireExhausted), Ok(Dead));
        assert_eq!(Pending.apply(Cancel), Ok(Cancelled));
        assert_eq!(Scheduled.apply(Cancel), Ok(Cancelled));
        assert_eq!(Dead.apply(Redrive), Ok(Pending));
    }

    #[test]
    fn illegal_transitions_are_rejected() {
        use JobStatus::*;
        use Transition::*;
        let rejected = [
            (
                Running,
                Claim {
                    lease_expired: false,
                },
            ),
            (Running, Cancel),
            (Succeeded, Cancel),
            (Dead, Cancel),
            (Cancelled, Cancel),
            (
                Succeeded,
                Claim {
                    lease_expired: true,
                },
            ),
            (
                Dead,
                Claim {
                    lease_expired: false,
                },
            ),
            (
                Cancelled,
                Claim {
                    lease_expired: false,
                },
            ),
            (Pending, Complete),
            (Scheduled, Fail { retry: true }),
            (Succeeded, Complete),
            (Pending, Redrive),
            (Running, Redrive),
            (Succeeded, Redrive),
            (Pending, Release),
            (Dead, Snooze),
        ];
        for (from, transition) in rejected {
            assert_eq!(
                from.apply(transition),
                Err(InvalidTransition { from, transition }),
                "{from} --{transition:?}--> should be rejected"
            );
        }
    }

    #[test]
    fn only_dead_leaves_a_final_state() {
        let all_transitions = [
            Transition::Claim {
                lease_expired: true,
            },
            Transition::Claim {
                lease_expired: false,
            },
            Transition::Complete,
            Transition::Fail { retry: true },
            Transition::Fail { retry: false },
            Transition::Snooze,
            Transition::Release,
            Transition::Cancel,
            Transition::Redrive,
            Transition::ExpireExhausted,
        ];
        for status in JobStatus::ALL.iter().copied().filter(|s| s.is_final()) {
            let exits: Vec<_> = all_transitions
                .iter()
                .filter_map(|t| status.apply(*t).ok())
                .collect();
            if status == JobStatus::Dead {
                assert_eq!(exits, vec![JobStatus::Pending]);
            } else {
                assert!(exits.is_empty(), "{status} must be terminal, got {exits:?}");
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for s in JobStatus::ALL {
            assert_eq!(s.as_str().parse::<JobStatus>(), Ok(*s));
        }
        for p in Priority::ALL {
            assert_eq!(p.as_str().parse::<Priority>(), Ok(*p));
        }
        for k in JobKind::ALL {
            assert_eq!(k.as_str().parse::<JobKind>(), Ok(*k));
        }
        assert!("urgent".parse::<Priority>().is_err());
    }

    #[test]
    fn priority_ranks_critical_first() {
        let mut ps = vec![
            Priority::Low,
            Priority::Critical,
            Priority::Normal,
            Priority::High,
        ];
        ps.sort_by_key(|p| p.rank());
        assert_eq!(
            ps,
            vec![
                Priority::Critical,
                Priority::High,
                Priority::Normal,
                Priority::Low
            ]
        );
    }

    #[test]
    fn job_ids_are_uuid_v7_and_time_ordered() {
        let a = JobId::new();
        let b = JobId::new();
        assert!(a < b, "{a} should sort before {b}");
        let parsed = Uuid::parse_str(a.as_str()).unwrap_or_default();
        assert_eq!(parsed.get_version_num(), 7);
        assert!("not-a-uuid".parse::<JobId>().is_err());
        let simple = a.as_str().replace('-', "");
        assert!(simple.parse::<JobId>().is_err(), "unhyphenated");
        assert!(format!("{{{a}}}").parse::<JobId>().is_err(), "braced");
        assert!(format!("urn:uuid:{a}").parse::<JobId>().is_err(), "urn");
        let upper = a.as_str().to_ascii_uppercase();
        assert_eq!(upper.parse::<JobId>(), Ok(a.clone()), "any case");
        assert_eq!(a.as_str().parse::<JobId>(), Ok(a.clone()));
    }

    #[test]
    fn tenant_names_are_checked() {
        assert!(TenantId::parse("acme-prod_1").is_ok());
        for bad in ["", "a:b", "a,b", "has space", &"x".repeat(65)] {
            assert!(TenantId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn history_is_bounded() {
        let mut h = Vec::new();
        for attempt in 0..(HISTORY_LIMIT as u32 + 5) {
            push_history(
                &mut h,
                AttemptRecord {
                    at: Utc::now(),
                    attempt,
                    worker: None,
                    outcome: AttemptOutcome::Retrying,
                    error: None,
                },
            );
        }
        assert_eq!(h.len(), HISTORY_LIMIT);
        assert_eq!(h[0].attempt, 5, "oldest entries are dropped first");
    }

    #[test]
    fn future_run_at_starts_scheduled() {
        let now = Utc::now();
        let tenant = TenantId::parse("t").unwrap_or_else(|e| panic!("{e}"));
        let job = NewJob::new(JobKind::Notification, tenant, serde_json::json!({}));
        assert_eq!(job.initial_status(now), JobStatus::Pending);
        let later = job.run_at(now + chrono::Duration::seconds(5));
        assert_eq!(later.initial_status(now), JobStatus::Scheduled);
    }
}
