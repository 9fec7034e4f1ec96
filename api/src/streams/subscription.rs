//! One subscriber's messages, whatever the transport: the log from its cursor, then the
//! feed's live updates, with no gap and no repeat across the seam.
//!
//! The seam: the subscription takes its feed receiver *before* it reads the log. So an
//! event is either appended before the read (and in it) or broadcast after the receiver
//! exists (and received), or both — never neither. Both is a repeat, dropped by `seq`;
//! and a live `seq` past the next one (which the feed's own repair makes rare) is
//! filled from the log before it is passed on.

use std::collections::VecDeque;
use std::sync::Arc;

use herald_core::dispatch::updates::{EventUpdate, StateUpdate};
use herald_core::dispatch::MatchUpdate;
use herald_core::matches::{engine_for, MatchRecord, MatchRequest};
use herald_core::{JobId, Store};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch, OwnedSemaphorePermit};

use super::hub::{ended_update, Joined, LOG_PAGE};
use super::metrics::StreamMetrics;

/// Why the server ends a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The match ended; `ended` was the last message. Do not reconnect.
    Ended,
    /// The client fell more than `STREAM_BUFFER_MESSAGES` behind. Resume by seq.
    SlowConsumer,
    /// The instance is shutting down. Resume by seq (nginx sends you to another).
    Shutdown,
    /// The store could not be read. Resume by seq.
    Unavailable,
}

impl CloseReason {
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::Ended => "ended",
            CloseReason::SlowConsumer => "slow_consumer",
            CloseReason::Shutdown => "shutdown",
            CloseReason::Unavailable => "unavailable",
        }
    }
}

/// What to send next.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// `live`: from the feed (its fan-out latency counts), not read from the log.
    Update {
        update: Arc<MatchUpdate>,
        live: bool,
    },
    Close(CloseReason),
}

/// Where a subscriber starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// No cursor: the current state, then the events after its `appliedSeq`.
    Current,
    /// `Last-Event-ID` / `?after=`: every event after this seq.
    After(u64),
}

pub struct Subscription {
    store: Arc<dyn Store>,
    id: JobId,
    rx: broadcast::Receiver<Arc<MatchUpdate>>,
    /// Where the feed starts; `None` once the log has been read up to it.
    feed_start: Option<watch::Receiver<Option<u64>>>,
    pending: VecDeque<Outgoing>,
    last_seq: u64,
    state_version: u64,
    /// Log still to send before the next live message, read a page at a time as the
    /// client takes them (so a long resume holds one page, not the log).
    catch_up: Option<CatchUp>,
    done: bool,
    stop: watch::Receiver<bool>,
    metrics: Arc<StreamMetrics>,
    /// The instance's `STREAM_MAX_CONNECTIONS` slot, given back with the subscription.
    _permit: OwnedSemaphorePermit,
}

