//! The file's schema and each connection's settings: the migrations (tables and
//! indexes, applied in order and counted in `PRAGMA user_version`) and the pragmas
//! every connection sets (busy timeout, WAL, `synchronous`, foreign keys).

use std::time::Duration;

use anyhow::anyhow;
use rusqlite::{Connection, OpenFlags};

use super::{immediate, is_busy, sql, Pool, Synchronous};
use crate::store::{StoreError, StoreResult};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE jobs (
    _id            TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    tenant         TEXT NOT NULL,
    priority       TEXT NOT NULL,
    priorityRank   INTEGER NOT NULL,
    status         TEXT NOT NULL,
    payload        TEXT NOT NULL,
    runAt          INTEGER NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    maxAttempts    INTEGER NOT NULL,
    lastError      TEXT,
    lockedBy       TEXT,
    lockedAt       INTEGER,
    lockExpiry     INTEGER,
    leaseVersion   INTEGER NOT NULL DEFAULT 0,
    idempotencyKey TEXT,
    createdAt      INTEGER NOT NULL,
    updatedAt      INTEGER NOT NULL,
    completedAt    INTEGER,
    history        TEXT NOT NULL DEFAULT '[]'
);
-- claim-next / poll: waiting jobs in claim order
CREATE INDEX jobs_due ON jobs (priorityRank, runAt) WHERE status IN ('pending', 'scheduled');
-- poll: expired leases of dead workers
CREATE INDEX jobs_lease_expiry ON jobs (lockExpiry) WHERE status = 'running';
-- tenant listing, newest first, cursor on _id (UUIDv7 sorts by time)
CREATE INDEX jobs_tenant_list ON jobs (tenant, status, _id);
CREATE INDEX jobs_tenant_id ON jobs (tenant, _id);
-- per-tenant idempotency; jobs without a key never collide
CREATE UNIQUE INDEX jobs_tenant_idempotency ON jobs (tenant, idempotencyKey)
    WHERE idempotencyKey IS NOT NULL;
-- queue depth by state
CREATE INDEX jobs_status ON jobs (status);

CREATE TABLE workers (
    workerId    TEXT PRIMARY KEY,
    info        TEXT NOT NULL,
    heartbeatAt INTEGER NOT NULL
);
CREATE INDEX workers_heartbeat ON workers (heartbeatAt);
"#,
    // Matches (`docs/matches.md`): the hosted snapshot and the event counter live on the
    // match's job row (null on every other job); the log is its own table, keyed so
    // that `events_after` is a range scan of the primary key.
    r#"
ALTER TABLE jobs ADD COLUMN state TEXT;
ALTER TABLE jobs ADD COLUMN stateVersion INTEGER;
ALTER TABLE jobs ADD COLUMN appliedSeq INTEGER;
ALTER TABLE jobs ADD COLUMN startedAt INTEGER;
ALTER TABLE jobs ADD COLUMN endsAt INTEGER;
ALTER TABLE jobs ADD COLUMN result TEXT;
ALTER TABLE jobs ADD COLUMN eventSeq INTEGER NOT NULL DEFAULT 0;

CREATE TABLE match_events (
    matchId  TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    type     TEXT NOT NULL,
    playerId TEXT,
    points   INTEGER,
    at       INTEGER NOT NULL,
    PRIMARY KEY (matchId, seq)
) WITHOUT ROWID;
"#,
    // Idempotent event appends: the key of the request that appended an event, unique
    // per match (the append looks it up first under the write lock; the index is the
    // backstop). Events without a key never collide.
    r#"
ALTER TABLE match_events ADD COLUMN idempotencyKey TEXT;
CREATE UNIQUE INDEX match_events_idempotency ON match_events (matchId, idempotencyKey)
    WHERE idempotencyKey IS NOT NULL;
"#,
    // API keys managed in the store (`herald-store keys`): digests only.
    r#"
CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    tenant      TEXT NOT NULL,
    name        TEXT NOT NULL,
    digest      TEXT NOT NULL UNIQUE,
    createdAt   INTEGER NOT NULL,
    lastUsedAt  INTEGER,
    revokedAt   INTEGER
);
"#,
    // The console's reads (`docs/console.md`): each list filter has an index of the
    // tenant's jobs in id order, so a filtered page is a range scan at any size; the
    // overview counts and the oldest due job are range reads of `jobs_tenant_summary`,
    // successes over the last minutes of `jobs_tenant_finished`. A notification's
    // channel is a virtual column read from its payload (nothing stored twice).
    r#"
ALTER TABLE jobs ADD COLUMN channel TEXT
    GENERATED ALWAYS AS (json_extract(payload, '$.channel')) VIRTUAL;
