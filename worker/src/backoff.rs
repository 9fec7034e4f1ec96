//! Waiting between attempts at something that is down — the broker, the store:
//! jittered exponential backoff that gives up the wait as soon as the worker is told to
//! stop.

use std::time::Duration;

use tokio::sync::watch;

use crate::poller::jittered;

/// First and longest pause between reconnects to the broker (and opens of the store).
pub const RECONNECT_FIRST: Duration = Duration::from_millis(200);
pub const RECONNECT_MAX: Duration = Duration::from_secs(10);

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
            () = crate::signal_on(stop) => false,
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
}
