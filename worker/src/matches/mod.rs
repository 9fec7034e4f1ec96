//! Match hosting (`docs/matches.md`): a match is a job that one worker
//! hosts from start to end, applying its event log to its state under a fenced lease.
//!
//! Capacity is a semaphore of `MAX_MATCHES` slots, and every way a match reaches this
//! worker takes a slot *before* it claims: the RabbitMQ match consumer
//! ([`consumer`]) holds at most one delivery and stops consuming while the worker is
//! full, and the store poll ([`Matches::poll_once`]) asks `claim_due` for at most the
//! free slots. So a worker never hosts more than `MAX_MATCHES`, and a full worker leaves
//! new matches in the queue for workers with room.
//!
//! Hosting one match ([`Matches::host`], in `host.rs`): load the saved snapshot (or
//! start the match), then fold the log's events in `seq` order through the match type's
//! [`herald_core::matches::MatchEngine`], saving state + `stateVersion` + `appliedSeq`
//! fenced on the lease, renewing the lease at a third of `LOCK_DURATION_MS`, until an
//! `end` event or `endsAt`; then `finish_match` stores the result and the per-player
//! result notifications in one fenced write. A takeover resumes from the saved
//! `appliedSeq`, so no event is lost or applied twice; a stale host's writes match
//! nothing and it stops at once.
//!
//! Events reach the host through a RabbitMQ wake-up ([`wakeup`]) when there is a
//! broker, and a short fallback poll of the log always, so a lost wake-up only costs
//! latency.

pub mod consumer;
mod host;
pub mod wakeup;

use std::sync::Arc;
use std::time::Duration;

use herald_core::dispatch::{Dispatch, JobMessage, MatchUpdate};
use herald_core::matches::EndedBy;
use herald_core::store::{ClaimRequest, StoreResult};
use herald_core::{ClaimedJob, JobKind, StoreError};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;

use crate::context::WorkerContext;
use crate::poller;
use wakeup::Wakeups;

/// How often a host reads its event log when no wake-up came, in embedded mode (the
/// poll is the only way events arrive).
pub const EMBEDDED_EVENT_POLL: Duration = Duration::from_millis(50);
/// The same with a broker: wake-ups carry the latency, the poll only covers a lost one.
pub const BROKER_EVENT_POLL: Duration = Duration::from_millis(250);
/// Events read (and applied, and saved in one write) per round.
pub const EVENT_BATCH: usize = 500;

/// How one hosting of a match ended, from this worker's point of view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostOutcome {
    /// Result stored, match `succeeded`, result notifications enqueued.
    Finished {
        ended_by: EndedBy,
        /// Result notifications this host inserted (0 when a key already existed).
        notifications: usize,
    },
    /// Another worker holds the match now; this host wrote nothing more.
    LeaseLost,
    /// Given back at shutdown, claimable by another worker at once.
    Released,
    /// The store stayed unreachable until the lease ran out; the match comes back to a
    /// worker when its lease expires.
    Unrecorded,
    /// The match cannot be hosted (unreadable payload or state): moved to `dead`.
    Dead { error: String },
}

impl HostOutcome {
    pub fn label(&self) -> &'static str {
        match self {
            HostOutcome::Finished { .. } => "finished",
            HostOutcome::LeaseLost => "lease_lost",
            HostOutcome::Released => "released",
            HostOutcome::Unrecorded => "unrecorded",
            HostOutcome::Dead { .. } => "failed",
        }
    }
}

/// The match side of a worker: its slots, its hosts, and what they share.
#[derive(Debug)]
pub struct Matches {
    ctx: Arc<WorkerContext>,
    slots: Arc<Semaphore>,
    capacity: u32,
    /// Publishes the result notifications of finished matches.
    dispatch: Arc<dyn Dispatch>,
    wakeups: Option<Arc<Wakeups>>,
    event_poll: Duration,
    /// Turns true on graceful shutdown: hosts release their matches.
    stop: watch::Receiver<bool>,
}

impl Matches {
    /// The match side of the worker `ctx` describes. `dispatch` sends the result
    /// notifications; with a broker, `wakeups` brings event wake-ups; without, hosts
    /// poll.
    pub fn new(
        ctx: Arc<WorkerContext>,
        dispatch: Arc<dyn Dispatch>,
        wakeups: Option<Arc<Wakeups>>,
        stop: watch::Receiver<bool>,
    ) -> Arc<Self> {
        let capacity = ctx.config.max_matches;
        let event_poll = if wakeups.is_some() {
            BROKER_EVENT_POLL
        } else {
            EMBEDDED_EVENT_POLL
        };
        Arc::new(Self {
            slots: Arc::new(Semaphore::new(
                usize::try_from(capacity).unwrap_or(usize::MAX),
            )),
            capacity,
            ctx,
            dispatch,
            wakeups,
            event_poll,
            stop,
        })
    }

    /// What this worker's parts share.
    pub(crate) fn context(&self) -> &Arc<WorkerContext> {
        &self.ctx
    }

