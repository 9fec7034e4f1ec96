//! The `herald-api` binary: reads config, starts tracing, binds `PORT`, serves until
//! SIGTERM or SIGINT, then finishes in-flight requests.

use anyhow::Context as _;
use clap::Parser;

/// Herald's HTTP API: accepts notification and match jobs and match events, stores
/// them durably, and publishes them to RabbitMQ for the workers.
#[derive(Debug, Parser)]
#[command(
    name = "herald-api",
    version,
    after_help = herald_api::config::env_help()
)]
struct Cli {}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    Cli::parse();
    let config = herald_api::Config::from_env(&herald_core::config::Env::process())?;
    herald_core::telemetry::init("info,tower_http=info");
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", config.port))
        .await
        .with_context(|| format!("binding PORT {}", config.port))?;
    herald_api::run(config, listener, shutdown_signal()).await
}

/// SIGTERM (orchestrators) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    herald_core::shutdown::signal().await;
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
