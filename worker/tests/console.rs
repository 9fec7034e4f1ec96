//! The web console in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) driven over WebDriver, against a real stack — the API in this
//! process with the console on, a worker process, RabbitMQ, SQLite and the webhook
//! sink. One browser session walks an operator's path; each page is saved as a
//! screenshot (`target/console-screenshots/`, or `docs/console/` with
//! `HERALD_WRITE_SCREENSHOTS=1`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use herald_api::auth::ApiKeys;
use herald_core::store::sqlite::SqliteConfig;
use herald_core::store::StoreConfig;
use herald_core::{JobId, JobStatus};
use herald_testkit::services::{free_port, rabbitmq_url};
use herald_testkit::sink::Sink;
use herald_testkit::wait::wait_for;
use reqwest::StatusCode;
use serde_json::{json, Value};
use support::{Harness, TENANT};

const KEY: &str = "console-test-key-0123";
const OTHER_KEY: &str = "console-other-key-4567";
const SECRET: &str = "console-test-session-secret-0123456789";
const PATIENCE: Duration = Duration::from_secs(30);

/// chromedriver on a free port; killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_driver() -> Driver {
    let port = free_port();
    let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let child = Command::new(&binary)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {binary} ({e}): install chromium and chromium-driver (scripts/test.sh does)")
        });
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let status = format!("{}/status", driver.url);
    wait_for(
        Duration::from_secs(20),
        "chromedriver to answer /status",
        || async {
            reqwest::get(&status)
                .await
                .ok()
                .filter(|r| r.status().is_success())
        },
    )
    .await;
    driver
}

async fn browser(driver: &Driver) -> Client {
    // Two rustls providers are built into this test binary (fantoccini's and reqwest's
    // dependencies): pick one. Already installed is fine.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": binary,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1360,900"],
        }),
    );
    ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap()
}

fn screenshot_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = if std::env::var_os("HERALD_WRITE_SCREENSHOTS").is_some() {
        root.join("docs/console")
    } else {
        root.join("target/console-screenshots")
    };
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shoot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Waits until the element `css` exists and its text satisfies `ok`, reloading the page
/// between looks when `reload` (a server-rendered page changes only on a new load).
async fn wait_text(
    client: &Client,
    css: &str,
    reload: bool,
    what: &str,
    ok: impl Fn(&str) -> bool,
) -> String {
    wait_for(PATIENCE, what, || async {
        if reload {
            client.refresh().await.ok()?;
        }
        let text = client
            .find(Locator::Css(css))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        if ok(&text) {
            Some(text)
        } else {
            None
        }
    })
    .await
}

async fn post_json(http: &reqwest::Client, url: String, key: &str, body: Value) -> Value {
    let response = http
        .post(url)
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

async fn log_in(client: &Client, base: &str, key: &str) {
    client.goto(&format!("{base}/console/login")).await.unwrap();
    client
        .find(Locator::Css("#key"))
        .await
        .unwrap()
        .send_keys(key)
        .await
        .unwrap();
    click_and_wait(client, "#login").await;
}

/// Clicks `css` and waits for the page it leads to (the old page's body goes stale).
async fn click_and_wait(client: &Client, css: &str) {
    let old = client.find(Locator::Css("body")).await.unwrap();
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        PATIENCE,
        &format!("the page after clicking {css}"),
        || async {
            // A stale element errors: the next document has loaded.
            old.text().await.is_err()
        },
    )
    .await;
    wait_for(PATIENCE, "the new page to load", || async {
        client
            .execute("return document.readyState", vec![])
            .await
            .ok()
            .filter(|s| s == "complete")
    })
    .await;
}

