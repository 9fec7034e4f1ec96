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

/// `keys create` prints a new key once and stores only its digest; `keys list` shows
/// it (never the key) and `keys revoke` revokes it; bad input is refused plainly.
#[tokio::test]
async fn keys_are_created_listed_and_revoked_and_only_digests_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("herald.db");

    let (ok, created, err) = herald_store(
        &db,
        &["keys", "create", "--tenant", "acme", "--name", "billing"],
    );
    assert!(ok, "{err}");
    let key = created.trim().to_owned();
    assert!(key.starts_with("hk_") && key.len() == 67, "{created}");
    assert!(err.contains("shown only this once"), "{err}");

    let store = store::open(
        &StoreConfig::Sqlite(SqliteConfig::new(&db)),
        std::sync::Arc::new(SystemClock::default()),
    )
    .await
    .unwrap();
    let stored = store.list_keys(None).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].digest, herald_core::store::keys::key_digest(&key));
    assert_eq!(
        (stored[0].tenant.as_str(), stored[0].name.as_str()),
        ("acme", "billing")
    );
    let id = stored[0].id.clone();

    let (ok, listed, err) = herald_store(&db, &["keys", "list"]);
    assert!(ok, "{err}");
    assert!(
        listed.contains(&id) && listed.contains("billing") && listed.contains("active"),
        "{listed}"
    );
    assert!(!listed.contains(&key), "keys list printed the key");
    let (ok, other, _) = herald_store(&db, &["keys", "list", "--tenant", "globex"]);
    assert!(ok && other.trim().is_empty(), "{other}");

    let (ok, revoked, err) = herald_store(&db, &["keys", "revoke", &id]);
    assert!(ok, "{err}");
    assert!(revoked.contains("revoked"), "{revoked}");
    assert!(store.list_keys(None).await.unwrap()[0].revoked_at.is_some());
    let (_, listed, _) = herald_store(&db, &["keys", "list"]);
    assert!(listed.contains("revoked"), "{listed}");

    let (ok, _, err) = herald_store(&db, &["keys", "revoke", "no-such-key"]);
    assert!(!ok && err.contains("no stored key"), "{err}");
    let (ok, _, err) = herald_store(&db, &["keys", "create", "--tenant", "a cme", "--name", "x"]);
    assert!(!ok && err.contains("herald-store:"), "{err}");
    let (ok, _, err) = herald_store(&db, &["keys", "create", "--tenant", "acme", "--name", " "]);
    assert!(!ok && err.contains("--name"), "{err}");
}
