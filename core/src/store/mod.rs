//! The store traits: everything the API and the workers ask of the job store.
//!
//! Four small traits at the seam, one per caller:
//! - [`JobStore`] — the API's view: insert (idempotent), get, list, cancel, re-drive, counts;
//! - [`LeaseStore`] — the worker's view: claim, renew, and the fenced outcomes;
//! - [`WorkerRegistry`] — heartbeats behind `GET /v1/workers`;
//! - [`MatchStore`] — match event logs (API) and fenced match state (the host).
//!
//! [`Store`] is all four. The lease invariants every store keeps are written once in
//! [`crate::lease`]; the conformance suite proves them for each.
//!
//! Layout:
//! - `config` — [`StoreConfig`], which store to open, read from the environment
//!   ([`open`] opens it);
//! - [`sqlite`] — [`sqlite::SqliteStore`], the embedded default (`schema`, `codec`,
//!   `jobs`, `leases`, `matches`);
//! - [`mongo`] — [`mongo::MongoStore`], the production store (`pipeline`, `codec`,
//!   `matches`);
//! - `conformance` (feature `conformance`) — the suite every store passes: the harness
//!   and the macro in `mod.rs`, the properties by area in `leases`, `lifecycle`,
//!   `inserts`, `listing`, `registry` and `matches`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::job::{InvalidTransition, Job, JobId, JobKind, JobStatus, NewJob, Priority, TenantId};
use crate::lease::{ClaimedJob, Lease, WorkerId};
use crate::matches::{EventRequest, MatchEvent, MatchRecord, MatchResult, MatchSnapshot};
use crate::notification::Channel;

mod config;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod fairness;
pub mod keys;
pub mod lifecycle;
pub mod mongo;
pub mod sqlite;

pub use config::StoreConfig;
pub use fairness::{FairClaim, Fairness, TenantLimits};
pub use keys::{ApiKeyRecord, KeyStore, NewApiKey};
pub use lifecycle::{KeyRoute, Lifecycle};

/// Why a store call failed. Callers match on these; the API maps them to status codes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A fenced write matched nothing: another holder took the job, or it was finished.
    /// The caller must drop its result.
    #[error("lease lost: the job is no longer held under this lease")]
    LeaseLost,
    /// No such job for this tenant.
    #[error("job not found")]
    NotFound,
    /// The job is not in a state that allows this (cancel a running job, re-drive a
    /// job that is not dead).
    #[error(transparent)]
    InvalidTransition(#[from] InvalidTransition),
    /// The match has finished (succeeded, dead or cancelled): it takes no more events.
    #[error("the match is {status}: it takes no more events")]
    MatchFinished { status: JobStatus },
    /// The idempotency key names a live job stored for a request with another body.
    #[error("the Idempotency-Key was used for a request with a different body")]
    IdempotencyKeyReused,
    /// The store cannot be reached or is too busy to answer; worth retrying later.
    #[error("store unavailable: {0}")]
    Unavailable(#[source] anyhow::Error),
    /// A stored value that cannot be read back (a bug or manual edit).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// Anything else; logged, never shown to clients.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The result of an insert: a new job, or the one an idempotency key already names.
#[derive(Debug, Clone, PartialEq)]
pub enum Inserted {
    Created(Job),
    Existing(Job),
}

impl Inserted {
    pub fn job(&self) -> &Job {
        match self {
            Inserted::Created(job) | Inserted::Existing(job) => job,
        }
    }

    pub fn into_job(self) -> Job {
        match self {
            Inserted::Created(job) | Inserted::Existing(job) => job,
        }
    }

    pub fn is_created(&self) -> bool {
        matches!(self, Inserted::Created(_))
    }
}

/// Filters for listing a tenant's jobs. Each one is served by an index of the tenant's
/// jobs in id order, so a page costs the same at any number of jobs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub status: Option<JobStatus>,
    pub kind: Option<JobKind>,
    pub priority: Option<Priority>,
    /// A notification's `channel` (the payload's); matches have none.
    pub channel: Option<Channel>,
}

/// The most jobs one [`JobStore::bulk_transition`] call moves, and the most ids a
/// [`BulkFilter`] may name: a bulk change is a bounded write, repeated (with the
/// cursor it returns) for more.
pub const BULK_MAX: u32 = 1_000;

/// A state change applied to many of a tenant's jobs at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    /// Dead jobs back to pending with fresh attempts, as one re-drive does.
    Redrive,
    /// Waiting (pending or scheduled) jobs to cancelled, as one cancel does.
    Cancel,
}

