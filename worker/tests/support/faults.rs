//! A real store with injected lost answers: each call runs on the real store, and the
//! next `n` answers of a chosen method are replaced by `Unavailable` — the write
//! happened, its answer never arrived (a dropped connection after a commit).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use herald_core::matches::{EventRequest, MatchEvent, MatchRecord, MatchResult, MatchSnapshot};
use herald_core::store::{
    ApiKeyRecord, Appended, ClaimOutcome, ClaimRequest, DutyLease, FailOutcome, FairClaim,
    Inserted, JobStore, KeyStore, LeaseStore, ListFilter, MaintenanceStore, MatchStore, NewApiKey,
    Page, PageRequest, PruneReport, Retry, StateCounts, StoreResult, WorkerHeartbeat, WorkerRecord,
    WorkerRegistry,
};
use herald_core::{
    Job, JobId, JobKind, Lease, NewJob, Priority, Store, StoreError, TenantId, WorkerId,
};

#[derive(Debug)]
pub struct LostAnswers {
    inner: Arc<dyn Store>,
    /// Answers still to lose, by method name.
    to_lose: Mutex<HashMap<&'static str, u32>>,
    /// Calls made, by method name.
    calls: Mutex<HashMap<&'static str, u32>>,
}

impl LostAnswers {
    pub fn new(inner: Arc<dyn Store>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            to_lose: Mutex::default(),
            calls: Mutex::default(),
        })
    }

    /// The next `n` answers of `method` are lost (after the real call ran).
    pub fn lose(&self, method: &'static str, n: u32) {
        self.to_lose.lock().unwrap().insert(method, n);
    }

    pub fn calls(&self, method: &'static str) -> u32 {
        self.calls.lock().unwrap().get(method).copied().unwrap_or(0)
    }

    fn answer<T>(&self, method: &'static str, result: StoreResult<T>) -> StoreResult<T> {
        *self.calls.lock().unwrap().entry(method).or_default() += 1;
        let mut to_lose = self.to_lose.lock().unwrap();
        match to_lose.get_mut(method) {
            Some(n) if *n > 0 => {
                *n -= 1;
                Err(StoreError::Unavailable(anyhow::anyhow!(
                    "injected: the answer to {method} was lost"
                )))
            }
            _ => result,
        }
    }
}

#[async_trait]
impl JobStore for LostAnswers {
    async fn insert(&self, job: NewJob) -> StoreResult<Inserted> {
        self.answer("insert", self.inner.insert(job).await)
    }
    async fn insert_many(&self, jobs: Vec<NewJob>) -> StoreResult<Vec<Inserted>> {
        self.answer("insert_many", self.inner.insert_many(jobs).await)
    }
    async fn get(&self, tenant: &TenantId, id: &JobId) -> StoreResult<Job> {
        self.answer("get", self.inner.get(tenant, id).await)
    }
    async fn list(
        &self,
        tenant: &TenantId,
        filter: &ListFilter,
        page: &PageRequest,
    ) -> StoreResult<Page> {
        self.answer("list", self.inner.list(tenant, filter, page).await)
    }
    async fn cancel(&self, tenant: &TenantId, id: &JobId) -> StoreResult<Job> {
        self.answer("cancel", self.inner.cancel(tenant, id).await)
    }
    async fn redrive(&self, tenant: &TenantId, id: &JobId) -> StoreResult<Job> {
        self.answer("redrive", self.inner.redrive(tenant, id).await)
    }
    async fn counts(&self) -> StoreResult<StateCounts> {
        self.answer("counts", self.inner.counts().await)
    }
    async fn ping(&self) -> StoreResult<()> {
        self.answer("ping", self.inner.ping().await)
    }
    async fn find_by_idempotency_key(&self, tenant: &TenantId, key: &str) -> StoreResult<Job> {
        self.answer(
            "find_by_idempotency_key",
            self.inner.find_by_idempotency_key(tenant, key).await,
        )
    }
    async fn summarize(
        &self,
        tenant: &TenantId,
        since: chrono::DateTime<chrono::Utc>,
        cap: u64,
    ) -> StoreResult<Vec<herald_core::store::QueueRow>> {
        self.answer("summarize", self.inner.summarize(tenant, since, cap).await)
    }
    async fn count_matching(
        &self,
        tenant: &TenantId,
        filter: &ListFilter,
        cap: u64,
    ) -> StoreResult<u64> {
        self.answer(
            "count_matching",
            self.inner.count_matching(tenant, filter, cap).await,
        )
    }
    async fn bulk_transition(
        &self,
        tenant: &TenantId,
        request: &herald_core::store::BulkRequest,
    ) -> StoreResult<herald_core::store::BulkOutcome> {
        self.answer(
            "bulk_transition",
            self.inner.bulk_transition(tenant, request).await,
        )
    }
}

