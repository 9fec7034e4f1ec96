//! The production store: MongoDB, through the `mongodb` driver (v3).
//!
//! Time: every lease decision — is this job due, is this lease expired, may it be
//! renewed — is an `$expr` on the server's `$$NOW`, inside the same single-document
//! write that acts on it (a `findOneAndUpdate` or an update pipeline). The injected
//! [`Clock`] decides nothing here; it is only compared with the server's clock at
//! start-up to warn about a skewed host.
//!
//! Atomicity: a claim is one `findOneAndUpdate` that checks claimability, sets the
//! lease and increments `attempts` and `leaseVersion`. Every later write by the holder
//! matches the fence `{_id, lockedBy, leaseVersion, status: "running"}`; matching
//! nothing is [`StoreError::LeaseLost`]. `insert_many`, a match's event append and
//! `finish_match` run in multi-document transactions, each stored whole or not at all.
//!
//! Layout: [`pipeline`] builds every filter and update; `codec` reads documents back;
//! `matches` is the match store (event log, snapshots, the atomic finish).
//! The indexes and the query each serves are listed in `docs/lease-protocol.md`.

mod codec;
mod fair;
mod keys;
mod matches;
pub mod pipeline;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::options::{
    ClientOptions, FindOneAndUpdateOptions, Hint, IndexOptions, ReturnDocument, WriteConcern,
};
use mongodb::{Client, ClientSession, Collection, Database, IndexModel};

use crate::clock::Clock;
use crate::job::{Job, JobId, JobKind, JobStatus, NewJob, Priority, TenantId, Transition};
use crate::lease::{ClaimedJob, Lease, WorkerId};

use self::pipeline as q;
use super::{
    millis, ClaimOutcome, ClaimRequest, FailOutcome, FairClaim, Inserted, JobStore, LeaseStore,
    ListFilter, NotClaimed, Page, PageRequest, QueueRow, Retry, StateCounts, StoreError,
    StoreResult, WorkerHeartbeat, WorkerRecord, WorkerRegistry, REDRIVE_BATCH_MAX,
};

/// The database used when neither `MONGODB_DATABASE` nor the URI names one.
pub const DEFAULT_DATABASE: &str = "herald";
/// Workers silent this long are forgotten by the registry's TTL index.
pub const WORKER_TTL: Duration = Duration::from_secs(86_400);
/// How long a transaction keeps re-running on transient conflicts before the store
/// answers `Unavailable`. Appends to one busy match conflict on every overlap, and a
/// fixed small number of attempts starved the loser of a sustained race (measured: 2
/// processes appending flat out on SecantusDB, 8 attempts, one gave up).
const TRANSACTION_RETRY_BUDGET: Duration = Duration::from_secs(5);
/// The longest back-off between two runs of a conflicting transaction.
const TRANSACTION_BACKOFF_CAP: Duration = Duration::from_millis(250);
const DUPLICATE_ID_IN_BATCH: &str =
    "the batch repeats a job id or reuses an existing one; nothing was stored";

const JOBS: &str = "jobs";
const WORKERS: &str = "workers";
const MATCH_EVENTS: &str = "match_events";

/// `MONGODB_WRITE_CONCERN`: `majority` (the default) or a number of nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteConcernSetting {
    #[default]
    Majority,
    Nodes(u32),
}

impl FromStr for WriteConcernSetting {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("majority") {
            return Ok(Self::Majority);
        }
        match s.parse::<u32>() {
            // w:0 is fire-and-forget: a fenced write could not tell "lease lost" apart.
            Ok(0) => {
                Err("0 (unacknowledged) cannot be used: every lease write needs its answer".into())
            }
            Ok(n) => Ok(Self::Nodes(n)),
            Err(_) => Err(format!(
                "expected `majority` or a number of nodes, got {s:?}"
            )),
        }
    }
}

impl WriteConcernSetting {
    fn to_driver(self) -> WriteConcern {
        match self {
            Self::Majority => WriteConcern::majority(),
            Self::Nodes(n) => WriteConcern::nodes(n),
        }
    }
}

impl std::fmt::Display for WriteConcernSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Majority => f.write_str("majority"),
            Self::Nodes(n) => write!(f, "{n}"),
        }
    }
}

/// How to reach the MongoDB store.
#[derive(Clone)]
pub struct MongoConfig {
    /// The connection string; may hold a password, so it is never logged (see
    /// [`redact_uri`]).
    pub uri: String,
    pub database: String,
    pub max_pool_size: Option<u32>,
    pub min_pool_size: Option<u32>,
    pub write_concern: WriteConcernSetting,
    /// Overrides the URI's `serverSelectionTimeoutMS` (driver default 30 s): how long
    /// an operation waits for a reachable server before it is `Unavailable`.
    pub server_selection_timeout: Option<Duration>,
}

impl std::fmt::Debug for MongoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MongoConfig")
            .field("uri", &redact_uri(&self.uri))
            .field("database", &self.database)
            .field("max_pool_size", &self.max_pool_size)
            .field("min_pool_size", &self.min_pool_size)
            .field("write_concern", &self.write_concern)
            .field("server_selection_timeout", &self.server_selection_timeout)
            .finish()
    }
}