impl BulkAction {
    /// The statuses a job must be in to be moved.
    pub fn from(self) -> &'static [JobStatus] {
        match self {
            BulkAction::Redrive => &[JobStatus::Dead],
            BulkAction::Cancel => &[JobStatus::Pending, JobStatus::Scheduled],
        }
    }
}

/// Which of a tenant's jobs a bulk change selects; every field that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkFilter {
    pub kind: Option<JobKind>,
    pub priority: Option<Priority>,
    /// A notification's `channel` (the payload's); matches have none.
    pub channel: Option<Channel>,
    /// Created strictly after this time.
    pub created_after: Option<DateTime<Utc>>,
    /// Created strictly before this time.
    pub created_before: Option<DateTime<Utc>>,
    /// Only jobs whose `lastError` contains this text (case-sensitive).
    pub error_contains: Option<String>,
    /// Only these jobs (at most [`BULK_MAX`]); another tenant's id matches nothing.
    pub ids: Option<Vec<JobId>>,
}

impl BulkFilter {
    /// The fields a list filter has too (all of a list filter but its status).
    pub fn matching(list: &ListFilter) -> Self {
        Self {
            kind: list.kind,
            priority: list.priority,
            channel: list.channel,
            ..Self::default()
        }
    }

    /// The part of this filter a list filter can say (no status: the store adds the
    /// action's starting statuses).
    pub fn listed(&self) -> ListFilter {
        ListFilter {
            status: None,
            kind: self.kind,
            priority: self.priority,
            channel: self.channel,
        }
    }
}

/// One bounded step of a bulk change ([`JobStore::bulk_transition`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkRequest {
    pub action: BulkAction,
    pub filter: BulkFilter,
    /// The most jobs this step selects, `1..=`[`BULK_MAX`].
    pub limit: u32,
    /// Resume below this id: the `next_cursor` of the previous step.
    pub cursor: Option<JobId>,
}

/// What one step of a bulk change did.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkOutcome {
    /// The jobs the step selected (in the action's starting status, newest first).
    pub matched: u32,
    /// The ones it moved, as they are now, newest first. Fewer than `matched` when
    /// another caller (a worker, a single cancel) changed some of them first.
    pub jobs: Vec<Job>,
    /// Where the next step starts; `None` when no selected job is left below it.
    pub next_cursor: Option<JobId>,
}

impl BulkOutcome {
    /// The outcome of a step that selected `selected` ids (newest first) under
    /// `limit`, of which `jobs` moved.
    pub fn new(selected: &[JobId], limit: u32, mut jobs: Vec<Job>) -> Self {
        jobs.sort_by(|a, b| b.id.as_str().cmp(a.id.as_str()));
        let matched = u32::try_from(selected.len()).unwrap_or(u32::MAX);
        let next_cursor = if matched >= limit {
            selected.last().cloned()
        } else {
            None
        };
        Self {
            matched,
            jobs,
            next_cursor,
        }
    }
}

/// One kind × priority of a tenant's overview ([`JobStore::summarize`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueRow {
    pub kind: JobKind,
    pub priority: Priority,
    /// Jobs per status, each counted up to the `cap` asked for (a count equal to the
    /// cap means "at least").
    pub counts: StateCounts,
    /// The run time of the oldest pending or scheduled job that is due now.
    pub oldest_ready: Option<DateTime<Utc>>,
    /// Jobs that succeeded since the `since` asked for, counted up to the cap.
    pub succeeded_since: u64,
}

