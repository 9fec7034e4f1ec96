//! Fairness between tenants, the worker's side (`docs/dispatch.md`, "Fairness"). The
//! store decides whose turn it is ([`herald_core::store::fairness`]); the worker keeps
//! the rotation going and decides when a batch of deliveries needs turns at all.
//!
//! A RabbitMQ queue is first in, first out, so a delivery names whichever job was
//! published before it: behind one tenant's backlog of 100,000 sit every other tenant's
//! jobs. So a delivery is a turn in its queue, not an order to run its own job: when a
//! queue has more than one tenant waiting, or any tenant is capped, the batch's
//! deliveries claim that many jobs of their queue in turns ([`LeaseStore::claim_fair`]),
//! and a delivery whose own job was left for later is acked (every job still has its
//! own message behind, or the poller). When only one tenant waits, and none is capped,
//! deliveries claim their own jobs by id, which is the cheaper write.
//!
//! A capped tenant's deliveries that find it at its cap are acked too; its waiting jobs
//! are then claimed by the poller, which is woken each time one of the tenant's jobs
//! finishes here, rather than after its interval.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use herald_core::dispatch::JobMessage;
use herald_core::store::{
    ClaimOutcome, ClaimRequest, Fairness, NotClaimed, StoreResult, TenantLimits,
};
use herald_core::{ClaimedJob, JobKind, Priority, Store, TenantId, WorkerId};
use tokio::sync::Notify;

/// How long a count of a queue's waiting tenants is trusted: a second tenant's first
/// job waits at most this long for the first turn.
const WAITING_FRESH: Duration = Duration::from_millis(200);

#[derive(Debug)]
pub struct Turns {
    limits: Arc<TenantLimits>,
    /// The tenant served last: the next claim's rotation starts after it.
    last: Mutex<Option<TenantId>>,
    /// Per queue (priority): when its waiting tenants were counted, and whether there
    /// were more than one.
    shared: Mutex<HashMap<Priority, (Instant, bool)>>,
    /// Wakes the poller before its interval: a capped tenant has room again.
    poke: Notify,
}

impl Turns {
    pub fn new(limits: Arc<TenantLimits>) -> Self {
        Self {
            limits,
            last: Mutex::new(None),
            shared: Mutex::new(HashMap::new()),
            poke: Notify::new(),
        }
    }

    /// The fairness part of a claim: the rotation point and the caps.
    pub fn fairness(&self) -> Fairness {
        Fairness {
            after: self.last.lock().map(|l| l.clone()).unwrap_or_default(),
            limits: self.limits.clone(),
        }
    }

    /// Moves the rotation on past the last tenant `jobs` served.
    pub fn served(&self, jobs: &[ClaimedJob]) {
        if let (Some(job), Ok(mut last)) = (jobs.last(), self.last.lock()) {
            *last = Some(job.job.tenant.clone());
        }
    }

    /// Whether `tenant` is capped: its finished jobs wake the poller.
    pub fn capped(&self, tenant: &TenantId) -> bool {
        self.limits.limit(tenant).is_some()
    }

    /// Wakes the poller (a capped tenant's job finished, so it has room).
    pub fn poke(&self) {
        self.poke.notify_one();
    }

    /// Waits for [`Turns::poke`].
    pub async fn poked(&self) {
        self.poke.notified().await;
    }

    /// Whether deliveries of the `priority` queue must take turns now.
    async fn needed(&self, store: &dyn Store, priority: Priority) -> StoreResult<bool> {
        if !self.limits.is_empty() {
            return Ok(true);
        }
        let known = self
            .shared
            .lock()
            .ok()
            .and_then(|m| m.get(&priority).copied())
            .filter(|(at, _)| at.elapsed() < WAITING_FRESH);
        if let Some((_, shared)) = known {
            return Ok(shared);
        }
        let tenants = store
            .waiting_tenants(JobKind::Notification, priority, 2)
            .await?;
        let shared = tenants.len() > 1;
        if let Ok(mut m) = self.shared.lock() {
            m.insert(priority, (Instant::now(), shared));
        }
        Ok(shared)
    }
}

/// Claims for one batch of deliveries (notification queues), one outcome per message,
/// in order: by id where one tenant has its queue to itself, else in turns.
pub async fn claim_deliveries(
    store: &dyn Store,
    turns: &Turns,
    worker: &WorkerId,
    lease: Duration,
    messages: Vec<JobMessage>,
) -> StoreResult<Vec<StoreResult<ClaimOutcome>>> {
    let mut outcomes: Vec<Option<ClaimOutcome>> = messages.iter().map(|_| None).collect();
    let mut queues: Vec<(Priority, Vec<usize>)> = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        match queues.iter_mut().find(|(p, _)| *p == message.priority) {
            Some((_, indexes)) => indexes.push(i),
            None => queues.push((message.priority, vec![i])),
        }
    }
    for (priority, indexes) in queues {
        if turns.needed(store, priority).await? {
            let request = ClaimRequest {
                worker: worker.clone(),
                lease,
                limit: indexes.len(),
                kind: Some(JobKind::Notification),
                priority: Some(priority),
                fairness: turns.fairness(),
            };
            let claim = store.claim_fair(&request).await?;
            turns.served(&claim.jobs);
            // A delivery gets its own job when that was claimed, else the next one.
            let mut jobs: Vec<Option<ClaimedJob>> = claim.jobs.into_iter().map(Some).collect();
            let mut unserved = Vec::new();
            for &i in &indexes {
                let own = jobs
                    .iter_mut()
                    .find(|j| j.as_ref().is_some_and(|j| j.job.id == messages[i].id));
                match own.and_then(Option::take) {
                    Some(job) => outcomes[i] = Some(ClaimOutcome::Claimed(Box::new(job))),
                    None => unserved.push(i),
                }
            }
            let mut rest = jobs.into_iter().flatten();
            for i in unserved {
                outcomes[i] = Some(match rest.next() {
                    Some(job) => ClaimOutcome::Claimed(Box::new(job)),
                    None => ClaimOutcome::NotClaimed(NotClaimed::Turn),
                });
            }
        } else {
            let ids: Vec<_> = indexes.iter().map(|&i| messages[i].id.clone()).collect();
            let claimed = store.claim_many(&ids, worker, lease).await?;
            for (&i, outcome) in indexes.iter().zip(claimed) {
                outcomes[i] = Some(outcome);
            }
        }
    }
    Ok(outcomes
        .into_iter()
        .map(|o| Ok(o.unwrap_or(ClaimOutcome::NotClaimed(NotClaimed::Turn))))
        .collect())
}