impl MongoConfig {
    /// Defaults for `uri`: the database it names (else `herald`), the driver's pool
    /// sizes, majority write concern.
    pub fn new(uri: impl Into<String>) -> Self {
        let uri = uri.into();
        let database = database_from_uri(&uri).unwrap_or_else(|| DEFAULT_DATABASE.to_owned());
        Self {
            uri,
            database,
            max_pool_size: None,
            min_pool_size: None,
            write_concern: WriteConcernSetting::default(),
            server_selection_timeout: None,
        }
    }

    /// One line for the start-up log, without credentials.
    pub fn describe(&self) -> String {
        let pool =
            |n: Option<u32>| n.map_or_else(|| "driver default".to_owned(), |n| n.to_string());
        format!(
            "MongoDB store at {} (database {}, pool max {} / min {}, write concern {})",
            redact_uri(&self.uri),
            self.database,
            pool(self.max_pool_size),
            pool(self.min_pool_size),
            self.write_concern,
        )
    }
}

pub use crate::config::redact_uri;

/// The database named in the URI's path, if any.
pub fn database_from_uri(uri: &str) -> Option<String> {
    let rest = uri.split_once("://")?.1;
    // After the user info, whose password may hold a `/` (see `redact_uri`).
    let rest = rest.rsplit_once('@').map_or(rest, |(_, hosts)| hosts);
    let path = rest.split_once('/')?.1;
    let name = path.split('?').next().unwrap_or("");
    (!name.is_empty()).then(|| name.to_owned())
}

/// MongoDB's rules for a database name.
pub fn check_database_name(name: &str) -> Result<String, String> {
    if name.is_empty() || name.len() > 63 {
        return Err("must be 1 to 63 characters".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| matches!(c, '/' | '\\' | '.' | ' ' | '"' | '$' | '\0'))
    {
        return Err(format!("may not contain {c:?}"));
    }
    Ok(name.to_owned())
}

/// The MongoDB store. Cheap to clone; clones share one connection pool.
#[derive(Clone)]
pub struct MongoStore {
    client: Client,
    db: Database,
    jobs: Collection<Document>,
    workers: Collection<Document>,
    /// The matches' event logs (see `matches`).
    events: Collection<Document>,
    /// Queues this process's appends to one match (see `matches::AppendQueues`).
    append_queues: Arc<matches::AppendQueues>,
    write_concern: WriteConcern,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for MongoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MongoStore")
            .field("database", &self.db.name())
            .finish_non_exhaustive()
    }
}

impl MongoStore {
    /// Connects, creates the indexes (idempotently) and checks the server's clock
    /// against `clock`. An unreachable server is [`StoreError::Unavailable`].
    pub async fn open(config: MongoConfig, clock: Arc<dyn Clock>) -> StoreResult<Self> {
        let mut options = ClientOptions::parse(config.uri.as_str())
            .await
            .map_err(|e| match classify(&e) {
                Class::Unavailable => StoreError::Unavailable(anyhow!(e)),
                _ => StoreError::Other(anyhow!("MONGODB_URI cannot be used: {e}")),
            })?;
        options.app_name = Some("herald".to_owned());
        if config.max_pool_size.is_some() {
            options.max_pool_size = config.max_pool_size;
        }
        if config.min_pool_size.is_some() {
            options.min_pool_size = config.min_pool_size;
        }
        if config.server_selection_timeout.is_some() {
            options.server_selection_timeout = config.server_selection_timeout;
        }
        let write_concern = config.write_concern.to_driver();
        options.write_concern = Some(write_concern.clone());
        let client = Client::with_options(options).map_err(mongo)?;
        let db = client.database(&config.database);
        let store = Self {
            jobs: db.collection(JOBS),
            workers: db.collection(WORKERS),
            events: db.collection(MATCH_EVENTS),
            append_queues: Arc::default(),
            client,
            db,
            write_concern,
            clock,
        };
        store.create_indexes().await?;
        store.check_clock().await;
        Ok(store)
    }

