//! How fast the console's pages render on a big SQLite store (`docs/benchmarks.md`).
//!
//! Fills a fresh SQLite file with `--jobs N` jobs of one tenant (the worst case: every
//! job in the tenant the pages read) by direct batched inserts, then starts the real
//! API with the console on, logs in, and times each page `--runs` times over HTTP.
//!
//! ```text
//! cargo bench -p herald-api --bench console -- --jobs 10000000
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use herald_api::auth::ApiKeys;
use herald_api::console::session::SessionSecret;
use herald_api::{Config, Server};
use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::StoreConfig;
use herald_core::JobId;

const TENANT: &str = "bench";
const KEY: &str = "bench-console-key-0001";

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A deterministic mix: 90% succeeded, 5% dead, 3% pending, 1% scheduled, 1% running;
/// 5% matches; channels and priorities evenly spread.
fn fill(path: &Path, jobs: u64) -> Option<String> {
    let mut conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA cache_size=-200000;",
    )
    .unwrap();
    let channels = ["webhook", "email", "sms", "push", "log"];
    let priorities = [("critical", 0), ("high", 1), ("normal", 2), ("low", 3)];
    let now = chrono::Utc::now().timestamp_millis();
    let mut a_key = None;
    let batch = 200_000;
    let mut done = 0;
    let started = Instant::now();
    while done < jobs {
        let tx = conn.transaction().unwrap();
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO jobs (_id, kind, tenant, priority, priorityRank, status, payload, \
                     runAt, attempts, maxAttempts, leaseVersion, idempotencyKey, createdAt, \
                     updatedAt, completedAt, lastError, history) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, 5, 1, ?9, ?10, ?10, ?11, ?12, '[]')",
                )
                .unwrap();
            for i in done..(done + batch).min(jobs) {
                let id = JobId::new().to_string();
                let status = match i % 100 {
                    0..=89 => "succeeded",
                    90..=94 => "dead",
                    95..=97 => "pending",
                    98 => "scheduled",
                    _ => "running",
                };
                let is_match = i % 20 == 7;
                let (priority, rank) = priorities[(i % 4) as usize];
                let payload = if is_match {
                    r#"{"type":"scoreboard","players":[],"durationSec":60}"#.to_owned()
                } else {
                    format!(
                        r#"{{"channel":"{}","recipient":{{"address":"user-{i}"}},"body":"hello"}}"#,
                        channels[(i % 5) as usize]
                    )
                };
                let key = (i % 1000 == 3).then(|| format!("order-{i}"));
                if a_key.is_none() {
                    a_key = key.clone();
                }
                let finished = matches!(status, "succeeded" | "dead").then_some(now);
                let error = (status == "dead").then_some("webhook answered 400 Bad Request");
                insert
                    .execute(rusqlite::params![
                        id,
                        if is_match { "match" } else { "notification" },
                        TENANT,
                        priority,
                        rank,
                        status,
                        payload,
                        now,
                        key,
                        now,
                        finished,
                        error,
                    ])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
        done = (done + batch).min(jobs);
        eprint!(
            "\rfilled {done}/{jobs} ({:.0}s)",
            started.elapsed().as_secs_f64()
        );
    }
    eprintln!();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    a_key
}

fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_owned()
}

fn cookie_of(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .unwrap()
}

#[tokio::main]
async fn main() {
    let jobs = arg("--jobs", 1_000_000);
    let runs = arg("--runs", 20);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("herald.db");
    let store = StoreConfig::Sqlite(SqliteConfig::new(&db));
    // The schema comes from the store itself (its migrations), then the bulk fill.
    drop(
        herald_core::store::open(&store, herald_core::clock::system())
            .await
            .unwrap(),
    );
    let fill_started = Instant::now();
    let key = fill(&db, jobs).unwrap_or_default();
    let fill_time = fill_started.elapsed();

    let mut config = Config::new(store, ApiKeys::parse(&format!("{TENANT}:{KEY}")).unwrap());
    config.console_secret =
        Some(SessionSecret::parse("bench-console-session-secret-0123456789").unwrap());
    config.rate_limit.per_sec = 0;
    let server = Server::start(config).await.unwrap();
    let base = server.url();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = http
        .get(format!("{base}/console/login"))
        .send()
        .await
        .unwrap();
    let login_cookie = cookie_of(&form, "herald_console_login");
    let csrf = csrf_of(&form.text().await.unwrap());
    let logged_in = http
        .post(format!("{base}/console/login"))
        .header("cookie", &login_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&key={KEY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(logged_in.status(), 303);
    let session = cookie_of(&logged_in, "herald_console");

    let get = |path: String| {
        let http = http.clone();
        let session = session.clone();
        let base = base.clone();
        async move {
            let started = Instant::now();
            let response = http
                .get(format!("{base}{path}"))
                .header("cookie", session)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body = response.text().await.unwrap();
            (started.elapsed(), status, body)
        }
    };
    let (_, _, first) = get("/console/jobs".into()).await;
    let cursor = first
        .split("/console/jobs?cursor=")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let some_id = first
        .split("data-job=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let pages = [
        ("overview", "/console".to_owned()),
        ("jobs, first page", "/console/jobs".to_owned()),
        (
            "jobs, page 2 (cursor)",
            format!("/console/jobs?cursor={cursor}"),
        ),
        (
            "jobs ?status=pending",
            "/console/jobs?status=pending".to_owned(),
        ),
        ("jobs ?kind=match", "/console/jobs?kind=match".to_owned()),
        ("jobs ?channel=sms", "/console/jobs?channel=sms".to_owned()),
        (
            "jobs ?priority=critical",
            "/console/jobs?priority=critical".to_owned(),
        ),
        (
            "jobs ?status=dead&channel=email&priority=low",
            "/console/jobs?status=dead&channel=email&priority=low".to_owned(),
        ),
        ("dead letters", "/console/dead-letters".to_owned()),
        ("job detail", format!("/console/jobs/{some_id}")),
        ("find by idempotency key", format!("/console/find?q={key}")),
        (
            "re-drive confirmation (count)",
            "/console/dead-letters/redrive?channel=webhook".to_owned(),
        ),
        ("matches", "/console/matches".to_owned()),
        ("workers", "/console/workers".to_owned()),
    ];
    println!(
        "console pages on SQLite, {jobs} jobs in one tenant (filled in {:.0}s), {runs} runs each, \
         time to the last byte over loopback HTTP",
        fill_time.as_secs_f64()
    );
    println!("| page | p50 ms | p95 ms | max ms |");
    println!("|---|---:|---:|---:|");
    for (name, path) in pages {
        let mut times: Vec<Duration> = Vec::new();
        for _ in 0..runs {
            let (t, status, body) = get(path.clone()).await;
            if path.starts_with("/console/find") {
                assert_eq!(status, 303, "{path}");
            } else {
                assert_eq!(status, 200, "{path}");
            }
            if path.starts_with("/console/jobs?") || path == "/console/jobs" {
                assert!(
                    body.matches("data-job=").count() == 50,
                    "{path}: a full page"
                );
            }
            times.push(t);
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let p95 = times[((times.len() * 95) / 100).min(times.len() - 1)];
        println!(
            "| {name} | {:.1} | {:.1} | {:.1} |",
            ms(times[times.len() / 2]),
            ms(p95),
            ms(times[times.len() - 1])
        );
    }
    server.shutdown().await.unwrap();
}
