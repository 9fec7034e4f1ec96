//! Matches in the embedded store (`docs/matches.md`).
//!
//! A match is a row of `jobs` (kind `match`) with the hosted snapshot in its own
//! columns (`state`, `stateVersion`, `appliedSeq`, `startedAt`, `endsAt`, `result`)
//! and the log's counter `eventSeq`; its events are rows of `match_events`, keyed
//! `(matchId, seq)`.
//!
//! Sequence numbers: an append is one `BEGIN IMMEDIATE` transaction that bumps
//! `eventSeq` on the match row (only while the match is not finished) and inserts the
//! event under the new value. SQLite's write lock serialises appends from every
//! process on the host, and the bump and the insert commit together, so numbers are
//! 1, 2, 3… with no gap and no repeat.
//!
//! State writes are fenced like `complete` (the `FENCE` of `leases`), and
//! `finish_match` is one transaction: the fenced final write first — nothing else is
//! attempted when it matches nothing — then the result notifications through the same
//! idempotent insert as `insert_many`.

use anyhow::anyhow;
use async_trait::async_trait;
use rusqlite::{named_params, Connection, OptionalExtension, Row};

use super::codec::{corrupt, opt_time, read_job, to_time, COLUMNS};
use super::jobs::insert_one;
use super::leases::{complete_set, fenced};
use super::{immediate, sql, Now, SqliteStore};
use crate::job::{JobId, JobKind, JobStatus, NewJob, TenantId};
use crate::lease::Lease;
use crate::matches::{
    EventKind, EventRequest, MatchEvent, MatchRecord, MatchResult, MatchSnapshot,
};
use crate::store::{Appended, Inserted, MatchStore, StoreError, StoreResult};

/// The match columns, read after [`COLUMNS`] (so starting at index 19).
const MATCH_COLUMNS: &str = "state, stateVersion, appliedSeq, startedAt, endsAt, result, eventSeq";
const FIRST_MATCH_COLUMN: usize = 19;

/// The snapshot columns a fenced write sets, with their parameters.
const SNAPSHOT_SET: &str = "state = :state, stateVersion = :stateVersion, \
    appliedSeq = :appliedSeq, startedAt = :startedAt, endsAt = :endsAt";

fn other(e: impl Into<anyhow::Error>) -> StoreError {
    StoreError::Other(e.into())
}

fn to_i64(n: u64, what: &str) -> StoreResult<i64> {
    i64::try_from(n).map_err(|_| other(anyhow!("{what} {n} is out of range")))
}

fn to_u64(row: &Row<'_>, i: usize, what: &str) -> StoreResult<u64> {
    let n: Option<i64> = row.get(i).map_err(sql)?;
    u64::try_from(n.unwrap_or(0)).map_err(|_| corrupt(format!("{what} is negative")))
}

/// The snapshot stored from column `at` on (`MATCH_COLUMNS` order); nulls are the
/// initial snapshot's values.
fn read_snapshot(row: &Row<'_>, at: usize) -> StoreResult<MatchSnapshot> {
    let state: Option<String> = row.get(at).map_err(sql)?;
    Ok(MatchSnapshot {
        state: match state {
            Some(text) => serde_json::from_str(&text).map_err(corrupt)?,
            None => serde_json::Value::Null,
        },
        state_version: to_u64(row, at + 1, "stateVersion")?,
        applied_seq: to_u64(row, at + 2, "appliedSeq")?,
        started_at: opt_time(row.get(at + 3).map_err(sql)?)?,
        ends_at: opt_time(row.get(at + 4).map_err(sql)?)?,
    })
}

/// The columns [`read_event`] reads, in its order.
const EVENT_COLUMNS: &str = "seq, type, playerId, points, at, idempotencyKey";

fn read_event(row: &Row<'_>) -> StoreResult<MatchEvent> {
    let kind: String = row.get(1).map_err(sql)?;
    Ok(MatchEvent {
        seq: to_u64(row, 0, "seq")?,
        event: EventRequest {
            kind: serde_json::from_value::<EventKind>(serde_json::Value::String(kind))
                .map_err(corrupt)?,
            player_id: row.get(2).map_err(sql)?,
            points: row.get(3).map_err(sql)?,
            idempotency_key: row.get(5).map_err(sql)?,
        },
        at: to_time(row.get(4).map_err(sql)?)?,
    })
}

