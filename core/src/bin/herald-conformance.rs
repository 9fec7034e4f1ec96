//! `herald-conformance`: the child process of the store conformance suite. Test
//! support, never shipped: it is built only with the `conformance` feature (the
//! suite's own), and its commands would corrupt a real deployment's data.
//!
//! It opens the store the environment names (`MONGODB_URI`, else `SQLITE_PATH`).
//! `drain` claims and completes due jobs until none are left — marking them
//! `succeeded` without delivering them — printing each claimed id: the suite runs two
//! at once to prove that separate processes never claim a job twice. `append` adds
//! score events to a match, printing each allocated sequence number: two at once prove
//! that separate processes get gap-free, distinct numbers (`--key-prefix` sends each
//! event with an idempotency key).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use herald_core::clock::SystemClock;
use herald_core::matches::{EventKind, EventRequest};
use herald_core::store::{self, ClaimRequest, StoreConfig};
use herald_core::{JobId, TenantId, WorkerId};

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Test support of the store conformance suite: races claims and appends on the \
             store of MONGODB_URI, else SQLITE_PATH. Not for real deployments."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Claim due jobs in batches and complete them until none are due; print each id.
    Drain {
        /// Jobs claimed per store round trip.
        #[arg(long, default_value_t = 10)]
        batch: usize,
        /// Lease length in milliseconds.
        #[arg(long, default_value_t = 30_000)]
        lease_ms: u64,
    },
    /// Append `count` score events (1 point each) to a match; print each seq.
    Append {
        /// The match's tenant.
        #[arg(long)]
        tenant: String,
        /// The match's id.
        #[arg(long = "match")]
        match_id: String,
        /// The player who scores.
        #[arg(long)]
        player: String,
        /// Events per appender.
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// Appenders running at once in this process (sharing one store handle).
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
        /// Send event `k` of appender `a` with the idempotency key `<prefix>-<a>-<k>`:
        /// two runs with the same prefix append each event once (the second run's
        /// appends are replays and print the first run's seqs).
        #[arg(long)]
        key_prefix: Option<String>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    herald_core::telemetry::init("warn");
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("herald-conformance: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = StoreConfig::from_env(&herald_core::config::Env::process())?;
    let store = store::open(&config, Arc::new(SystemClock::default())).await?;
    match cli.command {
        Command::Drain { batch, lease_ms } => {
            let request = ClaimRequest {
                worker: WorkerId::generate(),
                lease: Duration::from_millis(lease_ms),
                limit: batch.max(1),
                kind: None,
                priority: None,
                fairness: Default::default(),
            };
            let mut out = std::io::stdout().lock();
            loop {
                let claimed = store.claim_due(&request).await?;
                if claimed.is_empty() {
                    break;
                }
                for job in claimed {
                    store.complete(&job.lease).await?;
                    use std::io::Write;
                    writeln!(out, "{}", job.job.id)?;
                }
            }
        }
        Command::Append {
            tenant,
            match_id,
            player,
            count,
            concurrency,
            key_prefix,
        } => {
            let tenant = TenantId::parse(&tenant)?;
            let id: JobId = match_id.parse()?;
            let event = EventRequest {
                kind: EventKind::Score,
                player_id: Some(player),
                points: Some(1),
                idempotency_key: None,
            };
            let mut appenders = tokio::task::JoinSet::new();
            for appender in 0..concurrency.max(1) {
                let (store, tenant, id, mut event, key_prefix) = (
                    store.clone(),
                    tenant.clone(),
                    id.clone(),
                    event.clone(),
                    key_prefix.clone(),
                );
                appenders.spawn(async move {
                    let mut seqs = Vec::with_capacity(count);
                    for k in 0..count {
                        event.idempotency_key =
                            key_prefix.as_ref().map(|p| format!("{p}-{appender}-{k}"));
                        let appended = store.append_event(&tenant, &id, &event).await?;
                        seqs.push(appended.event().seq);
                    }
                    Ok::<_, herald_core::StoreError>(seqs)
                });
            }
            let mut out = std::io::stdout().lock();
            while let Some(seqs) = appenders.join_next().await {
                for seq in seqs?? {
                    use std::io::Write;
                    writeln!(out, "{seq}")?;
                }
            }
        }
    }
    Ok(())
}
