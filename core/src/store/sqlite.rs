//! The embedded store: one SQLite file in WAL mode, shared safely by the API and
//! worker processes of one host.
//!
//! Concurrency: every write runs in a `BEGIN IMMEDIATE` transaction, which takes
//! SQLite's single write lock up front, so a claim's read of "is it claimable" and its
//! write cannot interleave with another process's claim. Readers never block (WAL).
//! A busy timeout makes a second writer wait its turn instead of failing.
//!
//! Durability: with `synchronous=NORMAL` (the default) a committed write survives a
//! crash of any process; only a power loss or kernel crash can lose the last commits.
//! `synchronous=FULL` also survives those, at about a seventh of the write rate.
//!
//! Time: `now` is this store's injected [`Clock`]. All processes on one host read the
//! same system clock, which is what makes it the store's clock here.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{
    named_params, Connection, ErrorCode, OpenFlags, OptionalExtension, Row, Transaction,
    TransactionBehavior,
};
use tokio::sync::Semaphore;

use crate::clock::Clock;
use crate::job::{
    AttemptRecord, InvalidTransition, Job, JobId, JobKind, JobStatus, NewJob, Priority, TenantId,
    Transition, HISTORY_LIMIT,
};
use crate::lease::{ClaimedJob, Lease, WorkerId};

mod matches;

use super::{
    millis, ClaimOutcome, ClaimRequest, FailOutcome, Inserted, JobStore, LeaseStore, ListFilter,
    NotClaimed, Page, PageRequest, Retry, StateCounts, StoreError, StoreResult, WorkerHeartbeat,
    WorkerRecord, WorkerRegistry,
};

/// Default file, relative to the working directory (`SQLITE_PATH`).
pub const DEFAULT_PATH: &str = "./herald.db";
/// How long a writer waits for the write lock before reporting the store unavailable.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections per process. SQLite has one writer at a time; the rest serve reads.
pub const DEFAULT_POOL_SIZE: usize = 8;

/// SQLite's `synchronous` setting (see the module docs for what each guarantees).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    #[default]
    Normal,
    Full,
}

impl FromStr for Synchronous {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "normal" => Ok(Synchronous::Normal),
            "full" => Ok(Synchronous::Full),
            other => Err(format!("expected `normal` or `full`, got {other:?}")),
        }
    }
}

/// How to open the embedded store.
#[derive(Debug, Clone)]
pub struct SqliteConfig {
    pub path: PathBuf,
    pub pool_size: usize,
    pub busy_timeout: Duration,
    pub synchronous: Synchronous,
}

impl SqliteConfig {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            pool_size: DEFAULT_POOL_SIZE,
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            synchronous: Synchronous::default(),
        }
    }
}

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
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
    // Matches (DESIGN §6): the hosted snapshot and the event counter live on the
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
];

const COLUMNS: &str = "_id, kind, tenant, priority, status, payload, runAt, attempts, \
    maxAttempts, lastError, lockedBy, lockedAt, lockExpiry, leaseVersion, idempotencyKey, \
    createdAt, updatedAt, completedAt, history";

/// Claimable: waiting and due, or running under an expired lease; attempts left.
const CLAIMABLE: &str = "((status IN ('pending', 'scheduled') AND runAt <= :now) \
    OR (status = 'running' AND lockExpiry < :now)) AND attempts < maxAttempts";

/// The fence every write after a claim matches on.
const FENCE: &str =
    "_id = :id AND lockedBy = :worker AND leaseVersion = :version AND status = 'running'";

/// SQL that appends `entry` (a JSON expression) to `history`, dropping the oldest
/// entry once the history is full.
fn history_append(entry: &str) -> String {
    format!(
        "CASE WHEN json_array_length(history) >= {HISTORY_LIMIT} \
         THEN json_insert(json_remove(history, '$[0]'), '$[#]', {entry}) \
         ELSE json_insert(history, '$[#]', {entry}) END"
    )
}

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

