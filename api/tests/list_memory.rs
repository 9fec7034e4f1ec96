//! Lists are bounded in bytes, not only in items (`docs/api.md`): 40 concurrent
//! `GET /v1/jobs?limit=500` over jobs with 64 KB bodies keep a real `herald-api`
//! process under 256 MB of resident memory, in the summary view (the default) and the
//! full one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::Duration;

use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::StoreConfig;
use herald_core::{JobKind, NewJob, TenantId};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_herald-api");
const KEY: &str = "acme-list-memory-key-1";
const JOBS: usize = 500;
const CONCURRENT: usize = 40;
const RSS_LIMIT_KB: u64 = 256 * 1024;

/// The peak resident set of `pid` (VmHWM), in kB.
fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_lists_of_large_jobs_stay_under_256_mb() {
    herald_core::telemetry::init("warn");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("herald.db");
    let store = herald_core::store::open(
        &StoreConfig::Sqlite(SqliteConfig::new(&db)),
        herald_core::clock::system(),
    )
    .await
    .unwrap();
    let tenant = TenantId::parse("acme").unwrap();
    let body = "x".repeat(64 * 1024);
    for _ in 0..JOBS / 50 {
        let jobs = (0..50)
            .map(|_| {
                NewJob::new(
                    JobKind::Notification,
                    tenant.clone(),
                    json!({"channel": "log", "recipient": {"address": "a"}, "body": body}),
                )
            })
            .collect();
        store.insert_many(jobs).await.unwrap();
    }
    drop(store);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = tokio::process::Command::new(BIN)
        .env_clear()
        .env("API_KEYS", format!("acme:{KEY}"))
        .env("SQLITE_PATH", &db)
        .env("PORT", port.to_string())
        .env("RUST_LOG", "warn")
        .env("RATE_LIMIT_PER_SEC", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    herald_testkit::wait::wait_for(Duration::from_secs(30), "herald-api to be healthy", || {
        let http = http.clone();
        let url = url.clone();
        async move {
            let r = http.get(format!("{url}/health")).send().await.ok()?;
            (r.status() == 200).then_some(())
        }
    })
    .await;

    for view in ["", "&view=full"] {
        let requests = (0..CONCURRENT).map(|_| {
            let http = http.clone();
            let url = format!("{url}/v1/jobs?limit=500{view}");
            async move {
                let r = http.get(url).bearer_auth(KEY).send().await.unwrap();
                assert_eq!(r.status(), 200);
                r.json::<Value>().await.unwrap()
            }
        });
        let pages = futures::future::join_all(requests).await;
        let items = pages[0]["items"].as_array().unwrap();
        if view.is_empty() {
            assert_eq!(items.len(), JOBS, "the summary of every job fits a page");
            assert!(items.iter().all(|j| j.get("payload").is_none()));
            assert!(pages[0]["nextCursor"].is_null());
        } else {
            // Whole jobs: the page stops at its byte bound and says where to go on.
            assert!(!items.is_empty() && items.len() < JOBS, "{}", items.len());
            assert!(items.iter().all(|j| j["payload"]["body"] == body.as_str()));
            assert!(pages[0]["nextCursor"].is_string());
        }
        let peak = peak_rss_kb(pid);
        println!(
            "{CONCURRENT} concurrent lists{view}: {} items a page, peak RSS {} MB",
            items.len(),
            peak / 1024
        );
        assert!(peak < RSS_LIMIT_KB, "peak RSS {} MB", peak / 1024);
    }
    drop(child);
}
