//! docker-compose.scale.yml: valid for docker-compose, the worker scales, and every
//! service the dashboard depends on is there and wired (Grafana → its datasource →
//! Prometheus → each scrape target).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::process::Command;

use deploy_checks::{repo, tools};
use serde_yaml::Value;

const COMPOSE: &str = "docker-compose.scale.yml";

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
        Command::new(compose)
            .current_dir(repo::root())
            .args(["-f", COMPOSE, "config", "--quiet"]),
    );
    let output = tools::run_ok(
        "docker-compose config --services",
        Command::new(tools::tool("docker-compose", "docker-compose"))
            .current_dir(repo::root())
            .args(["-f", COMPOSE, "config", "--services"]),
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

#[test]
fn the_services_use_the_configuration_names_of_the_design() {
    let services = services();
    let allowed: BTreeSet<&str> = [
        // DESIGN §9.
        "MONGODB_URI",
        "MONGODB_MAX_POOL_SIZE",
        "MONGODB_MIN_POOL_SIZE",
        "RABBITMQ_URL",
        "RABBITMQ_CONSUMER_GROUP",
        "PREFETCH_COUNT",
        "LOCK_DURATION_MS",
        "POLL_INTERVAL_MS",
        "WORKER_BATCH_SIZE",
        "MAX_MATCHES",
        "NUM_WORKERS",
        "PORT",
        "METRICS_PORT",
        "API_KEYS",
        "SQLITE_PATH",
        "RUST_LOG",
        "WEBHOOK_SECRETS",
        "WEBHOOK_ALLOWED_CIDRS",
        // README: log format.
        "LOG_FORMAT",
        // docs/channels.md and docs/worker.md (Policy): channels and circuit breakers.
        "SMTP_HOST",
        "SMTP_PORT",
        "SMTP_TLS",
        "SMTP_USERNAME",
        "SMTP_PASSWORD",
        "SMTP_CA_FILE",
        "EMAIL_FROM",
        "EMAIL_FROM_TENANTS",
        "SMS_BASE_URL",
        "SMS_ACCOUNT_SID",
        "SMS_AUTH_TOKEN",
        "SMS_FROM",
        "PUSH_BASE_URL",
        "PUSH_PROJECT_ID",
        "PUSH_ACCESS_TOKEN",
        "PUSH_SERVICE_ACCOUNT_FILE",
        "BREAKER_FAILURE_THRESHOLD",
        "BREAKER_OPEN_MS",
    ]
    .into();
    for name in ["api1", "api2", "worker"] {
        let env = service(&services, name)["environment"]
            .as_mapping()
            .cloned()
            .unwrap_or_default();
        for key in env.keys() {
            let key = key.as_str().unwrap();
            assert!(
                allowed.contains(key),
                "{name} sets {key}, not a DESIGN §9 name"
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

    // nginx proxies to the two API services, and its exporter scrapes its status port.
    let nginx_conf = repo::read("nginx.conf");
    for api in ["api1:3000", "api2:3000"] {
        assert!(
            nginx_conf.contains(&format!("server {api} ")),
            "nginx.conf lacks {api}"
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