/// The event a tenant's match already stored under `key`, if any. Joined with the
/// match's row so that another tenant's match id finds nothing (and stays `NotFound`).
fn event_by_key(
    conn: &Connection,
    tenant: &str,
    id: &str,
    key: &str,
) -> StoreResult<Option<MatchEvent>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT e.seq, e.type, e.playerId, e.points, e.at, e.idempotencyKey \
             FROM match_events e JOIN jobs j ON j._id = e.matchId \
             WHERE e.matchId = :id AND e.idempotencyKey = :key \
             AND j.tenant = :tenant AND j.kind = 'match'",
        )
        .map_err(sql)?;
    let mut rows = stmt
        .query(named_params! {":id": id, ":key": key, ":tenant": tenant})
        .map_err(sql)?;
    match rows.next().map_err(sql)? {
        Some(row) => Ok(Some(read_event(row)?)),
        None => Ok(None),
    }
}

/// Why an append or read found no live match: unknown, another tenant's, not a
/// match (all `NotFound`), or finished.
fn why_not_appendable(conn: &Connection, tenant: &str, id: &str) -> StoreError {
    let found = conn
        .query_row(
            "SELECT kind, status FROM jobs WHERE _id = :id AND tenant = :tenant",
            named_params! {":id": id, ":tenant": tenant},
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )
        .optional();
    match found {
        Err(e) => sql(e),
        Ok(None) => StoreError::NotFound,
        Ok(Some((kind, _))) if kind != JobKind::Match.as_str() => StoreError::NotFound,
        Ok(Some((_, status))) => match status.parse::<JobStatus>() {
            Ok(status) => StoreError::MatchFinished { status },
            Err(e) => corrupt(e),
        },
    }
}

/// The snapshot's values as SQL parameters.
struct SnapshotParams {
    state: Option<String>,
    state_version: i64,
    applied_seq: i64,
    started_at: Option<i64>,
    ends_at: Option<i64>,
}

impl SnapshotParams {
    fn new(snapshot: &MatchSnapshot) -> StoreResult<Self> {
        Ok(Self {
            state: match &snapshot.state {
                serde_json::Value::Null => None,
                state => Some(serde_json::to_string(state).map_err(other)?),
            },
            state_version: to_i64(snapshot.state_version, "stateVersion")?,
            applied_seq: to_i64(snapshot.applied_seq, "appliedSeq")?,
            started_at: snapshot.started_at.map(|t| t.timestamp_millis()),
            ends_at: snapshot.ends_at.map(|t| t.timestamp_millis()),
        })
    }

    fn params(&self) -> [(&str, &dyn rusqlite::ToSql); 5] {
        [
            (":state", &self.state),
            (":stateVersion", &self.state_version),
            (":appliedSeq", &self.applied_seq),
            (":startedAt", &self.started_at),
            (":endsAt", &self.ends_at),
        ]
    }
}

#[async_trait]
impl MatchStore for SqliteStore {
    async fn append_event(
        &self,
        tenant: &TenantId,
        id: &JobId,
        event: &EventRequest,
    ) -> StoreResult<Appended> {
        let (tenant, id, event) = (
            tenant.as_str().to_owned(),
            id.as_str().to_owned(),
            event.clone(),
        );
        let clock = self.clock.clone();
        self.pool
            .run(move |conn| {
                let tx = immediate(conn)?;
                // The key first, before the finished check: a replay is the original
                // answer, even once the match has ended. The write lock is held, so
                // nobody stores the key between this read and the insert below.
                if let Some(key) = &event.idempotency_key {
                    if let Some(stored) = event_by_key(&tx, &tenant, &id, key)? {
                        return Ok(Appended::Replayed(stored));
                    }
                }
                // Read the clock holding the write lock, so that a later seq never
                // carries an earlier time (on one host's clock).
                let now = Now::from(clock.now());
                let seq: Option<i64> = tx
                    .prepare_cached(
                        "UPDATE jobs SET eventSeq = eventSeq + 1 WHERE _id = :id \
                         AND tenant = :tenant AND kind = 'match' \
                         AND status NOT IN ('succeeded', 'dead', 'cancelled') RETURNING eventSeq",
                    )
                    .and_then(|mut s| {
                        s.query_row(named_params! {":id": id, ":tenant": tenant}, |r| r.get(0))
                            .optional()
                    })
                    .map_err(sql)?;
                let Some(seq) = seq else {
                    return Err(why_not_appendable(&tx, &tenant, &id));
                };
                tx.prepare_cached(
                    "INSERT INTO match_events \
                     (matchId, seq, type, playerId, points, at, idempotencyKey) \
                     VALUES (:id, :seq, :type, :player, :points, :at, :key)",
                )
                .and_then(|mut s| {
                    s.execute(named_params! {
                        ":id": id, ":seq": seq, ":type": event.kind.as_str(),
                        ":player": event.player_id, ":points": event.points, ":at": now.ms,
                        ":key": event.idempotency_key,
                    })
                })
                .map_err(sql)?;
                tx.commit().map_err(sql)?;
                Ok(Appended::New(MatchEvent {
                    seq: u64::try_from(seq).map_err(corrupt)?,
                    event,
                    at: to_time(now.ms)?,
                }))
            })
            .await
    }

