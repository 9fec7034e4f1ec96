//! prometheus.yml and alerts.yml through Prometheus's own checker, and the alert
//! rules' unit tests (alerts.test.yml) through `promtool test rules`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::process::Command;

use deploy_checks::{repo, tools};

fn promtool() -> Command {
    let mut command = Command::new(tools::tool("promtool", "prometheus"));
    command.current_dir(repo::root());
    command
}

#[test]
fn promtool_accepts_the_config() {
    tools::run_ok(
        "promtool check config prometheus.yml",
        promtool().args(["check", "config", "prometheus.yml"]),
    );
}

#[test]
fn promtool_accepts_the_rules() {
    tools::run_ok(
        "promtool check rules alerts.yml",
        promtool().args(["check", "rules", "alerts.yml"]),
    );
}

#[test]
fn the_alert_rule_unit_tests_pass() {
    let output = tools::run_ok(
        "promtool test rules alerts.test.yml",
        promtool().args(["test", "rules", "alerts.test.yml"]),
    );
    let text = String::from_utf8_lossy(&output.stdout) + String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("SUCCESS"), "{text}");
}

/// The issue's list: queue depth growing, lease-lost rate, dead-letter rate, error
/// rate, p99 end-to-end latency, a worker down — and the unit tests cover at least
/// the queue-depth and worker-down alerts.
#[test]
fn the_rules_cover_the_required_alerts_and_the_tests_cover_queue_depth_and_worker_down() {
    let rules = repo::alert_rules();
    let find = |needle: &str| {
        rules
            .iter()
            .find(|(_, expr)| expr.contains(needle))
            .map(|(name, _)| name.clone())
            .unwrap_or_else(|| panic!("no alert on {needle}"))
    };
    let queue_depth = find("notification_queue_depth");
    find("herald_lease_lost_total");
    find(r#"outcome="dead""#);
    find(r#"status=~"5..""#);
    find("histogram_quantile(0.99");
    let worker_down = find(r#"up{job="herald-worker"} == 0"#);

    let tested = alerts_tested_firing();
    for alert in [queue_depth, worker_down] {
        assert!(tested.contains(&alert), "no test shows {alert} firing");
    }
}

/// The alerts on matches and circuit breakers: an open circuit, lagging match events
/// (p99 of event → applied), a match host that lost its lease — each with a unit test
/// that shows it firing.
#[test]
fn the_rules_cover_open_circuits_and_matches_and_the_tests_show_each_firing() {
    let rules = repo::alert_rules();
    let find = |needles: &[&str]| {
        rules
            .iter()
            .find(|(_, expr)| needles.iter().all(|n| expr.contains(n)))
            .map(|(name, _)| name.clone())
            .unwrap_or_else(|| panic!("no alert on {needles:?}"))
    };
    let alerts = [
        find(&["herald_circuit_state", "== 2"]),
        find(&[
            "histogram_quantile(0.99",
            "herald_match_event_apply_seconds_bucket",
        ]),
        find(&["herald_matches_total", r#"event="lease_lost""#]),
    ];
    let tested = alerts_tested_firing();
    for alert in alerts {
        assert!(tested.contains(&alert), "no test shows {alert} firing");
    }
}

/// The alerts alerts.test.yml expects to fire at least once.
fn alerts_tested_firing() -> BTreeSet<String> {
    let tests = repo::yaml("alerts.test.yml");
    tests["tests"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|t| {
            t["alert_rule_test"]
                .as_sequence()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|t| t["exp_alerts"].as_sequence().is_some_and(|a| !a.is_empty()))
        .filter_map(|t| t["alertname"].as_str().map(str::to_owned))
        .collect()
}
