//! `herald-store`: look at and exercise the configured job store from the shell.
//!
//! It opens the same store the API and workers would (`MONGODB_URI`, else
//! `SQLITE_PATH`). `counts` prints jobs per state; `drain` claims and completes due
//! jobs until none are left, printing each claimed id — the conformance suite runs
//! two of these at once to prove that separate processes never claim a job twice.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use herald_core::clock::SystemClock;
use herald_core::config::StoreConfig;
use herald_core::store::{self, ClaimRequest};
use herald_core::WorkerId;

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Inspect and exercise Herald's job store (MONGODB_URI, else SQLITE_PATH)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the number of jobs in each state.
    Counts,
    /// Claim due jobs in batches and complete them until none are due; print each id.
    Drain {
        /// Jobs claimed per store round trip.
        #[arg(long, default_value_t = 10)]
        batch: usize,
        /// Lease length in milliseconds.
        #[arg(long, default_value_t = 30_000)]
        lease_ms: u64,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    herald_core::telemetry::init("warn");
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("herald-store: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = StoreConfig::from_env()?;
    let store = store::open(&config, Arc::new(SystemClock::default())).await?;
    match cli.command {
        Command::Counts => {
            let counts = store.counts().await?;
            for status in herald_core::JobStatus::ALL {
                println!("{:<10} {}", status.as_str(), counts.get(*status));
            }
        }
        Command::Drain { batch, lease_ms } => {
            let request = ClaimRequest {
                worker: WorkerId::generate(),
                lease: Duration::from_millis(lease_ms),
                limit: batch.max(1),
                kind: None,
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
    }
    Ok(())
}
