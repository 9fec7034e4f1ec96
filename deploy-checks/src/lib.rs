//! Test support for the checks of Herald's deployment artifacts (the Dockerfile, the
//! compose file, nginx.conf, prometheus.yml, the alert rules and the Grafana
//! dashboard). The checks themselves are this crate's integration tests; they run the
//! real tools (docker-compose, nginx, promtool, prometheus) and the real services.
//!
//! Layout:
//! - [`repo`]: paths of the committed artifacts;
//! - [`tools`]: finding the external tools and Herald's own binaries;
//! - [`process`]: spawned processes that are always killed, even when a test fails;
//! - [`http`]: a tiny HTTP/1.1 client (the tests talk to 127.0.0.1 only);
//! - [`promql`]: the metric names a PromQL expression refers to.
//!
//! This is test support: a failure here is a test failure, so it panics with a message
//! that says what was expected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod http;
pub mod process;
pub mod promql;
pub mod repo;
pub mod tools;

use std::net::TcpListener;
use std::time::{Duration, Instant};

/// A port free on 127.0.0.1 right now (the services under test need a fixed port
/// before they start, because nginx and Prometheus are configured with it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port on 127.0.0.1")
}

/// Polls `check` every 100 ms until it returns `Some`, or panics after `timeout`
/// with `what` and the last diagnostic `check` left in `last`.
pub fn wait_for<T>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match check() {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => {
                panic!("timed out after {timeout:?} waiting for {what}; last: {last}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}