/// The embedded store. Cheap to clone; clones share one connection pool.
#[derive(Clone)]
pub struct SqliteStore {
    pool: Arc<Pool>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.pool.config.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(config: SqliteConfig, clock: Arc<dyn Clock>) -> StoreResult<Self> {
        if let Some(parent) = config.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Unavailable(anyhow!(e).context(format!(
                    "creating the directory for {}",
                    config.path.display()
                )))
            })?;
        }
        let store = Self {
            pool: Arc::new(Pool {
                permits: Arc::new(Semaphore::new(config.pool_size.max(1))),
                idle: Mutex::new(Vec::new()),
                config,
            }),
            clock,
        };
        store.pool.run(migrate).await?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.pool.config.path
    }

    /// A new handle on the same file with another clock (tests use this to skew time).
    pub fn with_clock(&self, clock: Arc<dyn Clock>) -> Self {
        Self {
            pool: self.pool.clone(),
            clock,
        }
    }

    fn now(&self) -> Now {
        Now::from(self.clock.now())
    }
}

/// "Now" in the two forms the queries need.
#[derive(Debug, Clone)]
struct Now {
    ms: i64,
    iso: String,
}

impl From<DateTime<Utc>> for Now {
    fn from(t: DateTime<Utc>) -> Self {
        Self {
            ms: t.timestamp_millis(),
            iso: t.to_rfc3339_opts(SecondsFormat::Millis, true),
        }
    }
}

struct Pool {
    config: SqliteConfig,
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Connection>>,
}

impl Pool {
    /// Runs `f` on a pooled connection on the blocking thread pool.
    async fn run<T, F>(self: &Arc<Self>, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| StoreError::Other(anyhow!(e)))?;
        let pool = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let pooled = pool
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            let mut conn = match pooled {
                Some(conn) => conn,
                None => pool.connect()?,
            };
            let result = f(&mut conn);
            pool.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
            result
        })
        .await
        .map_err(|e| StoreError::Other(anyhow!("store task failed: {e}")))?
    }

    fn connect(&self) -> StoreResult<Connection> {
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

fn migrate(conn: &mut Connection) -> StoreResult<()> {
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

fn immediate(conn: &mut Connection) -> StoreResult<Transaction<'_>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql)
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
}

/// Maps a SQLite error: lock timeouts and I/O trouble mean "unavailable, try later".
fn sql(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, _) = &e {
        if matches!(
            failure.code,
            ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::CannotOpen
                | ErrorCode::SystemIoFailure
                | ErrorCode::DiskFull
                | ErrorCode::ReadOnly
        ) {
            return StoreError::Unavailable(anyhow!(e));
        }
    }
    StoreError::Other(anyhow!(e))
}

fn to_time(ms: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {ms} out of range")))
}

