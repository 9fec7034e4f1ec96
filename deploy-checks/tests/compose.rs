//! docker-compose.scale.yml: valid for docker-compose, the worker scales, and every
//! service the dashboard depends on is there and wired (Grafana → its datasource →
//! Prometheus → each scrape target).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::process::Command;

use deploy_checks::{repo, tools};
use herald_testkit::binaries::workspace_binary;
use serde_yaml::Value;

const COMPOSE: &str = "docker-compose.scale.yml";
/// The demo's settings: the one way to run the stack without choosing keys.
const DEMO_ENV: &str = ".env.demo";

fn services() -> serde_yaml::Mapping {
    repo::yaml(COMPOSE)["services"]
        .as_mapping()
        .cloned()
        .expect("the compose file has services")
}

fn service<'a>(services: &'a serde_yaml::Mapping, name: &str) -> &'a Value {
    services
        .get(name)
        .unwrap_or_else(|| panic!("{COMPOSE} has no `{name}` service"))
}

/// The host name of a `host:port` or `scheme://host:port/...` address.
fn host_of(address: &str) -> String {
    let rest = address.split("://").last().unwrap_or(address);
    rest.split(['/', ':']).next().unwrap_or(rest).to_owned()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

#[test]
fn docker_compose_accepts_the_file() {
    let compose = tools::tool("docker-compose", "docker-compose");
    tools::run_ok(
        "docker-compose config",
        Command::new(compose).current_dir(repo::root()).args([
            "--env-file",
            DEMO_ENV,
            "-f",
            COMPOSE,
            "config",
            "--quiet",
        ]),
    );
    let output = tools::run_ok(
        "docker-compose config --services",
        Command::new(tools::tool("docker-compose", "docker-compose"))
            .current_dir(repo::root())
            .args([
                "--env-file",
                DEMO_ENV,
                "-f",
                COMPOSE,
                "config",
                "--services",
            ]),
    );
    let listed: BTreeSet<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let parsed: BTreeSet<String> = services()
        .keys()
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        listed, parsed,
        "docker-compose and the YAML parser disagree"
    );
}

#[test]
fn the_worker_service_scales() {
    let services = services();
    let worker = service(&services, "worker");
    for key in ["container_name", "ports", "hostname"] {
        assert!(
            worker.get(key).is_none(),
            "worker has `{key}`: two replicas would clash (a fixed name, host port or \
             hostname, which the worker id is built from)"
        );
    }
    assert!(
        worker["deploy"].get("replicas").is_none(),
        "worker pins deploy.replicas; --scale decides"
    );
    assert!(
        strings(&worker["expose"]).iter().any(|p| p == "9091"),
        "worker exposes its metrics port to Prometheus"
    );
    assert_eq!(
        worker["environment"]["METRICS_PORT"].as_str(),
        Some("9091"),
        "the port Prometheus scrapes by DNS is the worker's METRICS_PORT"
    );
    assert!(
        matches!(
            worker["restart"].as_str(),
            Some("always" | "unless-stopped" | "on-failure")
        ),
        "a worker that dies must come back"
    );
    assert!(
        worker["deploy"]["resources"]["limits"]["memory"].is_string()
            && worker["deploy"]["resources"]["limits"]["cpus"].is_string(),
        "worker has resource limits"
    );
}

#[test]
fn every_service_has_a_restart_policy_and_limits_and_waits_for_healthy_dependencies() {
    let services = services();
    for (name, svc) in &services {
        let name = name.as_str().unwrap();
        assert!(svc["restart"].is_string(), "{name} has no restart policy");
        assert!(
            svc["deploy"]["resources"]["limits"]["memory"].is_string(),
            "{name} has no memory limit"
        );
        // Whoever needs the store, the broker or the proxy waits until it is healthy.
        for (dep, condition) in svc["depends_on"].as_mapping().into_iter().flatten() {
            let dep = dep.as_str().unwrap();
            service(&services, dep);
            if matches!(dep, "mongodb" | "rabbitmq" | "nginx") {
                assert_eq!(
                    condition["condition"].as_str(),
                    Some("service_healthy"),
                    "{name} should wait for {dep} to be healthy"
                );
            }
        }
    }
    for name in ["mongodb", "rabbitmq", "api1", "api2", "worker", "nginx"] {
        assert!(
            service(&services, name).get("healthcheck").is_some(),
            "{name} has no healthcheck"
        );
    }
    for name in ["api1", "api2", "worker"] {
        for dep in ["mongodb", "rabbitmq"] {
            assert_eq!(
                service(&services, name)["depends_on"][dep]["condition"].as_str(),
                Some("service_healthy"),
                "{name} starts before {dep} is healthy"
            );
        }
    }
}

