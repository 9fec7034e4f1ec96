//! Fair claims on MongoDB (`store::fairness`): per priority, the tenants with waiting
//! work come from one `distinct` over `jobs_fair`, and the claim takes turns across them
//! with one `findOneAndUpdate` per job (filtered to the tenant, on the server's clock, as
//! every claim is). A capped tenant's claim is checked after the write: the tenant's
//! running jobs are counted, and a claim that took it past its cap is given back at once
//! (released, no attempt spent), so however many workers race, no more than the cap of
//! its jobs is ever delivered at once.

use std::collections::{BTreeMap, BTreeSet};

use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::options::{Hint, ReturnDocument};

use super::{codec, mongo, pipeline as q, MongoStore};
use crate::job::{JobKind, JobStatus, Priority, TenantId};
use crate::lease::ClaimedJob;
use crate::store::fairness::{self, FairClaim};
use crate::store::{ClaimRequest, StoreError, StoreResult};

/// The fields of [`q::FAIR_INDEX`].
pub fn fair_index_keys() -> Document {
    doc! { "status": 1, "priorityRank": 1, "tenant": 1, "runAt": 1 }
}

fn waiting(kind: Option<JobKind>, rank: i32) -> Document {
    let mut filter = doc! {
        "status": { "$in": [JobStatus::Pending.as_str(), JobStatus::Scheduled.as_str()] },
        "priorityRank": rank,
    };
    if let Some(kind) = kind {
        filter.insert("kind", kind.as_str());
    }
    filter
}

fn running_filter(tenant: &str, kind: Option<JobKind>) -> Document {
    let mut filter = doc! { "status": JobStatus::Running.as_str(), "tenant": tenant };
    if let Some(kind) = kind {
        filter.insert("kind", kind.as_str());
    }
    filter.insert("$expr", doc! { "$gte": ["$lockExpiry", q::now()] });
    filter
}

fn tenant_of(value: Bson) -> Option<String> {
    match value {
        Bson::String(s) => Some(s),
        _ => None,
    }
}

impl MongoStore {
    pub(super) async fn fair_claim(&self, request: &ClaimRequest) -> StoreResult<FairClaim> {
        let buried = self.bury_exhausted(None, request.kind).await?;
        if buried > 0 {
            tracing::warn!(
                jobs = buried,
                "leases expired on final attempts: jobs moved to dead"
            );
        }
        let ranks: Vec<i32> = match request.priority {
            Some(p) => vec![p.rank()],
            None => Priority::ALL.iter().map(|p| p.rank()).collect(),
        };
        let expired = self.expired_tenants(request).await?;
        let mut claim = FairClaim::default();
        for rank in ranks {
            if claim.jobs.len() >= request.limit {
                break;
            }
            let mut tenants: BTreeSet<String> = self
                .jobs
                .distinct("tenant", waiting(request.kind, rank))
                .await
                .map_err(mongo)?
                .into_iter()
                .filter_map(tenant_of)
                .collect();
            tenants.extend(expired.get(&rank).into_iter().flatten().cloned());
            let tenants: Vec<String> = tenants.into_iter().collect();
            let order = fairness::rotate(&tenants, request.fairness.after.as_ref());
            self.take_turns(request, rank, order, &mut claim).await?;
        }
        Ok(claim)
    }

    /// Tenants with jobs under an expired lease, by priority rank (rare: only workers
    /// that died leave them).
    async fn expired_tenants(
        &self,
        request: &ClaimRequest,
    ) -> StoreResult<BTreeMap<i32, BTreeSet<String>>> {
        let mut filter = doc! { "status": JobStatus::Running.as_str() };
        if let Some(kind) = request.kind {
            filter.insert("kind", kind.as_str());
        }
        if let Some(p) = request.priority {
            filter.insert("priorityRank", p.rank());
        }
        filter.insert("$expr", doc! { "$lt": ["$lockExpiry", q::now()] });
        let mut cursor = self
            .jobs
            .clone_with_type::<Document>()
            .find(filter)
            .projection(doc! { "tenant": 1, "priorityRank": 1 })
            .hint(Hint::Name(q::LEASE_EXPIRY_INDEX.to_owned()))
            .limit(1_000)
            .await
            .map_err(mongo)?;
        let mut out: BTreeMap<i32, BTreeSet<String>> = BTreeMap::new();
        while let Some(doc) = cursor.try_next().await.map_err(mongo)? {
            if let (Ok(tenant), Ok(rank)) = (doc.get_str("tenant"), doc.get_i32("priorityRank")) {
                out.entry(rank).or_default().insert(tenant.to_owned());
            }
        }
        Ok(out)
    }

