//! Waiting on a condition with a deadline: the check runs until it passes, and the
//! test fails with what it was waiting for (and what the check last saw) when time runs
//! out — rather than sleeping and hoping.

use std::future::Future;
use std::time::{Duration, Instant};

/// How often an async check runs.
const ASYNC_PERIOD: Duration = Duration::from_millis(50);
/// How often a blocking check runs (they start processes and talk HTTP).
const BLOCKING_PERIOD: Duration = Duration::from_millis(100);

/// What a check answers: done (with a value) or not yet — `None`, `false`, or an `Err`
/// saying what it saw, which the timeout's message repeats.
pub trait Ready {
    type Value;
    fn ready(self) -> Result<Self::Value, Option<String>>;
}

impl<T> Ready for Option<T> {
    type Value = T;
    fn ready(self) -> Result<T, Option<String>> {
        self.ok_or(None)
    }
}

impl Ready for bool {
    type Value = ();
    fn ready(self) -> Result<(), Option<String>> {
        self.then_some(()).ok_or(None)
    }
}

impl<T> Ready for Result<T, String> {
    type Value = T;
    fn ready(self) -> Result<T, Option<String>> {
        self.map_err(Some)
    }
}

/// Runs `check` until it is ready and returns its value, or panics with `what` once
/// `timeout` has passed.
pub async fn wait_for<R, F, Fut>(timeout: Duration, what: &str, mut check: F) -> R::Value
where
    R: Ready,
    F: FnMut() -> Fut,
    Fut: Future<Output = R>,
{
    let deadline = Instant::now() + timeout;
    loop {
        match check().await.ready() {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => timed_out(timeout, what, last),
            Err(_) => tokio::time::sleep(ASYNC_PERIOD).await,
        }
    }
}

/// [`wait_for`] for a test without a runtime: the check blocks, and so does the wait.
pub fn wait_for_blocking<R: Ready>(
    timeout: Duration,
    what: &str,
    mut check: impl FnMut() -> R,
) -> R::Value {
    let deadline = Instant::now() + timeout;
    loop {
        match check().ready() {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => timed_out(timeout, what, last),
            Err(_) => std::thread::sleep(BLOCKING_PERIOD),
        }
    }
}

fn timed_out(timeout: Duration, what: &str, last: Option<String>) -> ! {
    match last {
        Some(last) => panic!("timed out after {timeout:?} waiting for {what}; last: {last}"),
        None => panic!("timed out after {timeout:?} waiting for {what}"),
    }
}