/// The variables each binary reads, from its `--help` (which a unit test in each
/// crate holds against every variable the code reads).
fn variables_of(binary: &str) -> BTreeSet<String> {
    let help = Command::new(workspace_binary(binary))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success(), "{binary} --help failed");
    let variables = herald_core::config::help_names(&String::from_utf8_lossy(&help.stdout));
    assert!(variables.len() > 10, "{binary} --help lists {variables:?}");
    variables
}

#[test]
fn the_services_set_only_variables_the_binaries_read() {
    let services = resolved_services();
    let mut allowed = variables_of("herald-api");
    allowed.extend(variables_of("herald-worker"));
    for name in ["api1", "api2", "worker"] {
        let env = service(&services, name)["environment"]
            .as_mapping()
            .cloned()
            .unwrap_or_default();
        for key in env.keys() {
            let key = key.as_str().unwrap();
            assert!(
                allowed.contains(key),
                "{name} sets {key}, which no Herald binary reads"
            );
        }
        for key in ["MONGODB_URI", "RABBITMQ_URL", "RABBITMQ_CONSUMER_GROUP"] {
            assert!(env.contains_key(key), "{name} lacks {key}");
        }
        let mongo = env.get("MONGODB_URI").and_then(Value::as_str).unwrap();
        let rabbit = env.get("RABBITMQ_URL").and_then(Value::as_str).unwrap();
        assert!(
            services.contains_key(host_of(mongo).as_str()),
            "{name}: {mongo}"
        );
        assert!(
            services.contains_key(host_of(rabbit.rsplit('@').next().unwrap()).as_str()),
            "{name}: {rabbit}"
        );
    }
    for name in ["api1", "api2"] {
        assert!(
            service(&services, name)["environment"]["API_KEYS"].is_string(),
            "{name} has no API_KEYS"
        );
    }
}

