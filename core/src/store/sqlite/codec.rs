//! Jobs to and from rows of `jobs`: the column list every query selects, a row read
//! back as a [`Job`], timestamps (milliseconds since the epoch), and the SQL that
//! appends to a job's bounded history.

use chrono::{DateTime, Utc};
use rusqlite::{named_params, Connection, Row};

use super::sql;
use crate::job::{
    AttemptRecord, Job, JobId, JobKind, JobStatus, Priority, TenantId, HISTORY_LIMIT,
};
use crate::lease::WorkerId;
use crate::store::{StoreError, StoreResult};

pub(super) const COLUMNS: &str = "_id, kind, tenant, priority, status, payload, runAt, attempts, \
    maxAttempts, lastError, lockedBy, lockedAt, lockExpiry, leaseVersion, idempotencyKey, \
    createdAt, updatedAt, completedAt, history";

/// SQL that appends `entry` (a JSON expression) to `history`, dropping the oldest
/// entry once the history is full.
pub(super) fn history_append(entry: &str) -> String {
    format!(
        "CASE WHEN json_array_length(history) >= {HISTORY_LIMIT} \
         THEN json_insert(json_remove(history, '$[0]'), '$[#]', {entry}) \
         ELSE json_insert(history, '$[#]', {entry}) END"
    )
}

pub(super) fn to_time(ms: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {ms} out of range")))
}

pub(super) fn opt_time(ms: Option<i64>) -> StoreResult<Option<DateTime<Utc>>> {
    ms.map(to_time).transpose()
}

pub(super) fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

pub(super) fn read_job(row: &Row<'_>) -> StoreResult<Job> {
    let get_str = |i: usize| row.get::<_, String>(i).map_err(sql);
    let payload: String = get_str(5)?;
    let history: String = get_str(18)?;
    Ok(Job {
        id: get_str(0)?.parse::<JobId>().map_err(corrupt)?,
        kind: get_str(1)?.parse::<JobKind>().map_err(corrupt)?,
        tenant: TenantId::parse(&get_str(2)?).map_err(corrupt)?,
        priority: get_str(3)?.parse::<Priority>().map_err(corrupt)?,
        status: get_str(4)?.parse::<JobStatus>().map_err(corrupt)?,
        payload: serde_json::from_str(&payload).map_err(corrupt)?,
        run_at: to_time(row.get(6).map_err(sql)?)?,
        attempts: row.get(7).map_err(sql)?,
        max_attempts: row.get(8).map_err(sql)?,
        last_error: row.get(9).map_err(sql)?,
        locked_by: row
            .get::<_, Option<String>>(10)
            .map_err(sql)?
            .map(WorkerId::from_stored),
        locked_at: opt_time(row.get(11).map_err(sql)?)?,
        lock_expiry: opt_time(row.get(12).map_err(sql)?)?,
        lease_version: u64::try_from(row.get::<_, i64>(13).map_err(sql)?).map_err(corrupt)?,
        idempotency_key: row.get(14).map_err(sql)?,
        created_at: to_time(row.get(15).map_err(sql)?)?,
        updated_at: to_time(row.get(16).map_err(sql)?)?,
        completed_at: opt_time(row.get(17).map_err(sql)?)?,
        history: serde_json::from_str::<Vec<AttemptRecord>>(&history).map_err(corrupt)?,
    })
}

/// Runs a query expected to return jobs.
pub(super) fn query_jobs(
    conn: &Connection,
    sql_text: &str,
    params: &[(&str, &dyn rusqlite::ToSql)],
) -> StoreResult<Vec<Job>> {
    let mut stmt = conn.prepare_cached(sql_text).map_err(sql)?;
    let mut rows = stmt.query(params).map_err(sql)?;
    let mut jobs = Vec::new();
    while let Some(row) = rows.next().map_err(sql)? {
        jobs.push(read_job(row)?);
    }
    Ok(jobs)
}

pub(super) fn select_job(
    conn: &Connection,
    tenant: Option<&str>,
    id: &str,
) -> StoreResult<Option<Job>> {
    let jobs = match tenant {
        Some(tenant) => query_jobs(
            conn,
            &format!("SELECT {COLUMNS} FROM jobs WHERE _id = :id AND tenant = :tenant"),
            named_params! {":id": id, ":tenant": tenant},
        )?,
        None => query_jobs(
            conn,
            &format!("SELECT {COLUMNS} FROM jobs WHERE _id = :id"),
            named_params! {":id": id},
        )?,
    };
    Ok(jobs.into_iter().next())
}