/// One page request: newest first, starting after `cursor` (the last id of the
/// previous page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub cursor: Option<JobId>,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 500;

    pub fn first(limit: u32) -> Self {
        Self {
            limit: limit.clamp(1, Self::MAX_LIMIT),
            cursor: None,
        }
    }

    pub fn after(limit: u32, cursor: JobId) -> Self {
        Self {
            limit: limit.clamp(1, Self::MAX_LIMIT),
            cursor: Some(cursor),
        }
    }
}

/// A page of jobs; `next_cursor` is `None` on the last page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<Job>,
    pub next_cursor: Option<JobId>,
}

/// What a claim-next call asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest {
    pub worker: WorkerId,
    pub lease: Duration,
    pub limit: usize,
    /// Only jobs of this kind; `None` for any.
    pub kind: Option<JobKind>,
    /// Only jobs of this priority (one RabbitMQ queue's deliveries); `None` for any,
    /// most urgent first.
    pub priority: Option<Priority>,
    /// How the claim rotates across tenants and which tenants are capped.
    pub fairness: Fairness,
}

/// Why a claim by id did not take the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotClaimed {
    NotFound,
    /// Succeeded, dead or cancelled: nothing to do.
    Finished(JobStatus),
    /// Another live lease holds it.
    Held {
        by: Option<WorkerId>,
        until: DateTime<Utc>,
    },
    /// Waiting for its run time; the poller will claim it then.
    NotDue {
        run_at: DateTime<Utc>,
    },
    /// Its lease expired on its last attempt: the claim moved it to dead.
    Exhausted,
    /// A delivery's turn was given to another tenant's job of the same queue, or its
    /// tenant is at its `TENANT_CONCURRENCY` cap; the job waits for a later turn.
    Turn,
}

impl NotClaimed {
    /// A short, bounded name for metrics and logs.
    pub fn label(&self) -> &'static str {
        match self {
            NotClaimed::NotFound => "not_found",
            NotClaimed::Finished(_) => "finished",
            NotClaimed::Held { .. } => "held",
            NotClaimed::NotDue { .. } => "not_due",
            NotClaimed::Exhausted => "exhausted",
            NotClaimed::Turn => "turn",
        }
    }

    /// Why `job`, as read after a claim that did not take it, was not claimable.
    pub fn describe(job: &Job) -> Self {
        match job.status {
            JobStatus::Succeeded | JobStatus::Dead | JobStatus::Cancelled => {
                NotClaimed::Finished(job.status)
            }
            JobStatus::Running => NotClaimed::Held {
                by: job.locked_by.clone(),
                until: job.lock_expiry.unwrap_or(job.updated_at),
            },
            JobStatus::Pending | JobStatus::Scheduled => NotClaimed::NotDue { run_at: job.run_at },
        }
    }
}

/// Errors come from remote systems; every store keeps what it stores bounded.
pub(crate) fn truncate_error(error: &str) -> String {
    const MAX: usize = 2_000;
    if error.len() <= MAX {
        return error.to_owned();
    }
    let mut end = MAX;
    while !error.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &error[..end])
}

/// The answer to a claim by id.
#[derive(Debug, Clone, PartialEq)]
pub enum ClaimOutcome {
    Claimed(Box<ClaimedJob>),
    NotClaimed(NotClaimed),
}

/// How a failed attempt should be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Try again after this delay (from the retry policy, or a `Retry-After`), unless
    /// the job's attempts are spent.
    After(Duration),
    /// The error will not go away by retrying (a 4xx, a bad address): dead at once.
    Never,
}

/// Where a failed job went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    Scheduled { run_at: DateTime<Utc> },
    Dead,
}

/// Job counts by status (for `notification_queue_depth{state}`); absent states are 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCounts(pub BTreeMap<JobStatus, u64>);

impl StateCounts {
    pub fn get(&self, status: JobStatus) -> u64 {
        self.0.get(&status).copied().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }
}

