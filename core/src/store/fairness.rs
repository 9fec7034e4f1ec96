//! How claims share the work between tenants (`docs/dispatch.md`, "Fairness").
//!
//! Within one priority, claims rotate across the tenants that have work waiting: a
//! claim of `n` jobs takes each waiting tenant's oldest job in turn (tenant-name order,
//! starting after the tenant served last), then each one's second, and so on, the
//! group round-robin of Hatchet's queues. So one tenant's backlog of 100,000 delays
//! another tenant's job by one turn, not by 100,000 jobs. Priority still comes first:
//! every waiting critical job is taken before any high one.
//!
//! A tenant may also be capped (`TENANT_CONCURRENCY`): at most that many of its jobs
//! of the claimed kind run at once across the fleet. The cap is enforced by the store,
//! at claim time, against the jobs the store itself holds as running under a live
//! lease, so it holds whatever the number of worker processes.

use std::sync::Arc;

use crate::config::PerTenant;
use crate::job::TenantId;
use crate::lease::ClaimedJob;

/// `TENANT_CONCURRENCY`: how many of a tenant's jobs may run at once, fleet-wide.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantLimits(PerTenant<u32>);

impl TenantLimits {
    /// `tenant:N,*:N`; blank is no cap. `N` is at least 1.
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        PerTenant::parse(raw, "N", |limit| {
            limit
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("{limit} is not a whole number of at least 1"))
        })
        .map(Self)
    }

    /// The cap on `tenant`'s running jobs, if any.
    pub fn limit(&self, tenant: &TenantId) -> Option<u32> {
        self.0.get(tenant).copied()
    }

    /// Whether any tenant is capped.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The fairness part of a claim request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fairness {
    /// The rotation starts after this tenant (the one the caller served last), so that
    /// no tenant is first in every claim.
    pub after: Option<TenantId>,
    /// Caps on running jobs per tenant.
    pub limits: Arc<TenantLimits>,
}

/// What a fair claim took.
#[derive(Debug, Default)]
pub struct FairClaim {
    /// In turn order.
    pub jobs: Vec<ClaimedJob>,
    /// True when a capped tenant had due jobs that its cap kept back: the caller should
    /// claim again soon (as its running jobs finish), not wait for the next poll.
    pub held_back: bool,
}

/// The tenants in rotation order: those after `after` in name order, then the rest.
/// `tenants` is sorted.
pub fn rotate<'a>(tenants: &'a [String], after: Option<&TenantId>) -> Vec<&'a str> {
    let split = after.map_or(0, |after| {
        tenants.partition_point(|t| t.as_str() <= after.as_str())
    });
    tenants[split..]
        .iter()
        .chain(&tenants[..split])
        .map(String::as_str)
        .collect()
}

/// Interleaves per-tenant queues (already in rotation order) into turn order: every
/// queue's first entry, then every queue's second, and so on, up to `limit` entries.
pub fn interleave<T>(queues: Vec<Vec<T>>, limit: usize) -> Vec<T> {
    let mut iters: Vec<_> = queues.into_iter().map(Vec::into_iter).collect();
    let mut out = Vec::new();
    while out.len() < limit {
        let before = out.len();
        for it in &mut iters {
            if out.len() == limit {
                break;
            }
            if let Some(item) = it.next() {
                out.push(item);
            }
        }
        if out.len() == before {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(s: &str) -> TenantId {
        TenantId::parse(s).unwrap()
    }

    #[test]
    fn limits_are_per_tenant_with_a_default() {
        let limits = TenantLimits::parse(Some("acme:5, *:50")).unwrap();
        assert_eq!(limits.limit(&tenant("acme")), Some(5));
        assert_eq!(limits.limit(&tenant("other")), Some(50));
        assert!(TenantLimits::parse(None).unwrap().is_empty());
        assert_eq!(
            TenantLimits::parse(Some("")).unwrap().limit(&tenant("a")),
            None
        );
    }

    #[test]
    fn bad_limits_are_refused_with_a_reason() {
        for (raw, says) in [
            ("acme", "tenant:N"),
            ("acme:0", "at least 1"),
            ("acme:-1", "at least 1"),
            ("acme:x", "at least 1"),
            ("acme:1,acme:2", "twice"),
            ("a b:1", "tenant"),
        ] {
            let err = TenantLimits::parse(Some(raw)).unwrap_err();
            assert!(err.contains(says), "{raw}: {err}");
        }
    }

    #[test]
    fn rotation_starts_after_the_tenant_served_last() {
        let tenants: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        assert_eq!(rotate(&tenants, None), ["a", "b", "c"]);
        assert_eq!(rotate(&tenants, Some(&tenant("a"))), ["b", "c", "a"]);
        assert_eq!(rotate(&tenants, Some(&tenant("bb"))), ["c", "a", "b"]);
        assert_eq!(rotate(&tenants, Some(&tenant("c"))), ["a", "b", "c"]);
    }

    #[test]
    fn turns_take_one_from_each_queue_in_order() {
        let queues = vec![vec!["a1", "a2", "a3"], vec!["b1"], vec!["c1", "c2"]];
        assert_eq!(
            interleave(queues.clone(), 10),
            ["a1", "b1", "c1", "a2", "c2", "a3"]
        );
        assert_eq!(interleave(queues, 4), ["a1", "b1", "c1", "a2"]);
        assert!(interleave::<u8>(vec![], 3).is_empty());
    }
}
