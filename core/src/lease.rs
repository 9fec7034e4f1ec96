//! Leases: how a worker holds a job, and the invariants every store keeps.
//!
//! The invariants, written once (the stores enforce them in their queries; the
//! conformance suite proves them; `docs/lease-protocol.md` explains them):
//!
//! 1. **One holder.** A claim is a single atomic compare-and-set. It succeeds only when
//!    the job is claimable — `pending`/`scheduled` with `runAt <= now`, or `running`
//!    with `lockExpiry < now` — and in the same write sets `status = running`,
//!    `lockedBy`, `lockedAt`, `lockExpiry = now + lease`, and increments `attempts` and
//!    `leaseVersion`. Two claimers can never both see the job claimable.
//! 2. **Fencing.** Every later write by the holder (renew, complete, fail, snooze,
//!    release, match state) matches `{_id, lockedBy, leaseVersion}` and `status =
//!    running`. A takeover increments `leaseVersion`, so the old holder's writes match
//!    nothing and return [`crate::store::StoreError::LeaseLost`]; they never overwrite
//!    the new holder's work.
//! 3. **The store's clock decides.** `now` is the store's time (the server's `$$NOW` in
//!    MongoDB, the store's injected clock in SQLite), never the caller's.
//! 4. **Crash loops end.** Reclaiming an expired lease spends an attempt; a job whose
//!    lease expires on its last attempt goes to `dead` instead of running again.
//! 5. **Giving back is free.** Release and snooze return the attempt they were
//!    charged, so a graceful shutdown or a deliberate reschedule costs nothing.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::job::{Job, JobId};

/// The identity written into `lockedBy`: `hostname-pid-uuid`, unique per process run,
/// so two containers with the same hostname (or a restarted process with a reused pid)
/// never share a lease identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WorkerId(String);

impl WorkerId {
    /// The identity of this process, with a fresh uuid suffix.
    pub fn generate() -> Self {
        let host = hostname::get()
            .ok()
            .and_then(|h| h.into_string().ok())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "unknown-host".to_owned());
        Self::from_parts(&host, std::process::id(), Uuid::new_v4())
    }

    pub fn from_parts(hostname: &str, pid: u32, uuid: Uuid) -> Self {
        let simple = uuid.simple().to_string();
        Self(format!("{hostname}-{pid}-{}", &simple[..12]))
    }

    /// Wraps an identity read back from a store.
    pub fn from_stored(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WorkerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Proof of holding a job: the fencing triple plus when the store says it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lease {
    pub job_id: JobId,
    pub worker: WorkerId,
    pub version: u64,
    pub expires_at: DateTime<Utc>,
}

/// A job just claimed, with the lease to present on every later write.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedJob {
    pub job: Job,
    pub lease: Lease,
}

impl ClaimedJob {
    /// Builds the lease from a job a store just returned from its claim write.
    pub fn from_claimed(job: Job) -> Option<Self> {
        let lease = Lease {
            job_id: job.id.clone(),
            worker: job.locked_by.clone()?,
            version: job.lease_version,
            expires_at: job.lock_expiry?,
        };
        Some(Self { job, lease })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_id_is_hostname_pid_uuid() {
        let uuid = Uuid::parse_str("0191e4b0-7c1a-7d2e-8f00-123456789abc").unwrap();
        let id = WorkerId::from_parts("api-7", 4242, uuid);
        assert_eq!(id.as_str(), "api-7-4242-0191e4b07c1a");
    }

    #[test]
    fn generated_ids_differ_within_one_process() {
        let a = WorkerId::generate();
        let b = WorkerId::generate();
        assert_ne!(a, b);
        assert!(a.as_str().contains(&format!("-{}-", std::process::id())));
    }
}
