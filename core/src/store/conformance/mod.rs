//! The store conformance suite: written once, run against every store.
//!
//! A store's test file implements [`Harness`] (how to make a fresh database, open
//! more handles on it, and point a child process at it) and expands
//! [`crate::conformance_suite!`], which generates one `#[tokio::test]` per property
//! under `conformance::<backend>::`, so `cargo test conformance` selects them all.
//!
//! Time: the suite uses real time with short leases, so the same test proves the
//! property whether "now" is SQLite's injected clock or MongoDB's server clock.
//!
//! Layout: this module holds the harness, the macro and the set-up helpers every area
//! shares; the properties are grouped by area:
//! - [`leases`] — claiming each job once, fencing, renewal, claim order and answers;
//! - [`fairness`] — turns across tenants within a priority, and per-tenant caps;
//! - [`lifecycle`] — run times, retries and dead jobs, snooze and release, cancel and
//!   re-drive;
//! - [`inserts`] — idempotency keys and all-or-nothing batches;
//! - [`listing`] — tenant-scoped reads, pages and filters, counts by state;
//! - [`bulk`] — bulk re-drive and cancel by filter, in bounded steps by cursor;
//! - [`registry`] — worker heartbeats;
//! - [`retention`] — expiry per state, the pruner's duty lease;
//! - [`keys`] — API keys in the store;
//! - [`mod@matches`] — event logs, snapshots and the fenced finish of a match.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

pub mod bulk;
pub mod fairness;
pub mod inserts;
pub mod keys;
pub mod leases;
pub mod lifecycle;
pub mod listing;
pub mod matches;
pub mod registry;
pub mod retention;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::json;

use crate::clock::{Clock, SystemClock};
use crate::job::{JobId, JobKind, NewJob, TenantId};
use crate::lease::{ClaimedJob, WorkerId};

use super::{ClaimOutcome, Lifecycle, NotClaimed, Store};

/// Volumes and timings for one backend. SQLite takes the full volumes; a slow test
/// server takes smaller ones, with every property kept.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Jobs in the exactly-once claiming tests.
    pub jobs: usize,
    /// Concurrent in-process claimers.
    pub tasks: usize,
    /// A lease short enough to wait out in a test.
    pub short_lease: Duration,
    /// How long to wait for something that should happen.
    pub patience: Duration,
}

impl Scale {
    pub const FULL: Scale = Scale {
        jobs: 2_000,
        tasks: 8,
        short_lease: Duration::from_millis(300),
        patience: Duration::from_secs(20),
    };
}

/// How the suite gets at one backend.
#[async_trait]
pub trait Harness: Sized + Send + Sync + 'static {
    /// A fresh, empty database for the test `name`.
    async fn setup(name: &str) -> Self;
    /// A handle on this test's database whose client clock is `clock`.
    async fn open(&self, clock: Arc<dyn Clock>) -> Arc<dyn Store>;
    /// The same, with its own retention and idempotency-key life.
    async fn open_with(&self, clock: Arc<dyn Clock>, lifecycle: Lifecycle) -> Arc<dyn Store>;
    /// Runs the engine's own expiry now where it has one (MongoDB's TTL monitor;
    /// nothing for SQLite, whose pruner is [`super::MaintenanceStore::prune`]).
    async fn run_ttl_monitor(&self) {}
    /// Environment for a child process (`herald-conformance`) to open the same database.
    fn child_env(&self) -> Vec<(String, String)>;
    fn scale(&self) -> Scale;
}

