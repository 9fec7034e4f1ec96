//! The engine: what happens to one claimed job, from claim to fenced outcome.
//!
//! [`Engine::process`] is the single step every dispatch path ends in — the RabbitMQ
//! consumer after a claim by id, the poller after `claim_due`, a test after
//! [`Engine::try_process_one`]. It delivers the notification while renewing the lease
//! at a third of `LOCK_DURATION_MS`, then writes the outcome under the lease (fenced on
//! `{_id, lockedBy, leaseVersion}`). When the store says the lease was lost, the result
//! is dropped and counted in `herald_lease_lost_total`; the new holder's work stands.
//!
//! Claims by id and completions are the hot writes, so each goes through a
//! [`Batcher`] that folds whatever requests are waiting into one `claim_many` /
//! `complete_many` (one SQLite transaction): idle, a request is written at once on its
//! own; busy, batches form by themselves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use chrono::{DateTime, Utc};
use herald_core::dispatch::JobMessage;
use herald_core::store::{ClaimOutcome, ClaimRequest, FailOutcome, Retry, StoreError, StoreResult};
use herald_core::{ClaimedJob, JobId, JobKind, JobStatus, Lease};
use tokio::sync::watch;
use tracing::Instrument;

use crate::batch::{BatchLoop, Batcher};
use crate::context::WorkerContext;
use crate::delivery::{DeliveryError, Transports};
use crate::stats::Counted;
use crate::store_retry::{self, GaveUp, Patience};
use crate::turns::{claim_deliveries, Turns};

/// How a processed job ended, from this worker's point of view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered and recorded `succeeded`.
    Completed,
    /// Failed, attempts left: `scheduled` again at `run_at`.
    Retried { run_at: DateTime<Utc> },
    /// Failed for good (permanent error or attempts spent): `dead`.
    Dead { error: String },
    /// Deferred without spending the attempt: `scheduled` at `run_at`.
    Snoozed { run_at: DateTime<Utc> },
    /// Another holder took the job; this worker's result was dropped.
    LeaseLost,
    /// Given back unfinished at shutdown, claimable at once.
    Released,
    /// The store stayed unreachable until the lease ran out, so nothing was written;
    /// the job comes back to a worker when its lease expires.
    Unrecorded,
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Retried { .. } => "retried",
            Outcome::Dead { .. } => "dead",
            Outcome::Snoozed { .. } => "snoozed",
            Outcome::LeaseLost => "lease_lost",
            Outcome::Released => "released",
            Outcome::Unrecorded => "unrecorded",
        }
    }

    fn counted(&self) -> Counted {
        match self {
            Outcome::Completed => Counted::Succeeded,
            Outcome::Retried { .. } => Counted::Retried,
            Outcome::Dead { .. } => Counted::Dead,
            Outcome::Snoozed { .. } => Counted::Snoozed,
            Outcome::LeaseLost => Counted::LeaseLost,
            Outcome::Released | Outcome::Unrecorded => Counted::Other,
        }
    }
}

/// The result of one [`Engine::try_process_one`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Processed {
        id: JobId,
        outcome: Outcome,
    },
    /// Nothing was due.
    Empty,
}

/// Everything a notification job needs to be processed. Shared by the dispatch paths.
#[derive(Debug)]
pub struct Engine {
    ctx: Arc<WorkerContext>,
    transports: Transports,
    claimer: Batcher<JobMessage, ClaimOutcome>,
    /// Whose turn it is between tenants, and the poller's wake-up for capped ones.
    turns: Arc<Turns>,
    completer: Batcher<Lease, ()>,
    /// Leases held right now, so shutdown can release what did not finish.
    held: Mutex<HashMap<JobId, Lease>>,
    /// Turns true when in-flight jobs must give up (the shutdown timeout passed).
    abandon: watch::Receiver<bool>,
}

/// The batch loops behind an [`Engine`]'s claims by id and completions. The engine
/// only sends requests; whoever runs the worker runs these ([`EngineLoops::run`]).
#[derive(Debug)]
pub struct EngineLoops {
    ctx: Arc<WorkerContext>,
    claims: BatchLoop<JobMessage, ClaimOutcome>,
    turns: Arc<Turns>,
    completions: BatchLoop<Lease, ()>,
}

