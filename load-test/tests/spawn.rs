//! The load test against a stack it spawns itself: the counts add up, a killed
//! worker loses nothing, and Ctrl-C leaves no process behind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use herald_testkit::services::rabbitmq_url;
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio::process::Command;

/// A tag inherited by the load test and every process it spawns, so a test can find
/// any of them that outlived the run.
fn tag() -> String {
    format!("t{}", uuid::Uuid::new_v4().simple())
}

fn load_test(tag: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_herald-load-test"));
    cmd.args(["--spawn", "--json", "--quiet"])
        .args(args)
        .env("HERALD_LOAD_TEST_TAG", tag)
        .env("RUST_LOG", "warn")
        .env_remove("MONGODB_URI")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

async fn report(tag: &str, args: &[&str]) -> Value {
    let out = tokio::time::timeout(Duration::from_secs(180), load_test(tag, args).output())
        .await
        .expect("load test did not finish in 3 minutes")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}); stderr:\n{stderr}"));
    assert!(
        out.status.success(),
        "exit {:?}, report {report:#}\nstderr:\n{stderr}",
        out.status
    );
    assert_no_survivors(tag).await;
    report
}

fn n(report: &Value, path: &[&str]) -> u64 {
    let mut v = report;
    for key in path {
        v = &v[*key];
    }
    v.as_u64()
        .unwrap_or_else(|| panic!("{path:?} missing in {report:#}"))
}

fn assert_counts_add_up(report: &Value, expected_sent: u64) {
    let sent = n(report, &["sent"]);
    let accepted = n(report, &["accepted"]);
    let rejected = n(report, &["rejected", "total"]);
    let delivered = n(report, &["delivered"]);
    let lost = n(report, &["lost"]);
    assert_eq!(sent, expected_sent, "{report:#}");
    assert_eq!(
        sent,
        accepted + rejected,
        "sent = accepted + rejected: {report:#}"
    );
    assert_eq!(
        accepted,
        delivered + lost,
        "accepted = delivered + lost: {report:#}"
    );
    let by_reason: u64 = report["rejected"]["byReason"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(
        by_reason, rejected,
        "reasons add up to the rejected total: {report:#}"
    );
}

/// Processes still carrying the run's tag in their environment.
fn survivors(tag: &str) -> Vec<u32> {
    let needle = format!("HERALD_LOAD_TEST_TAG={tag}");
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(environ) = std::fs::read(entry.path().join("environ")) {
            if environ.split(|b| *b == 0).any(|kv| kv == needle.as_bytes()) {
                found.push(pid);
            }
        }
    }
    found
}

async fn assert_no_survivors(tag: &str) {
    // Exited children may take a moment to be reaped by init.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = survivors(tag);
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "processes left behind: {left:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn spawned_stack_with_rabbitmq_delivers_everything_once() {
    let tag = tag();
    let url = rabbitmq_url();
    let report = report(
        &tag,
        &[
            "--rate",
            "40",
            "--duration",
            "3s",
            "--rabbitmq-url",
            &url,
            "--max-lost",
            "0",
            "--max-duplicates",
            "0",
        ],
    )
    .await;
    assert_counts_add_up(&report, 120);
    assert_eq!(n(&report, &["accepted"]), 120, "{report:#}");
    assert_eq!(n(&report, &["lost"]), 0, "{report:#}");
    assert_eq!(n(&report, &["duplicates"]), 0, "{report:#}");
    assert_eq!(n(&report, &["badSignatures"]), 0, "{report:#}");
    assert_eq!(n(&report, &["endToEndMs", "count"]), 120, "{report:#}");
    assert!(report["passed"].as_bool().unwrap());
}

#[tokio::test]
async fn spawned_stack_without_rabbitmq_uses_the_poller_and_the_batch_route() {
    let tag = tag();
    let report = report(
        &tag,
        &[
            "--rate",
            "100",
            "--duration",
            "2s",
            "--batch",
            "10",
            "--no-rabbitmq",
            "--priority-mix",
            "critical=1,normal=3",
        ],
    )
    .await;
    assert_counts_add_up(&report, 200);
    assert_eq!(report["spawnedWithRabbitmq"], false);
    assert_eq!(n(&report, &["lost"]), 0, "{report:#}");
    assert_eq!(n(&report, &["duplicates"]), 0, "{report:#}");
}

#[tokio::test]
async fn log_channel_is_timed_from_the_store() {
    let tag = tag();
    let url = rabbitmq_url();
    let report = report(
        &tag,
        &[
            "--rate",
            "30",
            "--duration",
            "2s",
            "--channel",
            "log",
            "--rabbitmq-url",
            &url,
        ],
    )
    .await;
    assert_counts_add_up(&report, 60);
    assert_eq!(n(&report, &["delivered"]), 60, "{report:#}");
    assert_eq!(n(&report, &["endToEndMs", "count"]), 60, "{report:#}");
}

#[tokio::test]
async fn a_killed_worker_loses_nothing() {
    let tag = tag();
    let url = rabbitmq_url();
    let report = report(
        &tag,
        &[
            "--rate",
            "60",
            "--duration",
            "4s",
            "--workers",
            "2",
            "--kill-worker-after",
            "1500ms",
            "--lock-duration",
            "2s",
            "--grace",
            "60s",
            "--rabbitmq-url",
            &url,
            "--max-lost",
            "0",
        ],
    )
    .await;
    assert_counts_add_up(&report, 240);
    assert_eq!(
        n(&report, &["workersKilled"]),
        1,
        "the kill happened mid-run: {report:#}"
    );
    assert_eq!(n(&report, &["lost"]), 0, "{report:#}");
    assert_eq!(report["spawnedWithRabbitmq"], true);
}

#[tokio::test]
async fn ctrl_c_stops_everything_it_started() {
    let tag = tag();
    let url = rabbitmq_url();
    let mut child = load_test(
        &tag,
        &["--rate", "20", "--duration", "60s", "--rabbitmq-url", &url],
    )
    .spawn()
    .unwrap();
    // Wait until the stack is up: its children carry the tag.
    let deadline = Instant::now() + Duration::from_secs(60);
    while survivors(&tag).len() < 4 {
        assert!(Instant::now() < deadline, "stack never came up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id().unwrap()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("load test did not stop after Ctrl-C")
        .unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .await
        .unwrap();
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("no report after Ctrl-C ({e}): {stdout}"));
    assert!(
        n(&report, &["sent"]) < 1200,
        "sending stopped early: {report:#}"
    );
    assert_counts_add_up(&report, n(&report, &["sent"]));
    assert!(
        status.code().is_some(),
        "exited normally, not killed: {status:?}"
    );
    assert_no_survivors(&tag).await;
}

#[tokio::test]
async fn backlog_is_filled_before_workers_start_then_drained() {
    let tag = tag();
    let url = rabbitmq_url();
    let report = report(
        &tag,
        &[
            "--backlog",
            "1500",
            "--workers",
            "2",
            "--channel",
            "log",
            "--rabbitmq-url",
            &url,
            "--grace",
            "120s",
        ],
    )
    .await;
    assert_counts_add_up(&report, 1500);
    assert_eq!(n(&report, &["backlog"]), 1500, "{report:#}");
    assert_eq!(n(&report, &["delivered"]), 1500, "{report:#}");
    assert!(
        report["throughput"]["delivered"].as_f64().unwrap() > 0.0,
        "{report:#}"
    );
}
