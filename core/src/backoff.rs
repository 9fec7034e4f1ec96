//! Waiting between attempts at something that is down — the broker, the store: jittered
//! exponential backoff that gives up the wait as soon as the process is told to stop.
//! Every retry loop in Herald takes its pauses from here.

use std::time::Duration;

use rand::Rng;
use tokio::sync::watch;

use crate::shutdown;

/// First and longest pause between reconnects to the broker (and opens of the store).
pub const RECONNECT_FIRST: Duration = Duration::from_millis(200);
pub const RECONNECT_MAX: Duration = Duration::from_secs(10);

/// The shortest base of a failing poll's pause, and the longest pause.
const POLL_FAILURE_FIRST: Duration = Duration::from_millis(100);
const POLL_FAILURE_MAX: Duration = Duration::from_secs(10);

/// `base` ± 20 %, so processes started together do not retry (or poll) in lockstep.
pub fn jittered(base: Duration) -> Duration {
    let factor = rand::thread_rng().gen_range(0.8..=1.2);
    base.mul_f64(factor)
}

/// The pause before the next poll of something polled every `interval`: the interval
/// itself while polls succeed; after `failures` failed polls in a row, exponentially
/// longer (never spinning on a broken store), capped at 10 s. Jittered either way.
pub fn poll_pause(interval: Duration, failures: u32) -> Duration {
    if failures == 0 {
        return jittered(interval);
    }
    let exp = interval.max(POLL_FAILURE_FIRST) * 2u32.saturating_pow(failures.min(8));
    jittered(exp.min(POLL_FAILURE_MAX))
}

/// Capped exponential backoff with jitter.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(first: Duration, max: Duration) -> Self {
        Self {
            first,
            max,
            next: first,
        }
    }

    /// 200 ms doubling to 10 s: between attempts to reach the broker or the store.
    pub fn reconnect() -> Self {
        Self::new(RECONNECT_FIRST, RECONNECT_MAX)
    }

    /// Back to the first pause, once the thing is reachable again.
    pub fn reset(&mut self) {
        self.next = self.first;
    }

    /// The next pause (±20 % jitter); the one after is twice as long, up to the cap.
    pub fn next_pause(&mut self) -> Duration {
        let pause = jittered(self.next);
        self.next = (self.next * 2).min(self.max);
        pause
    }

    /// The next pause without jitter (the caller checks it against a deadline first).
    pub fn peek(&self) -> Duration {
        self.next
    }

    /// Sleeps the next pause, telling `log` how long first. `false` when `stop` turned
    /// true meanwhile (the caller gives up).
    pub async fn wait(
        &mut self,
        stop: &mut watch::Receiver<bool>,
        log: impl FnOnce(Duration),
    ) -> bool {
        let pause = self.next_pause();
        log(pause);
        tokio::select! {
            () = tokio::time::sleep(pause) => true,
            () = shutdown::stopped(stop) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_the_cap_and_reset() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
        let pauses: Vec<u128> = (0..4).map(|_| b.next_pause().as_millis()).collect();
        let bases = [100u128, 200, 350, 350];
        for (pause, base) in pauses.iter().zip(bases) {
            assert!(
                (base * 8 / 10..=base * 12 / 10).contains(pause),
                "{pauses:?}"
            );
        }
        b.reset();
        assert!(b.next_pause() <= Duration::from_millis(120));
    }

    #[tokio::test]
    async fn a_stop_ends_the_wait() {
        let (tx, mut rx) = watch::channel(false);
        let mut b = Backoff::new(Duration::from_secs(3600), Duration::from_secs(3600));
        let _ = tx.send(true);
        let waited = tokio::time::timeout(Duration::from_secs(5), b.wait(&mut rx, |_| {})).await;
        assert_eq!(waited, Ok(false));
    }

    #[test]
    fn jitter_stays_within_a_fifth() {
        let base = Duration::from_millis(1000);
        for _ in 0..1000 {
            let d = jittered(base);
            assert!(d >= Duration::from_millis(800) && d <= Duration::from_millis(1200));
        }
    }

    #[test]
    fn failing_polls_back_off_to_the_cap() {
        let interval = Duration::from_millis(50);
        assert!(poll_pause(interval, 0) <= Duration::from_millis(60));
        // 100 ms (the floor) × 2 after one failure, ±20 %.
        let one = poll_pause(interval, 1);
        assert!((Duration::from_millis(160)..=Duration::from_millis(240)).contains(&one));
        assert!(poll_pause(interval, 30) <= Duration::from_secs(12));
    }
}