/// What a worker reports about itself on each heartbeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerHeartbeat {
    pub worker_id: WorkerId,
    pub hostname: String,
    pub pid: u32,
    pub started_at: DateTime<Utc>,
    pub in_flight: u32,
    pub capacity: u32,
    pub active_matches: u32,
    pub match_capacity: u32,
    pub processed: u64,
    /// The worker's `HEARTBEAT_INTERVAL_MS`: it counts as live while heard from within
    /// [`LIVE_HEARTBEATS`] of these, whatever interval the reader was configured with.
    /// 0 (a worker too old to say) falls back to the reader's window.
    #[serde(default)]
    pub interval_ms: u64,
}

/// A worker is live while heard from within this many of its own heartbeat intervals.
pub const LIVE_HEARTBEATS: u32 = 3;

/// A heartbeat as the registry holds it, with the store's time of last contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerRecord {
    #[serde(flatten)]
    pub heartbeat: WorkerHeartbeat,
    pub last_seen: DateTime<Utc>,
}

/// The API's view of jobs. Every call is tenant-scoped: another tenant's job is
/// [`StoreError::NotFound`], never visible.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Stores a new job durably. With an idempotency key already used by this tenant
    /// within [`Lifecycle::idempotency_ttl`], stores nothing and returns the existing
    /// job — or [`StoreError::IdempotencyKeyReused`] when both carry a request digest
    /// and they differ. A key older than the TTL is released from its job (which stays
    /// until retention removes it) and the new job takes it.
    async fn insert(&self, job: NewJob) -> StoreResult<Inserted>;

    /// Stores several jobs in one atomic write: all or none.
    async fn insert_many(&self, jobs: Vec<NewJob>) -> StoreResult<Vec<Inserted>>;

    async fn get(&self, tenant: &TenantId, id: &JobId) -> StoreResult<Job>;

    /// A tenant's jobs, newest first.
    async fn list(
        &self,
        tenant: &TenantId,
        filter: &ListFilter,
        page: &PageRequest,
    ) -> StoreResult<Page>;

    /// Cancels a waiting (pending or scheduled) job.
    async fn cancel(&self, tenant: &TenantId, id: &JobId) -> StoreResult<Job>;

    /// Moves a dead job back to pending with its attempts reset.
    async fn redrive(&self, tenant: &TenantId, id: &JobId) -> StoreResult<Job>;

    /// Jobs per status, across tenants.
    async fn counts(&self) -> StoreResult<StateCounts>;

    /// The job this tenant stored under an idempotency key.
    async fn find_by_idempotency_key(&self, tenant: &TenantId, key: &str) -> StoreResult<Job>;

    /// A tenant's overview, one row per kind × priority: counts by status, the oldest
    /// due job's run time, and successes since `since`. Every figure is an indexed,
    /// bounded read: counts stop at `cap`, so the cost does not grow with the store.
    async fn summarize(
        &self,
        tenant: &TenantId,
        since: DateTime<Utc>,
        cap: u64,
    ) -> StoreResult<Vec<QueueRow>>;

    /// How many of the tenant's jobs match `filter`, counted up to `cap`.
    async fn count_matching(
        &self,
        tenant: &TenantId,
        filter: &ListFilter,
        cap: u64,
    ) -> StoreResult<u64>;

    /// Applies `request.action` to up to `request.limit` of the tenant's jobs that
    /// match its filter and are in the action's starting status, newest first, below
    /// `request.cursor`, in one write. Each moved job changes exactly as the single
    /// call would change it ([`JobStore::redrive`], [`JobStore::cancel`]).
    async fn bulk_transition(
        &self,
        tenant: &TenantId,
        request: &BulkRequest,
    ) -> StoreResult<BulkOutcome>;

    /// A cheap round trip, for readiness checks.
    async fn ping(&self) -> StoreResult<()>;
}