CREATE INDEX jobs_tenant_kind ON jobs (tenant, kind, _id);
CREATE INDEX jobs_tenant_priority ON jobs (tenant, priority, _id);
CREATE INDEX jobs_tenant_channel ON jobs (tenant, channel, _id) WHERE channel IS NOT NULL;
-- a status with a kind or a channel (running matches; dead letters of one channel, and
-- the bulk re-drive's count): without these such a page scans the rarer filter's rows
CREATE INDEX jobs_tenant_kind_status ON jobs (tenant, kind, status, _id);
CREATE INDEX jobs_tenant_status_channel ON jobs (tenant, status, channel, _id)
    WHERE channel IS NOT NULL;
CREATE INDEX jobs_tenant_summary ON jobs (tenant, kind, priority, status, runAt);
CREATE INDEX jobs_tenant_finished ON jobs (tenant, kind, priority, status, completedAt)
    WHERE completedAt IS NOT NULL;
"#,
    // Fair claims (`docs/dispatch.md`, "Fairness"): the waiting jobs of one priority by
    // tenant, so a claim finds each waiting tenant with one seek (a skip scan) and its
    // oldest due jobs with another; and a tenant's running jobs, for its cap.
    r#"
CREATE INDEX jobs_fair ON jobs (priorityRank, tenant, runAt)
    WHERE status IN ('pending', 'scheduled');
CREATE INDEX jobs_tenant_running ON jobs (tenant, kind, lockExpiry) WHERE status = 'running';
"#,
    // Idempotency (DESIGN §13): the digest of the request that first used a key, so a
    // replay with another body is refused. Keys are namespaced by route in the value
    // itself; the unique `jobs_tenant_idempotency` index is unchanged.
    r#"
ALTER TABLE jobs ADD COLUMN requestDigest TEXT;
"#,
    // Retention (DESIGN §13): the pruner finds what outlived its state's retention by
    // `(status, completedAt)`, and holds its duty lease in `leases` (one row per duty,
    // fenced like a job's lease: holder, version, expiry).
    r#"
CREATE INDEX jobs_finished ON jobs (status, completedAt) WHERE completedAt IS NOT NULL;
CREATE TABLE leases (
    name      TEXT PRIMARY KEY,
    holder    TEXT,
    version   INTEGER NOT NULL DEFAULT 0,
    expiresAt INTEGER NOT NULL DEFAULT 0
);
"#,
    // Queue lag (`herald_queue_oldest_ready_seconds{kind,priority}`): the oldest due job
    // of one kind and priority is the first entry of its range here.
    r#"
CREATE INDEX jobs_ready ON jobs (kind, priorityRank, runAt) WHERE status IN ('pending', 'scheduled');
"#,
    // Queue depth (`notification_queue_depth{state}`) without counting: every change of
    // a job's status moves one count, in the same transaction, so reading the depth is
    // six rows at any size (a GROUP BY over 10M jobs is a scan of the status index).
    r#"
CREATE TABLE job_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO job_counts (status, n) SELECT status, COUNT(*) FROM jobs GROUP BY status;
CREATE TRIGGER jobs_counted_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO job_counts (status, n) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER jobs_counted_delete AFTER DELETE ON jobs BEGIN
    UPDATE job_counts SET n = n - 1 WHERE status = OLD.status;
END;
CREATE TRIGGER jobs_counted_update AFTER UPDATE OF status ON jobs
    WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE job_counts SET n = n - 1 WHERE status = OLD.status;
    INSERT INTO job_counts (status, n) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
"#,
    // The pruner's read of ended matches whose logs outlived RETENTION_MATCH_EVENTS: only
    // matches are in it (1 job in 1000 at the mix of the ten-days test), so a batch no
    // longer walks every finished job older than the cutoff to find them.
    r#"
CREATE INDEX jobs_ended_matches ON jobs (completedAt)
    WHERE kind = 'match' AND status IN ('succeeded', 'dead', 'cancelled');
"#,
];

impl Pool {
    pub(super) fn connect(&self) -> StoreResult<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.config.path, flags).map_err(|e| {
            StoreError::Unavailable(anyhow!(e).context(format!(
                "opening SQLite database {}",
                self.config.path.display()
            )))
        })?;
        // The busy timeout first: switching to WAL needs a lock another process may hold.
        conn.busy_timeout(self.config.busy_timeout).map_err(sql)?;
        let sync = match self.config.synchronous {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        };
        // Switching a fresh file to WAL needs a moment of exclusive access, and SQLite
        // answers SQLITE_BUSY at once (without its busy handler) while another process
        // opens the same file: retry within the busy timeout.
        let deadline = std::time::Instant::now() + self.config.busy_timeout;
        loop {
            match conn.execute_batch("PRAGMA journal_mode = WAL;") {
                Ok(()) => break,
                Err(e) if is_busy(&e) && std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(sql(e)),
            }
        }
        conn.execute_batch(&format!(
            "PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON;"
        ))
        .map_err(sql)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }
}

pub(super) fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let tx = immediate(conn)?;
    let applied: usize = tx
        .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
        .map_err(sql)?
        .try_into()
        .unwrap_or(0);
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Corrupt(format!(
            "database schema version {applied} is newer than this build knows ({}); \
             upgrade Herald",
            MIGRATIONS.len()
        )));
    }
    for (i, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.execute_batch(migration).map_err(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))
            .map_err(sql)?;
        tracing::info!(version = i + 1, "applied SQLite schema migration");
    }
    tx.commit().map_err(sql)
}
