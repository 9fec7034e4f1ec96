//! The run's shared ledger: when each job was scheduled, whether the API accepted
//! it, and when it was delivered. The generator and the sink both write to it; the
//! report is read from it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use chrono::{DateTime, Utc};
use hdrhistogram::Histogram;

use crate::report::micros_histogram;

#[derive(Debug, Clone, Copy)]
struct Scheduled {
    at: Instant,
    wall: DateTime<Utc>,
}

#[derive(Debug, Default)]
struct Arrival {
    first: Option<Instant>,
    count: u64,
}

#[derive(Debug)]
pub struct Ledger {
    accepted: HashMap<String, Scheduled>,
    arrivals: HashMap<String, Arrival>,
    pub sent: u64,
    pub rejected: BTreeMap<String, u64>,
    pub bad_signatures: u64,
    pub dead: u64,
    pub api_latency: Histogram<u64>,
    pub end_to_end: Histogram<u64>,
    pub first_send: Option<Instant>,
    pub last_delivery: Option<Instant>,
}

/// Cheap to clone; all clones share one ledger.
#[derive(Debug, Clone)]
pub struct Tracker(Arc<Mutex<Ledger>>);

fn micros(from: Instant, to: Instant) -> u64 {
    u64::try_from(to.saturating_duration_since(from).as_micros())
        .unwrap_or(u64::MAX)
        .max(1)
}

impl Tracker {
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self(Arc::new(Mutex::new(Ledger {
            accepted: HashMap::new(),
            arrivals: HashMap::new(),
            sent: 0,
            rejected: BTreeMap::new(),
            bad_signatures: 0,
            dead: 0,
            api_latency: micros_histogram()?,
            end_to_end: micros_histogram()?,
            first_send: None,
            last_delivery: None,
        }))))
    }

    pub fn lock(&self) -> MutexGuard<'_, Ledger> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `n` jobs go out in one request scheduled for `at`.
    pub fn sending(&self, n: u64, at: Instant) {
        let mut l = self.lock();
        l.sent += n;
        l.first_send.get_or_insert(at);
    }

    /// The API answered a request scheduled at `scheduled`.
    pub fn responded(&self, scheduled: Instant, now: Instant) {
        let mut l = self.lock();
        let _ = l.api_latency.record(micros(scheduled, now));
    }

    /// Re-times every accepted job as scheduled at `at` (a backlog drain measures
    /// from the workers' start, not from the enqueue).
    pub fn restart_clock(&self, at: Instant, wall: DateTime<Utc>) {
        let mut l = self.lock();
        for s in l.accepted.values_mut() {
            *s = Scheduled { at, wall };
        }
        l.first_send = Some(at);
    }

    /// The API accepted `id`, scheduled at `at` (`wall` is the same moment by the wall clock).
    pub fn accepted(&self, id: String, at: Instant, wall: DateTime<Utc>) {
        let mut l = self.lock();
        if let Some(first) = l.arrivals.get(&id).and_then(|a| a.first) {
            // Delivered before the client even saw the 202.
            let _ = l.end_to_end.record(micros(at, first));
        }
        l.accepted.insert(id, Scheduled { at, wall });
    }

    pub fn rejected(&self, reason: String, n: u64) {
        *self.lock().rejected.entry(reason).or_default() += n;
    }

    /// The sink received a delivery of `id`.
    pub fn delivered(&self, id: &str, at: Instant) {
        let mut l = self.lock();
        l.last_delivery = Some(at);
        let scheduled = l.accepted.get(id).map(|s| s.at);
        let arrival = l.arrivals.entry(id.to_owned()).or_default();
        arrival.count += 1;
        if arrival.first.is_none() {
            arrival.first = Some(at);
            if let Some(scheduled) = scheduled {
                let _ = l.end_to_end.record(micros(scheduled, at));
            }
        }
    }

    /// A job observed finished through the API (the `log` channel has no sink):
    /// `completed` is the store's completion time.
    pub fn completed_at(&self, id: &str, completed: DateTime<Utc>) {
        let mut l = self.lock();
        let Some(scheduled) = l.accepted.get(id).copied() else {
            return;
        };
        let elapsed = (completed - scheduled.wall).to_std().unwrap_or_default();
        let at = scheduled.at + elapsed;
        l.last_delivery = Some(l.last_delivery.map_or(at, |t| t.max(at)));
        let arrival = l.arrivals.entry(id.to_owned()).or_default();
        arrival.count += 1;
        if arrival.first.is_none() {
            arrival.first = Some(at);
            let _ = l.end_to_end.record(micros(scheduled.at, at));
        }
    }

    pub fn bad_signature(&self) {
        self.lock().bad_signatures += 1;
    }

    pub fn dead(&self) {
        self.lock().dead += 1;
    }

    /// Accepted ids not yet delivered.
    pub fn undelivered(&self) -> Vec<String> {
        let l = self.lock();
        l.accepted
            .keys()
            .filter(|id| !l.arrivals.contains_key(*id))
            .cloned()
            .collect()
    }

    /// (accepted, delivered among accepted)
    pub fn progress(&self) -> (u64, u64) {
        let l = self.lock();
        let delivered = l
            .accepted
            .keys()
            .filter(|id| l.arrivals.contains_key(*id))
            .count() as u64;
        (l.accepted.len() as u64, delivered)
    }

    /// Counts for the report: (accepted, delivered, duplicates, delivered without acceptance).
    pub fn tally(&self) -> (u64, u64, u64, u64) {
        let l = self.lock();
        let mut delivered = 0;
        let mut unacknowledged = 0;
        let mut duplicates = 0;
        for (id, arrival) in &l.arrivals {
            duplicates += arrival.count.saturating_sub(1);
            if l.accepted.contains_key(id) {
                delivered += 1;
            } else {
                unacknowledged += 1;
            }
        }
        (
            l.accepted.len() as u64,
            delivered,
            duplicates,
            unacknowledged,
        )
    }
}
