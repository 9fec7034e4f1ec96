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

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, DateTime as BsonDateTime, Document};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::event::cmap::CmapEvent;
use mongodb::event::command::CommandEvent;
use mongodb::event::EventHandler;
use mongodb::options::{
    ClientOptions, FindOneAndUpdateOptions, Hint, IndexOptions, ReturnDocument, WriteConcern,
};
use mongodb::{Client, ClientSession, Collection, Database, IndexModel};

use crate::clock::Clock;
use crate::job::{Job, JobId, JobKind, JobStatus, NewJob, Priority, TenantId, Transition};
use crate::lease::{ClaimedJob, Lease, WorkerId};

use self::pipeline as q;
use super::{
    millis, BulkAction, BulkOutcome, BulkRequest, ClaimOutcome, ClaimRequest, ConnectionCounts,
    Connections, FailOutcome, FairClaim, Inserted, JobStore, LeaseStore, Lifecycle, ListFilter,
    NotClaimed, Page, PageRequest, QueueRow, Retry, StateCounts, StoreError, StoreResult,
    WorkerHeartbeat, WorkerRecord, WorkerRegistry, BULK_MAX,
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
const LEASES: &str = "leases";

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
    /// Retention (the `expireAt` set at terminal transitions) and idempotency-key life.
    pub lifecycle: Lifecycle,
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
            .field("lifecycle", &self.lifecycle)
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
            lifecycle: Lifecycle::default(),
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
    /// Duty leases (the pruner's), one document per duty.
    leases: Collection<Document>,
    /// Queues this process's appends to one match (see `matches::AppendQueues`).
    append_queues: Arc<matches::AppendQueues>,
    write_concern: WriteConcern,
    lifecycle: Lifecycle,
    clock: Arc<dyn Clock>,
    /// Kept by the driver's connection-pool (CMAP) events.
    connections: Arc<ConnectionCounts>,
    /// `maxPoolSize` as the driver uses it.
    max_pool_size: u64,
}

/// The driver's pool size when `maxPoolSize` is not set.
const DRIVER_MAX_POOL_SIZE: u32 = 10;