    /// A new handle on the same database with another client clock (tests use this to
    /// prove the clock decides nothing).
    pub fn with_clock(&self, clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            ..self.clone()
        }
    }

    /// The database this store uses (tests inspect it directly).
    pub fn database(&self) -> &Database {
        &self.db
    }

    async fn create_indexes(&self) -> StoreResult<()> {
        let index = |keys: Document, name: &str| {
            IndexModel::builder()
                .keys(keys)
                .options(IndexOptions::builder().name(name.to_owned()).build())
                .build()
        };
        let idempotency = IndexModel::builder()
            .keys(doc! { "tenant": 1, "idempotencyKey": 1 })
            .options(
                IndexOptions::builder()
                    .name(q::IDEMPOTENCY_INDEX.to_owned())
                    .unique(true)
                    .partial_filter_expression(doc! { "idempotencyKey": { "$type": "string" } })
                    .build(),
            )
            .build();
        self.jobs
            .create_indexes([
                index(
                    doc! { "status": 1, "priorityRank": 1, "runAt": 1 },
                    q::CLAIM_INDEX,
                ),
                index(doc! { "status": 1, "lockExpiry": 1 }, q::LEASE_EXPIRY_INDEX),
                // Fair claims (`store::fairness`): each priority's waiting tenants, and
                // one tenant's oldest due job.
                index(fair::fair_index_keys(), fair::FAIR_INDEX),
                index(doc! { "tenant": 1, "_id": 1 }, q::TENANT_LIST_INDEX),
                index(
                    doc! { "tenant": 1, "status": 1, "_id": 1 },
                    q::TENANT_STATUS_LIST_INDEX,
                ),
                // The console's filters and overview (`docs/console.md`).
                index(
                    doc! { "tenant": 1, "kind": 1, "_id": 1 },
                    q::TENANT_KIND_LIST_INDEX,
                ),
                index(
                    doc! { "tenant": 1, "priority": 1, "_id": 1 },
                    q::TENANT_PRIORITY_LIST_INDEX,
                ),
                index(
                    doc! { "tenant": 1, "payload.channel": 1, "_id": 1 },
                    q::TENANT_CHANNEL_LIST_INDEX,
                ),
                index(
                    doc! { "tenant": 1, "kind": 1, "status": 1, "_id": 1 },
                    q::TENANT_KIND_STATUS_LIST_INDEX,
                ),
                index(
                    doc! { "tenant": 1, "status": 1, "payload.channel": 1, "_id": 1 },
                    q::TENANT_STATUS_CHANNEL_LIST_INDEX,
                ),
                index(
                    doc! { "tenant": 1, "kind": 1, "priority": 1, "status": 1, "runAt": 1 },
                    q::TENANT_SUMMARY_INDEX,
                ),
                index(
                    doc! { "tenant": 1, "kind": 1, "priority": 1, "status": 1, "completedAt": 1 },
                    q::TENANT_FINISHED_INDEX,
                ),
                idempotency,
            ])
            .await
            .map_err(|e| context(e, "creating the jobs indexes"))?;
        let ttl = IndexModel::builder()
            .keys(doc! { "heartbeatAt": 1 })
            .options(
                IndexOptions::builder()
                    .name(q::WORKER_TTL_INDEX.to_owned())
                    .expire_after(WORKER_TTL)
                    .build(),
            )
            .build();
        self.workers
            .create_index(ttl)
            .await
            .map_err(|e| context(e, "creating the workers TTL index"))?;
        // One event per (match, seq): a second writer of a seq fails instead of
        // overwriting, and `events_after` is a range scan of this index.
        let seq = IndexModel::builder()
            .keys(doc! { "matchId": 1, "seq": 1 })
            .options(
                IndexOptions::builder()
                    .name(q::MATCH_EVENTS_INDEX.to_owned())
                    .unique(true)
                    .build(),
            )
            .build();
        // One event per (match, idempotency key), declared like the jobs' key index:
        // the append looks the key up first in its transaction, and this index makes a
        // concurrent second insert under the key fail (and re-run as a replay).
        let event_key = IndexModel::builder()
            .keys(doc! { "matchId": 1, "idempotencyKey": 1 })
            .options(
                IndexOptions::builder()
                    .name(q::EVENT_IDEMPOTENCY_INDEX.to_owned())
                    .unique(true)
                    .partial_filter_expression(doc! { "idempotencyKey": { "$type": "string" } })
                    .build(),
            )
            .build();
        self.events
            .create_indexes([seq, event_key])
            .await
            .map_err(|e| context(e, "creating the match_events indexes"))?;
        self.create_key_indexes().await
    }

    /// Warns when this host's clock is far from the server's. Harmless for leases
    /// (the server decides), but it skews logs and client-side timeouts.
    async fn check_clock(&self) {
        let Ok(hello) = self.db.run_command(doc! { "hello": 1 }).await else {
            return;
        };
        if let Ok(server) = hello.get_datetime("localTime") {
            let skew_ms = self.clock.now().timestamp_millis() - server.timestamp_millis();
            if skew_ms.abs() > 2_000 {
                tracing::warn!(
                    skew_ms,
                    "this host's clock differs from the MongoDB server's; \
                     leases follow the server's clock"
                );
            }
        }
    }

    fn find_and_update(&self) -> FindOneAndUpdateOptions {
        FindOneAndUpdateOptions::builder()
            .return_document(ReturnDocument::After)
            .build()
    }

    async fn find_job(&self, filter: Document) -> StoreResult<Option<Job>> {
        match self.jobs.find_one(filter).await.map_err(mongo)? {
            Some(doc) => codec::job_from_doc(&doc).map(Some),
            None => Ok(None),
        }
    }

    /// One fenced write that returns the job as it is after the write.
    async fn fenced(&self, lease: &Lease, update: Vec<Document>) -> StoreResult<Job> {
        self.fenced_where(q::fence(lease), update).await
    }

    async fn fenced_where(&self, filter: Document, update: Vec<Document>) -> StoreResult<Job> {
        let doc = self
            .jobs
            .find_one_and_update(filter, update)
            .with_options(self.find_and_update())
            .await
            .map_err(mongo)?
            .ok_or(StoreError::LeaseLost)?;
        codec::job_from_doc(&doc)
    }

    /// The claim write for one job; `None` when nothing claimable matched.
    async fn claim_one(
        &self,
        filter: Document,
        worker: &WorkerId,
        lease: Duration,
        sorted: bool,
    ) -> StoreResult<Option<ClaimedJob>> {
        let mut action = self
            .jobs
            .find_one_and_update(filter, q::claim_update(worker, lease))
            .return_document(ReturnDocument::After);
        if sorted {
            action = action
                .sort(q::claim_sort())
                .hint(Hint::Name(q::CLAIM_INDEX.to_owned()));
        }
        match action.await.map_err(mongo)? {
            None => Ok(None),
            Some(doc) => {
                let job = codec::job_from_doc(&doc)?;
                ClaimedJob::from_claimed(job)
                    .map(Some)
                    .ok_or_else(|| StoreError::Corrupt("claimed job has no lease fields".into()))
            }
        }
    }

    /// Moves jobs whose lease expired on their final attempt to dead.
    async fn bury_exhausted(&self, id: Option<&str>, kind: Option<JobKind>) -> StoreResult<u64> {
        let result = self
            .jobs
            .update_many(q::exhausted_filter(id, kind), q::bury_update())
            .hint(Hint::Name(q::LEASE_EXPIRY_INDEX.to_owned()))
            .await
            .map_err(mongo)?;
        Ok(result.modified_count)
    }

    /// The upsert that stores one new job; times are the server's.
    fn insert_update(job: &NewJob) -> StoreResult<Vec<Document>> {
        let (run_at, status) = match job.run_at {
            Some(at) => (
                q::date(at),
                Bson::Document(doc! { "$cond": [
                    { "$gt": [q::date(at), q::now()] },
                    JobStatus::Scheduled.as_str(),
                    JobStatus::Pending.as_str(),
                ] }),
            ),
            None => (q::now(), Bson::from(JobStatus::Pending.as_str())),
        };
        let mut set = doc! {
            "kind": job.kind.as_str(),
            "tenant": q::lit(job.tenant.as_str()),
            "priority": job.priority.as_str(),
            "priorityRank": job.priority.rank(),
            "status": status,
            "payload": q::lit(codec::payload_to_bson(&job.payload)?),
            "runAt": run_at,
            "attempts": 0_i64,
            "maxAttempts": i64::from(job.max_attempts.max(1)),
            "leaseVersion": 0_i64,
            "createdAt": q::now(),
            "updatedAt": q::now(),
            "history": q::lit(Bson::Array(Vec::new())),
        };
        if let Some(key) = &job.idempotency_key {
            set.insert("idempotencyKey", q::lit(key.as_str()));
        }
        Ok(vec![doc! { "$set": set }])
    }

    async fn insert_single(&self, job: NewJob) -> StoreResult<Inserted> {
        let update = Self::insert_update(&job)?;
        let written = self
            .jobs
            .find_one_and_update(q::insert_filter(job.id.as_str()), update)
            .upsert(true)
            .return_document(ReturnDocument::After)
            .await;
        match written {
            Ok(Some(doc)) => codec::job_from_doc(&doc).map(Inserted::Created),
            Ok(None) => Err(StoreError::Other(anyhow!("upsert returned no document"))),
            Err(e) => match duplicate(&e) {
                Some(Duplicate::IdempotencyKey) => match &job.idempotency_key {
                    Some(key) => self
                        .find_job(doc! { "tenant": job.tenant.as_str(), "idempotencyKey": key })
                        .await?
                        .map(Inserted::Existing)
                        .ok_or_else(|| {
                            StoreError::Other(anyhow!(
                                "duplicate idempotency key, but no job holds it"
                            ))
                        }),
                    None => Err(mongo(e)),
                },
                Some(Duplicate::Id) => Err(StoreError::Other(anyhow!(
                    "a job with id {} already exists",
                    job.id
                ))),
                Some(Duplicate::EventKey) | None => Err(mongo(e)),
            },
        }
    }

    /// The body of the batch transaction: replays resolve to the job already holding
    /// the key (including one inserted earlier in this batch), the rest are inserted.
    async fn insert_in(
        &self,
        session: &mut ClientSession,
        jobs: &[NewJob],
    ) -> Result<Vec<Inserted>, TxnError> {
        let mut out = Vec::with_capacity(jobs.len());
        for job in jobs {
            if let Some(key) = &job.idempotency_key {
                let existing = self
                    .jobs
                    .find_one(doc! { "tenant": job.tenant.as_str(), "idempotencyKey": key })
                    .session(&mut *session)
                    .await?;
                if let Some(doc) = existing {
                    out.push(Inserted::Existing(codec::job_from_doc(&doc)?));
                    continue;
                }
            }
            let doc = self
                .jobs
                .find_one_and_update(q::insert_filter(job.id.as_str()), Self::insert_update(job)?)
                .upsert(true)
                .return_document(ReturnDocument::After)
                .session(&mut *session)
                .await?
                .ok_or_else(|| StoreError::Other(anyhow!("upsert returned no document")))?;
            out.push(Inserted::Created(codec::job_from_doc(&doc)?));
        }
        Ok(out)
    }

    async fn insert_transaction(&self, jobs: Vec<NewJob>) -> StoreResult<Vec<Inserted>> {
        let jobs = &jobs;
        self.transaction(|mut session| {
            Box::pin(async move {
                let out = self.insert_in(&mut session, jobs).await;
                (session, out)
            })
        })
        .await
    }

    /// Runs `body` as one multi-document transaction (write concern as configured) and
    /// commits it; an error from the body aborts it, so nothing of it is stored.
    /// The body takes the session and hands it back, so that it can be run again:
    /// on a `TransientTransactionError` (a `WriteConflict` with a concurrent
    /// transaction) or an idempotency duplicate from a concurrent writer the whole
    /// body re-runs, with jittered back-off, and then sees the committed write.
    async fn transaction<'a, T: Send>(
        &'a self,
        mut body: impl FnMut(ClientSession) -> TxnBody<'a, T> + Send,
    ) -> StoreResult<T> {
        let mut session = self.client.start_session().await.map_err(mongo)?;
        let started = std::time::Instant::now();
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            session
                .start_transaction()
                .write_concern(self.write_concern.clone())
                .await
                .map_err(mongo)?;
            let (returned, outcome) = body(session).await;
            session = returned;
            let error = match outcome {
                Ok(out) => match commit(&mut session).await {
                    Ok(()) => return Ok(out),
                    Err(e) => TxnError::Mongo(e),
                },
                Err(e) => {
                    // Best effort: the server aborts an idle transaction by itself.
                    let _ = session.abort_transaction().await;
                    e
                }
            };
            match error {
                // Another writer took a key between our check and our insert, or the
                // server reported a conflict: run the whole body again, which now
                // sees the committed job as a replay.
                TxnError::Mongo(e)
                    if started.elapsed() < TRANSACTION_RETRY_BUDGET
                        && (e.contains_label(mongodb::error::TRANSIENT_TRANSACTION_ERROR)
                            || matches!(
                                duplicate(&e),
                                Some(Duplicate::IdempotencyKey | Duplicate::EventKey)
                            )) =>
                {
                    // Exponential back-off with full jitter, so that contenders spread
                    // out instead of colliding again in step.
                    let ceiling = millis(TRANSACTION_BACKOFF_CAP)
                        .min(10_i64 << attempt.min(10))
                        .max(1);
                    let pause = rand::random::<u64>() % u64::try_from(ceiling).unwrap_or(1);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
                TxnError::Mongo(e) if duplicate(&e) == Some(Duplicate::Id) => {
                    return Err(StoreError::Other(anyhow!(DUPLICATE_ID_IN_BATCH)))
                }
                // Still conflicting after the whole budget: too busy, worth retrying later.
                TxnError::Mongo(e)
                    if e.contains_label(mongodb::error::TRANSIENT_TRANSACTION_ERROR) =>
                {
                    return Err(StoreError::Unavailable(anyhow!(e)))
                }
                TxnError::Mongo(e) => return Err(mongo(e)),
                TxnError::Store(e) => return Err(e),
            }
        }
    }

    /// Cancel and re-drive: a conditional write on the state the transition needs, and
    /// on no match, the reason read back.
    async fn client_transition(
        &self,
        tenant: &TenantId,
        id: &JobId,
        transition: Transition,
    ) -> StoreResult<Job> {
        let (from, update): (&[JobStatus], Vec<Document>) = match transition {
            Transition::Cancel => (
                &[JobStatus::Pending, JobStatus::Scheduled],
                q::cancel_update(),
            ),
            Transition::Redrive => (&[JobStatus::Dead], q::redrive_update()),
            other => {
                return Err(StoreError::Other(anyhow!(
                    "{other:?} is not a client transition"
                )))
            }
        };
        let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
        // Two rounds: the state may change between a failed write and the read.
        for _ in 0..2 {
            let filter =
                doc! { "_id": id.as_str(), "tenant": tenant.as_str(), "status": { "$in": &from } };
            let updated = self
                .jobs
                .find_one_and_update(filter, update.clone())
                .with_options(self.find_and_update())
                .await
                .map_err(mongo)?;
            if let Some(doc) = updated {
                return codec::job_from_doc(&doc);
            }
            let job = self
                .find_job(doc! { "_id": id.as_str(), "tenant": tenant.as_str() })
                .await?
                .ok_or(StoreError::NotFound)?;
            job.status.apply(transition)?;
        }
        Err(StoreError::Other(anyhow!(
            "job {id} kept changing state during {transition:?}"
        )))
    }
}

