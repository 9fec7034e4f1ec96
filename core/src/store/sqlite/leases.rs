//! The worker's view: claims (by id, in batches, and the poller's claim of due jobs,
//! which also buries jobs whose lease expired on their last attempt) and every write
//! after a claim — renew, complete, fail, snooze, release — fenced on the lease.

use std::time::Duration;

use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{named_params, Connection, OptionalExtension, Transaction};

use super::codec::{history_append, query_jobs, select_job, to_time, COLUMNS};
use super::{immediate, sql, Now, SqliteStore};
use crate::job::{JobId, JobKind, Priority, TenantId};
use crate::lease::{ClaimedJob, Lease, WorkerId};
use crate::store::fairness::{self, FairClaim};
use crate::store::{
    millis, ClaimOutcome, ClaimRequest, FailOutcome, LeaseStore, NotClaimed, Retry, StoreError,
    StoreResult,
};

/// Claimable: waiting and due, or running under an expired lease; attempts left.
const CLAIMABLE: &str = "((status IN ('pending', 'scheduled') AND runAt <= :now) \
    OR (status = 'running' AND lockExpiry < :now)) AND attempts < maxAttempts";

/// The fence every write after a claim matches on.
const FENCE: &str =
    "_id = :id AND lockedBy = :worker AND leaseVersion = :version AND status = 'running'";

/// A history entry for the current attempt, written by the current holder.
fn holder_entry(outcome: &str, error_param: Option<&str>) -> String {
    let error = match error_param {
        Some(param) => format!(", 'error', {param}"),
        None => String::new(),
    };
    format!(
        "json_object('at', :now_iso, 'attempt', attempts, 'worker', lockedBy, \
         'outcome', '{outcome}'{error})"
    )
}

/// Moves jobs whose lease expired on their final attempt to dead (crash loops end).
fn bury_exhausted(
    tx: &Transaction<'_>,
    now: &Now,
    id: Option<&str>,
    kind: Option<&str>,
) -> StoreResult<usize> {
    let entry = "json_object('at', :now_iso, 'attempt', attempts, 'worker', lockedBy, \
                 'outcome', 'lease_expired', 'error', 'lease expired on the final attempt')";
    let statement = format!(
        "UPDATE jobs SET status = 'dead', lastError = 'lease expired on the final attempt \
         (worker ' || COALESCE(lockedBy, '?') || ' stopped renewing)', history = {history}, \
         lockedBy = NULL, lockedAt = NULL, lockExpiry = NULL, completedAt = :now, updatedAt = :now \
         WHERE status = 'running' AND lockExpiry < :now AND attempts >= maxAttempts \
         AND (:id IS NULL OR _id = :id) AND (:kind IS NULL OR kind = :kind)",
        history = history_append(entry)
    );
    tx.prepare_cached(&statement)
        .and_then(|mut s| {
            s.execute(named_params! {":now": now.ms, ":now_iso": now.iso, ":id": id, ":kind": kind})
        })
        .map_err(sql)
}

/// The claim write for one id; `None` when the job is not claimable.
fn claim_one(
    tx: &Transaction<'_>,
    id: &str,
    worker: &WorkerId,
    lease: Duration,
    now: &Now,
) -> StoreResult<Option<ClaimedJob>> {
    let expired_entry = "json_object('at', :now_iso, 'attempt', attempts, 'worker', lockedBy, \
                         'outcome', 'lease_expired', 'error', 'lease expired')";
    let statement = format!(
        "UPDATE jobs SET status = 'running', lockedBy = :worker, lockedAt = :now, \
         lockExpiry = :expiry, attempts = attempts + 1, leaseVersion = leaseVersion + 1, \
         updatedAt = :now, \
         history = CASE WHEN status = 'running' THEN {history} ELSE history END \
         WHERE _id = :id AND {CLAIMABLE} RETURNING {COLUMNS}",
        history = history_append(expired_entry)
    );
    let jobs = query_jobs(
        tx,
        &statement,
        named_params! {
            ":id": id,
            ":worker": worker.as_str(),
            ":now": now.ms,
            ":now_iso": now.iso,
            ":expiry": now.ms.saturating_add(millis(lease)),
        },
    )?;
    match jobs.into_iter().next() {
        Some(job) => ClaimedJob::from_claimed(job)
            .map(Some)
            .ok_or_else(|| StoreError::Corrupt("claimed job has no lease fields".into())),
        None => Ok(None),
    }
}

