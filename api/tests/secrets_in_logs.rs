//! Secrets stay secret (`docs/security.md`): a full run — a real `herald-api` and a real
//! `herald-worker` process at `RUST_LOG=debug`, on RabbitMQ with a password of their
//! own, delivering a signed webhook, failing an email to a closed SMTP relay, refusing
//! a wrong key — and not one line either process logs holds a configured secret.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use herald_testkit::binaries::workspace_binary;
use herald_testkit::services::{free_port, rabbitmq_url};
use herald_testkit::sink::Sink;
use herald_testkit::wait::wait_for;
use serde_json::{json, Value};

fn rabbitmqctl(args: &[&str]) {
    let out = Command::new("rabbitmqctl").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "rabbitmqctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A RabbitMQ user of this test's own, so its password is a string found nowhere
/// else; removed on drop.
struct BrokerUser(String);

impl Drop for BrokerUser {
    fn drop(&mut self) {
        let _ = Command::new("rabbitmqctl")
            .args(["delete_user", &self.0])
            .output();
    }
}

fn spawn(bin: &Path, env: &[(&str, String)], log: &Path) -> std::process::Child {
    let file = std::fs::File::create(log).unwrap();
    Command::new(bin)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::from(file.try_clone().unwrap()))
        .stderr(Stdio::from(file))
        .spawn()
        .unwrap()
}

fn stop(child: &mut std::process::Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_log_line_of_a_full_run_holds_a_configured_secret() {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let user = BrokerUser(format!("herald-logtest-{}", &suffix[..8]));
    let broker_password = format!("Rabbit-pw-{}", &suffix[8..20]);
    rabbitmqctl(&["add_user", &user.0, &broker_password]);
    rabbitmqctl(&["set_permissions", "-p", "/", &user.0, ".*", ".*", ".*"]);
    let base = rabbitmq_url();
    let hosts = base.rsplit_once('@').map_or(base.as_str(), |(_, h)| h);
    let amqp = format!("amqp://{}:{broker_password}@{hosts}", user.0);

    let api_key = format!("Api-key-{}", &suffix[..16]);
    let webhook_secret = format!("Whsec-{}", &suffix[16..28]);
    let smtp_password = format!("Smtp-pw-{}", &suffix[4..16]);
    let secrets = [
        broker_password.as_str(),
        api_key.as_str(),
        webhook_secret.as_str(),
        smtp_password.as_str(),
    ];

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("herald.db").display().to_string();
    let group = format!("test-secrets-{}", &suffix[..12]);
    let port = free_port();
    let common = [
        ("SQLITE_PATH", db.clone()),
        ("RABBITMQ_URL", amqp.clone()),
        ("RABBITMQ_CONSUMER_GROUP", group.clone()),
        ("WEBHOOK_ALLOWED_CIDRS", "127.0.0.0/8".to_owned()),
        ("RUST_LOG", "debug".to_owned()),
    ];
    let mut api_env = common.to_vec();
    api_env.extend([
        ("API_KEYS", format!("acme:{api_key}")),
        ("PORT", port.to_string()),
    ]);
    let mut worker_env = common.to_vec();
    worker_env.extend([
        ("METRICS_PORT", "0".to_owned()),
        ("METRICS_HOST", "127.0.0.1".to_owned()),
        ("POLL_INTERVAL_MS", "500".to_owned()),
        ("SHUTDOWN_TIMEOUT_MS", "5000".to_owned()),
        ("WEBHOOK_SECRETS", format!("acme:{webhook_secret}")),
        ("SMTP_HOST", "127.0.0.1".to_owned()),
        ("SMTP_PORT", free_port().to_string()),
        ("SMTP_TLS", "none".to_owned()),
        ("SMTP_USERNAME", "herald".to_owned()),
        ("SMTP_PASSWORD", smtp_password.clone()),
        ("EMAIL_FROM", "herald@example.com".to_owned()),
    ]);
    let api_log = dir.path().join("api.log");
    let worker_log = dir.path().join("worker.log");
    let mut api = spawn(&workspace_binary("herald-api"), &api_env, &api_log);
    let mut worker = spawn(&workspace_binary("herald-worker"), &worker_env, &worker_log);

    let sink = Sink::start().await;
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}");
    wait_for(Duration::from_secs(60), "herald-api to answer", || async {
        let r = http.get(format!("{url}/ready")).send().await.ok()?;
        (r.status() == 200).then_some(())
    })
    .await;
    let post = |body: Value, key: &str| {
        http.post(format!("{url}/v1/notifications"))
            .bearer_auth(key)
            .json(&body)
            .send()
    };
    let hook = post(
        json!({"channel": "webhook", "recipient": {"address": sink.url("/ok")}, "body": "hi"}),
        &api_key,
    )
    .await
    .unwrap();
    assert_eq!(hook.status(), 202);
    let mail = post(
        json!({"channel": "email", "recipient": {"address": "a@example.com"}, "subject": "s", "body": "b", "maxAttempts": 1}),
        &api_key,
    )
    .await
    .unwrap();
    assert_eq!(mail.status(), 202);
    let mail_id = mail.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        post(json!({}), "a-wrong-key-123").await.unwrap().status(),
        401
    );

    wait_for(Duration::from_secs(60), "the signed webhook", || async {
        sink.received()
            .iter()
            .any(|r| r.signed_with(&webhook_secret))
            .then_some(())
    })
    .await;
    wait_for(Duration::from_secs(60), "the email to fail", || async {
        let job: Value = http
            .get(format!("{url}/v1/jobs/{mail_id}"))
            .bearer_auth(&api_key)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (job["status"] == "dead").then_some(())
    })
    .await;
    stop(&mut worker);
    stop(&mut api);

    for log in [&api_log, &worker_log] {
        let text = std::fs::read_to_string(log).unwrap();
        assert!(text.lines().count() > 10, "{}: {text}", log.display());
        for (n, line) in text.lines().enumerate() {
            for secret in secrets {
                assert!(
                    !line.contains(secret),
                    "{} line {}: a configured secret is logged: {line}",
                    log.display(),
                    n + 1
                );
            }
        }
    }
    if let Ok(conn) = herald_core::dispatch::connect(&rabbitmq_url()).await {
        if let Ok(ch) = conn.create_channel().await {
            let _ =
                herald_core::dispatch::delete(&ch, &herald_core::dispatch::Topology::new(&group))
                    .await;
        }
    }
}
