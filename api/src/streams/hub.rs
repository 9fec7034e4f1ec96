//! The instance's match feeds: one per match with live subscribers here.
//!
//! A feed turns whatever reaches this instance — updates from the broker, or nothing
//! at all in embedded mode — into a gap-free, in-order sequence of updates, broadcast
//! to the match's local subscribers:
//! - an `event` whose `seq` follows the last one is passed on; an older one is a
//!   duplicate and dropped; a later one is a **gap**, filled from the log first;
//! - a `state` is passed on only if its `stateVersion` is newer;
//! - a poll of the store (every [`Settings::repair_poll`] with a broker, as the safety
//!   net for a lost last update; every [`Settings::embedded_poll`] without, as the only
//!   path) reads the match's `lastSeq`, snapshot and status, and brings the feed up to
//!   them;
//! - `ended` is passed on once the log is read to its end; then the feed goes.
//!
//! With a broker, the feed's match is bound on this instance's update queue while the
//! feed lives ([`Binding`], applied in order by the subscriber session in `broker.rs`).
//! A feed with no subscriber left goes at its next tick and unbinds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use herald_core::dispatch::updates::{EndedUpdate, EventUpdate, StateUpdate};
use herald_core::dispatch::MatchUpdate;
use herald_core::matches::{engine_for, MatchRecord, MatchRequest};
use herald_core::{JobId, Store, StoreError, TenantId};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use super::metrics::StreamMetrics;

/// Events read from the log per page (a resume, a gap, a poll).
pub const LOG_PAGE: usize = 500;

/// How feeds poll and buffer.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Updates a subscriber may fall behind its feed by before it is closed as too slow
    /// (`STREAM_BUFFER_MESSAGES`).
    pub buffer: usize,
    /// With a broker: how often a feed checks the store for an update the broker lost.
    pub repair_poll: Duration,
    /// Without a broker: how often a feed reads the store.
    pub embedded_poll: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            buffer: 256,
            repair_poll: Duration::from_secs(1),
            embedded_poll: Duration::from_millis(100),
        }
    }
}

/// A change to the update queue's bindings. A bind is answered once the broker has
/// applied it.
#[derive(Debug)]
pub enum Binding {
    Bind(String, oneshot::Sender<()>),
    Unbind(String),
}

/// How long a new feed waits for its binding before it starts anyway (the broker is
/// down: the repair poll carries the stream meanwhile).
pub const BIND_WAIT: Duration = Duration::from_secs(2);

struct Feed {
    tx: broadcast::Sender<Arc<MatchUpdate>>,
    updates: mpsc::Sender<MatchUpdate>,
    ready: watch::Receiver<Option<u64>>,
}

/// A subscriber's side of a feed: its updates, and where it starts.
#[derive(Debug)]
pub struct Joined {
    pub rx: broadcast::Receiver<Arc<MatchUpdate>>,
    /// The `seq` the feed starts after, once it has started: it passes on every event
    /// after it, so a subscriber reads the log up to it.
    pub ready: watch::Receiver<Option<u64>>,
}

/// Every feed of this instance.
pub struct Hub {
    store: Arc<dyn Store>,
    settings: Settings,
    metrics: Arc<StreamMetrics>,
    feeds: Mutex<HashMap<String, Feed>>,
    /// To the broker session; `None` in embedded mode.
    bindings: Option<mpsc::UnboundedSender<Binding>>,
    stop: watch::Receiver<bool>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("feeds", &self.feed_count())
            .field("broker", &self.bindings.is_some())
            .finish_non_exhaustive()
    }
}