    /// Round after round, one job from each tenant still in the game, until the claim
    /// is full or every tenant is out of due work (or at its cap).
    async fn take_turns(
        &self,
        request: &ClaimRequest,
        rank: i32,
        order: Vec<&str>,
        claim: &mut FairClaim,
    ) -> StoreResult<()> {
        // Each tenant still in the game, with its cap and the room under it.
        struct Turn<'a> {
            tenant: &'a str,
            cap: Option<(u64, u64)>,
        }
        let mut active: Vec<Turn> = Vec::with_capacity(order.len());
        for tenant in order {
            let limit = TenantId::parse(tenant)
                .ok()
                .and_then(|t| request.fairness.limits.limit(&t))
                .map(u64::from);
            let cap = match limit {
                None => None,
                Some(limit) => {
                    let room = limit.saturating_sub(self.running(tenant, request).await?);
                    if room == 0 {
                        claim.held_back |= self.has_due(tenant, rank, request).await?;
                        continue;
                    }
                    Some((limit, room))
                }
            };
            active.push(Turn { tenant, cap });
        }
        while !active.is_empty() && claim.jobs.len() < request.limit {
            let mut still = Vec::with_capacity(active.len());
            for mut turn in active {
                if claim.jobs.len() >= request.limit {
                    still.push(turn);
                    continue;
                }
                let Some(job) = self.claim_of(turn.tenant, rank, request).await? else {
                    continue;
                };
                let Some((limit, room)) = turn.cap else {
                    claim.jobs.push(job);
                    still.push(turn);
                    continue;
                };
                if self.running(turn.tenant, request).await? > limit {
                    // Another worker's claim got there first: give this one back.
                    self.fenced(&job.lease, q::release_update()).await?;
                    claim.held_back = true;
                    continue;
                }
                claim.jobs.push(job);
                if room > 1 {
                    turn.cap = Some((limit, room - 1));
                    still.push(turn);
                } else {
                    claim.held_back |= self.has_due(turn.tenant, rank, request).await?;
                }
            }
            active = still;
        }
        Ok(())
    }

    /// Claims `tenant`'s oldest due job at `rank`, if it has one.
    async fn claim_of(
        &self,
        tenant: &str,
        rank: i32,
        request: &ClaimRequest,
    ) -> StoreResult<Option<ClaimedJob>> {
        let mut filter = q::claim_filter(None, request.kind);
        filter.insert("priorityRank", rank);
        filter.insert("tenant", tenant);
        let found = self
            .jobs
            .find_one_and_update(filter, q::claim_update(&request.worker, request.lease))
            .return_document(ReturnDocument::After)
            .sort(doc! { "runAt": 1 })
            .hint(Hint::Name(q::FAIR_INDEX.to_owned()))
            .await
            .map_err(mongo)?;
        match found {
            None => Ok(None),
            Some(doc) => {
                let job = codec::job_from_doc(&doc)?;
                ClaimedJob::from_claimed(job)
                    .map(Some)
                    .ok_or_else(|| StoreError::Corrupt("claimed job has no lease fields".into()))
            }
        }
    }

    /// How many of `tenant`'s jobs (of the request's kind) run under a live lease.
    async fn running(&self, tenant: &str, request: &ClaimRequest) -> StoreResult<u64> {
        self.jobs
            .count_documents(running_filter(tenant, request.kind))
            .await
            .map_err(mongo)
    }

    /// Whether `tenant` has a due job at `rank` (its cap keeps it back).
    async fn has_due(&self, tenant: &str, rank: i32, request: &ClaimRequest) -> StoreResult<bool> {
        let mut filter = q::claim_filter(None, request.kind);
        filter.insert("priorityRank", rank);
        filter.insert("tenant", tenant);
        let found = self
            .jobs
            .clone_with_type::<Document>()
            .find_one(filter)
            .projection(doc! { "_id": 1 })
            .hint(Hint::Name(q::FAIR_INDEX.to_owned()))
            .await
            .map_err(mongo)?;
        Ok(found.is_some())
    }

    /// Up to `limit` tenants with pending jobs of `kind` at `priority`.
    pub(super) async fn pending_tenants(
        &self,
        kind: JobKind,
        priority: Priority,
        limit: usize,
    ) -> StoreResult<Vec<TenantId>> {
        let filter = doc! {
            "status": JobStatus::Pending.as_str(),
            "priorityRank": priority.rank(),
            "kind": kind.as_str(),
        };
        let mut tenants: Vec<String> = self
            .jobs
            .distinct("tenant", filter)
            .await
            .map_err(mongo)?
            .into_iter()
            .filter_map(tenant_of)
            .collect();
        tenants.sort();
        tenants
            .into_iter()
            .take(limit)
            .map(|t| {
                TenantId::parse(&t)
                    .map_err(|e| StoreError::Corrupt(format!("stored tenant {t:?}: {e}")))
            })
            .collect()
    }
}
