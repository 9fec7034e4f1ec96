//! An injectable clock. Stores and policies ask a [`Clock`] for "now" so tests can
//! move time instead of sleeping. (In the MongoDB store, lease decisions use the
//! server's clock instead; see `docs/lease-protocol.md`.)

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

/// Where "now" comes from.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock, optionally shifted (to simulate a skewed host in tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock {
    offset: Duration,
}

impl SystemClock {
    /// A clock that reads `offset` ahead of (or, when negative, behind) the real time.
    pub fn skewed(offset: Duration) -> Self {
        Self { offset }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }
}

/// A clock that only moves when told to.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The clock most code wants.
pub fn system() -> Arc<dyn Clock> {
    Arc::new(SystemClock::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = Utc::now();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::seconds(90));
        assert_eq!(clock.now(), start + Duration::seconds(90));
        let shared = clock.clone();
        shared.set(start);
        assert_eq!(clock.now(), start, "clones share one time");
    }

    #[test]
    fn skewed_clock_reads_ahead() {
        let ahead = SystemClock::skewed(Duration::seconds(60));
        let diff = ahead.now() - Utc::now();
        assert!(diff > Duration::seconds(59) && diff <= Duration::seconds(60));
    }
}
