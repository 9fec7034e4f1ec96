//! `herald-store`, the operator's command: counts, a tenant's dead letters with their
//! errors, and re-driving them — and none of the conformance suite's test commands
//! (they mark jobs succeeded without delivering them; `herald-conformance` has them).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::Duration;

use herald_core::clock::SystemClock;
use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::{self, ClaimOutcome, Retry, StoreConfig};
use herald_core::{JobKind, JobStatus, NewJob, TenantId, WorkerId};

const BIN: &str = env!("CARGO_BIN_EXE_herald-store");

fn herald_store(db: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .env_clear()
        .env("SQLITE_PATH", db)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn lists_dead_letters_and_redrives_them_and_ships_no_test_commands() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("herald.db");
    let store = store::open(
        &StoreConfig::Sqlite(SqliteConfig::new(&db)),
        std::sync::Arc::new(SystemClock::default()),
    )
    .await
    .unwrap();
    let tenant = TenantId::parse("acme").unwrap();
    let job = store
        .insert(NewJob::new(
            JobKind::Notification,
            tenant.clone(),
            serde_json::json!({"channel": "log", "recipient": {"address": "x"}, "body": "hi"}),
        ))
        .await
        .unwrap()
        .into_job();
    let ClaimOutcome::Claimed(claimed) = store
        .claim(&job.id, &WorkerId::generate(), Duration::from_secs(30))
        .await
        .unwrap()
    else {
        panic!("the job should be claimable");
    };
    store
        .fail(&claimed.lease, "receiver said 400", Retry::Never)
        .await
        .unwrap();

    let (ok, counts, err) = herald_store(&db, &["counts"]);
    assert!(ok, "{err}");
    assert!(
        counts
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["dead", "1"]),
        "{counts}"
    );
    let (ok, listed, err) = herald_store(&db, &["dead-letters", "--tenant", "acme"]);
    assert!(ok, "{err}");
    assert!(
        listed.contains(job.id.as_str()) && listed.contains("receiver said 400"),
        "{listed}"
    );
    // Another tenant sees none of it, as through the API.
    let (ok, other, _) = herald_store(&db, &["dead-letters", "--tenant", "globex"]);
    assert!(ok && other.trim().is_empty(), "{other}");

    let (ok, redriven, err) = herald_store(&db, &["redrive", "--tenant", "acme", job.id.as_str()]);
    assert!(ok, "{err}");
    assert!(redriven.contains("pending"), "{redriven}");
    let again = store.get(&tenant, &job.id).await.unwrap();
    assert_eq!(again.status, JobStatus::Pending);
    assert_eq!(again.attempts, 0, "fresh attempts");
    // A job that is not dead is refused, and said so.
    let (ok, _, err) = herald_store(&db, &["redrive", "--tenant", "acme", job.id.as_str()]);
    assert!(!ok && err.contains(job.id.as_str()), "{err}");

    let (ok, help, _) = herald_store(&db, &["--help"]);
    assert!(ok);
    for command in ["counts", "dead-letters", "redrive"] {
        assert!(help.contains(command), "{help}");
    }
    for test_only in ["drain", "append"] {
        assert!(
            !help.contains(test_only),
            "herald-store still offers {test_only}:\n{help}"
        );
    }
}