#[async_trait]
impl LeaseStore for LostAnswers {
    async fn claim(
        &self,
        id: &JobId,
        worker: &WorkerId,
        lease: Duration,
    ) -> StoreResult<ClaimOutcome> {
        self.answer("claim", self.inner.claim(id, worker, lease).await)
    }
    async fn claim_many(
        &self,
        ids: &[JobId],
        worker: &WorkerId,
        lease: Duration,
    ) -> StoreResult<Vec<ClaimOutcome>> {
        self.answer(
            "claim_many",
            self.inner.claim_many(ids, worker, lease).await,
        )
    }
    async fn claim_fair(&self, request: &ClaimRequest) -> StoreResult<FairClaim> {
        self.answer("claim_due", self.inner.claim_fair(request).await)
    }
    async fn waiting_tenants(
        &self,
        kind: JobKind,
        priority: Priority,
        limit: usize,
    ) -> StoreResult<Vec<TenantId>> {
        self.answer(
            "waiting_tenants",
            self.inner.waiting_tenants(kind, priority, limit).await,
        )
    }
    async fn renew(&self, lease: &Lease, lease_for: Duration) -> StoreResult<Lease> {
        self.answer("renew", self.inner.renew(lease, lease_for).await)
    }
    async fn complete(&self, lease: &Lease) -> StoreResult<()> {
        self.answer("complete", self.inner.complete(lease).await)
    }
    async fn complete_many(&self, leases: &[Lease]) -> StoreResult<Vec<StoreResult<()>>> {
        self.answer("complete_many", self.inner.complete_many(leases).await)
    }
    async fn fail(&self, lease: &Lease, error: &str, retry: Retry) -> StoreResult<FailOutcome> {
        self.answer("fail", self.inner.fail(lease, error, retry).await)
    }
    async fn snooze(
        &self,
        lease: &Lease,
        delay: Duration,
        reason: &str,
    ) -> StoreResult<DateTime<Utc>> {
        self.answer("snooze", self.inner.snooze(lease, delay, reason).await)
    }
    async fn release(&self, lease: &Lease) -> StoreResult<()> {
        self.answer("release", self.inner.release(lease).await)
    }
}

#[async_trait]
impl WorkerRegistry for LostAnswers {
    async fn heartbeat(&self, beat: &WorkerHeartbeat) -> StoreResult<()> {
        self.answer("heartbeat", self.inner.heartbeat(beat).await)
    }
    async fn live_workers(&self, within: Duration) -> StoreResult<Vec<WorkerRecord>> {
        self.answer("live_workers", self.inner.live_workers(within).await)
    }
    async fn deregister(&self, worker: &WorkerId) -> StoreResult<()> {
        self.answer("deregister", self.inner.deregister(worker).await)
    }
}

#[async_trait]
impl MatchStore for LostAnswers {
    async fn append_event(
        &self,
        tenant: &TenantId,
        id: &JobId,
        event: &EventRequest,
    ) -> StoreResult<Appended> {
        self.answer(
            "append_event",
            self.inner.append_event(tenant, id, event).await,
        )
    }
    async fn get_match(&self, tenant: &TenantId, id: &JobId) -> StoreResult<MatchRecord> {
        self.answer("get_match", self.inner.get_match(tenant, id).await)
    }
    async fn events_after(
        &self,
        id: &JobId,
        after: u64,
        limit: usize,
    ) -> StoreResult<Vec<MatchEvent>> {
        self.answer(
            "events_after",
            self.inner.events_after(id, after, limit).await,
        )
    }
    async fn load_snapshot(&self, id: &JobId) -> StoreResult<MatchSnapshot> {
        self.answer("load_snapshot", self.inner.load_snapshot(id).await)
    }
    async fn save_snapshot(&self, lease: &Lease, snapshot: &MatchSnapshot) -> StoreResult<()> {
        self.answer(
            "save_snapshot",
            self.inner.save_snapshot(lease, snapshot).await,
        )
    }
    async fn finish_match(
        &self,
        lease: &Lease,
        snapshot: &MatchSnapshot,
        result: &MatchResult,
        notifications: Vec<NewJob>,
    ) -> StoreResult<Vec<Inserted>> {
        self.answer(
            "finish_match",
            self.inner
                .finish_match(lease, snapshot, result, notifications)
                .await,
        )
    }
}

#[async_trait]
impl KeyStore for LostAnswers {
    async fn create_key(&self, key: NewApiKey) -> StoreResult<ApiKeyRecord> {
        self.answer("create_key", self.inner.create_key(key).await)
    }
    async fn list_keys(&self, tenant: Option<&TenantId>) -> StoreResult<Vec<ApiKeyRecord>> {
        self.answer("list_keys", self.inner.list_keys(tenant).await)
    }
    async fn revoke_key(&self, id: &str) -> StoreResult<ApiKeyRecord> {
        self.answer("revoke_key", self.inner.revoke_key(id).await)
    }
    async fn touch_keys(&self, used: &[(String, DateTime<Utc>)]) -> StoreResult<()> {
        self.answer("touch_keys", self.inner.touch_keys(used).await)
    }
}

#[async_trait]
impl MaintenanceStore for LostAnswers {
    async fn acquire_duty(
        &self,
        name: &str,
        worker: &WorkerId,
        lease: Duration,
    ) -> StoreResult<Option<DutyLease>> {
        self.answer(
            "acquire_duty",
            self.inner.acquire_duty(name, worker, lease).await,
        )
    }
    async fn release_duty(&self, lease: &DutyLease) -> StoreResult<()> {
        self.answer("release_duty", self.inner.release_duty(lease).await)
    }
    async fn prune(&self, lease: &DutyLease, limit: usize) -> StoreResult<PruneReport> {
        self.answer("prune", self.inner.prune(lease, limit).await)
    }
    async fn oldest_ready(&self) -> StoreResult<Vec<(JobKind, Priority, DateTime<Utc>)>> {
        self.answer("oldest_ready", self.inner.oldest_ready().await)
    }
    fn connections(&self) -> herald_core::store::Connections {
        self.inner.connections()
    }
}
