//! herald-testkit: the test support that the tests of several Herald crates share.
//! Integration tests run against real services, real HTTP receivers and the real
//! binaries; this crate says where the services are, runs a webhook receiver that
//! records what it gets, builds the binaries of other packages, and waits on a
//! condition with a deadline instead of sleeping. It is a dev-dependency only, never
//! linked into a shipped binary.
//!
//! Layout:
//! - [`services`] — the test RabbitMQ and MongoDB-protocol server, from the
//!   `HERALD_TEST_*` variables that `scripts/test.sh` exports; free ports, and a
//!   SecantusDB of the test's own;
//! - [`sink`] — a webhook receiver on loopback that records every request and answers
//!   as its path (or the test) says;
//! - [`binaries`] — the workspace's binaries, built with the test build's own target
//!   selection, for tests of a package that does not own them;
//! - [`wait`] — polling a check until it passes, or failing the test at a deadline.
//!
//! This is test support: a failure here is a test failure, so it panics with a message
//! that says what was expected.

pub mod binaries;
pub mod services;
pub mod sink;
pub mod wait;
