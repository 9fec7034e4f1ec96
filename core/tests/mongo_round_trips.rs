//! The MongoDB path's round-trip budget (issue #14): every command the store sends is
//! counted with the driver's command monitoring, per job, for the hot path — insert,
//! claim by id, renew, complete — one job at a time and in batches of 50. The test
//! server (SecantusDB) cannot stand for a real `mongod`'s timing, but it answers the
//! same commands, so the count is exact; `docs/benchmarks.md` projects throughput from
//! it. If a change adds round trips, this fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use herald_core::store::mongo::{MongoConfig, MongoStore};
use herald_core::store::{ClaimOutcome, JobStore, LeaseStore};
use herald_core::{JobKind, NewJob, TenantId, WorkerId};
use herald_testkit::services::mongodb_uri;
use mongodb::event::command::CommandEvent;
use mongodb::event::EventHandler;

/// Unbatched: insert + claim + complete, each one command.
const UNBATCHED_PER_JOB: usize = 3;
/// A renewal is one command.
const PER_RENEW: usize = 1;
/// Batches of 50: insert_many + claim_many + complete_many together, per job.
const BATCH: usize = 50;
const BATCHED_PER_JOB: f64 = 1.0;
/// What each batched call costs today, whatever the batch size: `insert_many` reads
/// the keys already held, upserts in one `update`, reads the jobs back, commits;
/// `claim_many` reads the lease versions, claims in one `updateMany`, reads back;
/// `complete_many` is one `update`. More is a regression.
const INSERT_MANY: usize = 4;
const CLAIM_MANY: usize = 3;
const COMPLETE_MANY: usize = 1;

/// The names of the commands the store sent to its database, in order.
#[derive(Clone, Default)]
struct Commands {
    db: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Commands {
    fn handler(&self) -> EventHandler<CommandEvent> {
        let this = self.clone();
        EventHandler::callback(move |event| {
            if let CommandEvent::Started(started) = event {
                // The handshake and monitoring go to `admin`, and so does a commit:
                // count what the store asks, commits included.
                let ends_transaction = matches!(
                    started.command_name.as_str(),
                    "commitTransaction" | "abortTransaction"
                );
                if started.db == this.db || ends_transaction {
                    this.seen.lock().unwrap().push(started.command_name);
                }
            }
        })
    }

    /// The commands sent since the last call.
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

async fn store(test: &str) -> (MongoStore, Commands) {
    let mut config = MongoConfig::new(mongodb_uri());
    config.database = format!("herald_test_{test}_{:08x}", rand::random::<u32>());
    let commands = Commands {
        db: config.database.clone(),
        ..Commands::default()
    };
    let store = MongoStore::open_observed(
        config,
        herald_core::clock::system(),
        Some(commands.handler()),
    )
    .await
    .unwrap();
    commands.take(); // index creation and the clock check
    (store, commands)
}

fn note(n: usize) -> NewJob {
    NewJob::new(
        JobKind::Notification,
        TenantId::parse("t1").unwrap(),
        serde_json::json!({ "n": n }),
    )
}

const LEASE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_job_at_a_time_costs_at_most_three_round_trips() {
    let (store, commands) = store("rt_single").await;
    let worker = WorkerId::generate();
    let jobs = 3;
    let mut per_op: Vec<(&str, Vec<String>)> = Vec::new();
    for n in 0..jobs {
        let id = store.insert(note(n)).await.unwrap().into_job().id;
        per_op.push(("insert", commands.take()));
        let ClaimOutcome::Claimed(claimed) = store.claim(&id, &worker, LEASE).await.unwrap() else {
            panic!("job {n} not claimed");
        };
        per_op.push(("claim", commands.take()));
        let lease = store.renew(&claimed.lease, LEASE).await.unwrap();
        per_op.push(("renew", commands.take()));
        store.complete(&lease).await.unwrap();
        per_op.push(("complete", commands.take()));
    }
    eprintln!("round trips per operation: {per_op:?}");
    let count = |op: &str| -> usize {
        per_op
            .iter()
            .filter(|(o, _)| *o == op)
            .map(|(_, c)| c.len())
            .sum()
    };
    let hot = count("insert") + count("claim") + count("complete");
    assert!(
        hot <= UNBATCHED_PER_JOB * jobs,
        "insert + claim + complete took {hot} round trips for {jobs} jobs (budget {UNBATCHED_PER_JOB} a job): {per_op:?}"
    );
    assert!(
        count("renew") <= PER_RENEW * jobs,
        "{jobs} renewals took {} round trips: {per_op:?}",
        count("renew")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_of_fifty_cost_at_most_one_round_trip_a_job() {
    let (store, commands) = store("rt_batch").await;
    let worker = WorkerId::generate();
    // Half of them under an idempotency key, so the replay check is counted too.
    let jobs = (0..BATCH)
        .map(|n| match n % 2 {
            0 => note(n).idempotency_key(format!("key-{n}")),
            _ => note(n),
        })
        .collect();
    let inserted = store.insert_many(jobs).await.unwrap();
    let insert = commands.take();
    let ids: Vec<_> = inserted.into_iter().map(|i| i.into_job().id).collect();
    let outcomes = store.claim_many(&ids, &worker, LEASE).await.unwrap();
    let claim = commands.take();
    let leases: Vec<_> = outcomes
        .into_iter()
        .map(|o| match o {
            ClaimOutcome::Claimed(c) => c.lease,
            other => panic!("not claimed: {other:?}"),
        })
        .collect();
    let results = store.complete_many(&leases).await.unwrap();
    let complete = commands.take();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    for (what, sent, budget) in [
        ("insert_many", &insert, INSERT_MANY),
        ("claim_many", &claim, CLAIM_MANY),
        ("complete_many", &complete, COMPLETE_MANY),
    ] {
        assert!(
            sent.len() <= budget,
            "{what} of {BATCH} took {} round trips (budget {budget}): {sent:?}",
            sent.len()
        );
    }
    let total = insert.len() + claim.len() + complete.len();
    let per_job = total as f64 / BATCH as f64;
    eprintln!(
        "batch of {BATCH}: insert {insert:?}, claim {claim:?}, complete {complete:?}: \
         {total} round trips, {per_job:.2} a job"
    );
    assert!(
        per_job <= BATCHED_PER_JOB,
        "{total} round trips for {BATCH} jobs ({per_job:.2} a job, budget {BATCHED_PER_JOB}): \
         insert {insert:?}, claim {claim:?}, complete {complete:?}"
    );
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.get(herald_core::JobStatus::Succeeded), BATCH as u64);
}
