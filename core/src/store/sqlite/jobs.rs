//! The API's view of jobs: insert (idempotent, batches in one transaction), get,
//! list, cancel and re-drive (checked against the state machine), counts.

use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{named_params, Transaction};

use super::codec::{corrupt, history_append, query_jobs, select_job, COLUMNS};
use super::{immediate, sql, Now, SqliteStore};
use crate::job::{InvalidTransition, Job, JobId, JobKind, JobStatus, NewJob, TenantId, Transition};
use crate::store::{
    Inserted, JobStore, ListFilter, Page, PageRequest, StateCounts, StoreError, StoreResult,
};

pub(super) fn insert_one(
    tx: &Transaction<'_>,
    job: NewJob,
    now: &Now,
    now_t: DateTime<Utc>,
) -> StoreResult<Inserted> {
    if let Some(key) = &job.idempotency_key {
        let existing = query_jobs(
            tx,
            &format!("SELECT {COLUMNS} FROM jobs WHERE tenant = :tenant AND idempotencyKey = :key"),
            named_params! {":tenant": job.tenant.as_str(), ":key": key},
        )?;
        if let Some(existing) = existing.into_iter().next() {
            return Ok(Inserted::Existing(existing));
        }
    }
    let status = job.initial_status(now_t);
    let run_at = job.run_at.unwrap_or(now_t).timestamp_millis();
    let payload = serde_json::to_string(&job.payload).map_err(|e| StoreError::Other(anyhow!(e)))?;
    let inserted = query_jobs(
        tx,
        &format!(
            "INSERT INTO jobs (_id, kind, tenant, priority, priorityRank, status, payload, runAt, \
             attempts, maxAttempts, leaseVersion, idempotencyKey, createdAt, updatedAt, history) \
             VALUES (:id, :kind, :tenant, :priority, :rank, :status, :payload, :runAt, 0, \
             :maxAttempts, 0, :key, :now, :now, '[]') RETURNING {COLUMNS}"
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
        self.pool
            .run(move |conn| {
                let now = Now::from(now_t);
                let tx = immediate(conn)?;
                let mut out = Vec::with_capacity(jobs.len());
                for job in jobs {
                    out.push(insert_one(&tx, job, &now, now_t)?);
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
        let tenant = tenant.as_str().to_owned();
        let status = filter.status.map(JobStatus::as_str);
        let kind = filter.kind.map(JobKind::as_str);
        let cursor = page.cursor.as_ref().map(|c| c.as_str().to_owned());
        let limit = page.limit.clamp(1, PageRequest::MAX_LIMIT);
        self.pool
            .run(move |conn| {
                let mut items = query_jobs(
                    conn,
                    &format!(
                        "SELECT {COLUMNS} FROM jobs WHERE tenant = :tenant \
                         AND (:status IS NULL OR status = :status) \
                         AND (:kind IS NULL OR kind = :kind) \
                         AND (:cursor IS NULL OR _id < :cursor) \
                         ORDER BY _id DESC LIMIT :limit"
                    ),
                    named_params! {
                        ":tenant": tenant, ":status": status, ":kind": kind,
                        ":cursor": cursor, ":limit": i64::from(limit) + 1,
                    },
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

    async fn counts(&self) -> StoreResult<StateCounts> {
        self.pool
            .run(|conn| {
                let mut stmt = conn
                    .prepare_cached("SELECT status, COUNT(*) FROM jobs GROUP BY status")
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

    async fn ping(&self) -> StoreResult<()> {
        self.pool
            .run(|conn| conn.query_row("SELECT 1", [], |_| Ok(())).map_err(sql))
            .await
    }
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