/// Waits until every job has `status`.
async fn wait_status(h: &Harness, ids: &[JobId], status: JobStatus) {
    wait_for(PATIENCE, &format!("every job to be {status}"), || async {
        let jobs = h.jobs(ids).await;
        jobs.iter().all(|j| j.status == status).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_walks_the_console_in_a_browser() {
    let h = Harness::new("console").await;
    let sink = Sink::start().await;
    let mut config = herald_api::config::Config::new(
        StoreConfig::Sqlite(SqliteConfig::new(&h.db)),
        ApiKeys::parse(&format!("{TENANT}:{KEY},globex:{OTHER_KEY}")).unwrap(),
    );
    config.broker.url = Some(herald_core::config::Secret::new(rabbitmq_url()));
    config.broker.consumer_group = h.group.clone();
    config.webhook_guard = herald_core::ssrf::TargetGuard::parse("127.0.0.0/8").unwrap();
    config.console_secret =
        Some(herald_api::console::session::SessionSecret::parse(SECRET).unwrap());
    let api = herald_api::Server::start(config).await.unwrap();
    let base = api.url();
    let worker = h.worker().spawn(h.dir.path(), "w");
    let driver = start_driver().await;
    worker.wait_consuming().await;
    let client = browser(&driver).await;
    let http = reqwest::Client::new();

    // Log in. A wrong key is refused on the page; the right one lands on the overview.
    client.goto(&format!("{base}/console")).await.unwrap();
    assert!(client
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/console/login"));
    shoot(&client, "login").await;
    log_in(&client, &base, "not-a-real-key-000").await;
    assert!(client
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/console/login"));
    assert!(text_of(&client, "#login-error").await.contains("not valid"));
    log_in(&client, &base, KEY).await;
    let landed = client.current_url().await.unwrap();
    assert_eq!(
        landed.path(),
        "/console",
        "{}",
        client.source().await.unwrap()
    );
    assert!(text_of(&client, "#tenant").await.contains(TENANT));
    // The session cookie is HttpOnly: the page's script cannot read it.
    let visible = client
        .execute("return document.cookie", vec![])
        .await
        .unwrap();
    assert_eq!(
        visible,
        json!(""),
        "HttpOnly cookies are invisible to scripts"
    );

    // A job appears after a POST.
    let posted = post_json(
        &http,
        format!("{base}/v1/notifications"),
        KEY,
        json!({"channel": "webhook", "recipient": {"address": sink.url("/ok")}, "body": "hello"}),
    )
    .await;
    let first = posted["id"].as_str().unwrap().to_owned();
    client.goto(&format!("{base}/console/jobs")).await.unwrap();
    wait_text(
        &client,
        &format!("tr[data-job='{first}']"),
        true,
        "the posted job in the list",
        |t| t.contains("succeeded"),
    )
    .await;
    shoot(&client, "jobs").await;

    // Jobs made to fail (the hook answers 400: permanent) show their error and history.
    sink.set_hook_status(StatusCode::BAD_REQUEST);
    let mut failing = Vec::new();
    for i in 0..3 {
        let body = post_json(
            &http,
            format!("{base}/v1/notifications"),
            KEY,
            json!({"channel": "webhook", "recipient": {"address": sink.url("/hook")},
                   "body": format!("doomed {i}"), "priority": "high"}),
        )
        .await;
        failing.push(body["id"].as_str().unwrap().parse::<JobId>().unwrap());
    }
    wait_status(&h, &failing, JobStatus::Dead).await;
    sink.set_hook_status(StatusCode::OK);
    let target = &failing[0];
    client
        .goto(&format!("{base}/console/jobs/{target}"))
        .await
        .unwrap();
    assert_eq!(text_of(&client, "#job-status").await, "dead");
    assert!(text_of(&client, "#last-error").await.contains("400"));
    assert!(text_of(&client, "#history").await.contains("dead"));
    shoot(&client, "job-dead").await;

    // Retry from the page: the job is delivered.
    click_and_wait(&client, "#retry").await;
    wait_text(
        &client,
        "#job-status",
        true,
        "the retried job to succeed",
        |t| t == "succeeded",
    )
    .await;
    let delivered_ok = |id: &JobId| {
        sink.received()
            .iter()
            .any(|r| r.job_id == id.as_str() && r.path == "/hook" && r.status == 200)
    };
    assert!(
        delivered_ok(target),
        "the retry reached the sink with a 2xx"
    );
    shoot(&client, "job-retried").await;

    // Dead letters: filter, then bulk re-drive; the confirmation's count is what moves.
    client
        .goto(&format!(
            "{base}/console/dead-letters?channel=webhook&priority=high"
        ))
        .await
        .unwrap();
    shoot(&client, "dead-letters").await;
    click_and_wait(&client, "#bulk-redrive").await;
    let count = client
        .find(Locator::Css("#redrive-count"))
        .await
        .unwrap()
        .attr("data-count")
        .await
        .unwrap();
    assert_eq!(count.as_deref(), Some("2"));
    shoot(&client, "redrive-confirm").await;
    click_and_wait(&client, "#confirm-redrive").await;
    assert!(text_of(&client, "#notice")
        .await
        .contains("Re-drove 2 jobs"));
    wait_status(&h, &failing[1..], JobStatus::Succeeded).await;
    assert!(failing[1..].iter().all(delivered_ok));

    // A forged CSRF token is refused, and nothing changes.
    let forged = post_json(
        &http,
        format!("{base}/v1/notifications"),
        KEY,
        json!({"channel": "webhook", "recipient": {"address": sink.url("/ok")},
               "body": "later", "sendAt": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339()}),
    )
    .await;
    let waiting = forged["id"].as_str().unwrap().to_owned();
    client
        .goto(&format!("{base}/console/jobs/{waiting}"))
        .await
        .unwrap();
    client
        .execute(
            "document.querySelectorAll('input[name=csrf]').forEach(i => i.value = 'forged'); \
             document.querySelector('#cancel').click();",
            vec![],
        )
        .await
        .unwrap();
    wait_text(&client, "#error-code", false, "the CSRF refusal", |t| {
        t == "csrf_invalid"
    })
    .await;
    let still = h.job(&waiting.parse().unwrap()).await;
    assert_eq!(
        still.status,
        JobStatus::Scheduled,
        "a forged form changed nothing"
    );

    // Another tenant's job is a 404, exactly as in the API.
    let theirs = post_json(
        &http,
        format!("{base}/v1/notifications"),
        OTHER_KEY,
        json!({"channel": "log", "recipient": {"address": "x"}, "body": "theirs"}),
    )
    .await;
    let theirs = theirs["id"].as_str().unwrap().to_owned();
    client
        .goto(&format!("{base}/console/jobs/{theirs}"))
        .await
        .unwrap();
    assert_eq!(text_of(&client, "#error-status").await, "404");
    assert_eq!(text_of(&client, "#error-code").await, "not_found");
    let api_says = http
        .get(format!("{base}/v1/jobs/{theirs}"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(api_says, StatusCode::NOT_FOUND);

    // A live match page updates when an event is posted, without a reload.
    let created = post_json(
        &http,
        format!("{base}/v1/matches"),
        KEY,
        json!({"type": "scoreboard", "durationSec": 600, "players": [
            {"id": "ana", "notify": {"channel": "log", "recipient": {"address": "ana"}}},
            {"id": "bo", "notify": {"channel": "log", "recipient": {"address": "bo"}}}]}),
    )
    .await;
    let m = created["id"].as_str().unwrap().to_owned();
    client
        .goto(&format!("{base}/console/matches/{m}"))
        .await
        .unwrap();
    wait_text(
        &client,
        "#match-status",
        false,
        "the match to be hosted",
        |t| t == "running",
    )
    .await;
    post_json(
        &http,
        format!("{base}/v1/matches/{m}/events"),
        KEY,
        json!({"type": "score", "playerId": "ana", "points": 7}),
    )
    .await;
    wait_text(
        &client,
        "tr[data-player='ana']",
        false,
        "ana's 7 points on the live page",
        |t| t.contains('7'),
    )
    .await;
    shoot(&client, "match").await;
    client
        .goto(&format!("{base}/console/matches"))
        .await
        .unwrap();
    assert!(text_of(&client, "#running-matches").await.contains(&m));
    shoot(&client, "matches").await;

    // Workers: the registry, with the match's host.
    client
        .goto(&format!("{base}/console/workers"))
        .await
        .unwrap();
    let stats = worker.get_json("/stats").await;
    let id = stats["workerId"].as_str().unwrap().to_owned();
    wait_text(
        &client,
        "#workers",
        true,
        "the worker in the registry",
        |t| t.contains(&id),
    )
    .await;
    shoot(&client, "workers").await;

    client.goto(&format!("{base}/console")).await.unwrap();
    let overview = text_of(&client, "#overview").await;
    assert!(
        overview.contains("notification") && overview.contains("high"),
        "{overview}"
    );
    shoot(&client, "overview").await;

    // Log out: the session is gone, and the console asks for a key again.
    click_and_wait(&client, "#logout").await;
    assert!(client
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/console/login"));
    client.goto(&format!("{base}/console/jobs")).await.unwrap();
    assert!(client
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/console/login"));

    client.close().await.unwrap();
    api.shutdown().await.unwrap();
    h.cleanup().await;
}