/// Runs a fenced UPDATE; no matching row means the lease was lost.
pub(super) fn fenced(
    tx: &Connection,
    set: &str,
    lease: &Lease,
    now: &Now,
    extra: &[(&str, &dyn rusqlite::ToSql)],
) -> StoreResult<()> {
    fenced_where(tx, set, "", lease, now, extra)
}

/// [`fenced`] with an extra condition (`AND ...`) on the row.
fn fenced_where(
    tx: &Connection,
    set: &str,
    condition: &str,
    lease: &Lease,
    now: &Now,
    extra: &[(&str, &dyn rusqlite::ToSql)],
) -> StoreResult<()> {
    let statement = format!("UPDATE jobs SET {set} WHERE {FENCE}{condition}");
    let version = i64::try_from(lease.version).map_err(|e| StoreError::Other(anyhow!(e)))?;
    let (id, worker) = (lease.job_id.as_str(), lease.worker.as_str());
    let mut params: Vec<(&str, &dyn rusqlite::ToSql)> = vec![
        (":id", &id as &dyn rusqlite::ToSql),
        (":worker", &worker),
        (":version", &version),
        (":now", &now.ms),
        (":now_iso", &now.iso),
    ];
    params.extend_from_slice(extra);
    let mut stmt = tx.prepare_cached(&statement).map_err(sql)?;
    // `prepare_cached` binds only the parameters the statement names.
    let params: Vec<_> = params
        .into_iter()
        .filter(|(name, _)| stmt.parameter_index(name).ok().flatten().is_some())
        .collect();
    match stmt.execute(params.as_slice()).map_err(sql)? {
        0 => Err(StoreError::LeaseLost),
        _ => Ok(()),
    }
}

pub(super) fn complete_set() -> String {
    format!(
        "status = 'succeeded', completedAt = :now, updatedAt = :now, lockedBy = NULL, \
         lockedAt = NULL, lockExpiry = NULL, history = {}",
        history_append(&holder_entry("succeeded", None))
    )
}

#[async_trait]
impl LeaseStore for SqliteStore {
    async fn claim(
        &self,
        id: &JobId,
        worker: &WorkerId,
        lease: Duration,
    ) -> StoreResult<ClaimOutcome> {
        let (id, worker) = (id.as_str().to_owned(), worker.clone());
        let now = self.now();
        self.pool
            .run(move |conn| {
                let tx = immediate(conn)?;
                let outcome = claim_by_id(&tx, &id, &worker, lease, &now)?;
                tx.commit().map_err(sql)?;
                Ok(outcome)
            })
            .await
    }

    async fn claim_many(
        &self,
        ids: &[JobId],
        worker: &WorkerId,
        lease: Duration,
    ) -> StoreResult<Vec<ClaimOutcome>> {
        let ids: Vec<String> = ids.iter().map(|id| id.as_str().to_owned()).collect();
        let worker = worker.clone();
        let now = self.now();
        self.pool
            .run(move |conn| {
                let tx = immediate(conn)?;
                let mut outcomes = Vec::with_capacity(ids.len());
                for id in &ids {
                    outcomes.push(claim_by_id(&tx, id, &worker, lease, &now)?);
                }
                tx.commit().map_err(sql)?;
                Ok(outcomes)
            })
            .await
    }

    async fn claim_fair(&self, request: &ClaimRequest) -> StoreResult<FairClaim> {
        let request = request.clone();
        let now = self.now();
        self.pool
            .run(move |conn| {
                let tx = immediate(conn)?;
                let kind = request.kind.map(JobKind::as_str);
                let buried = bury_exhausted(&tx, &now, None, kind)?;
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
                let mut claim = FairClaim::default();
                for rank in ranks {
                    let need = request.limit.saturating_sub(claim.jobs.len());
                    if need == 0 {
                        break;
                    }
                    let (ids, held_back) = fair_picks(&tx, &request, rank, need, &now)?;
                    claim.held_back |= held_back;
                    for id in ids {
                        if let Some(job) =
                            claim_one(&tx, &id, &request.worker, request.lease, &now)?
                        {
                            claim.jobs.push(job);
                        }
                    }
                }
                tx.commit().map_err(sql)?;
                Ok(claim)
            })
            .await
    }

