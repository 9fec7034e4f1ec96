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
//!
//! Layout: this module holds the configuration, the store and its connection pool,
//! and the worker registry; `schema` the tables, migrations and connection pragmas;
//! `codec` the column list and rows read back as jobs; `jobs` the API's operations
//! (insert, get, list, cancel, re-drive, counts); `leases` the claim and every fenced
//! write after it; `matches` the match store (event log, snapshots, the atomic finish).

mod codec;
mod jobs;
mod keys;
mod leases;
mod matches;
mod prune;
mod schema;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{named_params, Connection, ErrorCode, Transaction, TransactionBehavior};
use tokio::sync::Semaphore;

use crate::clock::Clock;
use crate::lease::WorkerId;

use self::codec::{corrupt, to_time};
use self::schema::migrate;
use super::{
    millis, ConnectionCounts, Connections, Lifecycle, StoreError, StoreResult, WorkerHeartbeat,
    WorkerRecord, WorkerRegistry, LIVE_HEARTBEATS,
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
    /// Retention and idempotency-key life (the pruner and inserts read it).
    pub lifecycle: Lifecycle,
}

impl SqliteConfig {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            pool_size: DEFAULT_POOL_SIZE,
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            synchronous: Synchronous::default(),
            lifecycle: Lifecycle::default(),
        }
    }
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
                counts: ConnectionCounts::default(),
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

    fn connection_counts(&self) -> Connections {
        self.pool
            .counts
            .read(u64::try_from(self.pool.config.pool_size.max(1)).unwrap_or(u64::MAX))
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
    counts: ConnectionCounts,
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
                None => {
                    let conn = pool.connect()?;
                    pool.counts.opened(1);
                    conn
                }
            };
            pool.counts.checked_out(1);
            let result = f(&mut conn);
            pool.counts.checked_out(-1);
            pool.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
            result
        })
        .await
        .map_err(|e| StoreError::Other(anyhow!("store task failed: {e}")))?
    }
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

    async fn live_workers(&self, fallback: Duration) -> StoreResult<Vec<WorkerRecord>> {
        let now = self.now();
        self.pool
            .run(move |conn| {
                // Each worker by its own interval (in the heartbeat it wrote).
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT info, heartbeatAt FROM workers WHERE heartbeatAt >= :now - \
                         CASE WHEN COALESCE(json_extract(info, '$.intervalMs'), 0) > 0 \
                         THEN json_extract(info, '$.intervalMs') * :beats ELSE :fallback END \
                         ORDER BY workerId",
                    )
                    .map_err(sql)?;
                let params = named_params! {
                    ":now": now.ms,
                    ":beats": i64::from(LIVE_HEARTBEATS),
                    ":fallback": millis(fallback),
                };
                let rows = stmt
                    .query_map(params, |r| {
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
    use crate::job::{JobKind, JobStatus, NewJob, TenantId};
    use crate::store::{ClaimOutcome, ClaimRequest, JobStore, LeaseStore, NotClaimed};

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
            priority: None,
            fairness: Default::default(),
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
