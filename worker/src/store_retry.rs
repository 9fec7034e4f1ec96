//! Store calls that wait out an outage: the one retry loop for every store write and
//! claim a worker must not give up on at the first `Unavailable` — an outcome written
//! under a lease, a match host's save, a claim by id with its delivery in hand.
//!
//! A call is retried with jittered backoff (50 ms doubling to 2 s) while the store
//! answers [`StoreError::Unavailable`], for as long as its [`Patience`] lasts: until a
//! lease would have run out (nothing written after that could count), or until the
//! worker is told to stop. Any other answer, a lost lease included, is final. Every
//! attempt's result is reported to the store metrics.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use herald_core::backoff::Backoff;
use herald_core::shutdown;
use herald_core::store::{StoreError, StoreResult};
use tokio::sync::watch;

use crate::metrics::Metrics;

/// First and longest pause between attempts.
const FIRST_PAUSE: Duration = Duration::from_millis(50);
const MAX_PAUSE: Duration = Duration::from_secs(2);

/// How long a call keeps trying.
#[derive(Debug, Default)]
pub(crate) struct Patience {
    /// No attempt starts at or after this instant (the lease's expiry).
    deadline: Option<DateTime<Utc>>,
    /// A pause ends early, and the call gives up, once this turns true.
    stop: Option<watch::Receiver<bool>>,
}

impl Patience {
    /// Until `deadline`, even through a shutdown (an outcome must still be written).
    pub(crate) fn until(deadline: DateTime<Utc>) -> Self {
        Self {
            deadline: Some(deadline),
            stop: None,
        }
    }

    /// Until the worker stops, however long that is.
    pub(crate) fn until_stopped(stop: watch::Receiver<bool>) -> Self {
        Self {
            deadline: None,
            stop: Some(stop),
        }
    }

    /// Until `deadline` or the stop, whichever comes first.
    pub(crate) fn until_either(deadline: DateTime<Utc>, stop: watch::Receiver<bool>) -> Self {
        Self {
            deadline: Some(deadline),
            stop: Some(stop),
        }
    }
}

/// Why a call gave up.
#[derive(Debug)]
pub(crate) enum GaveUp {
    /// The store answered with an error that retrying cannot fix (a lost lease too).
    Refused(StoreError),
    /// Still unavailable when the deadline came.
    OutOfTime(StoreError),
    /// Told to stop while waiting.
    Stopping,
}

/// Runs `call` until it succeeds, is refused, or `patience` runs out. `what` names the
/// call in the log ("the write", "the claim").
pub(crate) async fn call<T, F, Fut>(
    metrics: &Metrics,
    what: &str,
    mut patience: Patience,
    mut call: F,
) -> Result<T, GaveUp>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = StoreResult<T>>,
{
    let mut backoff = Backoff::new(FIRST_PAUSE, MAX_PAUSE);
    loop {
        let result = call().await;
        metrics.observe_store(&result);
        let cause = match result {
            Ok(value) => return Ok(value),
            Err(StoreError::Unavailable(cause)) => cause,
            Err(e) => return Err(GaveUp::Refused(e)),
        };
        let pause = backoff.next_pause();
        let retry_at = Utc::now() + chrono::Duration::from_std(pause).unwrap_or_default();
        if patience
            .deadline
            .is_some_and(|deadline| retry_at >= deadline)
        {
            return Err(GaveUp::OutOfTime(StoreError::Unavailable(cause)));
        }
        tracing::warn!(error = %cause, retry_in_ms = pause.as_millis() as u64, "store unavailable; retrying {what}");
        match &mut patience.stop {
            None => tokio::time::sleep(pause).await,
            Some(stop) => tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = shutdown::stopped(stop) => return Err(GaveUp::Stopping),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unavailable() -> StoreResult<u32> {
        Err(StoreError::Unavailable(anyhow::anyhow!("down")))
    }

    #[tokio::test]
    async fn retries_while_unavailable_then_answers() {
        let metrics = Metrics::new().unwrap();
        let mut tries = 0;
        let got = call(&metrics, "it", Patience::default(), || {
            tries += 1;
            let answer = if tries < 3 { unavailable() } else { Ok(7) };
            async move { answer }
        })
        .await;
        assert!(matches!(got, Ok(7)), "{got:?}");
        assert_eq!(tries, 3);
        assert_eq!(metrics.store_errors.get(), 2);
        assert_eq!(metrics.store_up.get(), 1);
    }

    #[tokio::test]
    async fn a_refusal_is_final_and_a_deadline_ends_the_wait() {
        let metrics = Metrics::new().unwrap();
        let got = call(&metrics, "it", Patience::default(), || async {
            Err::<u32, _>(StoreError::LeaseLost)
        })
        .await;
        assert!(matches!(got, Err(GaveUp::Refused(StoreError::LeaseLost))));

        let soon = Utc::now() + chrono::Duration::milliseconds(20);
        let got = call(&metrics, "it", Patience::until(soon), || async {
            unavailable()
        })
        .await;
        assert!(matches!(got, Err(GaveUp::OutOfTime(_))), "{got:?}");
    }

    #[tokio::test]
    async fn a_stop_ends_the_wait() {
        let metrics = Metrics::new().unwrap();
        let (tx, rx) = watch::channel(false);
        let _ = tx.send(true);
        let got = call(&metrics, "it", Patience::until_stopped(rx), || async {
            unavailable()
        })
        .await;
        assert!(matches!(got, Err(GaveUp::Stopping)), "{got:?}");
    }
}
