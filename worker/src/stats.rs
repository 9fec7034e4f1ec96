//! The counters behind `/stats` (`docs/worker.md`) and the registry heartbeat.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::delivery::breaker::{Breakers, CircuitView};

#[derive(Debug)]
pub struct Stats {
    started: Instant,
    pub started_at: DateTime<Utc>,
    processed: AtomicU64,
    succeeded: AtomicU64,
    retried: AtomicU64,
    dead: AtomicU64,
    snoozed: AtomicU64,
    lease_lost: AtomicU64,
    in_flight: AtomicU64,
    /// Matches hosted right now (see `crate::matches`).
    active_matches: AtomicU64,
    /// Milliseconds since the epoch of the last finished job; 0 before the first.
    last_job_ms: AtomicI64,
    /// The delivery circuit breakers, shown in `/stats`.
    breakers: Option<Arc<Breakers>>,
}

/// What `/stats` returns.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsView {
    pub worker_id: String,
    pub hostname: String,
    pub pid: u32,
    /// Seconds since start.
    pub uptime: f64,
    pub processed: u64,
    pub succeeded: u64,
    /// Attempts that failed: retried + dead.
    pub failed: u64,
    pub retried: u64,
    pub dead: u64,
    /// succeeded / processed, 1.0 before the first job.
    pub success_rate: f64,
    pub in_flight: u64,
    pub active_matches: u64,
    pub capacity: u64,
    /// `MAX_MATCHES`: how many matches this worker hosts at most.
    pub match_capacity: u64,
    pub lease_lost: u64,
    pub last_job_at: Option<DateTime<Utc>>,
    /// Every (channel, provider) circuit this worker has delivered to.
    pub circuits: Vec<CircuitView>,
}

/// The ways a processed job can end, as counted here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Succeeded,
    Retried,
    Dead,
    Snoozed,
    LeaseLost,
    /// Released at shutdown or left unrecorded: processed, but no outcome of its own.
    Other,
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            started_at: Utc::now(),
            processed: AtomicU64::new(0),
            succeeded: AtomicU64::new(0),
            retried: AtomicU64::new(0),
            dead: AtomicU64::new(0),
            snoozed: AtomicU64::new(0),
            lease_lost: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            active_matches: AtomicU64::new(0),
            last_job_ms: AtomicI64::new(0),
            breakers: None,
        }
    }
}

impl Stats {
    /// Shows `breakers`' circuits in the view.
    pub fn with_circuits(mut self, breakers: Arc<Breakers>) -> Self {
        self.breakers = Some(breakers);
        self
    }

    /// Brings the circuits' state up to the clock ([`Breakers::refresh`]) before
    /// `/metrics` reports `herald_circuit_state`.
    pub fn refresh_circuits(&self) {
        if let Some(breakers) = &self.breakers {
            breakers.refresh();
        }
    }

    pub fn started(&self) {
        self.in_flight.fetch_add(1, Relaxed);
    }

    pub fn finished(&self, counted: Counted) {
        self.in_flight.fetch_sub(1, Relaxed);
        self.processed.fetch_add(1, Relaxed);
        let counter = match counted {
            Counted::Succeeded => &self.succeeded,
            Counted::Retried => &self.retried,
            Counted::Dead => &self.dead,
            Counted::Snoozed => &self.snoozed,
            Counted::LeaseLost => &self.lease_lost,
            Counted::Other => {
                self.last_job_ms
                    .store(Utc::now().timestamp_millis(), Relaxed);
                return;
            }
        };
        counter.fetch_add(1, Relaxed);
        self.last_job_ms
            .store(Utc::now().timestamp_millis(), Relaxed);
    }

    pub fn uptime_secs(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Relaxed)
    }

    /// A match began (`true`) or stopped (`false`) being hosted here.
    pub fn hosting(&self, started: bool) {
        if started {
            self.active_matches.fetch_add(1, Relaxed);
        } else {
            self.active_matches.fetch_sub(1, Relaxed);
        }
    }

    pub fn active_matches(&self) -> u64 {
        self.active_matches.load(Relaxed)
    }

    /// A match host's fenced write was refused (it is not a processed job).
    pub fn match_lease_lost(&self) {
        self.lease_lost.fetch_add(1, Relaxed);
    }

    pub fn processed(&self) -> u64 {
        self.processed.load(Relaxed)
    }

    pub fn view(&self, worker_id: &str, capacity: u64, match_capacity: u64) -> StatsView {
        let processed = self.processed.load(Relaxed);
        let succeeded = self.succeeded.load(Relaxed);
        let retried = self.retried.load(Relaxed);
        let dead = self.dead.load(Relaxed);
        let last = self.last_job_ms.load(Relaxed);
        StatsView {
            worker_id: worker_id.to_owned(),
            hostname: hostname::get()
                .ok()
                .and_then(|h| h.into_string().ok())
                .unwrap_or_default(),
            pid: std::process::id(),
            uptime: (self.uptime_secs() * 1000.0).round() / 1000.0,
            processed,
            succeeded,
            failed: retried + dead,
            retried,
            dead,
            success_rate: if processed == 0 {
                1.0
            } else {
                succeeded as f64 / processed as f64
            },
            in_flight: self.in_flight.load(Relaxed),
            active_matches: self.active_matches.load(Relaxed),
            capacity,
            match_capacity,
            lease_lost: self.lease_lost.load(Relaxed),
            last_job_at: (last > 0)
                .then(|| DateTime::from_timestamp_millis(last))
                .flatten(),
            circuits: self
                .breakers
                .as_ref()
                .map(|b| b.views())
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_counts_and_rates() {
        let s = Stats::default();
        assert_eq!(s.view("w", 4, 3).success_rate, 1.0);
        assert!(s.view("w", 4, 3).last_job_at.is_none());
        for c in [
            Counted::Succeeded,
            Counted::Succeeded,
            Counted::Retried,
            Counted::Dead,
        ] {
            s.started();
            s.finished(c);
        }
        s.started();
        let v = s.view("w", 4, 3);
        assert_eq!(
            (v.processed, v.succeeded, v.failed, v.in_flight),
            (4, 2, 2, 1)
        );
        assert_eq!(v.success_rate, 0.5);
        assert!(v.last_job_at.is_some());
        let json = serde_json::to_value(&v).unwrap();
        for key in [
            "workerId",
            "hostname",
            "pid",
            "uptime",
            "processed",
            "succeeded",
            "failed",
            "retried",
            "dead",
            "successRate",
            "inFlight",
            "activeMatches",
            "capacity",
            "matchCapacity",
            "leaseLost",
            "lastJobAt",
            "circuits",
        ] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
    }
}
