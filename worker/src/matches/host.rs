//! One hosting of one match: resume or start, fold events, renew, end.
//!
//! Invariants (why each step is safe; `docs/matches.md` tells the whole story):
//! - **Applied once.** The host folds the contiguous events after the saved
//!   `appliedSeq` and saves the new state with the new `appliedSeq` in one fenced
//!   write. A takeover loads that snapshot, so an event is either in the saved state or
//!   after its `appliedSeq` — never both, never neither.
//! - **Fenced.** Every write (snapshot, renew, finish, release) presents the lease; a
//!   refused one ([`StoreError::LeaseLost`]) ends hosting at once, without another write.
//! - **In order, no gaps.** Events are applied only while `seq` follows on from the last
//!   one applied; a gap (a later event visible before an earlier one) waits for the
//!   next round.
//! - **Deterministic end.** Only events appended at or before `endsAt` belong to a
//!   match that ends by time, so every host computes the same final state, however
//!   late it notices the time.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use herald_core::dispatch::updates::{EndedUpdate, StateUpdate};
use herald_core::dispatch::MatchUpdate;
use herald_core::matches::{
    engine_for, Applied, EndedBy, MatchEngine, MatchRequest, MatchSnapshot,
};
use herald_core::store::{FailOutcome, Inserted, Retry, StoreResult};
use herald_core::{shutdown, ClaimedJob, Job, Lease, StoreError};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::{HostOutcome, Matches, Stop, EVENT_BATCH};
use crate::store_retry::{self, GaveUp, Patience};

pub(super) struct Host<'a> {
    matches: &'a Matches,
    job: Job,
    lease: Lease,
    /// Append times of events applied but not yet saved (the ending batch).
    unsaved: Vec<DateTime<Utc>>,
}

impl<'a> Host<'a> {
    pub(super) fn new(matches: &'a Matches, claimed: ClaimedJob) -> Self {
        Self {
            matches,
            job: claimed.job,
            lease: claimed.lease,
            unsaved: Vec::new(),
        }
    }

    pub(super) async fn run(mut self) -> HostOutcome {
        let spec = match MatchRequest::from_payload(&self.job.payload) {
            Ok(spec) => spec,
            Err(e) => return self.bury(format!("unreadable match payload: {e}")).await,
        };
        let engine = engine_for(spec.match_type);
        match self.hosted(&spec, engine).await {
            Ok(outcome) => outcome,
            Err(Stop::LeaseLost) => {
                tracing::warn!(
                    "lease lost: another worker hosts the match now; stopped without writing"
                );
                HostOutcome::LeaseLost
            }
            Err(Stop::Stopping) => self.release().await,
            Err(Stop::Unrecorded(e)) => {
                tracing::error!(error = %e, "store unreachable for the whole lease; the match returns when its lease expires");
                HostOutcome::Unrecorded
            }
            Err(Stop::Broken(StoreError::Corrupt(e))) => {
                self.bury(format!("stored match data is invalid: {e}"))
                    .await
            }
            Err(Stop::Broken(e)) => {
                tracing::error!(error = %e, "match store call failed; the match returns when its lease expires");
                HostOutcome::Unrecorded
            }
        }
    }

