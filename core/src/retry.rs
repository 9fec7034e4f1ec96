//! Retry timing: capped exponential backoff with jitter.

use std::time::Duration;

use rand::Rng;

/// How long a failed job waits before its next attempt.
///
/// The delay before attempt `n + 1` (after `n` failed attempts) is drawn uniformly
/// from `[d/2, d]` where `d = min(cap, base * factor^(n-1))` ("equal jitter"). Jitter
/// spreads a burst of failures so they do not retry in lockstep; keeping the lower
/// half fixed means the delay still grows from one attempt to the next until the cap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub factor: f64,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(2),
            factor: 2.0,
            cap: Duration::from_secs(15 * 60),
        }
    }
}

impl RetryPolicy {
    /// The ceiling of the delay after `attempts` failed attempts (no jitter).
    pub fn ceiling(&self, attempts: u32) -> Duration {
        let exponent = attempts.saturating_sub(1).min(64) as i32;
        let secs = self.base.as_secs_f64() * self.factor.powi(exponent);
        if !secs.is_finite() || secs >= self.cap.as_secs_f64() {
            self.cap
        } else {
            Duration::from_secs_f64(secs)
        }
    }

    /// The delay after `attempts` failed attempts, jittered with `rng`.
    pub fn delay_with(&self, attempts: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling(attempts);
        let half = ceiling / 2;
        let spread = ceiling.saturating_sub(half).as_secs_f64();
        half + Duration::from_secs_f64(rng.gen_range(0.0..=spread))
    }

    /// The delay after `attempts` failed attempts.
    pub fn delay(&self, attempts: u32) -> Duration {
        self.delay_with(attempts, &mut rand::thread_rng())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    fn policy() -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_secs(1),
            factor: 2.0,
            cap: Duration::from_secs(60),
        }
    }

    #[test]
    fn ceiling_doubles_then_caps() {
        let p = policy();
        let ceilings: Vec<u64> = (1..=8).map(|n| p.ceiling(n).as_secs()).collect();
        assert_eq!(ceilings, vec![1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(p.ceiling(0), Duration::from_secs(1));
        assert_eq!(p.ceiling(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn jitter_stays_within_half_to_full_ceiling() {
        let p = policy();
        let mut rng = StdRng::seed_from_u64(7);
        for attempts in 1..12 {
            let ceiling = p.ceiling(attempts);
            for _ in 0..200 {
                let d = p.delay_with(attempts, &mut rng);
                assert!(
                    d >= ceiling / 2 && d <= ceiling,
                    "{d:?} outside [{ceiling:?}/2, {ceiling:?}]"
                );
            }
        }
    }

    #[test]
    fn jitter_actually_spreads() {
        let p = policy();
        let mut rng = StdRng::seed_from_u64(1);
        let draws: std::collections::HashSet<u128> = (0..50)
            .map(|_| p.delay_with(5, &mut rng).as_millis())
            .collect();
        assert!(draws.len() > 10, "only {} distinct delays", draws.len());
    }

    #[test]
    fn delays_never_shrink_between_attempts_below_the_cap() {
        // Ceilings 1, 2, 4 .. 32 s: each draw's floor is the previous draw's ceiling.
        let p = policy();
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..200 {
            let mut previous = Duration::ZERO;
            for attempts in 1..=6 {
                let d = p.delay_with(attempts, &mut rng);
                assert!(d >= previous, "attempt {attempts}: {d:?} < {previous:?}");
                previous = d;
            }
        }
    }
}