/// The worker's view. Every write after a claim presents the [`Lease`] and is fenced
/// on it (see [`crate::lease`]).
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Claims one job by id (a RabbitMQ delivery names it).
    async fn claim(
        &self,
        id: &JobId,
        worker: &WorkerId,
        lease: Duration,
    ) -> StoreResult<ClaimOutcome>;

    /// Claims several jobs by id (a batch of RabbitMQ deliveries) in one write where the
    /// store can; one outcome per id, in order, each as [`LeaseStore::claim`] would
    /// answer it. The default claims them one by one.
    async fn claim_many(
        &self,
        ids: &[JobId],
        worker: &WorkerId,
        lease: Duration,
    ) -> StoreResult<Vec<ClaimOutcome>> {
        let mut outcomes = Vec::with_capacity(ids.len());
        for id in ids {
            outcomes.push(self.claim(id, worker, lease).await?);
        }
        Ok(outcomes)
    }

    /// Claims up to `limit` due jobs, critical first; within a priority, in turns across
    /// tenants ([`fairness`]), each tenant's oldest first, and no capped tenant past its
    /// cap. Jobs whose lease expired on their last attempt are moved to dead on the way.
    async fn claim_fair(&self, request: &ClaimRequest) -> StoreResult<FairClaim>;

    /// [`LeaseStore::claim_fair`], without the hint about capped tenants.
    async fn claim_due(&self, request: &ClaimRequest) -> StoreResult<Vec<ClaimedJob>> {
        Ok(self.claim_fair(request).await?.jobs)
    }

    /// Up to `limit` tenants, in name order, with pending jobs of `kind` at `priority`
    /// (one queue's waiting tenants). Cheap: the stores answer it from an index.
    async fn waiting_tenants(
        &self,
        kind: JobKind,
        priority: Priority,
        limit: usize,
    ) -> StoreResult<Vec<TenantId>>;

    /// Extends a lease that is still live by the store's clock.
    async fn renew(&self, lease: &Lease, lease_for: Duration) -> StoreResult<Lease>;

    async fn complete(&self, lease: &Lease) -> StoreResult<()>;

    /// Completes several jobs in one write where the store can; one result per lease,
    /// in order.
    async fn complete_many(&self, leases: &[Lease]) -> StoreResult<Vec<StoreResult<()>>> {
        let mut results = Vec::with_capacity(leases.len());
        for lease in leases {
            match self.complete(lease).await {
                Err(StoreError::Unavailable(e)) => return Err(StoreError::Unavailable(e)),
                other => results.push(other),
            }
        }
        Ok(results)
    }

    /// Records a failed attempt: scheduled again after the delay, or dead when the
    /// error is permanent or the attempts are spent.
    async fn fail(&self, lease: &Lease, error: &str, retry: Retry) -> StoreResult<FailOutcome>;

    /// Puts the job back to run after `delay` without spending the attempt.
    async fn snooze(
        &self,
        lease: &Lease,
        delay: Duration,
        reason: &str,
    ) -> StoreResult<DateTime<Utc>>;

    /// Gives the job back to be claimed at once, without spending the attempt.
    async fn release(&self, lease: &Lease) -> StoreResult<()>;
}

/// The registry of live workers.
#[async_trait]
pub trait WorkerRegistry: Send + Sync {
    async fn heartbeat(&self, beat: &WorkerHeartbeat) -> StoreResult<()>;

    /// Workers heard from within [`LIVE_HEARTBEATS`] of their own heartbeat intervals,
    /// by the store's clock; `fallback` is the window of a worker that recorded no
    /// interval.
    async fn live_workers(&self, fallback: Duration) -> StoreResult<Vec<WorkerRecord>>;

    /// Removes a worker on graceful shutdown.
    async fn deregister(&self, worker: &WorkerId) -> StoreResult<()>;
}

/// What [`MatchStore::append_event`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// The event was appended with the next `seq`.
    New(MatchEvent),
    /// The idempotency key already named an event of this match: that event, as first
    /// stored (nothing was written).
    Replayed(MatchEvent),
}

impl Appended {
    /// The event appended, or the one the key already named.
    pub fn event(&self) -> &MatchEvent {
        match self {
            Appended::New(event) | Appended::Replayed(event) => event,
        }
    }