impl EngineLoops {
    /// Serves claims and completions until the engine is dropped.
    pub async fn run(self) {
        let ctx = self.ctx;
        let (worker, lease) = (ctx.id.clone(), ctx.config.lock_duration);
        let turns = self.turns;
        let claims = self.claims.run(|messages: Vec<JobMessage>| {
            let (store, worker, turns) = (ctx.store.clone(), worker.clone(), turns.clone());
            async move { claim_deliveries(store.as_ref(), &turns, &worker, lease, messages).await }
        });
        let completions = self.completions.run(|leases: Vec<Lease>| {
            let store = ctx.store.clone();
            async move { store.complete_many(&leases).await }
        });
        tokio::join!(claims, completions);
    }
}

impl Engine {
    /// The engine of the worker `ctx` describes, delivering with `transports`; in-flight
    /// jobs give up once `abandon` turns true. The loops it needs are returned beside
    /// it, to be run by the caller.
    pub fn new(
        ctx: Arc<WorkerContext>,
        transports: Transports,
        abandon: watch::Receiver<bool>,
    ) -> (Self, EngineLoops) {
        let batch = ctx.config.batch_size;
        let (claimer, claims) = Batcher::new("claims", batch);
        let (completer, completions) = Batcher::new("completions", batch);
        let turns = Arc::new(Turns::new(ctx.config.tenant_limits.clone()));
        let engine = Self {
            ctx: ctx.clone(),
            transports,
            claimer,
            turns: turns.clone(),
            completer,
            held: Mutex::new(HashMap::new()),
            abandon,
        };
        let loops = EngineLoops {
            ctx,
            claims,
            turns,
            completions,
        };
        (engine, loops)
    }

    /// What this worker's parts share.
    pub fn context(&self) -> &Arc<WorkerContext> {
        &self.ctx
    }

    /// The transports, with their quiet-hours and circuit-breaker policies.
    pub fn transports(&self) -> &Transports {
        &self.transports
    }

    /// Claims one due notification and processes it.
    pub async fn try_process_one(&self) -> StoreResult<Step> {
        let mut claimed = self.claim_due(1).await?;
        match claimed.pop() {
            None => Ok(Step::Empty),
            Some(job) => {
                let id = job.job.id.clone();
                let outcome = self.process(job).await;
                Ok(Step::Processed { id, outcome })
            }
        }
    }

    /// Claims for one RabbitMQ delivery: its own job, or, while tenants take turns in
    /// its queue, whichever job's turn it is ([`crate::turns`]). Claims requested at
    /// the same moment share one store write. The caller reports the result to the
    /// store metrics (`store_retry::call` does).
    pub(crate) async fn claim_delivery(&self, message: &JobMessage) -> StoreResult<ClaimOutcome> {
        self.claimer.call(message.clone()).await
    }

    /// Whose turn it is between tenants; the poller waits on its wake-up too.
    pub fn turns(&self) -> &Turns {
        &self.turns
    }

    /// Claims up to `limit` due notifications (the poller's query).
    pub async fn claim_due(&self, limit: usize) -> StoreResult<Vec<ClaimedJob>> {
        let request = ClaimRequest {
            worker: self.ctx.id.clone(),
            lease: self.ctx.config.lock_duration,
            limit,
            kind: Some(JobKind::Notification),
            priority: None,
            fairness: self.turns.fairness(),
        };
        let claimed = self.ctx.store.claim_due(&request).await;
        self.ctx.metrics.observe_store(&claimed);
        let claimed = claimed?;
        self.turns.served(&claimed);
        if !claimed.is_empty() {
            self.ctx
                .metrics
                .lease_claims
                .with_label_values(&["poller"])
                .inc_by(claimed.len() as u64);
        }
        Ok(claimed)
    }

    /// Processes a job this worker holds: deliver (renewing the lease meanwhile), then
    /// write the fenced outcome.
    pub async fn process(&self, claimed: ClaimedJob) -> Outcome {
        let span = tracing::info_span!(
            "job",
            job_id = %claimed.job.id,
            attempt = claimed.job.attempts,
            priority = %claimed.job.priority,
        );
        self.process_inner(claimed).instrument(span).await
    }