impl Hub {
    pub fn new(
        store: Arc<dyn Store>,
        settings: Settings,
        metrics: Arc<StreamMetrics>,
        bindings: Option<mpsc::UnboundedSender<Binding>>,
        stop: watch::Receiver<bool>,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            settings,
            metrics,
            feeds: Mutex::new(HashMap::new()),
            bindings,
            stop,
        })
    }

    pub fn settings(&self) -> Settings {
        self.settings
    }

    pub fn feed_count(&self) -> usize {
        self.feeds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// The matches with a feed here (what the update queue must be bound to).
    pub fn matches(&self) -> Vec<String> {
        self.feeds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect()
    }

    /// Live updates of match `id` (of `tenant`) from now on, starting its feed if it
    /// has none here.
    pub fn subscribe(self: &Arc<Self>, tenant: &TenantId, id: &JobId) -> Joined {
        let mut feeds = self.feeds.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(feed) = feeds.get(id.as_str()) {
            return Joined {
                rx: feed.tx.subscribe(),
                ready: feed.ready.clone(),
            };
        }
        let (tx, rx) = broadcast::channel(self.settings.buffer.max(1));
        // Room for a burst from the broker; past it an update is dropped and the gap
        // it leaves is read from the log.
        let (updates, updates_rx) = mpsc::channel(self.settings.buffer.max(16));
        let (ready_tx, ready) = watch::channel(None);
        feeds.insert(
            id.as_str().to_owned(),
            Feed {
                tx: tx.clone(),
                updates,
                ready: ready.clone(),
            },
        );
        let bound = self.bindings.as_ref().map(|bindings| {
            let (ack, bound) = oneshot::channel();
            let _ = bindings.send(Binding::Bind(id.as_str().to_owned(), ack));
            bound
        });
        drop(feeds);
        let hub = self.clone();
        let (tenant, id) = (tenant.clone(), id.clone());
        tokio::spawn(async move {
            let mut runner = FeedRunner {
                hub: hub.clone(),
                tenant,
                id,
                tx,
                last_seq: 0,
                state_version: 0,
            };
            runner.run(updates_rx, bound, ready_tx).await;
        });
        Joined { rx, ready }
    }

    /// An update from the broker for match `id`: to its feed, if it has one here. A
    /// full feed drops it (the gap is repaired from the log).
    pub fn deliver(&self, id: &str, update: MatchUpdate) {
        let feeds = self.feeds.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(feed) = feeds.get(id) {
            if feed.updates.try_send(update).is_err() {
                self.metrics.dropped("feed_full");
            }
        }
    }

    /// Removes the feed of `id` if `only_if_idle` finds no subscriber, or always.
    /// Returns whether it was removed.
    fn retire(&self, id: &JobId, only_if_idle: bool) -> bool {
        let mut feeds = self.feeds.lock().unwrap_or_else(PoisonError::into_inner);
        let idle = feeds
            .get(id.as_str())
            .is_none_or(|f| f.tx.receiver_count() == 0);
        if only_if_idle && !idle {
            return false;
        }
        feeds.remove(id.as_str());
        // Under the lock, so an unbind is always queued before a later feed's bind.
        if let Some(bindings) = &self.bindings {
            let _ = bindings.send(Binding::Unbind(id.as_str().to_owned()));
        }
        true
    }

    pub(crate) fn metrics(&self) -> &Arc<StreamMetrics> {
        &self.metrics
    }
}

struct FeedRunner {
    hub: Arc<Hub>,
    tenant: TenantId,
    id: JobId,
    tx: broadcast::Sender<Arc<MatchUpdate>>,
    /// The last `seq` passed on: every event up to it has been.
    last_seq: u64,
    state_version: u64,
}

/// What the feed does next.
enum Next {
    Continue,
    Ended,
}