/// What a transaction body gives back: the session, and its outcome.
type TxnBody<'a, T> = futures::future::BoxFuture<'a, (ClientSession, Result<T, TxnError>)>;

/// An error inside a transaction: the driver's (to classify), or ours.
enum TxnError {
    Mongo(mongodb::error::Error),
    Store(StoreError),
}

impl From<mongodb::error::Error> for TxnError {
    fn from(e: mongodb::error::Error) -> Self {
        Self::Mongo(e)
    }
}

impl From<StoreError> for TxnError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// Commits, retrying the commit itself when its outcome is unknown (it is idempotent).
async fn commit(session: &mut ClientSession) -> mongodb::error::Result<()> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match session.commit_transaction().await {
            Err(e)
                if attempt < 3
                    && e.contains_label(mongodb::error::UNKNOWN_TRANSACTION_COMMIT_RESULT) =>
            {
                continue
            }
            other => return other,
        }
    }
}

/// Which unique index a duplicate-key error hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Duplicate {
    Id,
    /// A job's `(tenant, idempotencyKey)`.
    IdempotencyKey,
    /// A match event's `(matchId, idempotencyKey)`: a concurrent append under the
    /// same key committed first.
    EventKey,
}

const DUPLICATE_KEY: i32 = 11000;

fn error_code_and_message(e: &mongodb::error::Error) -> Option<(i32, &str)> {
    match e.kind.as_ref() {
        ErrorKind::Command(c) => Some((c.code, c.message.as_str())),
        ErrorKind::Write(WriteFailure::WriteError(w)) => Some((w.code, w.message.as_str())),
        ErrorKind::Write(WriteFailure::WriteConcernError(w)) => Some((w.code, w.message.as_str())),
        _ => None,
    }
}

