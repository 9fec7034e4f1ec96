//! herald-core: the job domain and the adapters every Herald binary shares.
//!
//! A job is a notification to deliver or a match to host. The API stores it and
//! publishes its id; a worker claims it through a fenced lease in the store, does the
//! work, and writes the outcome under that lease. This crate holds everything those
//! steps agree on.
//!
//! Layout:
//! - [`job`] — `Job`, `JobKind`, `Priority`, `JobStatus` and its state machine;
//! - [`lease`] — worker identity, `Lease`, and the lease invariants (written once);
//! - [`retry`] — `RetryPolicy`: capped exponential backoff with jitter;
//! - [`clock`] — the injectable clock;
//! - [`store`] — the store traits, [`store::StoreConfig`] (which store to open), the
//!   SQLite and MongoDB stores, and (feature `conformance`) the suite every store passes;
//! - [`config`] — `Env` (the environment config is built from), `Secret`, and the
//!   settings every binary reads (heartbeat, log settings);
//! - [`dispatch`] — the `Dispatch` seam and its two implementations: RabbitMQ (the
//!   topology, the confirming publisher, the sessions workers consume through) and
//!   embedded (no broker);
//! - [`backoff`] — jittered exponential backoff and poll pauses, for every retry loop;
//! - [`batch`] — `Batcher`: concurrent store calls folded into one (the worker's claims
//!   and completions, the API's group commit);
//! - [`supervise`] — the one reconnect loop of every long-lived broker session;
//! - [`matches`] — match requests and events, snapshots, the `MatchEngine` trait and
//!   the built-in scoreboard;
//! - [`json_fields`] — request fields read as JSON Schema reads them (integral
//!   numbers are integers, optional fields are never `null`);
//! - [`notification`] — the notification request a client sends, its validation, and
//!   the checked `Notification` (its `Address` and time zone parsed once);
//! - [`quiet_hours`] — the recipient's quiet window on their wall clock (DST included);
//! - [`signature`] — webhook signatures (`X-Herald-Signature`): signing and verifying;
//! - [`ssrf`] — the guard that keeps tenant-chosen targets out of internal networks;
//! - [`storable`] — what every store can hold of a client's free-form JSON;
//! - [`shutdown`] — the SIGTERM/SIGINT future every process waits for, and the stop
//!   flag its tasks watch;
//! - [`telemetry`] — tracing set-up shared by the binaries.

pub mod backoff;
pub mod batch;
pub mod clock;
pub mod config;
pub mod dispatch;
pub mod job;
pub mod json_fields;
pub mod lease;
pub mod matches;
pub mod notification;
pub mod quiet_hours;
pub mod retry;
pub mod shutdown;
pub mod signature;
pub mod ssrf;
pub mod storable;
pub mod store;
pub mod supervise;
pub mod telemetry;

pub use clock::Clock;
pub use job::{Job, JobId, JobKind, JobStatus, NewJob, Priority, TenantId};
pub use lease::{ClaimedJob, Lease, WorkerId};
pub use retry::RetryPolicy;
pub use store::{Store, StoreError};
