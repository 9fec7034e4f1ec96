//! The store conformance suite against the embedded SQLite store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use async_trait::async_trait;
use herald_core::clock::Clock;
use herald_core::store::conformance::{Harness, Scale};
use herald_core::store::sqlite::{SqliteConfig, SqliteStore};
use herald_core::store::Lifecycle;
use herald_core::Store;

/// Each test gets its own database file in its own temporary directory.
struct Sqlite {
    dir: tempfile::TempDir,
}

impl Sqlite {
    fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("herald.db")
    }
}

#[async_trait]
impl Harness for Sqlite {
    async fn setup(name: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix(&format!("herald-{name}-"))
            .tempdir()
            .unwrap();
        // Create the schema before any child process opens the file.
        SqliteStore::open(
            SqliteConfig::new(dir.path().join("herald.db")),
            herald_core::clock::system(),
        )
        .await
        .unwrap();
        Self { dir }
    }

    async fn open(&self, clock: Arc<dyn Clock>) -> Arc<dyn Store> {
        self.open_with(clock, Lifecycle::default()).await
    }

    async fn open_with(&self, clock: Arc<dyn Clock>, lifecycle: Lifecycle) -> Arc<dyn Store> {
        // A separate pool on the same file, as another process would have.
        let mut config = SqliteConfig::new(self.path());
        config.lifecycle = lifecycle;
        Arc::new(SqliteStore::open(config, clock).await.unwrap())
    }

    fn child_env(&self) -> Vec<(String, String)> {
        vec![("SQLITE_PATH".into(), self.path().display().to_string())]
    }

    fn scale(&self) -> Scale {
        Scale::FULL
    }
}

herald_core::conformance_suite!(
    sqlite,
    crate::Sqlite,
    env!("CARGO_BIN_EXE_herald-conformance")
);