/// Counts connections from the driver's pool events: created/closed for the open ones,
/// checked out/in for the ones in use.
fn pool_events(counts: Arc<ConnectionCounts>) -> EventHandler<CmapEvent> {
    EventHandler::callback(move |event: CmapEvent| match event {
        CmapEvent::ConnectionCreated(_) => counts.opened(1),
        CmapEvent::ConnectionClosed(_) => counts.opened(-1),
        CmapEvent::ConnectionCheckedOut(_) => counts.checked_out(1),
        CmapEvent::ConnectionCheckedIn(_) => counts.checked_out(-1),
        _ => {}
    })
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
        Self::open_observed(config, clock, None).await
    }

    /// [`MongoStore::open`], with the driver's command monitoring reporting every
    /// command this store sends to `commands`: the round-trip budget test
    /// (`core/tests/mongo_round_trips.rs`) counts them.
    pub async fn open_observed(
        config: MongoConfig,
        clock: Arc<dyn Clock>,
        commands: Option<EventHandler<CommandEvent>>,
    ) -> StoreResult<Self> {
        let mut options = ClientOptions::parse(config.uri.as_str())
            .await
            .map_err(|e| match classify(&e) {
                Class::Unavailable => StoreError::Unavailable(anyhow!(e)),
                _ => StoreError::Other(anyhow!("MONGODB_URI cannot be used: {e}")),
            })?;
        options.app_name = Some("herald".to_owned());
        options.command_event_handler = commands;
        let connections = Arc::new(ConnectionCounts::default());
        options.cmap_event_handler = Some(pool_events(connections.clone()));
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
            leases: db.collection(LEASES),
            append_queues: Arc::default(),
            client,
            db,
            write_concern,
            lifecycle: config.lifecycle,
            clock,
            connections,
            max_pool_size: u64::from(config.max_pool_size.unwrap_or(DRIVER_MAX_POOL_SIZE)),
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

    /// `update` followed by the stage that sets or removes `expireAt` for the status
    /// the job ends with ([`q::expiry_stage`]).
    fn expiring(&self, mut update: Vec<Document>) -> Vec<Document> {
        update.push(q::expiry_stage(&self.lifecycle));
        update
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
                index(fair::fair_index_keys(), q::FAIR_INDEX),
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
                IndexModel::builder()
                    .keys(doc! { "status": 1, "completedAt": 1 })
                    .options(
                        IndexOptions::builder()
                            .name(q::ENDED_MATCHES_INDEX.to_owned())
                            .partial_filter_expression(doc! { "kind": JobKind::Match.as_str() })
                            .build(),
                    )
                    .build(),
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
        // Retention (DESIGN §13): the engine deletes a finished job, and an ended
        // match's events, at their `expireAt` (set at the terminal transition from
        // RETENTION_*; absent = kept for ever).
        let expiry = |name: &str| {
            IndexModel::builder()
                .keys(doc! { "expireAt": 1 })
                .options(
                    IndexOptions::builder()
                        .name(name.to_owned())
                        .expire_after(Duration::ZERO)
                        .build(),
                )
                .build()
        };
        self.jobs
            .create_index(expiry(q::JOBS_EXPIRY_INDEX))
            .await
            .map_err(|e| context(e, "creating the jobs TTL index"))?;
        self.events
            .create_index(expiry(q::EVENTS_EXPIRY_INDEX))
            .await
            .map_err(|e| context(e, "creating the match_events TTL index"))?;
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
            .update_many(
                q::exhausted_filter(id, kind),
                self.expiring(q::bury_update()),
            )
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
        if let Some(digest) = &job.request_digest {
            set.insert("requestDigest", q::lit(digest.as_str()));
        }
        Ok(vec![doc! { "$set": set }])
    }

    async fn insert_single(&self, job: NewJob) -> StoreResult<Inserted> {
        let update = Self::insert_update(&job)?;
        // At most twice: a key found expired is released, then the insert runs again.
        let mut released = false;
        loop {
            let written = self
                .jobs
                .find_one_and_update(q::insert_filter(job.id.as_str()), update.clone())
                .upsert(true)
                .return_document(ReturnDocument::After)
                .await;
            let e = match written {
                Ok(Some(doc)) => return codec::job_from_doc(&doc).map(Inserted::Created),
                Ok(None) => return Err(StoreError::Other(anyhow!("upsert returned no document"))),
                Err(e) => e,
            };
            return match duplicate(&e) {
                Some(Duplicate::IdempotencyKey) => match &job.idempotency_key {
                    Some(key) => {
                        if !released && self.release_expired_key(None, &job.tenant, key).await? {
                            released = true;
                            continue;
                        }
                        let holder = self
                            .jobs
                            .find_one(doc! { "tenant": job.tenant.as_str(), "idempotencyKey": key })
                            .await
                            .map_err(mongo)?
                            .ok_or_else(|| {
                                StoreError::Other(anyhow!(
                                    "duplicate idempotency key, but no job holds it"
                                ))
                            })?;
                        replay(&holder, &job)
                    }
                    None => Err(mongo(e)),
                },
                Some(Duplicate::Id) => Err(StoreError::Other(anyhow!(
                    "a job with id {} already exists",
                    job.id
                ))),
                Some(Duplicate::EventKey) | None => Err(mongo(e)),
            };
        }
    }

    /// Takes `key` off the tenant's job that holds it when the key has outlived
    /// `IDEMPOTENCY_TTL` by the server's clock; whether it did. The job itself stays
    /// until its retention ends.
    async fn release_expired_key(
        &self,
        session: Option<&mut ClientSession>,
        tenant: &TenantId,
        key: &str,
    ) -> StoreResult<bool> {
        let Some(ttl) = self.lifecycle.idempotency_ttl else {
            return Ok(false);
        };
        let filter = doc! {
            "tenant": tenant.as_str(),
            "idempotencyKey": key,
            "$expr": { "$lte": [{ "$add": ["$createdAt", millis(ttl)] }, q::now()] },
        };
        let update = doc! { "$unset": { "idempotencyKey": "" } };
        let action = self.jobs.update_one(filter, update);
        let result = match session {
            Some(session) => action.session(session).await,
            None => action.await,
        }
        .map_err(mongo)?;
        Ok(result.modified_count == 1)
    }

    /// The body of the batch transaction, in a fixed number of round trips whatever the
    /// batch size (`core/tests/mongo_round_trips.rs`): one query finds every key already
    /// held (replays resolve to that job, as does a key repeated inside the batch), one
    /// `update` command upserts the rest at the server's time, one query reads them back.
    async fn insert_in(
        &self,
        session: &mut ClientSession,
        jobs: &[NewJob],
    ) -> Result<Vec<Inserted>, TxnError> {
        let key_of = |job: &NewJob| {
            job.idempotency_key
                .as_ref()
                .map(|key| (job.tenant.as_str().to_owned(), key.clone()))
        };
        let keyed: Vec<Document> = jobs
            .iter()
            .filter_map(|job| {
                let key = job.idempotency_key.as_ref()?;
                Some(doc! { "tenant": job.tenant.as_str(), "idempotencyKey": key })
            })
            .collect();
        // Held keys, as stored (a replay compares the request digest).
        let mut held: HashMap<(String, String), Document> = HashMap::new();
        if !keyed.is_empty() {
            let mut cursor = self
                .jobs
                .find(doc! { "$or": keyed })
                .batch_size(u32::MAX >> 1)
                .session(&mut *session)
                .await?;
            while let Some(doc) = cursor.next(&mut *session).await.transpose()? {
                if let (Ok(tenant), Ok(key)) =
                    (doc.get_str("tenant"), doc.get_str("idempotencyKey"))
                {
                    held.insert((tenant.to_owned(), key.to_owned()), doc.clone());
                }
            }
        }
        // A key past IDEMPOTENCY_TTL is taken off its old job: the request is new.
        let mut expired = Vec::new();
        for (tenant, key) in held.keys() {
            let tenant_id = TenantId::parse(tenant)
                .map_err(|e| StoreError::Corrupt(format!("stored tenant {tenant:?}: {e}")))?;
            if self
                .release_expired_key(Some(&mut *session), &tenant_id, key)
                .await?
            {
                expired.push((tenant.clone(), key.clone()));
            }
        }
        for k in expired {
            held.remove(&k);
        }
        // Each job is a replay of a held key, a repeat of a key earlier in this batch
        // (the index of that job), or new.
        enum Slot {
            Held(Box<Inserted>),
            SameAs(usize),
            New,
        }
        let mut first_with_key: HashMap<(String, String), usize> = HashMap::new();
        let mut slots = Vec::with_capacity(jobs.len());
        let mut statements = Vec::new();
        for (i, job) in jobs.iter().enumerate() {
            let key = key_of(job);
            if let Some(existing) = key.as_ref().and_then(|k| held.get(k)) {
                slots.push(Slot::Held(Box::new(replay(existing, job)?)));
                continue;
            }
            if let Some(&first) = key.as_ref().and_then(|k| first_with_key.get(k)) {
                slots.push(Slot::SameAs(first));
                continue;
            }
            if let Some(key) = key {
                first_with_key.insert(key, i);
            }
            statements.push(doc! {
                "q": q::insert_filter(job.id.as_str()),
                "u": Self::insert_update(job)?,
                "upsert": true,
            });
            slots.push(Slot::New);
        }
        let ids: Vec<&str> = jobs
            .iter()
            .zip(&slots)
            .filter(|(_, slot)| matches!(slot, Slot::New))
            .map(|(job, _)| job.id.as_str())
            .collect();
        let mut created: HashMap<String, Job> = HashMap::new();
        if !statements.is_empty() {
            self.update_batch(Some(&mut *session), statements).await?;
            for job in self
                .find_in(session, doc! { "_id": { "$in": &ids } })
                .await?
            {
                created.insert(job.id.as_str().to_owned(), job);
            }
        }
        let mut out: Vec<Inserted> = Vec::with_capacity(jobs.len());
        for (job, slot) in jobs.iter().zip(slots) {
            let inserted = match slot {
                Slot::Held(replayed) => *replayed,
                Slot::SameAs(first) => Inserted::Existing(out[first].job().clone()),
                Slot::New => match created.remove(job.id.as_str()) {
                    Some(stored) => Inserted::Created(stored),
                    None => {
                        return Err(TxnError::Store(StoreError::Other(anyhow!(
                            "job {} was upserted but not read back",
                            job.id
                        ))))
                    }
                },
            };
            out.push(inserted);
        }
        Ok(out)
    }

    /// Every job matching `filter`, read inside `session`'s transaction in one round
    /// trip (the server's 16 MiB reply limit aside).
    async fn find_in(
        &self,
        session: &mut ClientSession,
        filter: Document,
    ) -> Result<Vec<Job>, TxnError> {
        let mut cursor = self
            .jobs
            .find(filter)
            .batch_size(u32::MAX >> 1)
            .session(&mut *session)
            .await?;
        let mut jobs = Vec::new();
        while let Some(doc) = cursor.next(&mut *session).await.transpose()? {
            jobs.push(codec::job_from_doc(&doc)?);
        }
        Ok(jobs)
    }

    /// Every job matching `filter`, outside any transaction.
    async fn find_all(&self, filter: Document, limit: usize) -> StoreResult<Vec<Job>> {
        let docs: Vec<Document> = self
            .jobs
            .find(filter)
            // One more than can match, so the first batch ends the cursor (no getMore).
            .batch_size(u32::try_from(limit + 1).unwrap_or(u32::MAX >> 1))
            .await
            .map_err(mongo)?
            .try_collect()
            .await
            .map_err(mongo)?;
        docs.iter().map(codec::job_from_doc).collect()
    }

    /// Sends `statements` (`{q, u, upsert?}`) as one `update` command: one round trip
    /// for the whole batch. Inside a transaction the session carries the write concern;
    /// outside, the store's is sent with the command. Returns how many documents the
    /// statements matched; a write error fails the whole call, and an idempotency-key
    /// duplicate from a concurrent writer is a [`TxnError::Conflict`] (the transaction
    /// re-runs and sees the winner's job).
    async fn update_batch(
        &self,
        session: Option<&mut ClientSession>,
        statements: Vec<Document>,
    ) -> Result<u64, TxnError> {
        let mut command = doc! {
            "update": JOBS,
            "updates": statements,
            "ordered": true,
        };
        let sent = match session {
            Some(session) => self.db.run_command(command).session(session).await?,
            None => {
                let concern = mongodb::bson::to_document(&self.write_concern).map_err(|e| {
                    TxnError::Store(StoreError::Other(anyhow!(
                        "encoding the write concern: {e}"
                    )))
                })?;
                if !concern.is_empty() {
                    command.insert("writeConcern", concern);
                }
                self.db.run_command(command).await?
            }
        };
        if let Ok(errors) = sent.get_array("writeErrors") {
            if let Some(first) = errors.first().and_then(Bson::as_document) {
                let code = first.get_i32("code").unwrap_or_default();
                let message = first.get_str("errmsg").unwrap_or_default().to_owned();
                return Err(
                    if code == DUPLICATE_KEY && message.contains(q::IDEMPOTENCY_INDEX) {
                        TxnError::Conflict(message)
                    } else if code == DUPLICATE_KEY {
                        TxnError::Store(StoreError::Other(anyhow!(DUPLICATE_ID_IN_BATCH)))
                    } else {
                        TxnError::Store(StoreError::Other(anyhow!(
                            "batched update failed (code {code}): {message}"
                        )))
                    },
                );
            }
        }
        if let Ok(concern) = sent.get_document("writeConcernError") {
            return Err(TxnError::Store(StoreError::Unavailable(anyhow!(
                "write concern not satisfied: {concern}"
            ))));
        }
        let matched = match sent.get("n") {
            Some(Bson::Int32(n)) => u64::try_from(*n).unwrap_or(0),
            Some(Bson::Int64(n)) => u64::try_from(*n).unwrap_or(0),
            Some(Bson::Double(n)) => *n as u64,
            _ => 0,
        };
        Ok(matched)
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
                TxnError::Conflict(_) if started.elapsed() < TRANSACTION_RETRY_BUDGET => {
                    let ceiling = millis(TRANSACTION_BACKOFF_CAP)
                        .min(10_i64 << attempt.min(10))
                        .max(1);
                    let pause = rand::random::<u64>() % u64::try_from(ceiling).unwrap_or(1);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
                TxnError::Conflict(message) => {
                    return Err(StoreError::Unavailable(anyhow!(
                        "idempotency keys kept conflicting: {message}"
                    )))
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
                self.expiring(q::cancel_update()),
            ),
            Transition::Redrive => (&[JobStatus::Dead], self.expiring(q::redrive_update())),
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
    /// A concurrent writer took an idempotency key this transaction writes (reported
    /// in a batched command's `writeErrors`): re-run the body, which then replays it.
    Conflict(String),
}

/// The answer to a replayed key: the job that holds it, unless the two requests carry
/// different digests.
fn replay(holder: &Document, job: &NewJob) -> StoreResult<Inserted> {
    let stored = holder.get_str("requestDigest").ok();
    match (stored, job.request_digest.as_deref()) {
        (Some(a), Some(b)) if a != b => Err(StoreError::IdempotencyKeyReused),
        _ => codec::job_from_doc(holder).map(Inserted::Existing),
    }
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
        let job = self
            .client_transition(tenant, id, Transition::Redrive)
            .await?;
        if job.kind == JobKind::Match {
            self.keep_logs(&[Bson::from(job.id.as_str())]).await?;
        }
        Ok(job)
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

    async fn bulk_transition(
        &self,
        tenant: &TenantId,
        request: &BulkRequest,
    ) -> StoreResult<BulkOutcome> {
        let limit = request.limit.clamp(1, BULK_MAX);
        let chosen: Vec<Document> = self
            .jobs
            .find(q::bulk_filter(tenant.as_str(), request))
            .projection(doc! { "_id": 1 })
            .sort(doc! { "_id": -1 })
            .limit(i64::from(limit))
            .await
            .map_err(mongo)?
            .try_collect()
            .await
            .map_err(mongo)?;
        let selected = chosen
            .iter()
            .map(|d| {
                d.get_str("_id")
                    .map_err(|e| StoreError::Corrupt(format!("_id: {e}")))?
                    .parse::<JobId>()
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        if selected.is_empty() {
            return Ok(BulkOutcome::new(&selected, limit, Vec::new()));
        }
        let ids: Vec<&str> = selected.iter().map(JobId::as_str).collect();
        let from: Vec<&str> = request.action.from().iter().map(|s| s.as_str()).collect();
        // The same write as one re-drive or cancel, conditional on each job still being
        // in the starting status; the ones another caller moved first are simply not in
        // the answer. A stamp names this call's writes for the read back.
        let mut update = self.expiring(match request.action {
            BulkAction::Redrive => q::redrive_update(),
            BulkAction::Cancel => q::cancel_update(),
        });
        let stamp = mongodb::bson::oid::ObjectId::new().to_hex();
        if let Some(Ok(set)) = update
            .first_mut()
            .map(|stage| stage.get_document_mut("$set"))
        {
            set.insert("bulkStamp", stamp.as_str());
        }
        self.jobs
            .update_many(
                doc! { "_id": { "$in": &ids }, "tenant": tenant.as_str(), "status": { "$in": from } },
                update,
            )
            .await
            .map_err(mongo)?;
        let docs: Vec<Document> = self
            .jobs
            .find(doc! { "_id": { "$in": &ids }, "bulkStamp": stamp.as_str() })
            .await
            .map_err(mongo)?
            .try_collect()
            .await
            .map_err(mongo)?;
        let jobs = docs
            .iter()
            .map(codec::job_from_doc)
            .collect::<StoreResult<Vec<_>>>()?;
        if request.action == BulkAction::Redrive {
            let matches: Vec<Bson> = jobs
                .iter()
                .filter(|j| j.kind == JobKind::Match)
                .map(|j| Bson::from(j.id.as_str()))
                .collect();
            self.keep_logs(&matches).await?;
        }
        Ok(BulkOutcome::new(&selected, limit, jobs))
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

    /// Three round trips for the whole batch (`core/tests/mongo_round_trips.rs`): read
    /// each job's `leaseVersion`, claim every one still at that version in one
    /// `updateMany` (the claim filter and update of [`LeaseStore::claim`]), read them
    /// back. A job at `leaseVersion + 1` under this worker was claimed by this call —
    /// the fencing token moves once per claim, so no other claim can look the same.
    /// The rest (not claimable, changed in between, a repeated id) go through
    /// [`LeaseStore::claim`] one by one, which also says why.
    async fn claim_many(
        &self,
        ids: &[JobId],
        worker: &WorkerId,
        lease: Duration,
    ) -> StoreResult<Vec<ClaimOutcome>> {
        if ids.len() < 2 {
            let mut outcomes = Vec::with_capacity(ids.len());
            for id in ids {
                outcomes.push(self.claim(id, worker, lease).await?);
            }
            return Ok(outcomes);
        }
        let wanted: Vec<&str> = ids.iter().map(JobId::as_str).collect();
        let before: HashMap<String, u64> = self
            .find_all(doc! { "_id": { "$in": &wanted } }, ids.len())
            .await?
            .into_iter()
            .map(|job| (job.id.as_str().to_owned(), job.lease_version))
            .collect();
        let at_version: Vec<Document> = before
            .iter()
            .map(|(id, version)| {
                doc! { "_id": id, "leaseVersion": i64::try_from(*version).unwrap_or(i64::MAX) }
            })
            .collect();
        let mut claimed: HashMap<String, Job> = HashMap::new();
        if !at_version.is_empty() {
            let mut filter = q::claim_filter(None, None);
            filter.insert("$or", at_version);
            self.jobs
                .update_many(filter, q::claim_update(worker, lease))
                .await
                .map_err(mongo)?;
            for job in self
                .find_all(doc! { "_id": { "$in": &wanted } }, ids.len())
                .await?
            {
                let was = before.get(job.id.as_str()).copied();
                let mine = job.status == JobStatus::Running
                    && job.locked_by.as_ref() == Some(worker)
                    && was.map(|v| v + 1) == Some(job.lease_version);
                if mine {
                    claimed.insert(job.id.as_str().to_owned(), job);
                }
            }
        }
        let mut seen = HashSet::new();
        let mut outcomes = Vec::with_capacity(ids.len());
        for id in ids {
            let first = seen.insert(id.as_str());
            let job = if first {
                claimed.remove(id.as_str())
            } else {
                None
            };
            let outcome = match job {
                Some(job) => {
                    ClaimOutcome::Claimed(Box::new(ClaimedJob::from_claimed(job).ok_or_else(
                        || StoreError::Corrupt("claimed job has no lease fields".into()),
                    )?))
                }
                None => self.claim(id, worker, lease).await?,
            };
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    /// One `update` command for the whole batch (`core/tests/mongo_round_trips.rs`),
    /// each statement fenced on its own lease. When every statement matched, every
    /// job is recorded; otherwise the jobs are read back, and a lease counts as
    /// completed only if its job is `succeeded` at that lease's version with this
    /// worker's attempt last in its history — else it was lost.
    async fn complete_many(&self, leases: &[Lease]) -> StoreResult<Vec<StoreResult<()>>> {
        if leases.len() < 2 {
            let mut results = Vec::with_capacity(leases.len());
            for lease in leases {
                match self.complete(lease).await {
                    Err(StoreError::Unavailable(e)) => return Err(StoreError::Unavailable(e)),
                    other => results.push(other),
                }
            }
            return Ok(results);
        }
        let statements = leases
            .iter()
            .map(|lease| doc! { "q": q::fence(lease), "u": q::complete_update() })
            .collect();
        let matched = match self.update_batch(None, statements).await {
            Ok(n) => n,
            Err(TxnError::Mongo(e)) => return Err(mongo(e)),
            Err(TxnError::Store(e)) => return Err(e),
            Err(TxnError::Conflict(m)) => return Err(StoreError::Other(anyhow!(m))),
        };
        if usize::try_from(matched).ok() == Some(leases.len()) {
            return Ok(leases.iter().map(|_| Ok(())).collect());
        }
        let ids: Vec<&str> = leases.iter().map(|l| l.job_id.as_str()).collect();
        let jobs: HashMap<String, Job> = self
            .find_all(doc! { "_id": { "$in": &ids } }, leases.len())
            .await?
            .into_iter()
            .map(|job| (job.id.as_str().to_owned(), job))
            .collect();
        Ok(leases
            .iter()
            .map(|lease| {
                let done = jobs.get(lease.job_id.as_str()).is_some_and(|job| {
                    job.status == JobStatus::Succeeded
                        && job.lease_version == lease.version
                        && job.history.last().and_then(|a| a.worker.as_deref())
                            == Some(lease.worker.as_str())
                });
                if done {
                    Ok(())
                } else {
                    Err(StoreError::LeaseLost)
                }
            })
            .collect())
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
        self.fenced(lease, self.expiring(q::complete_update()))
            .await
            .map(|_| ())
    }

    async fn fail(&self, lease: &Lease, error: &str, retry: Retry) -> StoreResult<FailOutcome> {
        let error = crate::store::truncate_error(error);
        let retry_after = match retry {
            Retry::After(delay) => Some(delay),
            Retry::Never => None,
        };
        let job = self
            .fenced(lease, self.expiring(q::fail_update(&error, retry_after)))
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

/// How long after its end a dead or cancelled match waits for the log sweep: a write
/// that ended a match is visible well within this, so the sweep's watermark never
/// passes a match it has not seen.
const ENDED_MATCH_SETTLE: Duration = Duration::from_secs(5);

impl MongoStore {
    /// Gives the event logs of matches that ended dead or cancelled their expiry
    /// (`RETENTION_MATCH_EVENTS` from now). A match that succeeds sets it in its finish
    /// transaction; these ends happen in writes that know nothing of the log (a failed
    /// attempt, a lease expiring on the last one, a cancel), so the pruner's holder
    /// sweeps them in end order from a watermark kept on its duty document, at most
    /// `limit` matches per call. A match re-driven meanwhile loses the expiry again.
    async fn expire_ended_logs(
        &self,
        lease: &crate::store::DutyLease,
        duty: &Document,
        keep: Duration,
        limit: usize,
    ) -> StoreResult<()> {
        let ended = [JobStatus::Dead.as_str(), JobStatus::Cancelled.as_str()];
        let since = duty
            .get_datetime("endedMatchesSweptTo")
            .copied()
            .unwrap_or(BsonDateTime::from_millis(0));
        let settled = doc! { "$subtract": [q::now(), millis(ENDED_MATCH_SETTLE)] };
        let found: Vec<Document> = self
            .jobs
            .find(doc! {
                "kind": JobKind::Match.as_str(),
                "status": { "$in": &ended[..] },
                // `$gte`: matches that ended in the watermark's millisecond are swept
                // again (setting the expiry twice is harmless), none is skipped.
                "completedAt": { "$gte": since },
                "$expr": { "$lt": ["$completedAt", settled] },
            })
            .projection(doc! { "_id": 1, "completedAt": 1 })
            .sort(doc! { "completedAt": 1 })
            .limit(i64::try_from(limit.max(1)).unwrap_or(i64::MAX))
            .hint(Hint::Name(q::ENDED_MATCHES_INDEX.to_owned()))
            .await
            .map_err(mongo)?
            .try_collect()
            .await
            .map_err(mongo)?;
        let Some(last) = found
            .last()
            .and_then(|d| d.get_datetime("completedAt").ok())
        else {
            return Ok(());
        };
        // A full batch all in one millisecond would never move the watermark: step past.
        let next = if *last == since && found.len() >= limit.max(1) {
            BsonDateTime::from_millis(last.timestamp_millis() + 1)
        } else {
            *last
        };
        let ids: Vec<Bson> = found.iter().filter_map(|d| d.get("_id").cloned()).collect();
        // Only logs without an expiry: a match swept again (at the watermark) keeps the
        // one it was given, rather than having it pushed back by every sweep.
        self.events
            .update_many(
                doc! { "matchId": { "$in": &ids }, "expireAt": { "$exists": false } },
                vec![doc! { "$set": { "expireAt": q::now_plus(keep) } }],
            )
            .await
            .map_err(mongo)?;
        // A match re-driven between the read and the write keeps its log: the re-drive
        // removes the expiry after its own write, and this removes it after ours.
        let revived: Vec<Bson> = self
            .jobs
            .find(doc! { "_id": { "$in": &ids }, "status": { "$nin": &ended[..] } })
            .projection(doc! { "_id": 1 })
            .await
            .map_err(mongo)?
            .try_collect::<Vec<Document>>()
            .await
            .map_err(mongo)?
            .iter()
            .filter_map(|d| d.get("_id").cloned())
            .collect();
        self.keep_logs(&revived).await?;
        self.leases
            .update_one(
                duty_fence(lease),
                doc! { "$set": { "endedMatchesSweptTo": next } },
            )
            .await
            .map_err(mongo)?;
        Ok(())
    }

    /// Removes the expiry from these matches' event logs (a re-driven match runs again).
    async fn keep_logs(&self, matches: &[Bson]) -> StoreResult<()> {
        if matches.is_empty() {
            return Ok(());
        }
        self.events
            .update_many(
                doc! { "matchId": { "$in": matches }, "expireAt": { "$exists": true } },
                doc! { "$unset": { "expireAt": "" } },
            )
            .await
            .map_err(mongo)?;
        Ok(())
    }
}

/// Retention on MongoDB: the TTL indexes on `expireAt` delete; the duty lease is the
/// same fenced protocol as SQLite's, decided on the server's clock.
#[async_trait]
impl crate::store::MaintenanceStore for MongoStore {
    fn connections(&self) -> Connections {
        self.connections.read(self.max_pool_size)
    }

    async fn acquire_duty(
        &self,
        name: &str,
        worker: &WorkerId,
        lease: Duration,
    ) -> StoreResult<Option<crate::store::DutyLease>> {
        let me = worker.as_str();
        // One upsert that changes the holder only when the duty is free, expired, or
        // already ours; the document after it says whether we hold it.
        let takeable = doc! { "$or": [
            { "$eq": [{ "$ifNull": ["$holder", Bson::Null] }, Bson::Null] },
            { "$lt": [{ "$ifNull": ["$expiresAt", q::date(DateTime::<Utc>::UNIX_EPOCH)] }, q::now()] },
            { "$eq": ["$holder", q::lit(me)] },
        ] };
        let renewal = doc! { "$and": [
            { "$eq": ["$holder", q::lit(me)] },
            { "$gte": ["$expiresAt", q::now()] },
        ] };
        let update = vec![doc! { "$set": {
            "version": { "$cond": [
                renewal,
                "$version",
                { "$cond": [takeable.clone(), { "$add": [{ "$ifNull": ["$version", 0_i64] }, 1_i64] }, "$version"] },
            ] },
            "holder": { "$cond": [takeable.clone(), q::lit(me), "$holder"] },
            "expiresAt": { "$cond": [takeable, q::now_plus(lease), "$expiresAt"] },
        } }];
        let doc = self
            .leases
            .find_one_and_update(doc! { "_id": name }, update)
            .upsert(true)
            .return_document(ReturnDocument::After)
            .await
            .map_err(mongo)?
            .ok_or_else(|| StoreError::Other(anyhow!("duty upsert returned no document")))?;
        if doc.get_str("holder").ok() != Some(me) {
            return Ok(None);
        }
        let version = match doc.get("version") {
            Some(Bson::Int64(v)) => u64::try_from(*v).unwrap_or(0),
            Some(Bson::Int32(v)) => u64::try_from(*v).unwrap_or(0),
            _ => return Err(StoreError::Corrupt("duty lease without a version".into())),
        };
        let expires_at = doc
            .get_datetime("expiresAt")
            .map_err(|e| StoreError::Corrupt(format!("duty lease expiry: {e}")))?;
        Ok(Some(crate::store::DutyLease {
            name: name.to_owned(),
            holder: worker.clone(),
            version,
            expires_at: DateTime::from_timestamp_millis(expires_at.timestamp_millis())
                .unwrap_or_default(),
        }))
    }

    async fn release_duty(&self, lease: &crate::store::DutyLease) -> StoreResult<()> {
        self.leases
            .update_one(
                duty_fence(lease),
                doc! { "$set": { "holder": Bson::Null, "expiresAt": q::date(DateTime::<Utc>::UNIX_EPOCH) } },
            )
            .await
            .map_err(mongo)?;
        Ok(())
    }

    async fn prune(
        &self,
        lease: &crate::store::DutyLease,
        limit: usize,
    ) -> StoreResult<crate::store::PruneReport> {
        let mut live = duty_fence(lease);
        live.insert("$expr", doc! { "$gte": ["$expiresAt", q::now()] });
        let Some(duty) = self.leases.find_one(live).await.map_err(mongo)? else {
            return Err(StoreError::LeaseLost);
        };
        if let Some(keep) = self.lifecycle.match_events {
            self.expire_ended_logs(lease, &duty, keep, limit).await?;
        }
        Ok(crate::store::PruneReport::default())
    }

    async fn oldest_ready(&self) -> StoreResult<Vec<(JobKind, Priority, DateTime<Utc>)>> {
        self.oldest_ready_rows().await
    }
}

impl MongoStore {
    /// The oldest due waiting job of each kind × priority: the claim index's range of
    /// one status and priority, in run-time order, first match of the kind. "Due" is by
    /// this host's clock here (a metric, not a lease decision), so the range stays
    /// indexed.
    async fn oldest_ready_rows(&self) -> StoreResult<Vec<(JobKind, Priority, DateTime<Utc>)>> {
        let now = q::date(self.clock.now());
        let mut out = Vec::new();
        for &kind in JobKind::ALL {
            for &priority in Priority::ALL {
                let mut oldest: Option<DateTime<Utc>> = None;
                for status in [JobStatus::Pending, JobStatus::Scheduled] {
                    let found = self
                        .jobs
                        .find_one(doc! {
                            "status": status.as_str(),
                            "priorityRank": priority.rank(),
                            "runAt": { "$lte": now.clone() },
                            "kind": kind.as_str(),
                        })
                        .sort(doc! { "runAt": 1 })
                        .hint(Hint::Name(q::CLAIM_INDEX.to_owned()))
                        .await
                        .map_err(mongo)?;
                    if let Some(at) = found.as_ref().and_then(|d| d.get_datetime("runAt").ok()) {
                        let at = DateTime::from_timestamp_millis(at.timestamp_millis())
                            .unwrap_or_default();
                        oldest = Some(oldest.map_or(at, |o| o.min(at)));
                    }
                }
                if let Some(at) = oldest {
                    out.push((kind, priority, at));
                }
            }
        }
        Ok(out)
    }
}

fn duty_fence(lease: &crate::store::DutyLease) -> Document {
    doc! {
        "_id": lease.name.as_str(),
        "holder": lease.holder.as_str(),
        "version": i64::try_from(lease.version).unwrap_or(i64::MAX),
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