    /// `MAX_MATCHES`.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// Slots not taken by a hosted match or a claim in progress.
    pub fn free_slots(&self) -> usize {
        self.slots.available_permits()
    }

    pub(crate) fn slots(&self) -> &Arc<Semaphore> {
        &self.slots
    }

    /// Hosts a claimed match on its own task; `slot` is given back when hosting ends.
    pub fn spawn_host(self: &Arc<Self>, claimed: ClaimedJob, slot: OwnedSemaphorePermit) {
        let matches = self.clone();
        tokio::spawn(async move {
            matches.host(claimed).await;
            drop(slot);
        });
    }

    /// Hosts a match this worker has claimed, until it ends, the lease is lost, or the
    /// worker shuts down. The single step: tests call it directly.
    pub async fn host(&self, claimed: ClaimedJob) -> HostOutcome {
        let span = tracing::info_span!(
            "match",
            match_id = %claimed.job.id,
            attempt = claimed.job.attempts,
        );
        let m = &self.ctx.metrics;
        self.ctx.stats.hosting(true);
        m.matches_hosted.inc();
        let outcome = host::Host::new(self, claimed).run().instrument(span).await;
        m.matches_hosted.dec();
        self.ctx.stats.hosting(false);
        m.matches.with_label_values(&[outcome.label()]).inc();
        m.processed("match", outcome.label());
        if outcome == HostOutcome::LeaseLost {
            m.lease_lost.inc();
            self.ctx.stats.match_lease_lost();
        }
        outcome
    }

    /// Claims due matches — new ones whose publish was lost, and matches whose host's
    /// lease expired (a dead worker's) — for at most the free slots, and hosts them.
    /// Returns how many it claimed.
    pub async fn poll_once(self: &Arc<Self>) -> StoreResult<usize> {
        let mut permits = Vec::new();
        while let Ok(permit) = self.slots.clone().try_acquire_owned() {
            permits.push(permit);
        }
        if permits.is_empty() {
            return Ok(0);
        }
        let request = ClaimRequest {
            worker: self.ctx.id.clone(),
            lease: self.ctx.config.lock_duration,
            limit: permits.len(),
            kind: Some(JobKind::Match),
            priority: None,
            fairness: Default::default(),
        };
        let claimed = self.ctx.store.claim_due(&request).await;
        self.ctx.metrics.observe_store(&claimed);
        let claimed = claimed?;
        let n = claimed.len();
        if n > 0 {
            self.ctx
                .metrics
                .lease_claims
                .with_label_values(&["poller"])
                .inc_by(n as u64);
        }
        // More claimed than asked would be a store bug; never host beyond the slots.
        for (job, permit) in claimed.into_iter().zip(permits) {
            self.spawn_host(job, permit);
        }
        Ok(n)
    }

    /// Polls for due matches every `POLL_INTERVAL_MS` (jittered) until stopped.
    pub async fn run_poller(self: Arc<Self>, stop: watch::Receiver<bool>) {
        let interval = self.ctx.config.poll_interval;
        poller::every("match poll", interval, stop, || async {
            self.poll_once().await.map(|_| ())
        })
        .await;
    }

    /// Waits (until `deadline`) for every hosted match to be released or ended; false
    /// if some did not stop in time (their leases then expire).
    pub async fn wait_idle_until(&self, deadline: tokio::time::Instant) -> bool {
        tokio::time::timeout_at(deadline, self.slots.acquire_many(self.capacity))
            .await
            .is_ok()
    }

    /// Tells the API instances streaming match `id` of a saved state or the end, on a
    /// task of its own so the host never waits on the broker. Best effort: a stream
    /// repairs a lost update from the store (`docs/streams.md`).
    fn announce(&self, id: &herald_core::JobId, update: MatchUpdate) {
        if self.dispatch.mode() == herald_core::dispatch::DispatchMode::Embedded {
            return;
        }
        let dispatch = self.dispatch.clone();
        let id = id.clone();
        tokio::spawn(async move {
            if let Err(e) = dispatch.publish_update(&id, &update).await {
                tracing::debug!(error = %e, job_id = %id, kind = update.kind(), "match update not published; streams read the store");
            }
        });
    }

    /// Sends the result notifications a finished match inserted. A failed publish is
    /// only logged: the jobs are stored, and a worker's poller dispatches them.
    async fn publish(&self, jobs: &[herald_core::Job]) {
        let messages: Vec<JobMessage> = jobs.iter().map(JobMessage::for_job).collect();
        if let Err(e) = self.dispatch.publish(&messages).await {
            tracing::warn!(error = %e, count = messages.len(), "could not publish result notifications; the poller will dispatch them");
        }
    }
}

/// Why a store call gave up.
#[derive(Debug)]
enum Stop {
    LeaseLost,
    /// Unavailable until the lease ran out.
    Unrecorded(StoreError),
    /// An error retrying cannot fix.
    Broken(StoreError),
    /// Graceful shutdown.
    Stopping,
}
