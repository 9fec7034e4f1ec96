//! The API's view of jobs: insert (idempotent, batches in one transaction), get,
//! list, cancel and re-drive (checked against the state machine), counts.

use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{named_params, OptionalExtension, Transaction};

use super::codec::{corrupt, history_append, opt_time, query_jobs, select_job, COLUMNS};
use super::{immediate, sql, Now, SqliteStore};
use crate::job::{
    InvalidTransition, Job, JobId, JobKind, JobStatus, NewJob, Priority, TenantId, Transition,
};
use crate::store::{
    BulkAction, BulkOutcome, BulkRequest, Inserted, JobStore, Lifecycle, ListFilter, Page,
    PageRequest, QueueRow, StateCounts, StoreError, StoreResult, BULK_MAX,
};

pub(super) fn insert_one(
    tx: &Transaction<'_>,
    job: NewJob,
    now: &Now,
    now_t: DateTime<Utc>,
    lifecycle: &Lifecycle,
) -> StoreResult<Inserted> {
    if let Some(key) = &job.idempotency_key {
        let holder: Option<(String, Option<String>)> = tx
            .prepare_cached(
                "SELECT _id, requestDigest FROM jobs WHERE tenant = :tenant AND idempotencyKey = :key",
            )
            .map_err(sql)?
            .query_row(named_params! {":tenant": job.tenant.as_str(), ":key": key}, |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(sql)?;
        if let Some((id, digest)) = holder {
            let existing = select_job(tx, None, &id)?.ok_or(StoreError::NotFound)?;
            if lifecycle.key_expired(existing.created_at, now_t) {
                // The key outlived IDEMPOTENCY_TTL: its job keeps running its course
                // without it, and this request is new.
                tx.prepare_cached("UPDATE jobs SET idempotencyKey = NULL WHERE _id = :id")
                    .map_err(sql)?
                    .execute(named_params! {":id": id})
                    .map_err(sql)?;
            } else if digest.is_some()
                && job.request_digest.is_some()
                && digest != job.request_digest
            {
                return Err(StoreError::IdempotencyKeyReused);
            } else {
                return Ok(Inserted::Existing(existing));
            }
        }
    }
    let status = job.initial_status(now_t);
    let run_at = job.run_at.unwrap_or(now_t).timestamp_millis();
    let payload = serde_json::to_string(&job.payload).map_err(|e| StoreError::Other(anyhow!(e)))?;
    let inserted = query_jobs(
        tx,
        &format!(
            "INSERT INTO jobs (_id, kind, tenant, priority, priorityRank, status, payload, runAt, \
             attempts, maxAttempts, leaseVersion, idempotencyKey, requestDigest, createdAt, \
             updatedAt, history) \
             VALUES (:id, :kind, :tenant, :priority, :rank, :status, :payload, :runAt, 0, \
             :maxAttempts, 0, :key, :digest, :now, :now, '[]') RETURNING {COLUMNS}"
        ),
        named_params! {
            ":id": job.id.as_str(),
            ":kind": job.kind.as_str(),
            ":tenant": job.tenant.as_str(),
            ":priority": job.priority.as_str(),
            ":rank": job.priority.rank(),
            ":status": status.as_str(),
            ":payload": payload,
            ":runAt": run_at,
            ":maxAttempts": job.max_attempts.max(1),
            ":key": job.idempotency_key,
            ":digest": job.request_digest,
            ":now": now.ms,
        },
    )?;
    inserted
        .into_iter()
        .next()
        .map(Inserted::Created)
        .ok_or_else(|| StoreError::Other(anyhow!("insert returned no row")))
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn insert(&self, job: NewJob) -> StoreResult<Inserted> {
        let mut all = self.insert_many(vec![job]).await?;
        all.pop()
            .ok_or_else(|| StoreError::Other(anyhow!("insert returned nothing")))
    }

    async fn insert_many(&self, jobs: Vec<NewJob>) -> StoreResult<Vec<Inserted>> {
        let now_t = self.clock.now();
        let lifecycle = self.pool.config.lifecycle;
        self.pool
            .run(move |conn| {
                let now = Now::from(now_t);
                let tx = immediate(conn)?;
                let mut out = Vec::with_capacity(jobs.len());
                for job in jobs {
                    out.push(insert_one(&tx, job, &now, now_t, &lifecycle)?);
                }
                tx.commit().map_err(sql)?;
                Ok(out)
            })
            .await
    }

    async fn get(&self, tenant: &TenantId, id: &JobId) -> StoreResult<Job> {
        let (tenant, id) = (tenant.as_str().to_owned(), id.as_str().to_owned());
        self.pool
            .run(move |conn| select_job(conn, Some(&tenant), &id)?.ok_or(StoreError::NotFound))
            .await
    }

    async fn list(
        &self,
        tenant: &TenantId,
        filter: &ListFilter,
        page: &PageRequest,
    ) -> StoreResult<Page> {
        let mut wanted = Wanted::new(tenant, filter);
        if let Some(cursor) = &page.cursor {
            wanted.clause("_id < :cursor", ":cursor", cursor.as_str().to_owned());
        }
        let limit = page.limit.clamp(1, PageRequest::MAX_LIMIT);
        self.pool
            .run(move |conn| {
                let mut params = wanted.params();
                let fetch = i64::from(limit) + 1;
                params.push((":limit", &fetch));
                let mut items = query_jobs(
                    conn,
                    &format!(
                        "SELECT {COLUMNS} FROM jobs WHERE {} ORDER BY _id DESC LIMIT :limit",
                        wanted.sql()
                    ),
                    &params,
                )?;
                let more = items.len() > limit as usize;
                items.truncate(limit as usize);
                let next_cursor = if more {
                    items.last().map(|j| j.id.clone())
                } else {
                    None
                };
                Ok(Page { items, next_cursor })
            })
            .await
    }

    async fn cancel(&self, tenant: &TenantId, id: &JobId) -> StoreResult<Job> {
        self.client_transition(tenant, id, Transition::Cancel).await
    }

    async fn redrive(&self, tenant: &TenantId, id: &JobId) -> StoreResult<Job> {
        self.client_transition(tenant, id, Transition::Redrive)
            .await
    }

    /// Six rows of `job_counts`, kept by triggers on every status change.
    async fn counts(&self) -> StoreResult<StateCounts> {
        self.pool
            .run(|conn| {
                let mut stmt = conn
                    .prepare_cached("SELECT status, n FROM job_counts WHERE n > 0")
                    .map_err(sql)?;
                let mut rows = stmt.query([]).map_err(sql)?;
                let mut counts = StateCounts::default();
                while let Some(row) = rows.next().map_err(sql)? {
                    let status: String = row.get(0).map_err(sql)?;
                    let n: i64 = row.get(1).map_err(sql)?;
                    let status = status.parse::<JobStatus>().map_err(corrupt)?;
                    counts.0.insert(status, u64::try_from(n).unwrap_or(0));
                }
                Ok(counts)
            })
            .await
    }

    async fn find_by_idempotency_key(&self, tenant: &TenantId, key: &str) -> StoreResult<Job> {
        let (tenant, key) = (tenant.as_str().to_owned(), key.to_owned());
        self.pool
            .run(move |conn| {
                query_jobs(
                    conn,
                    &format!(
                        "SELECT {COLUMNS} FROM jobs WHERE tenant = :tenant AND idempotencyKey = :key"
                    ),
                    named_params! {":tenant": tenant, ":key": key},
                )?
                .into_iter()
                .next()
                .ok_or(StoreError::NotFound)
            })
            .await
    }

    async fn summarize(
        &self,
        tenant: &TenantId,
        since: DateTime<Utc>,
        cap: u64,
    ) -> StoreResult<Vec<QueueRow>> {
        let tenant = tenant.as_str().to_owned();
        let now = self.now().ms;
        let since = since.timestamp_millis();
        let cap = i64::try_from(cap).unwrap_or(i64::MAX);
        self.pool
            .run(move |conn| {
                // Bounded counts: each is a range of `jobs_tenant_summary` read up to `cap`.
                let mut count = conn
                    .prepare_cached(
                        "SELECT COUNT(*) FROM (SELECT 1 FROM jobs WHERE tenant = :tenant \
                         AND kind = :kind AND priority = :priority AND status = :status \
                         LIMIT :cap)",
                    )
                    .map_err(sql)?;
                let mut oldest = conn
                    .prepare_cached(
                        "SELECT runAt FROM jobs WHERE tenant = :tenant AND kind = :kind \
                         AND priority = :priority AND status = :status AND runAt <= :now \
                         ORDER BY runAt LIMIT 1",
                    )
                    .map_err(sql)?;
                let mut finished = conn
                    .prepare_cached(
                        "SELECT COUNT(*) FROM (SELECT 1 FROM jobs WHERE tenant = :tenant \
                         AND kind = :kind AND priority = :priority AND status = 'succeeded' \
                         AND completedAt >= :since LIMIT :cap)",
                    )
                    .map_err(sql)?;
                let mut rows = Vec::new();
                for &kind in JobKind::ALL {
                    for &priority in Priority::ALL {
                        let (k, p) = (kind.as_str(), priority.as_str());
                        let mut counts = StateCounts::default();
                        for &status in JobStatus::ALL {
                            let n: i64 = count
                                .query_row(
                                    named_params! {":tenant": tenant, ":kind": k, ":priority": p,
                                    ":status": status.as_str(), ":cap": cap},
                                    |row| row.get(0),
                                )
                                .map_err(sql)?;
                            if n > 0 {
                                counts.0.insert(status, u64::try_from(n).unwrap_or(0));
                            }
                        }
                        let mut oldest_ready: Option<i64> = None;
                        for status in [JobStatus::Pending, JobStatus::Scheduled] {
                            let at: Option<i64> = oldest
                                .query_row(
                                    named_params! {":tenant": tenant, ":kind": k, ":priority": p,
                                    ":status": status.as_str(), ":now": now},
                                    |row| row.get(0),
                                )
                                .optional()
                                .map_err(sql)?;
                            oldest_ready = match (oldest_ready, at) {
                                (Some(a), Some(b)) => Some(a.min(b)),
                                (a, b) => a.or(b),
                            };
                        }
                        let succeeded: i64 = finished
                            .query_row(
                                named_params! {":tenant": tenant, ":kind": k, ":priority": p,
                                ":since": since, ":cap": cap},
                                |row| row.get(0),
                            )
                            .map_err(sql)?;
                        rows.push(QueueRow {
                            kind,
                            priority,
                            counts,
                            oldest_ready: opt_time(oldest_ready)?,
                            succeeded_since: u64::try_from(succeeded).unwrap_or(0),
                        });
                    }
                }
                Ok(rows)
            })
            .await
    }

    async fn count_matching(
        &self,
        tenant: &TenantId,
        filter: &ListFilter,
        cap: u64,
    ) -> StoreResult<u64> {
        let wanted = Wanted::new(tenant, filter);
        let cap = i64::try_from(cap).unwrap_or(i64::MAX);
        self.pool
            .run(move |conn| {
                let mut params = wanted.params();
                params.push((":cap", &cap));
                let n: i64 = conn
                    .prepare_cached(&format!(
                        "SELECT COUNT(*) FROM (SELECT 1 FROM jobs WHERE {} LIMIT :cap)",
                        wanted.sql()
                    ))
                    .map_err(sql)?
                    .query_row(params.as_slice(), |row| row.get(0))
                    .map_err(sql)?;
                Ok(u64::try_from(n).unwrap_or(0))
            })
            .await
    }

    async fn bulk_transition(
        &self,
        tenant: &TenantId,
        request: &BulkRequest,
    ) -> StoreResult<BulkOutcome> {
        let wanted = Wanted::bulk(tenant, request);
        let limit = request.limit.clamp(1, BULK_MAX);
        // The same write as one re-drive or cancel (`client_transition`), on a bounded set.
        let set = match request.action {
            BulkAction::Redrive => "status = 'pending', attempts = 0, runAt = :now, \
                 completedAt = NULL, updatedAt = :now"
                .to_owned(),
            BulkAction::Cancel => format!(
                "status = 'cancelled', completedAt = :now, updatedAt = :now, history = {}",
                history_append(
                    "json_object('at', :now_iso, 'attempt', attempts, 'worker', NULL, \
                     'outcome', 'cancelled')"
                )
            ),
        };
        let now = self.now();
        self.pool
            .run(move |conn| {
                let tx = immediate(conn)?;
                let limit_sql = i64::from(limit);
                let mut params = wanted.params();
                params.push((":limit", &limit_sql));
                params.push((":now", &now.ms));
                if set.contains(":now_iso") {
                    params.push((":now_iso", &now.iso));
                }
                // Selected and changed in one statement, inside the write lock: every
                // job the step selects moves.
                let jobs = query_jobs(
                    &tx,
                    &format!(
                        "UPDATE jobs SET {set} WHERE _id IN \
                         (SELECT _id FROM jobs WHERE {} ORDER BY _id DESC LIMIT :limit) \
                         RETURNING {COLUMNS}",
                        wanted.sql()
                    ),
                    &params,
                )?;
                tx.commit().map_err(sql)?;
                let mut selected: Vec<JobId> = jobs.iter().map(|j| j.id.clone()).collect();
                selected.sort_by(|a, b| b.as_str().cmp(a.as_str()));
                Ok(BulkOutcome::new(&selected, limit, jobs))
            })
            .await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.pool
            .run(|conn| conn.query_row("SELECT 1", [], |_| Ok(())).map_err(sql))
            .await
    }
}

/// The `WHERE` of a tenant's filtered read: only the clauses a filter sets, so that
/// SQLite picks the index of that filter (an `(:x IS NULL OR x = :x)` clause defeats
/// every index but the tenant's).
struct Wanted {
    clauses: Vec<String>,
    values: Vec<(&'static str, rusqlite::types::Value)>,
}

impl Wanted {
    fn new(tenant: &TenantId, filter: &ListFilter) -> Self {
        let mut wanted = Self {
            clauses: Vec::new(),
            values: Vec::new(),
        };
        wanted.clause("tenant = :tenant", ":tenant", tenant.as_str().to_owned());
        if let Some(status) = filter.status {
            wanted.clause("status = :status", ":status", status.as_str().to_owned());
        }
        if let Some(kind) = filter.kind {
            wanted.clause("kind = :kind", ":kind", kind.as_str().to_owned());
        }
        if let Some(priority) = filter.priority {
            wanted.clause(
                "priority = :priority",
                ":priority",
                priority.as_str().to_owned(),
            );
        }
        if let Some(channel) = filter.channel {
            wanted.clause(
                "channel = :channel",
                ":channel",
                channel.as_str().to_owned(),
            );
        }
        wanted
    }

    /// The `WHERE` of a bulk step: the filter's clauses, the action's starting
    /// statuses, and the cursor.
    fn bulk(tenant: &TenantId, request: &BulkRequest) -> Self {
        let f = &request.filter;
        let mut wanted = Self::new(tenant, &f.listed());
        wanted
            .clauses
            .push(format!("status IN ({})", statuses(request.action.from())));
        if let Some(after) = f.created_after {
            wanted.clause(
                "createdAt > :created_after",
                ":created_after",
                after.timestamp_millis(),
            );
        }
        if let Some(before) = f.created_before {
            let before = before.timestamp_millis();
            wanted.clause("createdAt < :created_before", ":created_before", before);
        }
        if let Some(text) = &f.error_contains {
            let text = text.clone();
            wanted.clause("instr(lastError, :error_text) > 0", ":error_text", text);
        }
        if let Some(ids) = &f.ids {
            // One parameter whatever the count: a JSON array read by `json_each`.
            let ids = serde_json::Value::from(ids.iter().map(JobId::as_str).collect::<Vec<_>>());
            wanted.clause(
                "_id IN (SELECT value FROM json_each(:ids))",
                ":ids",
                ids.to_string(),
            );
        }
        if let Some(cursor) = &request.cursor {
            wanted.clause("_id < :cursor", ":cursor", cursor.as_str().to_owned());
        }
        wanted
    }

    fn clause(
        &mut self,
        sql: &'static str,
        name: &'static str,
        value: impl Into<rusqlite::types::Value>,
    ) {
        self.clauses.push(sql.to_owned());
        self.values.push((name, value.into()));
    }

    fn sql(&self) -> String {
        self.clauses.join(" AND ")
    }

    fn params(&self) -> Vec<(&str, &dyn rusqlite::ToSql)> {
        self.values
            .iter()
            .map(|(name, value)| (*name, value as &dyn rusqlite::ToSql))
            .collect()
    }
}

/// Statuses as an SQL list: `'pending', 'scheduled'`.
fn statuses(from: &[JobStatus]) -> String {
    from.iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl SqliteStore {
    /// Cancel and re-drive: a client's state change, checked against the state machine.
    async fn client_transition(
        &self,
        tenant: &TenantId,
        id: &JobId,
        transition: Transition,
    ) -> StoreResult<Job> {
        let (tenant, id) = (tenant.as_str().to_owned(), id.as_str().to_owned());
        let now = self.now();
        self.pool
            .run(move |conn| {
                let tx = immediate(conn)?;
                let job = select_job(&tx, Some(&tenant), &id)?.ok_or(StoreError::NotFound)?;
                let next = job.status.apply(transition)?;
                let statement = match transition {
                    Transition::Cancel => format!(
                        "UPDATE jobs SET status = :next, completedAt = :now, updatedAt = :now, \
                         history = {} WHERE _id = :id AND status IN ('pending', 'scheduled')",
                        history_append(
                            "json_object('at', :now_iso, 'attempt', attempts, 'worker', NULL, \
                             'outcome', 'cancelled')"
                        )
                    ),
                    Transition::Redrive => {
                        "UPDATE jobs SET status = :next, attempts = 0, runAt = :now, \
                         completedAt = NULL, updatedAt = :now WHERE _id = :id AND status = 'dead'"
                            .to_owned()
                    }
                    other => {
                        return Err(StoreError::InvalidTransition(InvalidTransition {
                            from: job.status,
                            transition: other,
                        }))
                    }
                };
                let mut stmt = tx.prepare_cached(&statement).map_err(sql)?;
                let next = next.as_str();
                let params: Vec<(&str, &dyn rusqlite::ToSql)> = vec![
                    (":next", &next as &dyn rusqlite::ToSql),
                    (":now", &now.ms),
                    (":now_iso", &now.iso),
                    (":id", &id),
                ];
                let params: Vec<_> = params
                    .into_iter()
                    .filter(|(name, _)| stmt.parameter_index(name).ok().flatten().is_some())
                    .collect();
                stmt.execute(params.as_slice()).map_err(sql)?;
                drop(stmt);
                let updated = select_job(&tx, None, &id)?.ok_or(StoreError::NotFound)?;
                tx.commit().map_err(sql)?;
                Ok(updated)
            })
            .await
    }
}