/// Log to read: up to `until` (or the log's end), then `then`.
struct CatchUp {
    until: Option<u64>,
    then: Option<Arc<MatchUpdate>>,
    /// `then` is the match's end: close after it.
    then_close: bool,
    /// `then` came from the feed (its fan-out latency counts).
    then_live: bool,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("last_seq", &self.last_seq)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    /// `rx` must have been taken before `record` was read.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Arc<dyn Store>,
        id: JobId,
        joined: Joined,
        record: MatchRecord,
        start: Start,
        stop: watch::Receiver<bool>,
        metrics: Arc<StreamMetrics>,
        permit: OwnedSemaphorePermit,
    ) -> Self {
        let mut pending = VecDeque::new();
        let (last_seq, state_version) = match start {
            Start::Current => {
                let mut state = StateUpdate::from(&record.snapshot);
                if state.state.is_null() {
                    if let Ok(spec) = MatchRequest::from_payload(&record.job.payload) {
                        state.state = engine_for(spec.match_type).initial_state(&spec);
                    }
                }
                pending.push_back(Outgoing::Update {
                    update: Arc::new(MatchUpdate::State(state)),
                    live: false,
                });
                (record.snapshot.applied_seq, record.snapshot.state_version)
            }
            Start::After(seq) => (seq, 0),
        };
        // A match that had finished before the stream began: its log, then its end.
        let finished = record.job.status.is_final();
        let catch_up = CatchUp {
            until: None,
            then: finished.then(|| Arc::new(MatchUpdate::Ended(ended_update(&record)))),
            then_close: finished,
            then_live: false,
        };
        Self {
            store,
            id,
            rx: joined.rx,
            feed_start: Some(joined.ready),
            pending,
            last_seq,
            state_version,
            catch_up: Some(catch_up),
            done: false,
            stop,
            metrics,
            _permit: permit,
        }
    }

    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    pub fn metrics(&self) -> &Arc<StreamMetrics> {
        &self.metrics
    }

    fn close(&mut self, reason: CloseReason) {
        self.pending.push_back(Outgoing::Close(reason));
        self.done = true;
    }

    /// Reads one page of the catch-up; ends it (queuing what follows) at its bound.
    async fn catch_up_page(&mut self, c: CatchUp) -> Result<(), herald_core::StoreError> {
        let reached = |last: u64| c.until.is_some_and(|u| u <= last);
        let mut finished = reached(self.last_seq);
        if !finished {
            let events = self
                .store
                .events_after(&self.id, self.last_seq, LOG_PAGE)
                .await?;
            finished = events.len() < LOG_PAGE;
            for event in &events {
                if event.seq != self.last_seq + 1 || reached(self.last_seq) {
                    finished = true;
                    break;
                }
                self.last_seq = event.seq;
                self.pending.push_back(Outgoing::Update {
                    update: Arc::new(MatchUpdate::Event(EventUpdate::from(event))),
                    live: false,
                });
            }
            finished |= reached(self.last_seq);
        }
        if !finished {
            self.catch_up = Some(c);
            return Ok(());
        }
        if let Some(then) = c.then {
            let next = match then.as_ref() {
                MatchUpdate::Event(e) => e.seq == self.last_seq + 1,
                _ => true,
            };
            if next {
                if let MatchUpdate::Event(e) = then.as_ref() {
                    self.last_seq = e.seq;
                }
                self.pending.push_back(Outgoing::Update {
                    update: then,
                    live: c.then_live,
                });
            }
        }
        if c.then_close {
            self.close(CloseReason::Ended);
        }
        Ok(())
    }

    /// The next message; `None` once the stream is over.
    pub async fn next(&mut self) -> Option<Outgoing> {
        loop {
            if let Some(out) = self.pending.pop_front() {
                return Some(out);
            }
            if self.done {
                return None;
            }
            if let Some(c) = self.catch_up.take() {
                if let Err(e) = self.catch_up_page(c).await {
                    tracing::warn!(error = %e, job_id = %self.id, "stream cannot read the log; closing it");
                    self.close(CloseReason::Unavailable);
                }
                continue;
            }
            if let Some(mut start) = self.feed_start.take() {
                // The feed passes on what comes after its start; the log up to it is
                // this subscriber's to read. (A feed that went without starting leaves
                // its end, or its close, in the receiver.)
                let started = tokio::select! {
                    biased;
                    () = herald_core::shutdown::stopped(&mut self.stop) => {
                        self.close(CloseReason::Shutdown);
                        continue;
                    }
                    started = start.wait_for(Option::is_some) => started.ok().and_then(|s| *s),
                };
                if let Some(seq) = started.filter(|seq| *seq > self.last_seq) {
                    self.catch_up = Some(CatchUp {
                        until: Some(seq),
                        then: None,
                        then_close: false,
                        then_live: false,
                    });
                }
                continue;
            }
            let received = tokio::select! {
                biased;
                () = herald_core::shutdown::stopped(&mut self.stop) => {
                    self.close(CloseReason::Shutdown);
                    continue;
                }
                received = self.rx.recv() => received,
            };
            match received {
                Ok(update) => self.on_live(update),
                Err(RecvError::Lagged(_)) => self.close(CloseReason::SlowConsumer),
                // The feed went without an end (the store failed, or the instance stops).
                Err(RecvError::Closed) => {
                    let reason = if *self.stop.borrow() {
                        CloseReason::Shutdown
                    } else {
                        CloseReason::Unavailable
                    };
                    self.close(reason);
                }
            }
        }
    }

    fn on_live(&mut self, update: Arc<MatchUpdate>) {
        match update.as_ref() {
            MatchUpdate::Event(event) => {
                if event.seq <= self.last_seq {
                    return;
                }
                if event.seq > self.last_seq + 1 {
                    // A hole across the seam: the log fills it, then this one follows.
                    self.catch_up = Some(CatchUp {
                        until: Some(event.seq - 1),
                        then: Some(update),
                        then_close: false,
                        then_live: true,
                    });
                    return;
                }
                self.last_seq = event.seq;
                self.pending
                    .push_back(Outgoing::Update { update, live: true });
            }
            MatchUpdate::State(state) => {
                if state.state_version > self.state_version {
                    self.state_version = state.state_version;
                    self.pending
                        .push_back(Outgoing::Update { update, live: true });
                }
            }
            MatchUpdate::Ended(_) => {
                // Everything the match holds is in the log by now: the rest first.
                self.catch_up = Some(CatchUp {
                    until: None,
                    then: Some(update),
                    then_close: true,
                    then_live: true,
                });
            }
        }
    }
}