    async fn get_match(&self, tenant: &TenantId, id: &JobId) -> StoreResult<MatchRecord> {
        let (tenant, id) = (tenant.as_str().to_owned(), id.as_str().to_owned());
        self.pool
            .run(move |conn| {
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "SELECT {COLUMNS}, {MATCH_COLUMNS} FROM jobs \
                         WHERE _id = :id AND tenant = :tenant AND kind = 'match'"
                    ))
                    .map_err(sql)?;
                let mut rows = stmt
                    .query(named_params! {":id": id, ":tenant": tenant})
                    .map_err(sql)?;
                let row = rows.next().map_err(sql)?.ok_or(StoreError::NotFound)?;
                let result: Option<String> = row.get(FIRST_MATCH_COLUMN + 5).map_err(sql)?;
                Ok(MatchRecord {
                    job: read_job(row)?,
                    snapshot: read_snapshot(row, FIRST_MATCH_COLUMN)?,
                    last_seq: to_u64(row, FIRST_MATCH_COLUMN + 6, "eventSeq")?,
                    result: result
                        .map(|text| serde_json::from_str::<MatchResult>(&text))
                        .transpose()
                        .map_err(corrupt)?,
                })
            })
            .await
    }

    async fn events_after(
        &self,
        id: &JobId,
        after: u64,
        limit: usize,
    ) -> StoreResult<Vec<MatchEvent>> {
        let id = id.as_str().to_owned();
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.pool
            .run(move |conn| {
                // A range scan of the primary key (matchId, seq).
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "SELECT {EVENT_COLUMNS} FROM match_events \
                         WHERE matchId = :id AND seq > :after ORDER BY seq LIMIT :limit",
                    ))
                    .map_err(sql)?;
                let mut rows = stmt
                    .query(named_params! {":id": id, ":after": after, ":limit": limit})
                    .map_err(sql)?;
                let mut events = Vec::new();
                while let Some(row) = rows.next().map_err(sql)? {
                    events.push(read_event(row)?);
                }
                Ok(events)
            })
            .await
    }

    async fn load_snapshot(&self, id: &JobId) -> StoreResult<MatchSnapshot> {
        let id = id.as_str().to_owned();
        self.pool
            .run(move |conn| {
                let mut stmt = conn
                    .prepare_cached(&format!(
                        "SELECT {MATCH_COLUMNS} FROM jobs WHERE _id = :id AND kind = 'match'"
                    ))
                    .map_err(sql)?;
                let mut rows = stmt.query(named_params! {":id": id}).map_err(sql)?;
                let row = rows.next().map_err(sql)?.ok_or(StoreError::NotFound)?;
                read_snapshot(row, 0)
            })
            .await
    }

    async fn save_snapshot(&self, lease: &Lease, snapshot: &MatchSnapshot) -> StoreResult<()> {
        let lease = lease.clone();
        let values = SnapshotParams::new(snapshot)?;
        let now = self.now();
        self.pool
            .run(move |conn| {
                fenced(
                    conn,
                    &format!("{SNAPSHOT_SET}, updatedAt = :now"),
                    &lease,
                    &now,
                    &values.params(),
                )
            })
            .await
    }

    async fn finish_match(
        &self,
        lease: &Lease,
        snapshot: &MatchSnapshot,
        result: &MatchResult,
        notifications: Vec<NewJob>,
    ) -> StoreResult<Vec<Inserted>> {
        let lease = lease.clone();
        let values = SnapshotParams::new(snapshot)?;
        let result = serde_json::to_string(result).map_err(other)?;
        let now_t = self.clock.now();
        let lifecycle = self.pool.config.lifecycle;
        self.pool
            .run(move |conn| {
                let now = Now::from(now_t);
                let tx = immediate(conn)?;
                let mut params = values.params().to_vec();
                params.push((":result", &result));
                // The fenced write first: on LeaseLost the transaction is dropped
                // (rolled back) before any notification is inserted.
                fenced(
                    &tx,
                    &format!("{SNAPSHOT_SET}, result = :result, {}", complete_set()),
                    &lease,
                    &now,
                    &params,
                )?;
                let mut inserted = Vec::with_capacity(notifications.len());
                for job in notifications {
                    inserted.push(insert_one(&tx, job, &now, now_t, &lifecycle)?);
                }
                tx.commit().map_err(sql)?;
                Ok(inserted)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::SqliteConfig;
    use super::*;

    /// A file written before matches existed (schema version 1) is migrated in place:
    /// its jobs read back, and a match in it takes events and snapshots.
    #[tokio::test]
    async fn a_version_1_file_migrates_and_keeps_its_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(super::super::schema::MIGRATIONS[0])
            .unwrap();
        old.execute_batch("PRAGMA user_version = 1").unwrap();
        let id = JobId::new();
        old.execute(
            "INSERT INTO jobs (_id, kind, tenant, priority, priorityRank, status, payload, runAt, \
             maxAttempts, createdAt, updatedAt) VALUES (?1, 'match', 't1', 'high', 1, 'pending', \
             '{}', 0, 3, 0, 0)",
            [id.as_str()],
        )
        .unwrap();
        drop(old);

        let store = SqliteStore::open(SqliteConfig::new(&path), crate::clock::system())
            .await
            .unwrap();
        let tenant = TenantId::parse("t1").unwrap();
        let record = store.get_match(&tenant, &id).await.unwrap();
        assert_eq!(record.job.status, JobStatus::Pending);
        assert_eq!(
            (record.snapshot, record.last_seq, record.result),
            (MatchSnapshot::initial(), 0, None)
        );
        let event = EventRequest {
            kind: EventKind::End,
            player_id: None,
            points: None,
            idempotency_key: Some("retry-1".into()),
        };
        assert_eq!(
            store
                .append_event(&tenant, &id, &event)
                .await
                .unwrap()
                .event()
                .seq,
            1
        );
        // The migrated log keys its events too.
        assert!(matches!(
            store.append_event(&tenant, &id, &event).await.unwrap(),
            Appended::Replayed(e) if e.seq == 1
        ));
        let version: i64 = store
            .pool
            .run(|conn| {
                conn.query_row("PRAGMA user_version", [], |r| r.get(0))
                    .map_err(sql)
            })
            .await
            .unwrap();
        assert_eq!(version, super::super::schema::MIGRATIONS.len() as i64);
    }

    #[tokio::test]
    async fn events_after_is_a_primary_key_range_scan() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(
            SqliteConfig::new(dir.path().join("plan.db")),
            crate::clock::system(),
        )
        .await
        .unwrap();
        let plan = store
            .pool
            .run(|conn| {
                let mut stmt = conn
                    .prepare(&format!(
                        "EXPLAIN QUERY PLAN SELECT {EVENT_COLUMNS} \
                         FROM match_events WHERE matchId = 'm' AND seq > 3 ORDER BY seq LIMIT 10",
                    ))
                    .map_err(sql)?;
                let rows = stmt.query_map([], |r| r.get::<_, String>(3)).map_err(sql)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(sql)
            })
            .await
            .unwrap();
        assert_eq!(
            plan,
            vec!["SEARCH match_events USING PRIMARY KEY (matchId=? AND seq>?)"],
            "no table scan and no sort step"
        );
    }
}