    async fn hosted(
        &mut self,
        spec: &MatchRequest,
        engine: &'static dyn MatchEngine,
    ) -> Result<HostOutcome, Stop> {
        let store = self.matches.ctx.store.clone();
        let id = self.job.id.clone();
        let saved = self.store_call(|| store.load_snapshot(&id)).await?;
        let mut snap = match saved.started_at {
            Some(started_at) => {
                let ends_at = saved.ends_at.unwrap_or_else(|| end_of(started_at, spec));
                self.matches
                    .ctx
                    .metrics
                    .matches
                    .with_label_values(&["resumed"])
                    .inc();
                tracing::info!(applied_seq = saved.applied_seq, state_version = saved.state_version, %ends_at, "resuming match");
                MatchSnapshot {
                    ends_at: Some(ends_at),
                    ..saved
                }
            }
            None => {
                let now = Utc::now();
                let fresh = MatchSnapshot {
                    state: engine.initial_state(spec),
                    state_version: saved.state_version + 1,
                    applied_seq: saved.applied_seq,
                    started_at: Some(now),
                    ends_at: Some(end_of(now, spec)),
                };
                let lease = self.lease.clone();
                self.store_call(|| store.save_snapshot(&lease, &fresh))
                    .await?;
                self.matches
                    .announce(&id, MatchUpdate::State(StateUpdate::from(&fresh)));
                self.matches
                    .ctx
                    .metrics
                    .matches
                    .with_label_values(&["started"])
                    .inc();
                tracing::info!(
                    players = spec.players.len(),
                    duration_sec = spec.duration_sec,
                    "match started"
                );
                fresh
            }
        };
        let ends_at = snap.ends_at.unwrap_or_else(Utc::now);

        // Subscribe before the first read. The broker-side binding follows a moment later
        // (one round trip on the wake-up connection); an event appended in between wakes
        // no one and is found by the fallback poll.
        let subscription = self.matches.wakeups.as_ref().map(|w| w.subscribe(&id));
        let local = Arc::new(Notify::new());
        let wake = subscription
            .as_ref()
            .map_or_else(|| local.clone(), |s| s.notify.clone());

        let config = self.matches.ctx.config.clone();
        let mut next_renew = Instant::now() + config.renew_interval();
        let mut stop = self.matches.stop.clone();
        loop {
            if let Some(ended_by) = self.catch_up(spec, engine, &mut snap, ends_at).await? {
                return self.finish(spec, engine, snap, ended_by).await;
            }
            if Utc::now() >= ends_at {
                return self.finish(spec, engine, snap, EndedBy::Time).await;
            }
            let until_end = (ends_at - Utc::now()).to_std().unwrap_or_default();
            tokio::select! {
                biased;
                () = shutdown::stopped(&mut stop) => return Err(Stop::Stopping),
                () = tokio::time::sleep_until(next_renew) => {
                    next_renew = Instant::now() + self.renew().await?;
                }
                () = tokio::time::sleep(until_end) => {}
                () = wake.notified() => {}
                () = tokio::time::sleep(self.matches.event_poll) => {}
            }
        }
    }

    /// Applies every contiguous event after `appliedSeq` and saves the state; returns
    /// how the match ended if an event (or `endsAt`) ended it. An ending batch is not
    /// saved here: `finish` writes it with the result.
    async fn catch_up(
        &mut self,
        spec: &MatchRequest,
        engine: &'static dyn MatchEngine,
        snap: &mut MatchSnapshot,
        ends_at: DateTime<Utc>,
    ) -> Result<Option<EndedBy>, Stop> {
        let store = self.matches.ctx.store.clone();
        let id = self.job.id.clone();
        loop {
            let after = snap.applied_seq;
            let events = self
                .store_call(|| store.events_after(&id, after, EVENT_BATCH))
                .await?;
            let full = events.len() == EVENT_BATCH;
            let mut state = snap.state.clone();
            let mut applied = after;
            let mut ended = None;
            let mut appended_at = Vec::with_capacity(events.len());
            for event in &events {
                if event.seq != applied + 1 {
                    tracing::debug!(
                        expected = applied + 1,
                        got = event.seq,
                        "gap in the event log; waiting for it to fill"
                    );
                    break;
                }
                if event.at > ends_at {
                    ended = Some(EndedBy::Time);
                    break;
                }
                let step = engine.apply(spec, &mut state, event).map_err(|e| {
                    Stop::Broken(StoreError::Corrupt(format!("event {}: {e}", event.seq)))
                })?;
                applied = event.seq;
                appended_at.push(event.at);
                if step == Applied::Ended {
                    ended = Some(EndedBy::End);
                    break;
                }
            }
            let gap = applied < after + events.len() as u64 && ended.is_none();
            if applied > after {
                *snap = MatchSnapshot {
                    state,
                    state_version: snap.state_version + 1,
                    applied_seq: applied,
                    ..snap.clone()
                };
                if ended.is_none() {
                    let lease = self.lease.clone();
                    let next = snap.clone();
                    self.store_call(|| store.save_snapshot(&lease, &next))
                        .await?;
                    self.matches
                        .announce(&id, MatchUpdate::State(StateUpdate::from(&next)));
                    self.observe_applied(&appended_at);
                } else {
                    // Saved by `finish`; timed there.
                    self.unsaved = appended_at;
                }
            }
            if ended.is_some() {
                return Ok(ended);
            }
            if !full || gap {
                return Ok(None);
            }
        }
    }

