//! The `herald-api` binary itself: `--help`, start-up config checks that name the bad
//! variable (and never echo a key), and a graceful stop on SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::time::Duration;

use herald_core::config::Env;
use herald_testkit::services::free_port;

const BIN: &str = env!("CARGO_BIN_EXE_herald-api");
const KEY: &str = "binary-test-key-0001";

fn api(dir: &std::path::Path) -> Command {
    let mut c = Command::new(BIN);
    c.env_clear()
        .env("API_KEYS", format!("acme:{KEY}"))
        .env("SQLITE_PATH", dir.join("herald.db"))
        .env("RUST_LOG", "info")
        .stdin(Stdio::null());
    c
}

#[test]
fn help_explains_the_environment() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for var in [
        "API_KEYS",
        "PORT",
        "RABBITMQ_URL",
        "RABBITMQ_CONSUMER_GROUP",
        "MONGODB_URI",
        "SQLITE_PATH",
        "RATE_LIMIT_PER_SEC",
        "RATE_LIMIT_BURST",
        "MAX_BODY_BYTES",
        "WEBHOOK_ALLOWED_CIDRS",
    ] {
        assert!(text.contains(var), "--help does not mention {var}");
    }
}

#[test]
fn a_bad_variable_is_refused_at_start_up_and_named() {
    let cases: [(&str, Option<&str>, &str); 9] = [
        ("RUST_LOG", Some("info,[[["), "RUST_LOG"),
        ("API_KEYS", Some("acme"), "API_KEYS"),
        ("PORT", Some("eighty"), "PORT"),
        (
            "RABBITMQ_URL",
            Some("http://guest:hunter2@localhost/"),
            "RABBITMQ_URL",
        ),
        (
            "RABBITMQ_CONSUMER_GROUP",
            Some("has spaces"),
            "RABBITMQ_CONSUMER_GROUP",
        ),
        ("RATE_LIMIT_BURST", Some("0"), "RATE_LIMIT_BURST"),
        ("MAX_BODY_BYTES", Some("lots"), "MAX_BODY_BYTES"),
        (
            "WEBHOOK_ALLOWED_CIDRS",
            Some("10.0.0.0/33"),
            "WEBHOOK_ALLOWED_CIDRS",
        ),
        (
            "WEBHOOK_ALLOWED_CIDRS",
            Some("127.0.0.0/8,localhost"),
            "WEBHOOK_ALLOWED_CIDRS",
        ),
    ];
    for (var, value, named) in cases {
        let mut env = Env::from_pairs([("API_KEYS", format!("acme:{KEY}"))]);
        env = match value {
            Some(v) => env.with(var, v),
            None => env.with(var, ""),
        };
        let Err(err) = herald_api::Config::from_env(&env) else {
            panic!("{var}={value:?} accepted");
        };
        let message = format!("{err} {err:?}");
        assert!(message.contains(named), "{var}={value:?}: {message}");
        assert!(
            !message.contains("hunter2"),
            "a password was printed: {message}"
        );
    }
}

/// The binary's own path: a bad variable stops it before it serves, with a message on
/// stderr that names the variable and never echoes a password or a key.
#[test]
fn a_bad_variable_stops_the_binary_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = api(dir.path())
        .env("RABBITMQ_URL", "http://guest:hunter2@localhost/")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a bad RABBITMQ_URL was accepted");
    assert!(stderr.contains("RABBITMQ_URL"), "{stderr}");
    assert!(
        !stderr.contains("hunter2"),
        "a password was printed: {stderr}"
    );
    // A key is never printed, even in a rejected list.
    let out = api(dir.path())
        .env("API_KEYS", "acme:secret-key-123,acme:secret-key-123")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("secret-key-123"));
    // No key anywhere (none in API_KEYS, none in the store): nothing could call it.
    let out = api(dir.path()).env_remove("API_KEYS").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "started with no API key at all");
    assert!(
        stderr.contains("API_KEYS") && stderr.contains("herald-store keys create"),
        "{stderr}"
    );
}

#[tokio::test]
async fn sigterm_stops_the_server_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = tokio::process::Command::from(api(dir.path()))
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let health = format!("http://127.0.0.1:{port}/health");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(&health).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "herald-api did not become healthy"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = http
        .post(format!("http://127.0.0.1:{port}/v1/notifications"))
        .bearer_auth(KEY)
        .json(&serde_json::json!({"channel": "log", "recipient": {"address": "x"}, "body": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);

    let pid = child.id().unwrap().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("herald-api did not stop within 15 s of SIGTERM")
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
    let mut stderr = String::new();
    tokio::io::AsyncReadExt::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr)
        .await
        .unwrap();
    assert!(stderr.contains("shutdown signal received"), "{stderr}");
    assert!(!stderr.contains(KEY), "the API key was logged");
}