    async fn waiting_tenants(
        &self,
        kind: JobKind,
        priority: Priority,
        limit: usize,
    ) -> StoreResult<Vec<TenantId>> {
        let now = self.now();
        self.pool
            .run(move |conn| {
                let mut tenants = Vec::new();
                let mut after = String::new();
                // Bounded: tenants whose jobs all wait for a later time are passed over.
                for _ in 0..limit.saturating_add(MAX_IDLE_TENANTS) {
                    if tenants.len() >= limit {
                        break;
                    }
                    let Some(tenant) = next_waiting_tenant(conn, priority.rank(), &after)? else {
                        break;
                    };
                    let due =
                        tenant_due(conn, priority.rank(), &tenant, Some(kind.as_str()), 1, &now)?;
                    if !due.is_empty() {
                        tenants.push(TenantId::parse(&tenant).map_err(|e| {
                            StoreError::Corrupt(format!("stored tenant {tenant:?}: {e}"))
                        })?);
                    }
                    after = tenant;
                }
                Ok(tenants)
            })
            .await
    }

    async fn renew(&self, lease: &Lease, lease_for: Duration) -> StoreResult<Lease> {
        let lease = lease.clone();
        let now = self.now();
        self.pool
            .run(move |conn| {
                let expiry = now.ms.saturating_add(millis(lease_for));
                // A lease that already expired by the store's clock cannot be revived,
                // even if nobody has taken the job yet.
                fenced_where(
                    conn,
                    "lockExpiry = :expiry, updatedAt = :now",
                    " AND lockExpiry >= :now",
                    &lease,
                    &now,
                    &[(":expiry", &expiry)],
                )?;
                Ok(Lease {
                    expires_at: to_time(expiry)?,
                    ..lease
                })
            })
            .await
    }

    async fn complete(&self, lease: &Lease) -> StoreResult<()> {
        let lease = lease.clone();
        let now = self.now();
        self.pool
            .run(move |conn| fenced(conn, &complete_set(), &lease, &now, &[]))
            .await
    }

    async fn complete_many(&self, leases: &[Lease]) -> StoreResult<Vec<StoreResult<()>>> {
        let leases = leases.to_vec();
        let now = self.now();
        self.pool
            .run(move |conn| {
                let tx = immediate(conn)?;
                let set = complete_set();
                let mut results = Vec::with_capacity(leases.len());
                for lease in &leases {
                    match fenced(&tx, &set, lease, &now, &[]) {
                        Err(StoreError::Unavailable(e)) => return Err(StoreError::Unavailable(e)),
                        other => results.push(other),
                    }
                }
                tx.commit().map_err(sql)?;
                Ok(results)
            })
            .await
    }