/// The dashboard's chain: Grafana loads grafana/dashboards through the provisioned
/// provider; its panels use the provisioned datasource; that datasource is the
/// compose `prometheus` service; Prometheus gets prometheus.yml and alerts.yml; and
/// every scrape target is a compose service exposing that port.
#[test]
fn every_service_the_dashboard_needs_is_present_and_wired() {
    let services = services();
    for name in [
        "api1",
        "api2",
        "worker",
        "nginx",
        "nginx-exporter",
        "mongodb",
        "rabbitmq",
        "prometheus",
        "grafana",
    ] {
        service(&services, name);
    }

    // Grafana: provisioning and dashboards mounted where the provider looks.
    let grafana = service(&services, "grafana");
    let mounts = strings(&grafana["volumes"]);
    let mounted_at = |source: &str| -> String {
        mounts
            .iter()
            .find_map(|m| m.strip_prefix(&format!("{source}:")))
            .map(|rest| rest.split(':').next().unwrap().to_owned())
            .unwrap_or_else(|| panic!("grafana does not mount {source}"))
    };
    assert_eq!(
        mounted_at("./grafana/provisioning"),
        "/etc/grafana/provisioning"
    );
    let dashboards_at = mounted_at("./grafana/dashboards");
    let provider = repo::yaml("grafana/provisioning/dashboards/herald.yml");
    assert_eq!(
        provider["providers"][0]["options"]["path"].as_str(),
        Some(dashboards_at.as_str()),
        "the dashboard provider reads where compose mounts grafana/dashboards"
    );
    assert!(repo::path("grafana/dashboards/herald.json").is_file());

    // The datasource the panels use is the provisioned one, pointing at `prometheus`.
    let datasources = repo::yaml("grafana/provisioning/datasources/prometheus.yml");
    let ds = &datasources["datasources"][0];
    let uid = ds["uid"].as_str().unwrap();
    let url = ds["url"].as_str().unwrap();
    assert_eq!(host_of(url), "prometheus");
    assert!(url.ends_with(":9090"));
    let dashboard = repo::json("grafana/dashboards/herald.json");
    for panel in dashboard["panels"].as_array().unwrap() {
        if panel["type"] == "row" {
            continue;
        }
        assert_eq!(
            panel["datasource"]["uid"].as_str(),
            Some(uid),
            "panel {} uses another datasource",
            panel["title"]
        );
    }

    // Prometheus gets the committed config and rules.
    let prometheus = service(&services, "prometheus");
    let mounts = strings(&prometheus["volumes"]);
    assert!(mounts
        .iter()
        .any(|m| m.starts_with("./prometheus.yml:/etc/prometheus/prometheus.yml")));
    assert!(mounts
        .iter()
        .any(|m| m.starts_with("./alerts.yml:/etc/prometheus/alerts.yml")));

    // Every scrape target is a service of this file that exposes the port.
    let config = repo::yaml("prometheus.yml");
    let mut scraped = BTreeSet::new();
    for job in config["scrape_configs"].as_sequence().unwrap() {
        let job_name = job["job_name"].as_str().unwrap();
        let mut targets: Vec<(String, String)> = Vec::new();
        for sc in job["static_configs"].as_sequence().into_iter().flatten() {
            for t in strings(&sc["targets"]) {
                let (host, port) = t.split_once(':').unwrap();
                targets.push((host.to_owned(), port.to_owned()));
            }
        }
        for dns in job["dns_sd_configs"].as_sequence().into_iter().flatten() {
            let port = dns["port"].as_u64().unwrap().to_string();
            for name in strings(&dns["names"]) {
                targets.push((name, port.clone()));
            }
        }
        assert!(!targets.is_empty(), "job {job_name} has no targets");
        for (host, port) in targets {
            if host == "localhost" {
                continue; // Prometheus itself
            }
            let svc = service(&services, &host);
            let exposed: Vec<String> = strings(&svc["expose"]);
            assert!(
                exposed.contains(&port),
                "job {job_name} scrapes {host}:{port}, which {host} does not expose"
            );
            scraped.insert(host);
        }
    }
    for needed in ["api1", "api2", "worker", "rabbitmq", "nginx-exporter"] {
        assert!(
            scraped.contains(needed),
            "Prometheus does not scrape {needed}"
        );
    }
    // The workers are found by DNS, not listed.
    let worker_job = config["scrape_configs"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|j| j["job_name"] == "herald-worker")
        .expect("a herald-worker job");
    assert!(worker_job.get("static_configs").is_none());
    assert_eq!(
        strings(&worker_job["dns_sd_configs"][0]["names"]),
        vec!["worker"]
    );

    // nginx proxies to `api`, a name every API service answers to, and its exporter
    // scrapes its status port.
    let nginx_conf = repo::read("nginx.conf");
    assert!(
        nginx_conf.contains("set $herald_api api:3000;"),
        "nginx.conf does not proxy to api:3000"
    );
    for api in ["api1", "api2"] {
        let aliases = strings(&service(&services, api)["networks"]["default"]["aliases"]);
        assert!(
            aliases.contains(&"api".to_owned()),
            "{api} does not answer to `api`: {aliases:?}"
        );
    }
    let exporter = service(&services, "nginx-exporter");
    let scrape_uri = strings(&exporter["command"]).join(" ");
    assert!(scrape_uri.contains("http://nginx:8081/stub_status"));
    assert!(strings(&service(&services, "nginx")["expose"]).contains(&"8081".to_owned()));
}

#[test]
fn rabbitmq_is_configured_to_load_the_definitions_and_export_metrics() {
    let services = services();
    let rabbit = service(&services, "rabbitmq");
    let mounts = strings(&rabbit["volumes"]);
    for file in ["rabbitmq.conf", "definitions.json", "enabled_plugins"] {
        assert!(
            mounts
                .iter()
                .any(|m| m.starts_with(&format!("./rabbitmq/{file}:/etc/rabbitmq/{file}"))),
            "rabbitmq does not mount {file}"
        );
    }
    let conf = repo::read("rabbitmq/rabbitmq.conf");
    assert!(conf.contains("load_definitions = /etc/rabbitmq/definitions.json"));
    assert!(conf.contains("prometheus.tcp.port = 15692"));
    let plugins = repo::read("rabbitmq/enabled_plugins");
    assert!(plugins.contains("rabbitmq_management") && plugins.contains("rabbitmq_prometheus"));
    assert!(
        strings(&rabbit["ports"])
            .iter()
            .any(|p| p.ends_with(":15672")),
        "management UI"
    );
    // The user the services log in as is the one the definitions create.
    let url = services["worker"]["environment"]["RABBITMQ_URL"]
        .as_str()
        .unwrap();
    let user = url.split("://").nth(1).unwrap().split(':').next().unwrap();
    let definitions = repo::json("rabbitmq/definitions.json");
    assert!(
        definitions["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"] == user),
        "RABBITMQ_URL logs in as {user}, whom rabbitmq/definitions.json does not create"
    );
}