    async fn process_inner(&self, claimed: ClaimedJob) -> Outcome {
        let started = Instant::now();
        self.ctx.stats.started();
        self.ctx.metrics.jobs_in_flight.inc();
        let ClaimedJob { job, lease } = claimed;
        self.hold(&lease);

        let mut abandon = self.abandon.clone();
        let delivered = tokio::select! {
            biased;
            () = herald_core::shutdown::stopped(&mut abandon) => None,
            lost = self.renew_while_running(lease.clone()) => Some(Err(lost)),
            attempt = self.transports.deliver(&job) => Some(Ok(attempt)),
        };

        let outcome = match delivered {
            None => self.release(&lease).await,
            Some(Err(RenewStopped::LeaseLost)) => Outcome::LeaseLost,
            Some(Ok(attempt)) => {
                self.ctx
                    .metrics
                    .deliveries
                    .with_label_values(&[attempt.channel_label(), attempt.outcome_label()])
                    .inc();
                self.record(&job, &lease, attempt.result).await
            }
        };

        self.unhold(&lease.job_id);
        let kind = job.kind.as_str();
        if outcome == Outcome::LeaseLost {
            self.ctx.metrics.lease_lost.inc();
            tracing::warn!("lease lost: another worker holds the job now; result dropped");
        }
        let (processing, end_to_end) = self.ctx.metrics.latency(kind);
        processing.observe(started.elapsed().as_secs_f64());
        if outcome == Outcome::Completed {
            let age = (Utc::now() - job.created_at).to_std().unwrap_or_default();
            end_to_end.observe(age.as_secs_f64());
        }
        self.ctx.metrics.processed(kind, outcome.label());
        if self.turns.capped(&job.tenant) {
            // Its tenant has room again: the poller claims the next of its waiting jobs
            // now, not at its interval.
            self.turns.poke();
        }
        self.ctx.metrics.jobs_in_flight.dec();
        self.ctx.stats.finished(outcome.counted());
        outcome
    }

    /// Writes a delivery's result under the lease, waiting out a store outage for as
    /// long as the lease runs.
    async fn record(
        &self,
        job: &herald_core::Job,
        lease: &Lease,
        result: Result<(), DeliveryError>,
    ) -> Outcome {
        // Tries of the write: a retry refused as a lost lease may follow a try that was
        // written but whose answer was lost.
        let mut tries = 0u32;
        let patience = || Patience::until(lease.expires_at);
        let m = &self.ctx.metrics;
        let (wrote, written) = match result {
            Ok(()) => {
                let r = store_retry::call(m, "the write", patience(), || {
                    tries += 1;
                    self.completer.call(lease.clone())
                })
                .await;
                (Wrote::Complete, r.map(|()| Outcome::Completed))
            }
            Err(DeliveryError::Snooze { delay, reason }) => {
                let r = store_retry::call(m, "the write", patience(), || {
                    tries += 1;
                    self.ctx.store.snooze(lease, delay, &reason)
                })
                .await;
                (Wrote::Snooze, r.map(|run_at| Outcome::Snoozed { run_at }))
            }
            Err(DeliveryError::Retryable {
                message,
                retry_after,
            }) => {
                let delay =
                    retry_after.unwrap_or_else(|| self.ctx.config.retry.delay(job.attempts));
                tracing::info!(error = %message, ?delay, "delivery failed; will retry");
                let r = store_retry::call(m, "the write", patience(), || {
                    tries += 1;
                    self.ctx.store.fail(lease, &message, Retry::After(delay))
                })
                .await;
                let outcome = r.map(|o| match o {
                    FailOutcome::Scheduled { run_at } => Outcome::Retried { run_at },
                    FailOutcome::Dead => Outcome::Dead {
                        error: message.clone(),
                    },
                });
                (Wrote::Fail, outcome)
            }
            Err(DeliveryError::Permanent { message }) => {
                tracing::warn!(error = %message, "delivery failed permanently");
                let r = store_retry::call(m, "the write", patience(), || {
                    tries += 1;
                    self.ctx.store.fail(lease, &message, Retry::Never)
                })
                .await;
                let outcome = r.map(|_| Outcome::Dead {
                    error: message.clone(),
                });
                (Wrote::Fail, outcome)
            }
        };
        match written {
            Ok(outcome) => outcome,
            Err(GaveUp::Refused(StoreError::LeaseLost)) if tries > 1 => self
                .written_unanswered(job, wrote)
                .await
                .unwrap_or(Outcome::LeaseLost),
            Err(GaveUp::Refused(StoreError::LeaseLost)) => Outcome::LeaseLost,
            Err(GaveUp::Refused(e) | GaveUp::OutOfTime(e)) => {
                tracing::error!(error = %e, "could not record the outcome; the job returns when its lease expires");
                Outcome::Unrecorded
            }
            // Writes of outcomes are not stopped by a shutdown (no stop signal given).
            Err(GaveUp::Stopping) => Outcome::Unrecorded,
        }
    }