    pub fn into_event(self) -> MatchEvent {
        match self {
            Appended::New(event) | Appended::Replayed(event) => event,
        }
    }

    pub fn is_new(&self) -> bool {
        matches!(self, Appended::New(_))
    }
}

/// Matches (`docs/matches.md`): the API appends to a match's event log and reads the match;
/// the host reads the log and saves state under its fenced lease (the lease itself is
/// taken with [`LeaseStore::claim`] / [`LeaseStore::claim_due`] like any job's).
#[async_trait]
pub trait MatchStore: Send + Sync {
    /// Appends an event to a match's log with the next sequence number (1, 2, 3…),
    /// allocated atomically with the write: concurrent appends from any number of API
    /// processes get distinct, gap-free numbers. [`StoreError::NotFound`] for an unknown
    /// id, another tenant's id, or a job that is not a match;
    /// [`StoreError::MatchFinished`] once the match succeeded, died or was cancelled.
    ///
    /// With an [`EventRequest::idempotency_key`], the key is looked up first, per
    /// match: an event already stored under it is returned as [`Appended::Replayed`]
    /// and nothing is written — the key, not the body, identifies the request. A
    /// replay is the original answer, so it is given even after the match finished;
    /// the tenant check still applies (another tenant's match stays `NotFound`).
    /// Concurrent appends under one key store exactly one event.
    async fn append_event(
        &self,
        tenant: &TenantId,
        id: &JobId,
        event: &EventRequest,
    ) -> StoreResult<Appended>;

    /// The match with its snapshot, last allocated seq and result (tenant-scoped).
    async fn get_match(&self, tenant: &TenantId, id: &JobId) -> StoreResult<MatchRecord>;

    /// Events with `seq > after`, ascending, at most `limit` (the host's read; not
    /// tenant-scoped, the host holds the lease).
    async fn events_after(
        &self,
        id: &JobId,
        after: u64,
        limit: usize,
    ) -> StoreResult<Vec<MatchEvent>>;

    /// The saved snapshot of a match (a new host resumes from it).
    /// [`MatchSnapshot::initial`] when nothing was saved yet.
    async fn load_snapshot(&self, id: &JobId) -> StoreResult<MatchSnapshot>;

    /// Saves the host's snapshot, fenced on the lease (`{_id, lockedBy, leaseVersion,
    /// status: running}`): [`StoreError::LeaseLost`] when it matches nothing, and then
    /// nothing is written.
    async fn save_snapshot(&self, lease: &Lease, snapshot: &MatchSnapshot) -> StoreResult<()>;

    /// Ends a match in one atomic, fenced write: saves the final snapshot and result,
    /// moves the match to `succeeded`, and inserts the result notifications
    /// (idempotently, by their keys — a key already used returns the existing job).
    /// [`StoreError::LeaseLost`] when the lease is gone, and then nothing is written:
    /// no result, no notification.
    async fn finish_match(
        &self,
        lease: &Lease,
        snapshot: &MatchSnapshot,
        result: &MatchResult,
        notifications: Vec<NewJob>,
    ) -> StoreResult<Vec<Inserted>>;
}

/// The name of the lease the pruner runs under (one worker at a time).
pub const PRUNER_DUTY: &str = "pruner";

/// A store-wide duty held by one worker at a time (the pruner), under the same fenced
/// protocol as a job's lease: taken when free or expired by the store's clock, the
/// version bumped on every change of holder, every write fenced on
/// `{name, holder, version}` and live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DutyLease {
    pub name: String,
    pub holder: WorkerId,
    pub version: u64,
    pub expires_at: DateTime<Utc>,
}

/// What one prune batch deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Jobs deleted, by kind and terminal state.
    pub jobs: BTreeMap<(JobKind, JobStatus), u64>,
    /// Match events deleted (their match ended longer than `RETENTION_MATCH_EVENTS` ago,
    /// or the match itself was deleted).
    pub events: u64,
    /// How long the batch held the store's write lock (SQLite: from taking it to the
    /// commit, not counting the wait for it); zero where the store takes none.
    pub held: Duration,
}