impl FeedRunner {
    async fn run(
        &mut self,
        mut updates: mpsc::Receiver<MatchUpdate>,
        bound: Option<oneshot::Receiver<()>>,
        ready: watch::Sender<Option<u64>>,
    ) {
        let poll = if self.hub.bindings.is_some() {
            self.hub.settings.repair_poll
        } else {
            self.hub.settings.embedded_poll
        };
        let mut stop = self.hub.stop.clone();
        if let Some(bound) = bound {
            // Bound first: every event appended after the read below is then published
            // to this instance's queue.
            if tokio::time::timeout(BIND_WAIT, bound).await.is_err() {
                tracing::debug!(job_id = %self.id, "match updates not bound yet; the feed starts on the repair poll");
            }
        }
        // Where the feed starts: the log's end and the saved state now. Subscribers read
        // the log up to here themselves; anything later comes through the feed.
        match self.hub.store.get_match(&self.tenant, &self.id).await {
            Ok(record) => {
                self.last_seq = record.last_seq;
                self.state_version = record.snapshot.state_version;
                let _ = ready.send(Some(record.last_seq));
                if record.job.status.is_final() {
                    self.end(&record);
                    return;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, job_id = %self.id, "cannot start a match feed; its subscribers close");
                self.hub.retire(&self.id, false);
                return;
            }
        }
        let mut ticks = tokio::time::interval(poll);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let next = tokio::select! {
                () = herald_core::shutdown::stopped(&mut stop) => {
                    self.hub.retire(&self.id, false);
                    return;
                }
                update = updates.recv() => match update {
                    Some(update) => self.on_update(update).await,
                    None => Ok(Next::Continue),
                },
                _ = ticks.tick() => {
                    if self.hub.retire(&self.id, true) {
                        return;
                    }
                    self.poll().await
                }
            };
            match next {
                Ok(Next::Continue) => {}
                Ok(Next::Ended) => return,
                Err(e) => {
                    // The next poll tries again; subscribers wait meanwhile.
                    tracing::warn!(error = %e, job_id = %self.id, "match feed cannot read the store");
                }
            }
        }
    }

    fn send(&self, update: MatchUpdate) {
        let _ = self.tx.send(Arc::new(update));
    }

    /// Passes on every logged event after `last_seq`, up to `until` when given. In
    /// pages of half a subscriber's buffer with a yield between them, so that a long
    /// repair never runs a subscriber that keeps up past its buffer.
    async fn read_log(&mut self, until: Option<u64>) -> Result<(), StoreError> {
        let page = self.hub.settings.buffer.div_ceil(2).clamp(1, LOG_PAGE);
        loop {
            let limit = match until {
                Some(until) if until <= self.last_seq => return Ok(()),
                Some(until) => usize::try_from(until - self.last_seq)
                    .unwrap_or(page)
                    .min(page),
                None => page,
            };
            let events = self
                .hub
                .store
                .events_after(&self.id, self.last_seq, limit)
                .await?;
            let full = events.len() == limit;
            for event in &events {
                if event.seq != self.last_seq + 1 {
                    // The store allocates seqs without holes; a reader may still see a
                    // later one before an earlier commit. Try again at the next round.
                    return Ok(());
                }
                self.last_seq = event.seq;
                self.send(MatchUpdate::Event(EventUpdate::from(event)));
            }
            if !full {
                return Ok(());
            }
            tokio::task::yield_now().await;
        }
    }

    async fn on_update(&mut self, update: MatchUpdate) -> Result<Next, StoreError> {
        match update {
            MatchUpdate::Event(event) => {
                if event.seq <= self.last_seq {
                    return Ok(Next::Continue);
                }
                if event.seq > self.last_seq + 1 {
                    self.hub.metrics.gap_repaired();
                    self.read_log(Some(event.seq - 1)).await?;
                }
                if event.seq == self.last_seq + 1 {
                    self.last_seq = event.seq;
                    self.send(MatchUpdate::Event(event));
                }
                Ok(Next::Continue)
            }
            MatchUpdate::State(state) => {
                if state.state_version > self.state_version {
                    self.state_version = state.state_version;
                    self.send(MatchUpdate::State(state));
                }
                Ok(Next::Continue)
            }
            MatchUpdate::Ended(_) => {
                // The store's record is the end to tell: read it, and the log to its end.
                self.poll().await
            }
        }
    }

    /// Brings the feed up to the store: the log's end, the saved state, the end.
    async fn poll(&mut self) -> Result<Next, StoreError> {
        let record = self.hub.store.get_match(&self.tenant, &self.id).await?;
        if record.last_seq > self.last_seq {
            if self.hub.bindings.is_some() {
                self.hub.metrics.gap_repaired();
            }
            self.read_log(None).await?;
        }
        if record.snapshot.state_version > self.state_version {
            self.state_version = record.snapshot.state_version;
            self.send(MatchUpdate::State(StateUpdate::from(&record.snapshot)));
        }
        if record.job.status.is_final() {
            self.read_log(None).await?;
            self.end(&record);
            return Ok(Next::Ended);
        }
        Ok(Next::Continue)
    }

    /// The last message: off the hub first, so no subscriber joins after it.
    fn end(&self, record: &MatchRecord) {
        self.hub.retire(&self.id, false);
        self.send(MatchUpdate::Ended(ended_update(record)));
    }
}

/// The `ended` message of a finished match's record.
pub fn ended_update(record: &MatchRecord) -> EndedUpdate {
    let state = if record.snapshot.state.is_null() {
        MatchRequest::from_payload(&record.job.payload)
            .map(|spec| engine_for(spec.match_type).initial_state(&spec))
            .unwrap_or(serde_json::Value::Null)
    } else {
        record.snapshot.state.clone()
    };
    EndedUpdate {
        status: record.job.status,
        state_version: record.snapshot.state_version,
        applied_seq: record.snapshot.applied_seq,
        state,
        result: record.result.clone(),
    }
}