fn opt_time(ms: Option<i64>) -> StoreResult<Option<DateTime<Utc>>> {
    ms.map(to_time).transpose()
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn read_job(row: &Row<'_>) -> StoreResult<Job> {
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
fn query_jobs(
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

fn select_job(conn: &Connection, tenant: Option<&str>, id: &str) -> StoreResult<Option<Job>> {
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

fn insert_one(
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
fn fenced(
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

fn complete_set() -> String {
    format!(
        "status = 'succeeded', completedAt = :now, updatedAt = :now, lockedBy = NULL, \
         lockedAt = NULL, lockExpiry = NULL, history = {}",
        history_append(&holder_entry("succeeded", None))
    )
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

    async fn claim_due(&self, request: &ClaimRequest) -> StoreResult<Vec<ClaimedJob>> {
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
                let limit = i64::try_from(request.limit).unwrap_or(i64::MAX);
                let mut candidates: Vec<(i64, i64, String)> = Vec::new();
                for query in [
                    "SELECT priorityRank, runAt, _id FROM jobs \
                     WHERE status IN ('pending', 'scheduled') AND runAt <= :now \
                     AND attempts < maxAttempts AND (:kind IS NULL OR kind = :kind) \
                     ORDER BY priorityRank, runAt LIMIT :limit",
                    "SELECT priorityRank, lockExpiry, _id FROM jobs \
                     WHERE status = 'running' AND lockExpiry < :now \
                     AND attempts < maxAttempts AND (:kind IS NULL OR kind = :kind) \
                     ORDER BY priorityRank, lockExpiry LIMIT :limit",
                ] {
                    let mut stmt = tx.prepare_cached(query).map_err(sql)?;
                    let rows = stmt
                        .query_map(
                            named_params! {":now": now.ms, ":kind": kind, ":limit": limit},
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                        )
                        .map_err(sql)?;
                    for row in rows {
                        candidates.push(row.map_err(sql)?);
                    }
                }
                candidates.sort();
                candidates.truncate(request.limit);
                let mut claimed = Vec::with_capacity(candidates.len());
                for (_, _, id) in candidates {
                    if let Some(job) = claim_one(&tx, &id, &request.worker, request.lease, &now)? {
                        claimed.push(job);
                    }
                }
                tx.commit().map_err(sql)?;
                Ok(claimed)
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
        let error = super::truncate_error(error);
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
        let reason = super::truncate_error(reason);
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

#[async_trait]
impl WorkerRegistry for SqliteStore {
    async fn heartbeat(&self, beat: &WorkerHeartbeat) -> StoreResult<()> {
        let info = serde_json::to_string(beat).map_err(|e| StoreError::Other(anyhow!(e)))?;
        let id = beat.worker_id.as_str().to_owned();
        let now = self.now();
        self.pool
            .run(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO workers (workerId, info, heartbeatAt) VALUES (:id, :info, :now) \
                     ON CONFLICT (workerId) DO UPDATE SET info = excluded.info, \
                     heartbeatAt = excluded.heartbeatAt",
                )
                .and_then(|mut s| {
                    s.execute(named_params! {":id": id, ":info": info, ":now": now.ms})
                })
                .map_err(sql)?;
                // Forget workers silent for a day, like the MongoDB TTL index does.
                conn.prepare_cached("DELETE FROM workers WHERE heartbeatAt < :cutoff")
                    .and_then(|mut s| s.execute(named_params! {":cutoff": now.ms - 86_400_000}))
                    .map_err(sql)?;
                Ok(())
            })
            .await
    }

    async fn live_workers(&self, within: Duration) -> StoreResult<Vec<WorkerRecord>> {
        let now = self.now();
        self.pool
            .run(move |conn| {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT info, heartbeatAt FROM workers WHERE heartbeatAt >= :since \
                         ORDER BY workerId",
                    )
                    .map_err(sql)?;
                let rows = stmt
                    .query_map(named_params! {":since": now.ms - millis(within)}, |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                    })
                    .map_err(sql)?;
                let mut workers = Vec::new();
                for row in rows {
                    let (info, seen) = row.map_err(sql)?;
                    workers.push(WorkerRecord {
                        heartbeat: serde_json::from_str(&info).map_err(corrupt)?,
                        last_seen: to_time(seen)?,
                    });
                }
                Ok(workers)
            })
            .await
    }

    async fn deregister(&self, worker: &WorkerId) -> StoreResult<()> {
        let id = worker.as_str().to_owned();
        self.pool
            .run(move |conn| {
                conn.execute("DELETE FROM workers WHERE workerId = ?1", [id])
                    .map_err(sql)?;
                Ok(())
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::job::NewJob;

    async fn store(clock: &ManualClock) -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(
            SqliteConfig::new(dir.path().join("t.db")),
            Arc::new(clock.clone()),
        )
        .await
        .unwrap();
        (dir, store)
    }

    fn tenant() -> TenantId {
        TenantId::parse("acme").unwrap()
    }

    #[tokio::test]
    async fn lease_expiry_follows_the_injected_clock() {
        let clock = ManualClock::new(Utc::now());
        let (_dir, store) = store(&clock).await;
        let job = store
            .insert(NewJob::new(
                JobKind::Notification,
                tenant(),
                serde_json::json!({}),
            ))
            .await
            .unwrap()
            .into_job();
        let a = WorkerId::generate();
        let b = WorkerId::generate();
        let lease = Duration::from_secs(30);
        assert!(matches!(
            store.claim(&job.id, &a, lease).await.unwrap(),
            ClaimOutcome::Claimed(_)
        ));
        clock.advance(chrono::Duration::seconds(29));
        assert!(matches!(
            store.claim(&job.id, &b, lease).await.unwrap(),
            ClaimOutcome::NotClaimed(NotClaimed::Held { .. })
        ));
        clock.advance(chrono::Duration::seconds(2));
        let ClaimOutcome::Claimed(taken) = store.claim(&job.id, &b, lease).await.unwrap() else {
            panic!("expired lease should be claimable");
        };
        assert_eq!(
            taken.job.attempts, 2,
            "reclaiming an expired lease spends an attempt"
        );
        assert_eq!(
            taken.job.history.last().map(|h| h.outcome),
            Some(crate::job::AttemptOutcome::LeaseExpired)
        );
    }

    #[tokio::test]
    async fn scheduled_job_becomes_due_when_the_clock_reaches_run_at() {
        let clock = ManualClock::new(Utc::now());
        let (_dir, store) = store(&clock).await;
        let at = clock.now() + chrono::Duration::minutes(10);
        let job = store
            .insert(NewJob::new(JobKind::Notification, tenant(), serde_json::json!({})).run_at(at))
            .await
            .unwrap()
            .into_job();
        assert_eq!(job.status, JobStatus::Scheduled);
        let req = ClaimRequest {
            worker: WorkerId::generate(),
            lease: Duration::from_secs(5),
            limit: 10,
            kind: None,
        };
        assert!(store.claim_due(&req).await.unwrap().is_empty());
        clock.advance(chrono::Duration::minutes(10));
        assert_eq!(store.claim_due(&req).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn reopening_an_existing_file_keeps_jobs_and_schema() {
        let clock = ManualClock::new(Utc::now());
        let (dir, store) = store(&clock).await;
        let id = store
            .insert(NewJob::new(
                JobKind::Match,
                tenant(),
                serde_json::json!({"a": 1}),
            ))
            .await
            .unwrap()
            .into_job()
            .id;
        drop(store);
        let again = SqliteStore::open(
            SqliteConfig::new(dir.path().join("t.db")),
            Arc::new(clock.clone()),
        )
        .await
        .unwrap();
        let job = again.get(&tenant(), &id).await.unwrap();
        assert_eq!(job.payload, serde_json::json!({"a": 1}));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn many_processes_can_open_a_fresh_file_at_once() {
        // Separate OS processes racing the first open are what the API and workers of
        // one host do at start-up; separate pools in threads race the same way.
        for round in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(format!("race-{round}.db"));
            let opens: Vec<_> = (0..8)
                .map(|_| {
                    let path = path.clone();
                    tokio::spawn(async move {
                        let store =
                            SqliteStore::open(SqliteConfig::new(path), crate::clock::system())
                                .await?;
                        store.ping().await?;
                        Ok::<_, StoreError>(())
                    })
                })
                .collect();
            for open in opens {
                open.await.unwrap().unwrap();
            }
        }
    }

    #[test]
    fn long_errors_are_truncated_on_a_char_boundary() {
        let s = "é".repeat(3_000);
        let t = crate::store::truncate_error(&s);
        assert!(t.len() <= 2_000 + "…".len());
        assert!(t.ends_with('…'));
    }
}
