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
    after_help = "Configuration is read from the environment:
  API_KEYS                 required: comma-separated tenant:key pairs (keys >= 8 chars)
  PORT                     listen port (3000)
  MONGODB_URI              MongoDB store; unset = embedded SQLite at SQLITE_PATH
  MONGODB_MAX_POOL_SIZE, MONGODB_MIN_POOL_SIZE
  SQLITE_PATH              SQLite file (./herald.db)
  RABBITMQ_URL             amqp://user:pass@host:5672/%2f; unset = embedded mode (store only)
  RABBITMQ_CONSUMER_GROUP  queue/exchange name prefix (notification-workers)
  RATE_LIMIT_PER_SEC       requests per second per API key, 0 = off (1000)
  RATE_LIMIT_BURST         token-bucket size per API key (2000)
  MAX_BODY_BYTES           largest request body (4194304)
  BODY_TIMEOUT_MS          how long a request body may take to arrive; then 408 (30000)
  HEARTBEAT_INTERVAL_MS    workers' heartbeat period; GET /v1/workers lists those seen within 3 (5000)
  WEBHOOK_ALLOWED_CIDRS    comma-separated CIDRs a webhook URL may name although internal
                           (loopback, private, link-local); none by default, e.g. 127.0.0.0/8
  RUST_LOG, LOG_FORMAT=json  logging
A bad value stops the process with a message naming the variable."
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