    /// Stores the result, moves the match to `succeeded` and inserts one result
    /// notification per player, in one fenced write; then publishes them.
    async fn finish(
        &mut self,
        spec: &MatchRequest,
        engine: &'static dyn MatchEngine,
        snap: MatchSnapshot,
        ended_by: EndedBy,
    ) -> Result<HostOutcome, Stop> {
        let result = engine
            .result(spec, &snap.state, ended_by)
            .map_err(|e| Stop::Broken(StoreError::Corrupt(e.to_string())))?;
        let notifications = spec
            .result_notifications(&self.job.id, &self.job.tenant, &result)
            .map_err(|e| Stop::Broken(StoreError::Corrupt(e.to_string())))?;
        let store = self.matches.ctx.store.clone();
        let lease = self.lease.clone();
        let mut tries = 0u32;
        let finished = self
            .store_call(|| {
                tries += 1;
                store.finish_match(&lease, &snap, &result, notifications.clone())
            })
            .await;
        let inserted = match finished {
            Ok(inserted) => inserted,
            // A retry refused as a lost lease, after a try whose answer never came: that
            // try may have committed (the match is `succeeded` then, and no longer ours to
            // write). Its result notifications are in the store all the same; the poller
            // dispatches them.
            Err(Stop::LeaseLost) if tries > 1 && self.ended_by_an_unanswered_try().await => {
                tracing::info!(
                    ?ended_by,
                    applied_seq = snap.applied_seq,
                    "match finished (the store's answer was lost; its result notifications are dispatched from the store)"
                );
                return Ok(HostOutcome::Finished {
                    ended_by,
                    notifications: 0,
                });
            }
            Err(stop) => return Err(stop),
        };
        self.matches.announce(
            &self.job.id,
            MatchUpdate::Ended(EndedUpdate {
                status: herald_core::JobStatus::Succeeded,
                state_version: snap.state_version,
                applied_seq: snap.applied_seq,
                state: snap.state.clone(),
                result: Some(result.clone()),
            }),
        );
        let unsaved = std::mem::take(&mut self.unsaved);
        self.observe_applied(&unsaved);
        let created: Vec<Job> = inserted
            .into_iter()
            .filter_map(|i| match i {
                Inserted::Created(job) => Some(job),
                Inserted::Existing(_) => None,
            })
            .collect();
        self.matches.publish(&created).await;
        tracing::info!(
            ?ended_by,
            applied_seq = snap.applied_seq,
            state_version = snap.state_version,
            notifications = created.len(),
            "match finished"
        );
        Ok(HostOutcome::Finished {
            ended_by,
            notifications: created.len(),
        })
    }

    /// Whether the match is `succeeded` now — after a finish retry was refused as a lost
    /// lease, that means an earlier try committed and only its answer was lost (retries
    /// run only while the lease does, so no other host can have finished it meanwhile).
    async fn ended_by_an_unanswered_try(&self) -> bool {
        let record = self
            .matches
            .ctx
            .store
            .get_match(&self.job.tenant, &self.job.id)
            .await;
        matches!(record, Ok(r) if r.job.status == herald_core::JobStatus::Succeeded)
    }