    async fn fail(&self, lease: &Lease, error: &str, retry: Retry) -> StoreResult<FailOutcome> {
        let lease = lease.clone();
        let error = crate::store::truncate_error(error);
        let now = self.now();
        self.pool
            .run(move |conn| {
                let tx = immediate(conn)?;
                let version = i64::try_from(lease.version).map_err(|e| StoreError::Other(anyhow!(e)))?;
                let spent: Option<(u32, u32)> = tx
                    .query_row(
                        &format!("SELECT attempts, maxAttempts FROM jobs WHERE {FENCE}"),
                        named_params! {":id": lease.job_id.as_str(), ":worker": lease.worker.as_str(), ":version": version},
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()
                    .map_err(sql)?;
                let (attempts, max_attempts) = spent.ok_or(StoreError::LeaseLost)?;
                let outcome = match retry {
                    Retry::After(delay) if attempts < max_attempts => FailOutcome::Scheduled {
                        run_at: to_time(now.ms.saturating_add(millis(delay)))?,
                    },
                    _ => FailOutcome::Dead,
                };
                let (status, history_outcome, run_at, completed) = match outcome {
                    FailOutcome::Scheduled { run_at } => ("scheduled", "retrying", run_at.timestamp_millis(), None),
                    FailOutcome::Dead => ("dead", "dead", now.ms, Some(now.ms)),
                };
                let set = format!(
                    "status = :status, runAt = :runAt, lastError = :error, completedAt = :completed, \
                     updatedAt = :now, lockedBy = NULL, lockedAt = NULL, lockExpiry = NULL, history = {}",
                    history_append(&holder_entry(history_outcome, Some(":error")))
                );
                fenced(
                    &tx,
                    &set,
                    &lease,
                    &now,
                    &[(":status", &status), (":runAt", &run_at), (":error", &error), (":completed", &completed)],
                )?;
                tx.commit().map_err(sql)?;
                Ok(outcome)
            })
            .await
    }

    async fn snooze(
        &self,
        lease: &Lease,
        delay: Duration,
        reason: &str,
    ) -> StoreResult<DateTime<Utc>> {
        let lease = lease.clone();
        let reason = crate::store::truncate_error(reason);
        let now = self.now();
        self.pool
            .run(move |conn| {
                let run_at = now.ms.saturating_add(millis(delay));
                let set = format!(
                    "status = 'scheduled', runAt = :runAt, attempts = attempts - 1, updatedAt = :now, \
                     lockedBy = NULL, lockedAt = NULL, lockExpiry = NULL, history = {}",
                    history_append(&holder_entry("snoozed", Some(":reason")))
                );
                fenced(conn, &set, &lease, &now, &[(":runAt", &run_at), (":reason", &reason)])?;
                to_time(run_at)
            })
            .await
    }

    async fn release(&self, lease: &Lease) -> StoreResult<()> {
        let lease = lease.clone();
        let now = self.now();
        self.pool
            .run(move |conn| {
                let set = format!(
                    "status = 'pending', runAt = MIN(runAt, :now), attempts = attempts - 1, \
                     updatedAt = :now, lockedBy = NULL, lockedAt = NULL, lockExpiry = NULL, history = {}",
                    history_append(&holder_entry("released", None))
                );
                fenced(conn, &set, &lease, &now, &[])
            })
            .await
    }
}

/// One claim by id inside a transaction: the claim write, or why it did not apply.
fn claim_by_id(
    tx: &Transaction<'_>,
    id: &str,
    worker: &WorkerId,
    lease: Duration,
    now: &Now,
) -> StoreResult<ClaimOutcome> {
    if let Some(claimed) = claim_one(tx, id, worker, lease, now)? {
        return Ok(ClaimOutcome::Claimed(Box::new(claimed)));
    }
    let why = if bury_exhausted(tx, now, Some(id), None)? > 0 {
        NotClaimed::Exhausted
    } else {
        match select_job(tx, None, id)? {
            None => NotClaimed::NotFound,
            Some(job) => NotClaimed::describe(&job),
        }
    };
    Ok(ClaimOutcome::NotClaimed(why))
}

/// How many tenants with nothing due a fair claim passes over before it stops looking:
/// it bounds the cost of a claim when many tenants have only later work.
const MAX_IDLE_TENANTS: usize = 256;

/// The next tenant, in name order after `after`, with jobs waiting at `rank` (due or
/// not): one seek in `jobs_fair`.
fn next_waiting_tenant(conn: &Connection, rank: i32, after: &str) -> StoreResult<Option<String>> {
    conn.prepare_cached(
        "SELECT MIN(tenant) FROM jobs INDEXED BY jobs_fair \
         WHERE status IN ('pending', 'scheduled') AND priorityRank = :rank AND tenant > :after",
    )
    .and_then(|mut s| s.query_row(named_params! {":rank": rank, ":after": after}, |r| r.get(0)))
    .map_err(sql)
}

/// Up to `limit` of `tenant`'s due waiting jobs at `rank`, oldest first.
fn tenant_due(
    conn: &Connection,
    rank: i32,
    tenant: &str,
    kind: Option<&str>,
    limit: usize,
    now: &Now,
) -> StoreResult<Vec<String>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn
        .prepare_cached(
            "SELECT _id FROM jobs INDEXED BY jobs_fair \
             WHERE status IN ('pending', 'scheduled') AND priorityRank = :rank \
             AND tenant = :tenant AND runAt <= :now AND attempts < maxAttempts \
             AND (:kind IS NULL OR kind = :kind) ORDER BY runAt LIMIT :limit",
        )
        .map_err(sql)?;
    let rows = stmt
        .query_map(
            named_params! {":rank": rank, ":tenant": tenant, ":now": now.ms, ":kind": kind, ":limit": limit},
            |r| r.get(0),
        )
        .map_err(sql)?;
    rows.collect::<Result<_, _>>().map_err(sql)
}

