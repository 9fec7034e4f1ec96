//! `herald-worker`: reads its configuration, starts tracing, runs the worker until
//! SIGTERM or SIGINT, and exits 0 after a graceful shutdown.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use herald_worker::config::env_help;
use herald_worker::demo::{self, DemoOptions};
use herald_worker::Config;

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Herald's worker: consumes notification jobs from RabbitMQ (or polls the store \
             in embedded mode), claims each through a fenced lease, and delivers it.",
    after_help = env_help()
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the worker (the default).
    Run,
    /// Try Herald with no services: a throwaway SQLite store, N `log` notifications
    /// with mixed priorities, the real worker engine, and a latency summary.
    Demo {
        /// How many notifications to enqueue.
        #[arg(long, default_value_t = 25)]
        jobs: usize,
        /// Use this SQLite file instead of a fresh temporary one.
        #[arg(long)]
        db: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Run) {
        Command::Run => {
            herald_core::telemetry::init("info");
            let config = match Config::from_env(&herald_core::config::Env::process()) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("herald-worker: {e}");
                    return ExitCode::from(2);
                }
            };
            match herald_worker::run(config, herald_core::shutdown::signal()).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "worker failed");
                    eprintln!("herald-worker: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Demo { jobs, db } => {
            herald_core::telemetry::init("info,herald_core=warn");
            match demo::run(DemoOptions { jobs, db }).await {
                Ok(summary) => {
                    println!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("herald-worker demo: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
