//! The store conformance suite against MongoDB, served in tests by SecantusDB.
//!
//! `scripts/test.sh` starts SecantusDB and exports `HERALD_TEST_MONGODB_URI`; each test
//! gets its own database. SecantusDB does tens of operations a second, so the volumes
//! are smaller than SQLite's (200 jobs, 4 claimers, 1 s leases); every property is kept.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use herald_core::clock::Clock;
use herald_core::store::conformance::{Harness, Scale};
use herald_core::store::mongo::{MongoConfig, MongoStore};
use herald_core::store::Lifecycle;
use herald_core::Store;
use herald_testkit::services::mongodb_uri;

/// One test's database on the shared test server.
struct Mongo {
    config: MongoConfig,
}

/// `herald_test_<test>_<random>`, within MongoDB's 63-character limit.
fn database_name(test: &str) -> String {
    let short: String = test.chars().take(40).collect();
    format!("herald_test_{short}_{:08x}", rand::random::<u32>())
}

#[async_trait]
impl Harness for Mongo {
    async fn setup(name: &str) -> Self {
        let mut config = MongoConfig::new(mongodb_uri());
        config.database = database_name(name);
        // Creates the indexes before any child process opens the database.
        MongoStore::open(config.clone(), herald_core::clock::system())
            .await
            .unwrap();
        Self { config }
    }

    async fn open(&self, clock: Arc<dyn Clock>) -> Arc<dyn Store> {
        self.open_with(clock, Lifecycle::default()).await
    }

    async fn open_with(&self, clock: Arc<dyn Clock>, lifecycle: Lifecycle) -> Arc<dyn Store> {
        // A separate client and pool, as another process would have.
        let mut config = self.config.clone();
        config.lifecycle = lifecycle;
        Arc::new(MongoStore::open(config, clock).await.unwrap())
    }

    /// SecantusDB's TTL sweeper runs every 60 s like mongod's; its
    /// `secantusAdmin.pruneTtl` command runs one pass now. On a real MongoDB the
    /// command fails and the test waits for the monitor (within its patience).
    async fn run_ttl_monitor(&self) {
        let client = mongodb::Client::with_uri_str(&self.config.uri)
            .await
            .unwrap();
        let _ = client
            .database("admin")
            .run_command(mongodb::bson::doc! { "secantusAdmin.pruneTtl": 1 })
            .await;
    }

    fn child_env(&self) -> Vec<(String, String)> {
        vec![
            ("MONGODB_URI".into(), self.config.uri.clone()),
            ("MONGODB_DATABASE".into(), self.config.database.clone()),
        ]
    }

    fn scale(&self) -> Scale {
        Scale {
            jobs: 200,
            tasks: 4,
            short_lease: Duration::from_secs(1),
            patience: Duration::from_secs(90),
        }
    }
}

herald_core::conformance_suite!(
    mongodb,
    crate::Mongo,
    env!("CARGO_BIN_EXE_herald-conformance")
);