/// The services as docker-compose resolves them (anchors merged, defaults filled in).
fn resolved_services() -> serde_yaml::Mapping {
    let output = tools::run_ok(
        "docker-compose config",
        Command::new(tools::tool("docker-compose", "docker-compose"))
            .current_dir(repo::root())
            .args(["--env-file", DEMO_ENV, "-f", COMPOSE, "config"]),
    );
    let resolved: Value = serde_yaml::from_slice(&output.stdout).unwrap();
    resolved["services"].as_mapping().cloned().unwrap()
}

/// Every variable a binary reads is passed through to its service, so a value set in
/// `.env` takes effect. The list comes from each binary's `--help`, which a unit test
/// in each crate holds against every variable the code reads
/// (`help_names_every_variable_the_*_reads`).
#[test]
fn every_variable_a_binary_reads_is_passed_to_its_service() {
    let services = resolved_services();
    for (binary, names) in [
        ("herald-api", ["api1", "api2"].as_slice()),
        ("herald-worker", &["worker"]),
    ] {
        let variables = variables_of(binary);
        for name in names {
            let environment = services[*name]["environment"].as_mapping().unwrap();
            let missing: Vec<&String> = variables
                .iter()
                .filter(|v| !environment.contains_key(v.as_str()))
                .collect();
            assert!(
                missing.is_empty(),
                "{COMPOSE}: service {name} does not pass {missing:?} through to {binary}"
            );
        }
    }
}

/// The worker's grace period comes from its own SHUTDOWN_TIMEOUT_MS, which bounds its
/// whole stop: Docker's SIGKILL never cuts a stop short, whatever the operator sets.
#[test]
fn the_worker_grace_period_is_its_shutdown_timeout() {
    let raw = std::fs::read_to_string(repo::root().join(COMPOSE)).unwrap();
    let worker = &repo::yaml(COMPOSE)["services"]["worker"];
    assert_eq!(
        worker["stop_grace_period"].as_str(),
        Some("${SHUTDOWN_TIMEOUT_MS:-30000}ms"),
        "{raw}"
    );
    assert_eq!(
        worker["environment"]["SHUTDOWN_TIMEOUT_MS"].as_str(),
        Some("${SHUTDOWN_TIMEOUT_MS:-30000}")
    );
    let resolved = resolved_services();
    assert_eq!(
        resolved["worker"]["stop_grace_period"].as_str(),
        Some("30000ms")
    );
}

/// No default secrets: without API_KEYS (or the Grafana password) the stack refuses to
/// start, naming the variable; the demo keys come only from `.env.demo`.
#[test]
fn the_stack_refuses_to_start_without_keys_unless_told_it_is_a_demo() {
    let raw = std::fs::read_to_string(repo::root().join(COMPOSE)).unwrap();
    assert!(
        !raw.contains("demo-key-change-me"),
        "{COMPOSE} carries the demo key"
    );
    let empty = tempfile::NamedTempFile::new().unwrap();
    let output = Command::new(tools::tool("docker-compose", "docker-compose"))
        .current_dir(repo::root())
        .env_remove("API_KEYS")
        .env_remove("GRAFANA_ADMIN_PASSWORD")
        .args(["--env-file"])
        .arg(empty.path())
        .args(["-f", COMPOSE, "config", "--quiet"])
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "the stack started without API_KEYS"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("API_KEYS"), "{stderr}");
    let demo = std::fs::read_to_string(repo::root().join(DEMO_ENV)).unwrap();
    assert!(demo.contains("API_KEYS=demo:"), "{demo}");
    let example = std::fs::read_to_string(repo::root().join(".env.example")).unwrap();
    assert!(
        example.contains("COMPOSE_FILE=docker-compose.scale.yml"),
        "{example}"
    );
}