/// How many of `tenant`'s jobs (of `kind`) run under a live lease.
fn running(conn: &Connection, tenant: &str, kind: Option<&str>, now: &Now) -> StoreResult<u64> {
    conn.prepare_cached(
        "SELECT COUNT(*) FROM jobs INDEXED BY jobs_tenant_running \
         WHERE status = 'running' AND tenant = :tenant AND (:kind IS NULL OR kind = :kind) \
         AND lockExpiry >= :now",
    )
    .and_then(|mut s| {
        s.query_row(
            named_params! {":tenant": tenant, ":kind": kind, ":now": now.ms},
            |r| r.get::<_, i64>(0),
        )
    })
    .map(|n| u64::try_from(n).unwrap_or(0))
    .map_err(sql)
}

/// The ids one fair claim takes at `rank`, in turn order, and whether a cap kept a
/// tenant's due jobs back. Jobs under an expired lease come first in their tenant's
/// queue (they have waited longest); then its due waiting jobs, oldest first.
fn fair_picks(
    tx: &Transaction<'_>,
    request: &ClaimRequest,
    rank: i32,
    need: usize,
    now: &Now,
) -> StoreResult<(Vec<String>, bool)> {
    let kind = request.kind.map(JobKind::as_str);
    let limit = i64::try_from(need).unwrap_or(i64::MAX);
    // Expired leases, grouped by tenant (rare: only dead workers leave them).
    let mut expired: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    {
        let mut stmt = tx
            .prepare_cached(
                "SELECT tenant, _id FROM jobs WHERE status = 'running' AND lockExpiry < :now \
                 AND priorityRank = :rank AND attempts < maxAttempts \
                 AND (:kind IS NULL OR kind = :kind) ORDER BY lockExpiry LIMIT :limit",
            )
            .map_err(sql)?;
        let rows = stmt
            .query_map(
                named_params! {":now": now.ms, ":rank": rank, ":kind": kind, ":limit": limit},
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .map_err(sql)?;
        for row in rows {
            let (tenant, id) = row.map_err(sql)?;
            expired.entry(tenant).or_default().push(id);
        }
    }
    // The tenants with work at this rank, in rotation order: those after the tenant
    // served last, then from the first round to it. The walk is bounded, so a claim
    // costs the same however many tenants wait; the rotation reaches every one in turn.
    let start = request
        .fairness
        .after
        .as_ref()
        .map_or_else(String::new, |t| t.as_str().to_owned());
    let mut tenants: Vec<String> = Vec::new();
    let (mut cursor, mut wrapped) = (start.clone(), false);
    while tenants.len() < need.saturating_add(MAX_IDLE_TENANTS) {
        match next_waiting_tenant(tx, rank, &cursor)? {
            Some(tenant) if wrapped && tenant > start => break,
            Some(tenant) => {
                cursor.clone_from(&tenant);
                tenants.push(tenant);
            }
            None if !wrapped && !start.is_empty() => {
                wrapped = true;
                cursor.clear();
            }
            None => break,
        }
    }
    for tenant in expired.keys() {
        if !tenants.contains(tenant) {
            tenants.insert(0, tenant.clone());
        }
    }
    let mut held_back = false;
    let mut queues = Vec::new();
    let mut served = 0usize;
    for tenant in &tenants {
        if served >= need {
            break;
        }
        let mut allowed = need;
        let limit = TenantId::parse(tenant)
            .ok()
            .and_then(|t| request.fairness.limits.limit(&t));
        if let Some(limit) = limit {
            let free = u64::from(limit).saturating_sub(running(tx, tenant, kind, now)?);
            allowed = allowed.min(usize::try_from(free).unwrap_or(usize::MAX));
        }
        let mut queue: Vec<String> = expired.get(tenant).cloned().unwrap_or_default();
        // One more than allowed, to see whether the cap keeps any back.
        let want = allowed.saturating_add(1).saturating_sub(queue.len());
        if want > 0 {
            queue.extend(tenant_due(tx, rank, tenant, kind, want, now)?);
        }
        if queue.len() > allowed {
            held_back |= limit.is_some();
            queue.truncate(allowed);
        }
        if !queue.is_empty() {
            served += 1;
            queues.push(queue);
        }
    }
    Ok((fairness::interleave(queues, need), held_back))
}
