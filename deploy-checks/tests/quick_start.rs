//! The README's hand-run quick start, run as written: its variables are ones the
//! binaries read, its requests are accepted and delivered (the log line it quotes, the
//! signed webhook), and its load-test command passes with the flags it shows. Only the
//! ports and the SQLite path are changed, so the run never collides with another.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use deploy_checks::process::Proc;
use deploy_checks::{http, repo};
use herald_testkit::binaries::workspace_binary;
use herald_testkit::services::free_port;
use herald_testkit::sink::Sink;
use herald_testkit::wait::wait_for_blocking;

const STARTUP: Duration = Duration::from_secs(30);

/// The README's "Quick start by hand" section, with `\`-continued lines joined.
fn section() -> Vec<String> {
    let readme = repo::read("README.md");
    let start = readme
        .find("## Quick start by hand")
        .expect("the README has a hand-run quick start");
    let rest = &readme[start + 3..];
    let text = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    let mut lines = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        match line.strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(line);
                lines.push(std::mem::take(&mut current));
            }
        }
    }
    lines
}

/// `NAME=value` pairs of the `export` line.
fn exports(lines: &[String]) -> BTreeMap<String, String> {
    let line = lines
        .iter()
        .find(|l| l.trim_start().starts_with("export "))
        .expect("the quick start exports its settings");
    line.split_whitespace()
        .skip(1)
        .map(|pair| {
            let (name, value) = pair.split_once('=').expect("NAME=value");
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

/// The `-d '…'` bodies of its curl commands.
fn bodies(lines: &[String]) -> Vec<serde_json::Value> {
    lines
        .iter()
        .filter_map(|l| l.split_once("-d '"))
        .map(|(_, rest)| serde_json::from_str(&rest[..rest.find('\'').unwrap()]).unwrap())
        .collect()
}

fn help(binary: &str) -> String {
    let out = Command::new(workspace_binary(binary))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success(), "{binary} --help failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_readme_quick_start_runs_as_written() {
    let lines = section();
    let env = exports(&lines);
    let (api_help, worker_help) = (help("herald-api"), help("herald-worker"));
    for name in env.keys() {
        assert!(
            api_help.contains(name.as_str()) || worker_help.contains(name.as_str()),
            "the quick start sets {name}, which neither binary reads"
        );
    }
    let key = env["API_KEYS"].split_once(':').unwrap().1.to_owned();
    let secret = env["WEBHOOK_SECRETS"].split_once(':').unwrap().1.to_owned();
    let text = lines.join("\n");
    assert!(
        text.contains(&format!("Bearer {key}")),
        "the curl commands use another key"
    );

    let dir = tempfile::tempdir().unwrap();
    let (api_port, metrics_port) = (free_port(), free_port());
    let command = |binary: &str| {
        let mut c = Command::new(workspace_binary(binary));
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(&env)
            .env("SQLITE_PATH", dir.path().join("herald.db"))
            .env("PORT", api_port.to_string())
            .env("METRICS_PORT", metrics_port.to_string());
        c
    };
    let api = Proc::spawn("api", command("herald-api"), dir.path());
    wait_for_blocking(STARTUP, "the API's /health", || {
        http::get(api_port, "/health")
            .map(|r| r.status == 200)
            .unwrap_or(false)
    });
    let worker = Proc::spawn("worker", command("herald-worker"), dir.path());

    let auth = format!("Bearer {key}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let post = |body: &serde_json::Value| {
        let r = http::request(
            api_port,
            "POST",
            "/v1/notifications",
            &headers,
            body.to_string().as_bytes(),
        )
        .unwrap();
        assert_eq!(r.status, 202, "{}", r.body);
        r.json()["id"].as_str().unwrap().to_owned()
    };
    let succeeded = |id: &str| {
        wait_for_blocking(Duration::from_secs(20), "the job to succeed", || {
            let r = http::request(api_port, "GET", &format!("/v1/jobs/{id}"), &headers, b"")
                .map_err(|e| e.to_string())?;
            match r.json()["status"].as_str() {
                Some("succeeded") => Ok(()),
                _ => Err(format!("{} {}\n{}", r.status, r.body, worker.log_tail())),
            }
        })
    };

    let bodies = bodies(&lines);
    let log = bodies
        .iter()
        .find(|b| b["channel"] == "log")
        .expect("a log notification");
    let id = post(log);
    succeeded(&id);
    let quoted = "delivered (log channel) tenant=acme";
    assert!(
        text.contains(quoted),
        "the README no longer quotes the log line"
    );
    wait_for_blocking(Duration::from_secs(5), "the quoted log line", || {
        let tail = worker.log_tail();
        (tail.contains(quoted) && tail.contains(&id)).then_some(())
    });

    let mut webhook = bodies
        .iter()
        .find(|b| b["channel"] == "webhook")
        .expect("a webhook notification")
        .clone();
    // The testkit's sink stands in for the README's Python receiver, at its path.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sink = runtime.block_on(Sink::start());
    let address = webhook["recipient"]["address"].as_str().unwrap().to_owned();
    assert!(address.starts_with("http://127.0.0.1:"), "{address}");
    let path = &address["http://127.0.0.1:".len()..];
    let path = &path[path.find('/').unwrap()..];
    webhook["recipient"]["address"] = sink.url(path).into();
    let id = post(&webhook);
    succeeded(&id);
    let received = sink.received();
    let delivery = received
        .iter()
        .find(|r| r.job_id == id)
        .expect("the webhook reached the receiver");
    assert!(delivery.header("x-herald-signature").starts_with("sha256="));
    assert!(
        delivery.signed_with(&secret),
        "not signed with WEBHOOK_SECRETS"
    );
    assert!(String::from_utf8_lossy(&delivery.body).contains("hello"));

    // The load test, with the flags the README gives (ports and length changed).
    let load = lines
        .iter()
        .find(|l| l.contains("herald-load-test --url"))
        .expect("the load-test command");
    let load_help = help("herald-load-test");
    let mut args: Vec<String> = load.split_whitespace().skip(1).map(str::to_owned).collect();
    for flag in args.iter().filter(|a| a.starts_with("--")) {
        assert!(
            load_help.contains(flag.as_str()),
            "herald-load-test has no {flag}"
        );
    }
    let sink_port = free_port();
    let replace = |args: &mut Vec<String>, flag: &str, value: String| {
        let at = args.iter().position(|a| a == flag).unwrap();
        args[at + 1] = value;
    };
    replace(&mut args, "--url", format!("http://127.0.0.1:{api_port}"));
    replace(&mut args, "--sink-listen", format!("127.0.0.1:{sink_port}"));
    replace(
        &mut args,
        "--sink-url",
        format!("http://127.0.0.1:{sink_port}"),
    );
    replace(&mut args, "--duration", "3s".into());
    assert_eq!(
        args[args.iter().position(|a| a == "--api-key").unwrap() + 1],
        key
    );
    assert_eq!(
        args[args.iter().position(|a| a == "--webhook-secret").unwrap() + 1],
        secret
    );
    let out = Command::new(workspace_binary("herald-load-test"))
        .args(&args)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        worker.log_tail()
    );
    assert!(
        report
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["lost", "0"]),
        "{report}"
    );
    drop((api, worker));
}
