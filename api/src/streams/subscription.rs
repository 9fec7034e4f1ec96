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

use super::hub::{ended_update, LOG_PAGE};
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
    pending: VecDeque<Outgoing>,
    last_seq: u64,
    state_version: u64,
    catching_up: bool,
    /// Set when the match had finished before the stream began: sent after the log.
    finished: Option<MatchRecord>,
    done: bool,
    stop: watch::Receiver<bool>,
    metrics: Arc<StreamMetrics>,
    /// The instance's `STREAM_MAX_CONNECTIONS` slot, given back with the subscription.
    _permit: OwnedSemaphorePermit,
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
        rx: broadcast::Receiver<Arc<MatchUpdate>>,
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
                (
                    record.snapshot.applied_seq,
                    record.snapshot.state_version,
                )
            }
            Start::After(seq) => (seq, 0),
        };
        let finished = record.job.status.is_final().then_some(record);
        Self {
            store,
            id,
            rx,
            pending,
            last_seq,
            state_version,
            catching_up: true,
            finished,
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

    /// Queues the logged events after `last_seq` (up to `until`, or to the log's end).
    async fn fill(&mut self, until: Option<u64>) -> Result<(), herald_core::StoreError> {
        loop {
            if until.is_some_and(|u| u <= self.last_seq) {
                return Ok(());
            }
            let events = self
                .store
                .events_after(&self.id, self.last_seq, LOG_PAGE)
                .await?;
            let full = events.len() == LOG_PAGE;
            for event in &events {
                if event.seq != self.last_seq + 1 || until.is_some_and(|u| event.seq > u) {
                    return Ok(());
                }
                self.last_seq = event.seq;
                self.pending.push_back(Outgoing::Update {
                    update: Arc::new(MatchUpdate::Event(EventUpdate::from(event))),
                    live: false,
                });
            }
            if !full {
                return Ok(());
            }
        }
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
            if self.catching_up {
                self.catching_up = false;
                if self.fill(None).await.is_err() {
                    self.close(CloseReason::Unavailable);
                    continue;
                }
                if let Some(record) = self.finished.take() {
                    self.pending.push_back(Outgoing::Update {
                        update: Arc::new(MatchUpdate::Ended(ended_update(&record))),
                        live: false,
                    });
                    self.close(CloseReason::Ended);
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
                Ok(update) => {
                    if let Err(e) = self.on_live(update).await {
                        tracing::warn!(error = %e, job_id = %self.id, "stream cannot read the log; closing it");
                        self.close(CloseReason::Unavailable);
                    }
                }
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

    async fn on_live(&mut self, update: Arc<MatchUpdate>) -> Result<(), herald_core::StoreError> {
        match update.as_ref() {
            MatchUpdate::Event(event) => {
                if event.seq <= self.last_seq {
                    return Ok(());
                }
                if event.seq > self.last_seq + 1 {
                    self.fill(Some(event.seq - 1)).await?;
                }
                if event.seq == self.last_seq + 1 {
                    self.last_seq = event.seq;
                    self.pending
                        .push_back(Outgoing::Update { update, live: true });
                }
            }
            MatchUpdate::State(state) => {
                if state.state_version > self.state_version {
                    self.state_version = state.state_version;
                    self.pending
                        .push_back(Outgoing::Update { update, live: true });
                }
            }
            MatchUpdate::Ended(_) => {
                // Everything the match holds is in the log by now: send the rest first.
                self.fill(None).await?;
                self.pending
                    .push_back(Outgoing::Update { update, live: true });
                self.close(CloseReason::Ended);
            }
        }
        Ok(())
    }
}