impl PruneReport {
    pub fn total(&self) -> u64 {
        self.jobs.values().sum::<u64>() + self.events
    }
}

/// Retention (DESIGN §13): the duty lease, and deleting what outlived its retention.
#[async_trait]
pub trait MaintenanceStore: Send + Sync {
    /// Takes the duty `name` for `lease` when it is free or expired, or extends it when
    /// `worker` holds it (same version); `None` while another live holder has it.
    async fn acquire_duty(
        &self,
        name: &str,
        worker: &WorkerId,
        lease: Duration,
    ) -> StoreResult<Option<DutyLease>>;

    /// Gives the duty back at once (graceful shutdown); a lease no longer held is a no-op.
    async fn release_duty(&self, lease: &DutyLease) -> StoreResult<()>;

    /// One short batch: deletes at most `limit` jobs that outlived their state's
    /// retention (with their match events) and at most `limit` events of matches that
    /// ended longer than `RETENTION_MATCH_EVENTS` ago, in one write transaction fenced
    /// on `lease` ([`StoreError::LeaseLost`] when it is not live, and then nothing is
    /// deleted). MongoDB deletes through its TTL indexes on `expireAt` instead and
    /// answers an empty report (after checking the lease).
    async fn prune(&self, lease: &DutyLease, limit: usize) -> StoreResult<PruneReport>;

    /// Across tenants, per kind × priority that has one: the run time of the oldest job
    /// that is due and not running (pending or scheduled with `runAt <= now`). One
    /// indexed read per kind × priority, whatever the backlog.
    async fn oldest_ready(&self) -> StoreResult<Vec<(JobKind, Priority, DateTime<Utc>)>>;

    /// This process's store connections now, from the pool itself (SQLite's pool, the
    /// MongoDB driver's connection-pool events): never the configured size.
    fn connections(&self) -> Connections;
}

/// A store's connection pool as it is now ([`MaintenanceStore::connections`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Connections {
    /// Connections open (in use or idle).
    pub open: u64,
    /// Connections checked out by a query right now.
    pub in_use: u64,
    /// The most the pool opens (`SQLITE_POOL_SIZE`, `MONGODB_MAX_POOL_SIZE` or the
    /// driver's default of 10).
    pub max: u64,
}

/// Open and checked-out counts, kept by a pool as connections come and go.
#[derive(Debug, Default)]
pub(crate) struct ConnectionCounts {
    open: AtomicI64,
    in_use: AtomicI64,
}

impl ConnectionCounts {
    pub(crate) fn opened(&self, n: i64) {
        self.open.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn checked_out(&self, n: i64) {
        self.in_use.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn read(&self, max: u64) -> Connections {
        let get = |n: &AtomicI64| u64::try_from(n.load(Ordering::Relaxed)).unwrap_or(0);
        Connections {
            open: get(&self.open),
            in_use: get(&self.in_use),
            max,
        }
    }
}

/// Everything a Herald process needs from its store.
pub trait Store:
    JobStore
    + LeaseStore
    + WorkerRegistry
    + MatchStore
    + KeyStore
    + MaintenanceStore
    + std::fmt::Debug
    + 'static
{
}

impl<T> Store for T where
    T: JobStore
        + LeaseStore
        + WorkerRegistry
        + MatchStore
        + KeyStore
        + MaintenanceStore
        + std::fmt::Debug
        + 'static
{
}

pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Opens the configured store.
pub async fn open(
    config: &StoreConfig,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
) -> StoreResult<std::sync::Arc<dyn Store>> {
    match config {
        StoreConfig::Sqlite(c) => Ok(std::sync::Arc::new(
            sqlite::SqliteStore::open(c.clone(), clock).await?,
        )),
        StoreConfig::Mongo(c) => Ok(std::sync::Arc::new(
            mongo::MongoStore::open(c.clone(), clock).await?,
        )),
    }
}
