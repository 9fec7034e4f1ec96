//! `herald-store`: the operator's view of the configured job store, from the shell (in
//! a container: `docker compose -f docker-compose.scale.yml exec api1 herald-store …`).
//!
//! It opens the same store the API and workers would (`MONGODB_URI`, else
//! `SQLITE_PATH`) and goes through the same store paths and tenant scoping as the HTTP
//! API: `counts` prints the jobs per state, `dead-letters` lists a tenant's dead jobs
//! with their last error, and `redrive` sends dead jobs back to be delivered with fresh
//! attempts (as `POST /v1/jobs/{id}/retry` does; the workers' poller dispatches them).
//! `keys create|list|revoke` manage the API keys held in the store: every API instance
//! rereads them every 2 s, so a new key works and a revoked one stops within seconds.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use herald_core::clock::SystemClock;
use herald_core::config::Env;
use herald_core::store::keys::{key_digest, MAX_KEY_NAME_LEN};
use herald_core::store::{self, ListFilter, NewApiKey, PageRequest, Store, StoreConfig};
use herald_core::{JobId, JobStatus, TenantId};

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Look at Herald's job store and re-drive dead letters (the store of MONGODB_URI, \
             else SQLITE_PATH: the same variables as herald-api and herald-worker)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the number of jobs in each state (all tenants).
    Counts,
    /// List a tenant's dead jobs, newest first: id, attempts, created, last error.
    DeadLetters {
        /// The tenant whose dead letters to list.
        #[arg(long)]
        tenant: String,
        /// At most this many (1 to 500).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Re-drive dead jobs of a tenant: pending again with fresh attempts.
    Redrive {
        /// The jobs' tenant.
        #[arg(long)]
        tenant: String,
        /// The ids of the dead jobs.
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Manage the API keys held in the store (beside the API_KEYS bootstrap keys).
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create a key for a tenant and print it. It is shown this once: the store keeps
    /// only its SHA-256 digest.
    Create {
        /// The tenant the key calls the API as.
        #[arg(long)]
        tenant: String,
        /// What you call it (e.g. billing-service), to find it in `keys list`.
        #[arg(long)]
        name: String,
    },
    /// List the stored keys, oldest first: id, tenant, name, created, last used, state.
    List {
        /// Only this tenant's keys.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Revoke a key by its id (from `keys list`); API instances refuse it within seconds.
    Revoke {
        /// The key's id.
        id: String,
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
    let config = StoreConfig::from_env(&Env::process())?;
    let store = store::open(&config, Arc::new(SystemClock::default())).await?;
    match cli.command {
        Command::Counts => {
            let counts = store.counts().await?;
            for status in JobStatus::ALL {
                println!("{:<10} {}", status.as_str(), counts.get(*status));
            }
        }
        Command::DeadLetters { tenant, limit } => {
            let tenant = TenantId::parse(&tenant)?;
            let filter = ListFilter {
                status: Some(JobStatus::Dead),
                ..ListFilter::default()
            };
            let limit = limit.clamp(1, PageRequest::MAX_LIMIT);
            let page = store
                .list(&tenant, &filter, &PageRequest::first(limit))
                .await?;
            for job in page.items {
                let error = job.last_error.as_deref().unwrap_or("");
                println!(
                    "{}  attempts {}  created {}  {error}",
                    job.id,
                    job.attempts,
                    job.created_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                );
            }
        }
        Command::Redrive { tenant, ids } => {
            let tenant = TenantId::parse(&tenant)?;
            let mut failed = 0;
            for raw in ids {
                let outcome = match raw.parse::<JobId>() {
                    Ok(id) => store
                        .redrive(&tenant, &id)
                        .await
                        .map_err(anyhow::Error::new),
                    Err(e) => Err(anyhow::anyhow!("{raw:?} is not a job id: {e}")),
                };
                match outcome {
                    Ok(job) => println!("{}  {}", job.id, job.status.as_str()),
                    Err(e) => {
                        failed += 1;
                        eprintln!("{raw}: {e:#}");
                    }
                }
            }
            anyhow::ensure!(failed == 0, "{failed} job(s) not re-driven");
        }
        Command::Keys(command) => keys(store.as_ref(), command).await?,
    }
    Ok(())
}

fn when(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map_or_else(
        || "-".to_owned(),
        |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

async fn keys(store: &dyn Store, command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Create { tenant, name } => {
            let tenant = TenantId::parse(&tenant)?;
            let name = name.trim().to_owned();
            anyhow::ensure!(
                (1..=MAX_KEY_NAME_LEN).contains(&name.chars().count())
                    && !name.chars().any(char::is_control),
                "--name is 1 to {MAX_KEY_NAME_LEN} characters"
            );
            let key = new_key();
            let record = store
                .create_key(NewApiKey {
                    tenant,
                    name,
                    digest: key_digest(&key),
                })
                .await?;
            println!("{key}");
            eprintln!(
                "created key {} for tenant {} ({}); it is shown only this once, \
                 and every API instance accepts it within seconds",
                record.id, record.tenant, record.name
            );
        }
        KeysCommand::List { tenant } => {
            let tenant = tenant.as_deref().map(TenantId::parse).transpose()?;
            for key in store.list_keys(tenant.as_ref()).await? {
                let state = if key.is_active() { "active" } else { "revoked" };
                println!(
                    "{}  {}  {}  created {}  last used {}  {state}",
                    key.id,
                    key.tenant,
                    key.name,
                    when(Some(key.created_at)),
                    when(key.last_used_at),
                );
            }
        }
        KeysCommand::Revoke { id } => {
            let key = store.revoke_key(&id).await.map_err(|e| match e {
                store::StoreError::NotFound => anyhow::anyhow!("no stored key has id {id:?}"),
                other => other.into(),
            })?;
            println!("{}  revoked {}", key.id, when(key.revoked_at));
        }
    }
    Ok(())
}

/// A new key: `hk_` and 32 random bytes from the OS, as hex.
fn new_key() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("hk_{}", hex::encode(bytes))
}
