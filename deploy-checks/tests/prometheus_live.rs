//! The dashboard against live services: a real Prometheus (Debian's), run on the
//! committed prometheus.yml and alerts.yml with only the targets and intervals
//! substituted, scrapes a running `herald-api` and two `herald-worker`s (one shared
//! SQLite file, RabbitMQ from `HERALD_TEST_RABBITMQ_URL` under a consumer group of
//! this test's own) through a short load; then every PromQL expression of the Grafana
//! dashboard is run through Prometheus's HTTP API and must return data. A panel whose
//! query names a metric nobody exports returns nothing, and fails here with the name.
//!
//! The load makes every series the dashboard shows exist: `log` notifications of
//! each priority (completed), a webhook to a local sink that answers 200 (delivered)
//! and one that answers 400 (a permanent failure: dead), a webhook to a second sink
//! that answers 503 (a retryable failure that, with `BREAKER_FAILURE_THRESHOLD=1`,
//! opens that provider's circuit: `herald_circuit_*`), a match hosted by a worker
//! that receives score events throughout and is ended at the end (`herald_matches_*`,
//! `herald_match_event_apply_seconds`), and a duplicate RabbitMQ delivery of a
//! finished job (a lease conflict, reason `finished`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use deploy_checks::process::Proc;
use deploy_checks::{http, promql, repo, tools};
use herald_core::dispatch::{self, Dispatch, JobMessage, RabbitDispatch, Topology};
use herald_testkit::binaries::workspace_binary;
use herald_testkit::services::{free_port, rabbitmq_url};
use herald_testkit::wait::wait_for_blocking;
use serde_yaml::Value;

const API_KEY: &str = "deploy-checks-key";
const STARTUP: Duration = Duration::from_secs(60);
/// What `$__rate_interval` becomes: the whole load falls inside it.
const RATE_INTERVAL: &str = "1m";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Deletes the test's queues and exchanges however the test ends.
struct GroupCleanup {
    url: String,
    topology: Topology,
}

impl Drop for GroupCleanup {
    fn drop(&mut self) {
        runtime().block_on(async {
            if let Ok(connection) = dispatch::connect(&self.url).await {
                if let Ok(channel) = connection.create_channel().await {
                    let _ = dispatch::delete(&channel, &self.topology).await;
                }
            }
        });
    }
}

/// A webhook receiver on 127.0.0.1: 400 for `/reject`, 503 for `/unavailable`, 200
/// for anything else.
fn webhook_sink() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let status = if request_line.contains(" /reject") {
                "400 Bad Request"
            } else if request_line.contains(" /unavailable") {
                "503 Service Unavailable"
            } else {
                "200 OK"
            };
            let mut stream = reader.into_inner();
            let _ = stream.write_all(
                format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
        }
    });
    port
}

/// Keeps posting `log` notifications and score events of a hosted match (5 of each a
/// second) until dropped, so that every rate and latency panel has fresh
/// observations in its window whenever it is queried.
struct TrickleLoad {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<usize>>,
}

impl TrickleLoad {
    fn start(api: u16, match_id: String) -> TrickleLoad {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut accepted = 0;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                let body =
                    r#"{"channel":"log","recipient":{"address":"trickle"},"body":"trickle"}"#;
                if http::request(
                    api,
                    "POST",
                    "/v1/notifications",
                    &[
                        ("Authorization", &format!("Bearer {API_KEY}")),
                        ("Content-Type", "application/json"),
                    ],
                    body.as_bytes(),
                )
                .is_ok_and(|r| r.status == 202)
                {
                    accepted += 1;
                }
                let event = r#"{"type":"score","playerId":"p0","points":1}"#;
                let _ = http::request(
                    api,
                    "POST",
                    &format!("/v1/matches/{match_id}/events"),
                    &[
                        ("Authorization", &format!("Bearer {API_KEY}")),
                        ("Content-Type", "application/json"),
                    ],
                    event.as_bytes(),
                );
                std::thread::sleep(Duration::from_millis(200));
            }
            accepted
        });
        TrickleLoad {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops it; how many notifications it got accepted.
    fn stop(&mut self) -> usize {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.take().map_or(0, |t| t.join().unwrap_or(0))
    }
}

