//! Retention on SQLite: the duty lease (`leases` table) and the pruner's batches.
//!
//! Each batch is one short `BEGIN IMMEDIATE` transaction that first checks the lease
//! (fenced on holder, version and expiry by the store's clock), then deletes at most
//! `limit` jobs through `jobs_finished (status, completedAt)` and the events of the
//! matches among them, then at most `limit` events of matches ended before
//! `RETENTION_MATCH_EVENTS`. Short transactions keep the write lock free for the API
//! between batches; SQLite reuses the freed pages (the file stops growing, it does not
//! shrink).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{named_params, OptionalExtension};

use super::codec::corrupt;
use super::{immediate, sql, SqliteStore};
use crate::job::{JobKind, JobStatus, Priority};
use crate::lease::WorkerId;
use crate::store::{
    millis, Connections, DutyLease, MaintenanceStore, PruneReport, StoreError, StoreResult,
};

#[async_trait]
impl MaintenanceStore for SqliteStore {
    fn connections(&self) -> Connections {
        self.connection_counts()
    }

    async fn acquire_duty(
        &self,
        name: &str,
        worker: &WorkerId,
        lease: Duration,
    ) -> StoreResult<Option<DutyLease>> {
        let now = self.now().ms;
        let expires = now.saturating_add(millis(lease));
        let (name, me) = (name.to_owned(), worker.as_str().to_owned());
        self.pool
            .run(move |conn| {
                let tx = immediate(conn)?;
                // Free, expired, or ours: take it (a new holder, or ours after it
                // lapsed, bumps the version; a live renewal keeps it).
                let row: Option<(String, i64, i64)> = tx
                    .prepare_cached(
                        "INSERT INTO leases (name, holder, version, expiresAt) \
                         VALUES (:name, :me, 1, :expires) \
                         ON CONFLICT (name) DO UPDATE SET \
                           version = CASE WHEN holder = :me AND expiresAt >= :now \
                                     THEN version ELSE version + 1 END, \
                           holder = :me, expiresAt = :expires \
                         WHERE holder IS NULL OR holder = :me OR expiresAt < :now \
                         RETURNING holder, version, expiresAt",
                    )
                    .map_err(sql)?
                    .query_row(
                        named_params! {":name": name, ":me": me, ":expires": expires, ":now": now},
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()
                    .map_err(sql)?;
                tx.commit().map_err(sql)?;
                let Some((holder, version, expires_at)) = row else {
                    return Ok(None);
                };
                Ok(Some(DutyLease {
                    name,
                    holder: WorkerId::from_stored(holder),
                    version: u64::try_from(version).unwrap_or(0),
                    expires_at: DateTime::from_timestamp_millis(expires_at)
                        .ok_or_else(|| corrupt("lease expiry out of range"))?,
                }))
            })
            .await
    }

    async fn release_duty(&self, lease: &DutyLease) -> StoreResult<()> {
        let lease = lease.clone();
        self.pool
            .run(move |conn| {
                conn.prepare_cached(
                    "UPDATE leases SET holder = NULL, expiresAt = 0 \
                     WHERE name = :name AND holder = :me AND version = :version",
                )
                .map_err(sql)?
                .execute(named_params! {
                    ":name": lease.name,
                    ":me": lease.holder.as_str(),
                    ":version": i64::try_from(lease.version).unwrap_or(i64::MAX),
                })
                .map_err(sql)?;
                Ok(())
            })
            .await
    }

    async fn prune(&self, lease: &DutyLease, limit: usize) -> StoreResult<PruneReport> {
        let lease = lease.clone();
        let now_t = self.clock.now();
        let now = now_t.timestamp_millis();
        let lifecycle = self.pool.config.lifecycle;
        let cutoffs: Vec<(JobStatus, i64)> = lifecycle
            .cutoffs(now_t)
            .into_iter()
            .map(|(status, at)| (status, at.timestamp_millis()))
            .collect();
        let events_cutoff = lifecycle
            .match_events
            .and_then(|keep| chrono::Duration::from_std(keep).ok())
            .and_then(|keep| now_t.checked_sub_signed(keep))
            .map(|at| at.timestamp_millis());
        let limit = i64::try_from(limit.max(1)).unwrap_or(i64::MAX);
        self.pool
            .run(move |conn| {
                let tx = immediate(conn)?;
                let locked = std::time::Instant::now();
                let live: Option<i64> = tx
                    .prepare_cached(
                        "SELECT 1 FROM leases WHERE name = :name AND holder = :me \
                         AND version = :version AND expiresAt >= :now",
                    )
                    .map_err(sql)?
                    .query_row(
                        named_params! {
                            ":name": lease.name,
                            ":me": lease.holder.as_str(),
                            ":version": i64::try_from(lease.version).unwrap_or(i64::MAX),
                            ":now": now,
                        },
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(sql)?;
                if live.is_none() {
                    return Err(StoreError::LeaseLost);
                }
                let mut report = PruneReport::default();
                let mut budget = limit;
                for (status, cutoff) in &cutoffs {
                    if budget == 0 {
                        break;
                    }
                    let mut deleted = Vec::new();
                    {
                        let mut stmt = tx
                            .prepare_cached(
                                "DELETE FROM jobs WHERE _id IN (SELECT _id FROM jobs \
                                 WHERE status = :status AND completedAt < :cutoff LIMIT :limit) \
                                 RETURNING _id, kind",
                            )
                            .map_err(sql)?;
                        let mut rows = stmt
                            .query(named_params! {
                                ":status": status.as_str(), ":cutoff": cutoff, ":limit": budget,
                            })
                            .map_err(sql)?;
                        while let Some(row) = rows.next().map_err(sql)? {
                            let id: String = row.get(0).map_err(sql)?;
                            let kind: String = row.get(1).map_err(sql)?;
                            deleted.push((id, kind.parse::<JobKind>().map_err(corrupt)?));
                        }
                    }
                    budget -= i64::try_from(deleted.len()).unwrap_or(budget);
                    let mut drop_events = tx
                        .prepare_cached("DELETE FROM match_events WHERE matchId = :id")
                        .map_err(sql)?;
                    for (id, kind) in deleted {
                        *report.jobs.entry((kind, *status)).or_default() += 1;
                        if kind == JobKind::Match {
                            let n = drop_events
                                .execute(named_params! {":id": id})
                                .map_err(sql)?;
                            report.events += n as u64;
                        }
                    }
                }
                if let Some(cutoff) = events_cutoff {
                    let n = tx
                        .prepare_cached(
                            "DELETE FROM match_events WHERE (matchId, seq) IN \
                             (SELECT e.matchId, e.seq FROM jobs j INDEXED BY jobs_ended_matches \
                              JOIN match_events e ON e.matchId = j._id \
                              WHERE j.kind = 'match' \
                              AND j.status IN ('succeeded', 'dead', 'cancelled') \
                              AND j.completedAt < :cutoff LIMIT :limit)",
                        )
                        .map_err(sql)?
                        .execute(named_params! {":cutoff": cutoff, ":limit": limit})
                        .map_err(sql)?;
                    report.events += n as u64;
                }
                tx.commit().map_err(sql)?;
                report.held = locked.elapsed();
                Ok(report)
            })
            .await
    }

    async fn oldest_ready(&self) -> StoreResult<Vec<(JobKind, Priority, DateTime<Utc>)>> {
        let now = self.now().ms;
        self.pool
            .run(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT runAt FROM jobs INDEXED BY jobs_ready WHERE kind = :kind \
                         AND priorityRank = :rank AND status IN ('pending', 'scheduled') \
                         AND runAt <= :now ORDER BY runAt LIMIT 1",
                    )
                    .map_err(sql)?;
                let mut out = Vec::new();
                for &kind in JobKind::ALL {
                    for &priority in Priority::ALL {
                        let at: Option<i64> = stmt
                            .query_row(
                                named_params! {":kind": kind.as_str(), ":rank": priority.rank(), ":now": now},
                                |r| r.get(0),
                            )
                            .optional()
                            .map_err(sql)?;
                        if let Some(at) = at.and_then(DateTime::from_timestamp_millis) {
                            out.push((kind, priority, at));
                        }
                    }
                }
                Ok(out)
            })
            .await
    }
}