/// Generates the suite's tests for one backend: `conformance_suite!(sqlite, MyHarness,
/// env!("CARGO_BIN_EXE_herald-conformance"))`.
#[macro_export]
macro_rules! conformance_suite {
    ($backend:ident, $harness:ty, $store_bin:expr) => {
        $crate::conformance_suite!(@tests $backend, $harness, $store_bin;
            leases: [
                claims_each_job_once_across_tasks,
                live_lease_blocks_claims_and_expired_lease_is_reclaimed,
                takeover_fences_out_the_old_holder,
                reclaim_by_the_same_worker_identity_still_fences,
                renew_extends_a_live_lease_only,
                claim_due_takes_priority_then_run_at,
                claim_by_id_says_why_not,
                claim_many_takes_only_claimable_jobs_once,
                complete_many_records_each_lease_and_fences_the_lost,
            ],
            fairness: [
                claims_take_turns_across_tenants,
                priority_comes_before_turns,
                a_capped_tenant_never_runs_past_its_cap,
                waiting_tenants_names_each_queues_tenants,
            ],
            lifecycle: [
                scheduled_job_waits_for_run_at,
                fail_reschedules_by_policy_then_dies_with_history,
                permanent_failure_is_dead_at_once,
                lease_expiring_on_final_attempt_goes_dead,
                snooze_and_release_do_not_spend_attempts,
                cancel_only_waiting_jobs,
                redrive_moves_dead_to_pending,
            ],
            inserts: [
                idempotency_key_replay_returns_the_same_job,
                insert_many_is_all_or_nothing,
                idempotency_keys_expire_and_are_bound_to_their_request,
            ],
            listing: [
                tenants_are_isolated,
                list_pages_newest_first_with_filters,
                counts_by_state,
                list_filters_by_priority_and_channel_and_finds_by_key,
                summary_and_bulk_redrive_by_filter,
            ],
            bulk: [
                bulk_retry_filters_pages_and_stays_in_tenant,
                bulk_cancel_takes_only_waiting_jobs,
            ],
            registry: [
                worker_registry_heartbeats,
            ],
            retention: [
                pruner_duty_is_held_by_one_worker_at_a_time,
                finished_jobs_expire_per_state,
                ended_matches_logs_expire_however_they_end,
            ],
            keys: [
                api_keys_are_created_listed_revoked_and_touched,
            ],
            matches: [
                match_events_get_gap_free_seqs_under_concurrent_appends,
                appending_is_for_live_matches_of_the_tenant,
                event_keys_replay_the_first_append_of_their_match,
                concurrent_appends_under_one_key_store_one_event,
                events_after_reads_ascending_with_a_limit,
                match_snapshot_saves_are_fenced,
                snapshot_survives_a_takeover,
                finish_match_is_one_fenced_atomic_write,
            ],
        );
    };
    (@tests $backend:ident, $harness:ty, $store_bin:expr;
        $($area:ident: [$($test:ident),+ $(,)?]),+ $(,)?) => {
        mod conformance {
            pub mod $backend {
                $($(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                    async fn $test() {
                        let harness = <$harness as $crate::store::conformance::Harness>::setup(
                            stringify!($test),
                        )
                        .await;
                        $crate::store::conformance::$area::$test(&harness).await;
                    }
                )+)+

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn claims_each_job_once_across_processes() {
                    $crate::store::conformance::leases::claims_each_job_once_across_processes::<
                        $harness,
                    >($store_bin)
                    .await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn match_events_gap_free_across_processes() {
                    $crate::store::conformance::matches::match_events_gap_free_across_processes::<
                        $harness,
                    >($store_bin)
                    .await;
                }
            }
        }
    };
}

fn tenant(name: &str) -> TenantId {
    TenantId::parse(name).unwrap()
}

fn note(tenant_name: &str, n: usize) -> NewJob {
    NewJob::new(
        JobKind::Notification,
        tenant(tenant_name),
        json!({ "n": n }),
    )
}

async fn real(h: &impl Harness) -> Arc<dyn Store> {
    h.open(Arc::new(SystemClock::default())).await
}

async fn insert(store: &Arc<dyn Store>, job: NewJob) -> crate::job::Job {
    store.insert(job).await.unwrap().into_job()
}

async fn claim(
    store: &Arc<dyn Store>,
    id: &JobId,
    worker: &WorkerId,
    lease: Duration,
) -> ClaimedJob {
    match store.claim(id, worker, lease).await.unwrap() {
        ClaimOutcome::Claimed(c) => *c,
        ClaimOutcome::NotClaimed(why) => panic!("expected to claim {id}, got {why:?}"),
    }
}

async fn not_claimed(store: &Arc<dyn Store>, id: &JobId, worker: &WorkerId) -> NotClaimed {
    match store
        .claim(id, worker, Duration::from_secs(60))
        .await
        .unwrap()
    {
        ClaimOutcome::Claimed(c) => panic!("claim of {id} should fail, got lease {:?}", c.lease),
        ClaimOutcome::NotClaimed(why) => why,
    }
}

/// Claims `id` as soon as the store allows it (its lease or run time passing).
async fn claim_when_possible(
    store: &Arc<dyn Store>,
    id: &JobId,
    worker: &WorkerId,
    scale: Scale,
) -> ClaimedJob {
    claim_when_possible_for(store, id, worker, Duration::from_secs(60), scale).await
}

async fn claim_when_possible_for(
    store: &Arc<dyn Store>,
    id: &JobId,
    worker: &WorkerId,
    lease: Duration,
    scale: Scale,
) -> ClaimedJob {
    let deadline = Instant::now() + scale.patience;
    loop {
        match store.claim(id, worker, lease).await.unwrap() {
            ClaimOutcome::Claimed(c) => return *c,
            ClaimOutcome::NotClaimed(why) => {
                assert!(
                    Instant::now() < deadline,
                    "{id} never became claimable: {why:?}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}