impl Drop for TrickleLoad {
    fn drop(&mut self) {
        self.stop();
    }
}

/// prometheus.yml with only its targets and intervals substituted for the local
/// processes. The jobs of services that do not run here (RabbitMQ's plugin, the
/// nginx exporter) keep their place with no target.
fn local_prometheus_config(api: u16, workers: [u16; 2], prometheus: u16) -> String {
    let mut config = repo::yaml("prometheus.yml");
    for key in ["scrape_interval", "evaluation_interval", "scrape_timeout"] {
        config["global"][key] = Value::from("1s");
    }
    let static_targets = |targets: Vec<String>| -> Value {
        serde_yaml::from_str(&format!(
            "- targets: {}",
            serde_json::to_string(&targets).unwrap()
        ))
        .unwrap()
    };
    let jobs = config["scrape_configs"].as_sequence_mut().unwrap();
    let mut names = BTreeSet::new();
    for job in jobs.iter_mut() {
        let name = job["job_name"].as_str().unwrap().to_owned();
        let targets = match name.as_str() {
            "herald-api" => vec![format!("127.0.0.1:{api}")],
            "herald-worker" => {
                // DNS service discovery finds the compose replicas; here the two
                // local workers are the replicas.
                let job = job.as_mapping_mut().unwrap();
                assert!(
                    job.remove("dns_sd_configs").is_some(),
                    "workers are found by DNS"
                );
                workers.iter().map(|p| format!("127.0.0.1:{p}")).collect()
            }
            "prometheus" => vec![format!("127.0.0.1:{prometheus}")],
            "rabbitmq" | "nginx" => Vec::new(),
            other => panic!("prometheus.yml has a job this test does not know: {other}"),
        };
        job["static_configs"] = static_targets(targets);
        names.insert(name);
    }
    assert!(names.contains("herald-api") && names.contains("herald-worker"));
    serde_yaml::to_string(&config).unwrap()
}