    /// Extends the lease; returns when to renew next. A failure other than a lost lease
    /// is retried sooner, while the lease still runs.
    async fn renew(&mut self) -> Result<Duration, Stop> {
        let config = self.matches.ctx.config.clone();
        let renewed = self
            .matches
            .ctx
            .store
            .renew(&self.lease, config.lock_duration)
            .await;
        self.matches.ctx.metrics.observe_store(&renewed);
        match renewed {
            Ok(lease) => {
                self.matches.ctx.metrics.lease_renewals.inc();
                self.lease = lease;
                Ok(config.renew_interval())
            }
            Err(StoreError::LeaseLost) => Err(Stop::LeaseLost),
            Err(e) if Utc::now() < self.lease.expires_at => {
                tracing::warn!(error = %e, "match lease renewal failed; trying again");
                Ok((config.renew_interval() / 4).max(Duration::from_millis(50)))
            }
            Err(e) => Err(Stop::Unrecorded(e)),
        }
    }

    /// Graceful shutdown: gives the match back, claimable by another worker at once.
    async fn release(&self) -> HostOutcome {
        let released = self.matches.ctx.store.release(&self.lease).await;
        self.matches.ctx.metrics.observe_store(&released);
        match released {
            Ok(()) => {
                self.matches.ctx.metrics.lease_releases.inc();
                tracing::info!("released the match at shutdown");
                HostOutcome::Released
            }
            Err(StoreError::LeaseLost) => HostOutcome::LeaseLost,
            Err(e) => {
                tracing::warn!(error = %e, "could not release the match; it returns when its lease expires");
                HostOutcome::Unrecorded
            }
        }
    }

    /// A match that can never be hosted goes to `dead` (fenced) instead of failing over
    /// from worker to worker.
    async fn bury(&self, error: String) -> HostOutcome {
        tracing::error!(error = %error, "match cannot be hosted; moving it to dead");
        let failed = self
            .matches
            .ctx
            .store
            .fail(&self.lease, &error, Retry::Never)
            .await;
        self.matches.ctx.metrics.observe_store(&failed);
        match failed {
            Ok(FailOutcome::Dead | FailOutcome::Scheduled { .. }) => HostOutcome::Dead { error },
            Err(StoreError::LeaseLost) => HostOutcome::LeaseLost,
            Err(e) => {
                tracing::warn!(error = %e, "could not record the failure; the match returns when its lease expires");
                HostOutcome::Unrecorded
            }
        }
    }

    /// Runs a store call, retrying with backoff while the store is unavailable and the
    /// lease still runs; a graceful shutdown interrupts the wait.
    async fn store_call<T, F, Fut>(&self, call: F) -> Result<T, Stop>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = StoreResult<T>>,
    {
        let patience = Patience::until_either(self.lease.expires_at, self.matches.stop.clone());
        let metrics = &self.matches.ctx.metrics;
        store_retry::call(metrics, "the match host's call", patience, call)
            .await
            .map_err(|gave_up| match gave_up {
                GaveUp::Refused(StoreError::LeaseLost) => Stop::LeaseLost,
                GaveUp::Refused(e) => Stop::Broken(e),
                GaveUp::OutOfTime(e) => Stop::Unrecorded(e),
                GaveUp::Stopping => Stop::Stopping,
            })
    }

    /// Event→applied latency: from each event's append (the store's `at`) to now, when
    /// its state is saved.
    fn observe_applied(&self, appended_at: &[DateTime<Utc>]) {
        let m = &self.matches.ctx.metrics;
        let now = Utc::now();
        for at in appended_at {
            let latency = (now - *at).to_std().unwrap_or_default();
            m.match_event_apply_seconds.observe(latency.as_secs_f64());
        }
        m.match_events_applied.inc_by(appended_at.len() as u64);
    }
}

/// `startedAt + durationSec`.
fn end_of(started_at: DateTime<Utc>, spec: &MatchRequest) -> DateTime<Utc> {
    started_at + chrono::Duration::seconds(i64::from(spec.duration_sec))
}
