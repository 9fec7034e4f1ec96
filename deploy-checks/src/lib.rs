//! Test support for the checks of Herald's deployment artifacts (the Dockerfile, the
//! compose file, nginx.conf, prometheus.yml, the alert rules and the Grafana
//! dashboard). The checks themselves are this crate's integration tests; they run the
//! real tools (docker-compose, nginx, promtool, prometheus) and the real services.
//!
//! Layout:
//! - [`repo`]: paths of the committed artifacts;
//! - [`tools`]: finding and running the external tools, and the workspace's binary
//!   targets by `cargo metadata`;
//! - [`process`]: spawned processes that are always killed, even when a test fails;
//! - [`http`]: a tiny HTTP/1.1 client (the tests talk to 127.0.0.1 only);
//! - [`promql`]: the metric names a PromQL expression refers to;
//! - [`dns`] and [`forward`]: a DNS server whose answers change, and loopback
//!   addresses for local processes, so nginx meets "containers" that move.
//!
//! Herald's own binaries, free ports and waiting come from `herald-testkit`, which the
//! tests of the other crates share.
//!
//! This is test support: a failure here is a test failure, so it panics with a message
//! that says what was expected.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod dns;
pub mod forward;
pub mod http;
pub mod process;
pub mod promql;
pub mod repo;
pub mod tools;