/// Runs an instant query; `Err` carries what Prometheus said.
fn query(prometheus: u16, expr: &str) -> Result<Vec<serde_json::Value>, String> {
    let path = format!("/api/v1/query?query={}", http::encode_query_value(expr));
    let response = http::get(prometheus, &path).map_err(|e| e.to_string())?;
    let body: serde_json::Value =
        serde_json::from_str(&response.body).map_err(|e| format!("{e}: {}", response.body))?;
    if body["status"] != "success" {
        return Err(format!("{} {}", response.status, response.body));
    }
    Ok(body["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// At least one sample of the result is a real number (a histogram quantile over no
/// observations, or 0/0, is NaN: a panel showing nothing).
fn has_finite_value(result: &[serde_json::Value]) -> bool {
    result.iter().any(|sample| {
        sample["value"][1]
            .as_str()
            .and_then(|v| v.parse::<f64>().ok())
            .is_some_and(f64::is_finite)
    })
}

fn known_metrics(prometheus: u16) -> BTreeSet<String> {
    let response = http::get(prometheus, "/api/v1/label/__name__/values").unwrap();
    response.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn api_request(port: u16, method: &str, path: &str, body: &str) -> http::Response {
    http::request(
        port,
        method,
        path,
        &[
            ("Authorization", &format!("Bearer {API_KEY}")),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    )
    .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

fn wait_healthy(proc: &Proc, port: u16) {
    wait_for_blocking(
        STARTUP,
        &format!("{} /health", proc.name()),
        || match http::get(port, "/health") {
            Ok(r) if r.status == 200 => Ok(()),
            Ok(r) => Err(format!("{} {}", r.status, r.body)),
            Err(e) => Err(format!("{e}\n{}", proc.log_tail())),
        },
    );
}

fn service(name: &str, binary: &Path, dir: &Path, env: &[(&str, String)]) -> Proc {
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    Proc::spawn(name, command, dir)
}

#[test]
fn every_dashboard_query_returns_data_from_live_services() {
    let url = rabbitmq_url();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let group = format!("deploy-checks-live-{}-{nanos}", std::process::id());
    let _cleanup = GroupCleanup {
        url: url.clone(),
        topology: Topology::new(&group),
    };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let common = |extra: &[(&'static str, String)]| -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("SQLITE_PATH", dir.join("herald.db").display().to_string()),
            ("RABBITMQ_URL", url.clone()),
            ("RABBITMQ_CONSUMER_GROUP", group.clone()),
        ];
        env.extend(extra.iter().cloned());
        env
    };

    // The services.
    let api_port = free_port();
    let api = service(
        "api",
        &workspace_binary("herald-api"),
        dir,
        &common(&[
            ("PORT", api_port.to_string()),
            ("API_KEYS", format!("deploy:{API_KEY}")),
            // The webhook sink listens on loopback: allow it past the API's SSRF guard.
            ("WEBHOOK_ALLOWED_CIDRS", "127.0.0.0/8".to_owned()),
        ]),
    );
    wait_healthy(&api, api_port);
    let worker_ports = [free_port(), free_port()];
    let mut workers: Vec<Proc> = worker_ports
        .iter()
        .enumerate()
        .map(|(i, port)| {
            service(
                &format!("worker{}", i + 1),
                &workspace_binary("herald-worker"),
                dir,
                &common(&[
                    ("METRICS_PORT", port.to_string()),
                    ("WEBHOOK_ALLOWED_CIDRS", "127.0.0.0/8".to_owned()),
                    (
                        "WEBHOOK_SECRETS",
                        "deploy:deploy-checks-webhook-secret".to_owned(),
                    ),
                    ("HEARTBEAT_INTERVAL_MS", "500".to_owned()),
                    // Pruner runs within the load's window, for the prune-run panel.
                    ("PRUNE_INTERVAL_MS", "1000".to_owned()),
                    // One 503 opens the failing sink's circuit.
                    ("BREAKER_FAILURE_THRESHOLD", "1".to_owned()),
                ]),
            )
        })
        .collect();
    for (worker, port) in workers.iter().zip(worker_ports) {
        wait_healthy(worker, port);
    }

    // Prometheus on the committed config.
    let prometheus_port = free_port();
    std::fs::write(
        dir.join("prometheus.yml"),
        local_prometheus_config(api_port, worker_ports, prometheus_port),
    )
    .unwrap();
    std::fs::copy(repo::path("alerts.yml"), dir.join("alerts.yml")).unwrap();
    let mut command = Command::new(tools::tool("prometheus", "prometheus"));
    command
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("tsdb").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{prometheus_port}"));
    let prometheus = Proc::spawn("prometheus", command, dir);
    wait_for_blocking(STARTUP, "Prometheus to be ready", || {
        match http::get(prometheus_port, "/-/ready") {
            Ok(r) if r.status == 200 => Ok(()),
            Ok(r) => Err(format!("{} {}", r.status, r.body)),
            Err(e) => Err(format!("{e}\n{}", prometheus.log_tail())),
        }
    });
    let logs = || {
        let mut out: Vec<String> = workers.iter().map(Proc::log_tail).collect();
        out.push(api.log_tail());
        out.push(prometheus.log_tail());
        out.join("\n")
    };

    // The load.
    let started = std::time::Instant::now();
    // A match, hosted before the trickle sends it events.
    let players = r#"[{"id":"p0","notify":{"channel":"log","recipient":{"address":"p0"}}},{"id":"p1","notify":{"channel":"log","recipient":{"address":"p1"}}}]"#;
    let r = api_request(
        api_port,
        "POST",
        "/v1/matches",
        &format!(r#"{{"type":"scoreboard","players":{players},"durationSec":3600}}"#),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let match_id = r.json()["id"].as_str().unwrap().to_owned();
    let match_status = |status: &str| {
        wait_for_blocking(STARTUP, &format!("match {match_id} to be {status}"), || {
            let r = api_request(api_port, "GET", &format!("/v1/matches/{match_id}"), "");
            if r.json()["status"] == status {
                Ok(())
            } else {
                Err(format!("{}\n{}", r.body, logs()))
            }
        });
    };
    match_status("running");
    // A live subscriber of the match, so the stream panels (fan-out latency, messages)
    // observe the trickle's events.
    let _subscriber = {
        let path = format!("/v1/matches/{match_id}/stream");
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", api_port)) else {
                return;
            };
            let request = format!(
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {API_KEY}\r\n\
                 Accept: text/event-stream\r\n\r\n"
            );
            if stream.write_all(request.as_bytes()).is_err() {
                return;
            }
            let mut buf = [0u8; 4096];
            while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
        })
    };
    let mut trickle = TrickleLoad::start(api_port, match_id.clone());
    let sink = webhook_sink();
    // A provider of its own (the circuit key is host:port), so that its open circuit
    // holds back nothing else of the load.
    let failing_sink = webhook_sink();
    let mut expected = Vec::new();
    for (n, priority) in ["critical", "high", "normal", "low"]
        .iter()
        .cycle()
        .take(40)
        .enumerate()
    {
        let body = format!(
            r#"{{"channel":"log","recipient":{{"address":"user-{n}"}},"body":"load {n}","priority":"{priority}"}}"#
        );
        let r = api_request(api_port, "POST", "/v1/notifications", &body);
        assert_eq!(r.status, 202, "{}", r.body);
        expected.push((r.json()["id"].as_str().unwrap().to_owned(), "succeeded"));
    }
    for (path, outcome) in [("/ok", "succeeded"), ("/reject", "dead")] {
        let body = format!(
            r#"{{"channel":"webhook","recipient":{{"address":"http://127.0.0.1:{sink}{path}"}},"body":"hook","maxAttempts":2}}"#
        );
        let r = api_request(api_port, "POST", "/v1/notifications", &body);
        assert_eq!(r.status, 202, "{}", r.body);
        expected.push((r.json()["id"].as_str().unwrap().to_owned(), outcome));
    }
    // One attempt, answered 503: the job is dead and the circuit open.
    let body = format!(
        r#"{{"channel":"webhook","recipient":{{"address":"http://127.0.0.1:{failing_sink}/unavailable"}},"body":"hook","maxAttempts":1}}"#
    );
    let r = api_request(api_port, "POST", "/v1/notifications", &body);
    assert_eq!(r.status, 202, "{}", r.body);
    expected.push((r.json()["id"].as_str().unwrap().to_owned(), "dead"));
    for (id, status) in &expected {
        wait_for_blocking(STARTUP, &format!("job {id} to be {status}"), || {
            let r = api_request(api_port, "GET", &format!("/v1/jobs/{id}"), "");
            let job = r.json();
            if job["status"] == *status {
                Ok(())
            } else {
                Err(format!("{}\n{}", r.body, logs()))
            }
        });
    }
    eprintln!(
        "{:?}: every job of the load has its outcome",
        started.elapsed()
    );
    // A duplicate delivery of a finished job: the worker's claim finds it finished.
    let (finished, _) = &expected[0];
    runtime().block_on(async {
        let publisher = RabbitDispatch::connect(&url, Topology::new(&group))
            .await
            .unwrap();
        let msg = JobMessage::decode(
            format!(r#"{{"id":"{finished}","kind":"notification","priority":"normal"}}"#)
                .as_bytes(),
        )
        .unwrap();
        publisher.publish(std::slice::from_ref(&msg)).await.unwrap();
    });

    // Prometheus has scraped the end of the load from every target.
    let processed = expected.len();
    wait_for_blocking(STARTUP, "Prometheus to see the load", || {
        let up = query(
            prometheus_port,
            r#"sum(up{job=~"herald-api|herald-worker"})"#,
        )?;
        let done = query(
            prometheus_port,
            "sum(herald_jobs_processed_total) + sum(herald_lease_conflicts_total)",
        )?;
        let value = |r: &[serde_json::Value]| -> f64 {
            r.first()
                .and_then(|s| s["value"][1].as_str())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0)
        };
        if value(&up) == 3.0 && value(&done) >= (processed + 1) as f64 {
            Ok(())
        } else {
            Err(format!("up {up:?}, processed+conflicts {done:?}"))
        }
    });

    eprintln!("{:?}: Prometheus has scraped the load", started.elapsed());
    // Every dashboard query returns data.
    let dashboard = repo::json("grafana/dashboards/herald.json");
    let queries = repo::dashboard_queries(&dashboard);
    assert!(
        queries.len() >= 20,
        "the dashboard has {} queries",
        queries.len()
    );
    let mut failures = Vec::new();
    for (panel, expr) in &queries {
        let concrete = expr.replace("$__rate_interval", RATE_INTERVAL);
        assert!(
            !concrete.contains('$'),
            "{panel}: unknown Grafana variable in {expr}"
        );
        let mut last = String::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        let ok = loop {
            match query(prometheus_port, &concrete) {
                Ok(result) if has_finite_value(&result) => break true,
                Ok(result) => last = format!("no data: {result:?}"),
                Err(e) => last = e,
            }
            if std::time::Instant::now() >= deadline {
                break false;
            }
            std::thread::sleep(Duration::from_millis(250));
        };
        if !ok {
            failures.push(format!("{panel}: {expr}\n    {last}"));
        }
    }
    if !failures.is_empty() {
        let known = known_metrics(prometheus_port);
        let missing: BTreeSet<String> = queries
            .iter()
            .flat_map(|(_, e)| promql::metric_names(e))
            .filter(|m| !known.contains(m))
            .collect();
        panic!(
            "{} dashboard queries return no data:\n{}\nmetrics no target exports: {missing:?}\n{}",
            failures.len(),
            failures.join("\n"),
            logs()
        );
    }

    eprintln!(
        "{:?}: every dashboard query returned data",
        started.elapsed()
    );
    // Per-worker panels show one series per replica, and the registry-based worker
    // counts add up to the replicas running.
    let scalar = |expr: &str| -> Result<f64, String> {
        let result = query(prometheus_port, expr)?;
        result
            .first()
            .and_then(|s| s["value"][1].as_str())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{expr}: {result:?}"))
    };
    for expr in [
        "count(worker_cpu_usage_percent)",
        "count(worker_memory_usage_bytes)",
        "max(matchserver_active_workers) + max(matchserver_idle_workers)",
    ] {
        wait_for_blocking(STARTUP, &format!("{expr} to be 2"), || {
            let v = scalar(expr)?;
            if v == 2.0 {
                Ok(())
            } else {
                Err(format!("{expr} = {v}"))
            }
        });
    }
    let trickled = trickle.stop();
    assert!(trickled > 0, "the background load got nothing accepted");
    // The match ends, before the workers are stopped.
    let r = api_request(
        api_port,
        "POST",
        &format!("/v1/matches/{match_id}/events"),
        r#"{"type":"end"}"#,
    );
    assert_eq!(r.status, 202, "{}", r.body);
    match_status("succeeded");
    // Every alert rule is loaded and evaluates, and names only exported metrics.
    let rules = repo::alert_rules();
    let loaded = http::get(prometheus_port, "/api/v1/rules?type=alert")
        .unwrap()
        .json();
    let loaded: usize = loaded["data"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["rules"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(
        loaded,
        rules.len(),
        "Prometheus loaded {loaded} of alerts.yml's rules"
    );
    let known = known_metrics(prometheus_port);
    for (name, expr) in &rules {
        query(prometheus_port, expr).unwrap_or_else(|e| panic!("{name}: {e}"));
        for metric in promql::metric_names(expr) {
            assert!(
                known.contains(&metric),
                "alert {name} names {metric}, which nobody exports"
            );
        }
    }

    // The workers handle SIGTERM themselves (PID 1 in a container): a clean exit.
    for worker in &mut workers {
        let status = worker
            .terminate(Duration::from_secs(40))
            .unwrap_or_else(|| panic!("{} ignored SIGTERM\n{}", worker.name(), worker.log_tail()));
        assert!(
            status.success(),
            "{} exited with {status} on SIGTERM\n{}",
            worker.name(),
            worker.log_tail()
        );
    }
}