fn duplicate(e: &mongodb::error::Error) -> Option<Duplicate> {
    let (code, message) = error_code_and_message(e)?;
    if code != DUPLICATE_KEY {
        return None;
    }
    // mongod names the index in the message: "... index: <name> dup key: ...".
    if message.contains(q::IDEMPOTENCY_INDEX) {
        Some(Duplicate::IdempotencyKey)
    } else if message.contains(q::EVENT_IDEMPOTENCY_INDEX) {
        Some(Duplicate::EventKey)
    } else {
        Some(Duplicate::Id)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Class {
    Unavailable,
    Other,
}

/// Server codes that mean "this server cannot serve you right now": shutting down,
/// stepping down, not primary, recovering, network trouble reported by the server.
const UNAVAILABLE_CODES: &[i32] = &[
    6, 7, 89, 91, 189, 262, 9001, 10058, 10107, 11600, 11602, 13435, 13436, 64,
];

fn classify(e: &mongodb::error::Error) -> Class {
    match e.kind.as_ref() {
        ErrorKind::ServerSelection { .. }
        | ErrorKind::Io(_)
        | ErrorKind::ConnectionPoolCleared { .. }
        | ErrorKind::DnsResolve { .. } => Class::Unavailable,
        _ => match error_code_and_message(e) {
            Some((code, _)) if UNAVAILABLE_CODES.contains(&code) => Class::Unavailable,
            _ => Class::Other,
        },
    }
}

/// Maps a driver error: unreachable or not serving → `Unavailable`, the rest `Other`.
fn mongo(e: mongodb::error::Error) -> StoreError {
    match classify(&e) {
        Class::Unavailable => StoreError::Unavailable(anyhow!(e)),
        Class::Other => StoreError::Other(anyhow!(e)),
    }
}

fn context(e: mongodb::error::Error, what: &'static str) -> StoreError {
    match mongo(e) {
        StoreError::Unavailable(e) => StoreError::Unavailable(e.context(what)),
        StoreError::Other(e) => StoreError::Other(e.context(what)),
        other => other,
    }
}

#[async_trait]
impl JobStore for MongoStore {
    async fn insert(&self, job: NewJob) -> StoreResult<Inserted> {
        self.insert_single(job).await
    }

    async fn insert_many(&self, jobs: Vec<NewJob>) -> StoreResult<Vec<Inserted>> {
        match jobs.len() {
            0 => Ok(Vec::new()),
            1 => {
                let mut jobs = jobs;
                match jobs.pop() {
                    Some(job) => Ok(vec![self.insert_single(job).await?]),
                    None => Ok(Vec::new()),
                }
            }
            _ => self.insert_transaction(jobs).await,
        }
    }

    async fn get(&self, tenant: &TenantId, id: &JobId) -> StoreResult<Job> {
        self.find_job(doc! { "_id": id.as_str(), "tenant": tenant.as_str() })
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn list(
        &self,
        tenant: &TenantId,
        filter: &ListFilter,
        page: &PageRequest,
    ) -> StoreResult<Page> {
        let limit = page.limit.clamp(1, PageRequest::MAX_LIMIT);
        let mut query = q::list_filter(tenant.as_str(), filter);
        if let Some(cursor) = &page.cursor {
            query.insert("_id", doc! { "$lt": cursor.as_str() });
        }
        let docs: Vec<Document> = self
            .jobs
            .find(query)
            .sort(doc! { "_id": -1 })
            .limit(i64::from(limit) + 1)
            .await
            .map_err(mongo)?
            .try_collect()
            .await
            .map_err(mongo)?;
        let mut items = docs
            .iter()
            .map(codec::job_from_doc)
            .collect::<StoreResult<Vec<_>>>()?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = if more {
            items.last().map(|j| j.id.clone())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    async fn cancel(&self, tenant: &TenantId, id: &JobId) -> StoreResult<Job> {
        self.client_transition(tenant, id, Transition::Cancel).await
    }

    async fn redrive(&self, tenant: &TenantId, id: &JobId) -> StoreResult<Job> {
        self.client_transition(tenant, id, Transition::Redrive)
            .await
    }

    async fn counts(&self) -> StoreResult<StateCounts> {
        let groups: Vec<Document> = self
            .jobs
            .aggregate([doc! { "$group": { "_id": "$status", "n": { "$sum": 1 } } }])
            .await
            .map_err(mongo)?
            .try_collect()
            .await
            .map_err(mongo)?;
        let mut counts = StateCounts::default();
        for group in groups {
            let status = group
                .get_str("_id")
                .map_err(|e| StoreError::Corrupt(format!("status: {e}")))?
                .parse::<JobStatus>()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let n = match group.get("n") {
                Some(Bson::Int32(n)) => u64::try_from(*n).unwrap_or(0),
                Some(Bson::Int64(n)) => u64::try_from(*n).unwrap_or(0),
                other => return Err(StoreError::Corrupt(format!("count {other:?}"))),
            };
            counts.0.insert(status, n);
        }
        Ok(counts)
    }

    async fn find_by_idempotency_key(&self, tenant: &TenantId, key: &str) -> StoreResult<Job> {
        self.find_job(doc! { "tenant": tenant.as_str(), "idempotencyKey": key })
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn summarize(
        &self,
        tenant: &TenantId,
        since: DateTime<Utc>,
        cap: u64,
    ) -> StoreResult<Vec<QueueRow>> {
        let cap = i64::try_from(cap).unwrap_or(i64::MAX);
        // Display only (which due job is oldest): the client's clock is close enough.
        let now = mongodb::bson::DateTime::from_millis(self.clock.now().timestamp_millis());
        let since = mongodb::bson::DateTime::from_millis(since.timestamp_millis());
        let mut rows = Vec::new();
        for &kind in JobKind::ALL {
            for &priority in Priority::ALL {
                let cell = doc! {
                    "tenant": tenant.as_str(), "kind": kind.as_str(), "priority": priority.as_str(),
                };
                let mut counts = StateCounts::default();
                for &status in JobStatus::ALL {
                    let mut filter = cell.clone();
                    filter.insert("status", status.as_str());
                    let n = self
                        .jobs
                        .count_documents(filter)
                        .limit(u64::try_from(cap).unwrap_or(0))
                        .hint(Hint::Name(q::TENANT_SUMMARY_INDEX.to_owned()))
                        .await
                        .map_err(mongo)?;
                    if n > 0 {
                        counts.0.insert(status, n);
                    }
                }
                let mut due = cell.clone();
                due.insert(
                    "status",
                    doc! { "$in": [JobStatus::Pending.as_str(), JobStatus::Scheduled.as_str()] },
                );
                due.insert("runAt", doc! { "$lte": now });
                let oldest_ready = match self
                    .jobs
                    .find_one(due)
                    .sort(doc! { "runAt": 1 })
                    .await
                    .map_err(mongo)?
                {
                    Some(doc) => Some(codec::job_from_doc(&doc)?.run_at),
                    None => None,
                };
                let mut done = cell.clone();
                done.insert("status", JobStatus::Succeeded.as_str());
                done.insert("completedAt", doc! { "$gte": since });
                let succeeded_since = self
                    .jobs
                    .count_documents(done)
                    .limit(u64::try_from(cap).unwrap_or(0))
                    .await
                    .map_err(mongo)?;
                rows.push(QueueRow {
                    kind,
                    priority,
                    counts,
                    oldest_ready,
                    succeeded_since,
                });
            }
        }
        Ok(rows)
    }

    async fn count_matching(
        &self,
        tenant: &TenantId,
        filter: &ListFilter,
        cap: u64,
    ) -> StoreResult<u64> {
        self.jobs
            .count_documents(q::list_filter(tenant.as_str(), filter))
            .limit(cap)
            .await
            .map_err(mongo)
    }

    async fn redrive_matching(
        &self,
        tenant: &TenantId,
        filter: &ListFilter,
        limit: u32,
    ) -> StoreResult<Vec<Job>> {
        let filter = ListFilter {
            status: Some(JobStatus::Dead),
            ..filter.clone()
        };
        let limit = limit.clamp(1, REDRIVE_BATCH_MAX);
        let chosen: Vec<Document> = self
            .jobs
            .find(q::list_filter(tenant.as_str(), &filter))
            .projection(doc! { "_id": 1 })
            .sort(doc! { "_id": -1 })
            .limit(i64::from(limit))
            .await
            .map_err(mongo)?
            .try_collect()
            .await
            .map_err(mongo)?;
        let ids: Vec<Bson> = chosen
            .iter()
            .filter_map(|d| d.get("_id").cloned())
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // The same write as one re-drive, conditional on each job still being dead; the
        // ones another caller moved first are simply not in the answer.
        let stamp = mongodb::bson::oid::ObjectId::new().to_hex();
        let mut update = q::redrive_update();
        if let Some(Ok(set)) = update
            .first_mut()
            .map(|stage| stage.get_document_mut("$set"))
        {
            set.insert("redriveBatch", stamp.as_str());
        }
        self.jobs
            .update_many(
                doc! { "_id": { "$in": ids.clone() }, "tenant": tenant.as_str(), "status": JobStatus::Dead.as_str() },
                update,
            )
            .await
            .map_err(mongo)?;
        let docs: Vec<Document> = self
            .jobs
            .find(doc! { "_id": { "$in": ids }, "redriveBatch": stamp.as_str() })
            .sort(doc! { "_id": -1 })
            .await
            .map_err(mongo)?
            .try_collect()
            .await
            .map_err(mongo)?;
        docs.iter().map(codec::job_from_doc).collect()
    }

    async fn ping(&self) -> StoreResult<()> {
        self.db
            .run_command(doc! { "ping": 1 })
            .await
            .map(|_| ())
            .map_err(mongo)
    }
}

#[async_trait]
impl LeaseStore for MongoStore {
    async fn claim(
        &self,
        id: &JobId,
        worker: &WorkerId,
        lease: Duration,
    ) -> StoreResult<ClaimOutcome> {
        let filter = q::claim_filter(Some(id.as_str()), None);
        if let Some(claimed) = self.claim_one(filter, worker, lease, false).await? {
            return Ok(ClaimOutcome::Claimed(Box::new(claimed)));
        }
        if self.bury_exhausted(Some(id.as_str()), None).await? > 0 {
            return Ok(ClaimOutcome::NotClaimed(NotClaimed::Exhausted));
        }
        let why = match self.find_job(doc! { "_id": id.as_str() }).await? {
            None => NotClaimed::NotFound,
            Some(job) => NotClaimed::describe(&job),
        };
        Ok(ClaimOutcome::NotClaimed(why))
    }

    /// One `findOneAndUpdate` per job, in claim order across waiting jobs and expired
    /// leases alike (see `docs/lease-protocol.md`). A failure after some claims returns
    /// those claims: they are held, and dropping them would only strand them until
    /// their lease ran out.
    async fn claim_fair(&self, request: &ClaimRequest) -> StoreResult<FairClaim> {
        self.fair_claim(request).await
    }

    async fn waiting_tenants(
        &self,
        kind: JobKind,
        priority: Priority,
        limit: usize,
    ) -> StoreResult<Vec<TenantId>> {
        self.pending_tenants(kind, priority, limit).await
    }

    async fn renew(&self, lease: &Lease, lease_for: Duration) -> StoreResult<Lease> {
        let job = self
            .fenced_where(q::renew_filter(lease), q::renew_update(lease_for))
            .await?;
        let expires_at = job
            .lock_expiry
            .ok_or_else(|| StoreError::Corrupt("renewed job has no lockExpiry".into()))?;
        Ok(Lease {
            expires_at,
            ..lease.clone()
        })
    }

    async fn complete(&self, lease: &Lease) -> StoreResult<()> {
        self.fenced(lease, q::complete_update()).await.map(|_| ())
    }

    async fn fail(&self, lease: &Lease, error: &str, retry: Retry) -> StoreResult<FailOutcome> {
        let error = crate::store::truncate_error(error);
        let retry_after = match retry {
            Retry::After(delay) => Some(delay),
            Retry::Never => None,
        };
        let job = self
            .fenced(lease, q::fail_update(&error, retry_after))
            .await?;
        match job.status {
            JobStatus::Scheduled => Ok(FailOutcome::Scheduled { run_at: job.run_at }),
            JobStatus::Dead => Ok(FailOutcome::Dead),
            other => Err(StoreError::Corrupt(format!(
                "failed job is {other}, expected scheduled or dead"
            ))),
        }
    }

    async fn snooze(
        &self,
        lease: &Lease,
        delay: Duration,
        reason: &str,
    ) -> StoreResult<DateTime<Utc>> {
        let reason = crate::store::truncate_error(reason);
        let job = self.fenced(lease, q::snooze_update(delay, &reason)).await?;
        Ok(job.run_at)
    }

    async fn release(&self, lease: &Lease) -> StoreResult<()> {
        self.fenced(lease, q::release_update()).await.map(|_| ())
    }
}

#[async_trait]
impl WorkerRegistry for MongoStore {
    async fn heartbeat(&self, beat: &WorkerHeartbeat) -> StoreResult<()> {
        let mut set = codec::heartbeat_fields(beat);
        set.insert("heartbeatAt", q::now());
        self.workers
            .update_one(
                doc! { "_id": beat.worker_id.as_str() },
                vec![doc! { "$set": set }],
            )
            .upsert(true)
            .await
            .map_err(mongo)?;
        Ok(())
    }

    async fn live_workers(&self, fallback: Duration) -> StoreResult<Vec<WorkerRecord>> {
        // Each worker by its own interval (in the heartbeat it wrote).
        let interval = doc! { "$ifNull": ["$intervalMs", 0] };
        let window = doc! { "$cond": [
            { "$gt": [interval.clone(), 0] },
            { "$multiply": [interval, i64::from(super::LIVE_HEARTBEATS)] },
            millis(fallback),
        ] };
        let since = doc! { "$subtract": [q::now(), window] };
        let docs: Vec<Document> = self
            .workers
            .find(doc! { "$expr": { "$gte": ["$heartbeatAt", since] } })
            .sort(doc! { "_id": 1 })
            .await
            .map_err(mongo)?
            .try_collect()
            .await
            .map_err(mongo)?;
        docs.iter().map(codec::worker_from_doc).collect()
    }

    async fn deregister(&self, worker: &WorkerId) -> StoreResult<()> {
        self.workers
            .delete_one(doc! { "_id": worker.as_str() })
            .await
            .map_err(mongo)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(
            redact_uri("mongodb://herald:s3cr%40t@db1:27017,db2/herald?replicaSet=rs0"),
            "mongodb://herald:***@db1:27017,db2/herald?replicaSet=rs0"
        );
        assert_eq!(
            redact_uri("mongodb+srv://u:p@cluster.example.net"),
            "mongodb+srv://u:***@cluster.example.net"
        );
        assert_eq!(
            redact_uri("mongodb://127.0.0.1:27017/?directConnection=true"),
            "mongodb://127.0.0.1:27017/?directConnection=true"
        );
        let config = MongoConfig::new("mongodb://u:hunter2@h/app");
        assert!(!config.describe().contains("hunter2"));
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn database_comes_from_the_uri_path_else_herald() {
        assert_eq!(MongoConfig::new("mongodb://h/app?w=1").database, "app");
        assert_eq!(MongoConfig::new("mongodb://h/?w=1").database, "herald");
        assert_eq!(MongoConfig::new("mongodb://h").database, "herald");
        assert_eq!(MongoConfig::new("mongodb://u:p/w@h/app").database, "app");
        assert!(check_database_name("a.b").is_err());
        assert!(check_database_name("herald_test_1").is_ok());
    }

    #[test]
    fn write_concern_is_majority_or_a_node_count() {
        assert_eq!("majority".parse(), Ok(WriteConcernSetting::Majority));
        assert_eq!("2".parse(), Ok(WriteConcernSetting::Nodes(2)));
        assert!("0".parse::<WriteConcernSetting>().is_err());
        assert!("all".parse::<WriteConcernSetting>().is_err());
    }
}