    /// After a retried write was refused as a lost lease: what an earlier try wrote, if
    /// the job as stored shows it — that try was written, only its answer was lost.
    /// Nothing else can have moved the job meanwhile: retries run only while the lease
    /// does (no other worker can claim it), and clients cannot touch a running job.
    async fn written_unanswered(&self, job: &herald_core::Job, wrote: Wrote) -> Option<Outcome> {
        let stored = self.ctx.store.get(&job.tenant, &job.id).await.ok()?;
        let outcome = match (wrote, stored.status) {
            (Wrote::Complete, JobStatus::Succeeded) => Outcome::Completed,
            (Wrote::Snooze, JobStatus::Scheduled | JobStatus::Pending) => Outcome::Snoozed {
                run_at: stored.run_at,
            },
            (Wrote::Fail, JobStatus::Scheduled) => Outcome::Retried {
                run_at: stored.run_at,
            },
            (Wrote::Fail, JobStatus::Dead) => Outcome::Dead {
                error: stored.last_error.unwrap_or_default(),
            },
            _ => return None,
        };
        tracing::info!(
            outcome = outcome.label(),
            "the store's answer was lost, but the job shows the write; recorded"
        );
        Some(outcome)
    }

    /// Renews the lease every third of its length; returns only when it is lost.
    async fn renew_while_running(&self, mut lease: Lease) -> RenewStopped {
        let every = self.ctx.config.renew_interval();
        loop {
            tokio::time::sleep(every).await;
            let renewed = self
                .ctx
                .store
                .renew(&lease, self.ctx.config.lock_duration)
                .await;
            self.ctx.metrics.observe_store(&renewed);
            match renewed {
                Ok(next) => {
                    self.ctx.metrics.lease_renewals.inc();
                    lease = next;
                }
                Err(StoreError::LeaseLost) => return RenewStopped::LeaseLost,
                Err(e) => tracing::warn!(error = %e, "lease renewal failed; will try again"),
            }
        }
    }

    /// Gives a job back unfinished (shutdown), claimable at once without spending the
    /// attempt.
    async fn release(&self, lease: &Lease) -> Outcome {
        let released = self.ctx.store.release(lease).await;
        self.ctx.metrics.observe_store(&released);
        match released {
            Ok(()) => {
                self.ctx.metrics.lease_releases.inc();
                tracing::info!("released unfinished job at shutdown");
                Outcome::Released
            }
            Err(StoreError::LeaseLost) => Outcome::LeaseLost,
            Err(e) => {
                tracing::warn!(error = %e, "could not release; the job returns when its lease expires");
                Outcome::Unrecorded
            }
        }
    }

    fn hold(&self, lease: &Lease) {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(lease.job_id.clone(), lease.clone());
    }

    fn unhold(&self, id: &JobId) {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }

    /// Turns true when in-flight work must give up (the shutdown timeout passed).
    pub fn abandon_signal(&self) -> watch::Receiver<bool> {
        self.abandon.clone()
    }

    /// Leases held right now.
    pub fn held_leases(&self) -> Vec<Lease> {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }
}

#[derive(Debug)]
enum RenewStopped {
    LeaseLost,
}

/// Which write records a delivery's result.
#[derive(Debug, Clone, Copy)]
enum Wrote {
    Complete,
    Snooze,
    Fail,
}
