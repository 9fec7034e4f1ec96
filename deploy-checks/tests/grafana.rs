//! The Grafana dashboard has the panels issue 9 lists, each built on the metric that
//! measures it (whether those metrics are exported is `prometheus_live`'s check), and
//! the provisioning files are what Grafana expects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use deploy_checks::{promql, repo};

const DASHBOARD: &str = "grafana/dashboards/herald.json";

/// The expressions of the panel whose title starts with `title`.
fn panel_exprs(title: &str) -> Vec<String> {
    let dashboard = repo::json(DASHBOARD);
    let exprs: Vec<String> = repo::dashboard_queries(&dashboard)
        .into_iter()
        .filter(|(t, _)| t.starts_with(title))
        .map(|(_, e)| e)
        .collect();
    assert!(!exprs.is_empty(), "no panel titled {title:?}");
    exprs
}

fn metrics_of(title: &str) -> BTreeSet<String> {
    panel_exprs(title)
        .iter()
        .flat_map(|e| promql::metric_names(e))
        .collect()
}

#[test]
fn the_dashboard_has_every_panel_of_the_issue_on_the_right_metric() {
    let needs: &[(&str, &[&str])] = &[
        ("Throughput", &["herald_jobs_processed_total"]),
        ("Success rate", &["herald_jobs_processed_total"]),
        ("Queue depth by state", &["notification_queue_depth"]),
        (
            "Queue lag (oldest ready job)",
            &["herald_queue_oldest_ready_seconds"],
        ),
        (
            "Pruned jobs",
            &[
                "herald_pruned_total",
                "herald_prune_run_duration_seconds_bucket",
            ],
        ),
        (
            "End-to-end latency",
            &["herald_job_end_to_end_seconds_bucket"],
        ),
        (
            "Lease claims, conflicts, lost",
            &[
                "herald_lease_claims_total",
                "herald_lease_conflicts_total",
                "herald_lease_lost_total",
            ],
        ),
        (
            "Dead letters",
            &["notification_queue_depth", "herald_jobs_processed_total"],
        ),
        (
            "Workers active / idle",
            &["matchserver_active_workers", "matchserver_idle_workers"],
        ),
        ("Matches active", &["matchserver_active_matches_total"]),
        ("CPU per worker", &["worker_cpu_usage_percent"]),
        ("Memory per worker", &["worker_memory_usage_bytes"]),
        ("API requests by status", &["herald_api_requests_total"]),
        (
            "Match event \u{2192} applied latency",
            &["herald_match_event_apply_seconds_bucket"],
        ),
        ("Match hosting events", &["herald_matches_total"]),
        ("Matches hosted per worker", &["herald_matches_hosted"]),
        ("Circuit breakers", &["herald_circuit_state"]),
        ("Circuit transitions", &["herald_circuit_transitions_total"]),
    ];
    for (title, metrics) in needs {
        let found = metrics_of(title);
        for metric in *metrics {
            assert!(
                found.contains(*metric),
                "panel {title:?} does not use {metric}: {found:?}"
            );
        }
    }
    let e2e = panel_exprs("End-to-end latency").join("\n");
    for q in ["0.5", "0.95", "0.99"] {
        assert!(
            e2e.contains(&format!("histogram_quantile({q},")),
            "no p{q} latency"
        );
    }
    assert!(panel_exprs("Queue depth by state")[0].contains("by (state)"));
    assert!(panel_exprs("API requests by status")[0].contains("by (status)"));
    assert!(panel_exprs("Dead letters")
        .join(" ")
        .contains(r#"state="dead""#));
    assert!(
        panel_exprs("CPU per worker")[0] == "worker_cpu_usage_percent",
        "one series per worker"
    );
    let match_latency = panel_exprs("Match event \u{2192} applied latency").join("\n");
    for q in ["0.5", "0.99"] {
        assert!(
            match_latency.contains(&format!("histogram_quantile({q},")),
            "no p{q} match event latency"
        );
    }
    assert!(panel_exprs("Match hosting events")[0].contains("by (event)"));
    assert!(
        panel_exprs("Matches hosted per worker")[0] == "herald_matches_hosted",
        "one series per worker"
    );
    assert!(
        panel_exprs("Circuit breakers")[0].starts_with("max by (channel, provider)"),
        "one series per channel and provider, the worst worker's state"
    );
    assert!(panel_exprs("Circuit transitions")[0].contains("by (channel, provider, to)"));
}

/// The Matches and Channels rows exist, in that order, and their panels sit below
/// their own row.
#[test]
fn the_matches_and_channels_rows_hold_their_panels() {
    let dashboard = repo::json(DASHBOARD);
    let panels = dashboard["panels"].as_array().unwrap();
    let row_y = |title: &str| {
        panels
            .iter()
            .find(|p| p["type"] == "row" && p["title"] == title)
            .unwrap_or_else(|| panic!("no row {title:?}"))["gridPos"]["y"]
            .as_u64()
            .unwrap()
    };
    let (matches, channels) = (row_y("Matches"), row_y("Channels"));
    assert!(matches < channels);
    let y_of = |prefix: &str| {
        panels
            .iter()
            .find(|p| p["title"].as_str().is_some_and(|t| t.starts_with(prefix)))
            .unwrap()["gridPos"]["y"]
            .as_u64()
            .unwrap()
    };
    for title in [
        "Match event \u{2192} applied latency",
        "Match hosting events",
        "Matches hosted per worker",
    ] {
        assert!((matches..channels).contains(&y_of(title)), "{title}");
    }
    for title in ["Circuit breakers", "Circuit transitions"] {
        assert!(y_of(title) > channels, "{title}");
    }
    let latency = panels
        .iter()
        .find(|p| {
            p["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Match event"))
        })
        .unwrap();
    assert_eq!(latency["fieldConfig"]["defaults"]["unit"], "s");
}

#[test]
fn the_dashboard_and_provisioning_are_well_formed() {
    let dashboard = repo::json(DASHBOARD);
    assert_eq!(dashboard["uid"], "herald-overview");
    assert!(dashboard["title"].is_string());
    let mut ids = BTreeSet::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        assert!(
            ids.insert(panel["id"].as_u64().unwrap()),
            "duplicate panel id"
        );
        let grid = &panel["gridPos"];
        assert!(grid["w"].as_u64().unwrap() <= 24 && grid["x"].as_u64().unwrap() < 24);
        for target in panel["targets"].as_array().into_iter().flatten() {
            assert!(target["refId"].is_string() && target["expr"].is_string());
        }
    }
    let provider = repo::yaml("grafana/provisioning/dashboards/herald.yml");
    assert_eq!(provider["apiVersion"].as_u64(), Some(1));
    assert_eq!(provider["providers"][0]["type"].as_str(), Some("file"));
    let datasource = repo::yaml("grafana/provisioning/datasources/prometheus.yml");
    assert_eq!(datasource["apiVersion"].as_u64(), Some(1));
    assert_eq!(
        datasource["datasources"][0]["type"].as_str(),
        Some("prometheus")
    );
    // The datasource's scrape interval is prometheus.yml's, for $__rate_interval.
    let prometheus = repo::yaml("prometheus.yml");
    assert_eq!(
        datasource["datasources"][0]["jsonData"]["timeInterval"],
        prometheus["global"]["scrape_interval"]
    );
}
