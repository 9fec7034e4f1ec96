//! The committed artifacts, read from the repository the tests were built from.

use std::path::{Path, PathBuf};

/// The workspace root (this crate is one of its members).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("deploy-checks sits inside the workspace")
        .to_path_buf()
}

/// A file of the repository, by its path from the root.
pub fn path(relative: &str) -> PathBuf {
    root().join(relative)
}

/// The text of a committed file.
pub fn read(relative: &str) -> String {
    let p = path(relative);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// A committed YAML file, parsed, with `<<` merge keys applied (the compose file
/// shares the API and environment blocks through anchors).
pub fn yaml(relative: &str) -> serde_yaml::Value {
    let mut value: serde_yaml::Value = serde_yaml::from_str(&read(relative))
        .unwrap_or_else(|e| panic!("{relative} is not valid YAML: {e}"));
    value
        .apply_merge()
        .unwrap_or_else(|e| panic!("{relative}: bad merge key: {e}"));
    value
}

/// A committed JSON file, parsed.
pub fn json(relative: &str) -> serde_json::Value {
    serde_json::from_str(&read(relative))
        .unwrap_or_else(|e| panic!("{relative} is not valid JSON: {e}"))
}

/// The Grafana dashboard's panels that carry queries, with their query expressions:
/// `(panel title, expr)` in dashboard order (rows and nested panels included).
pub fn dashboard_queries(dashboard: &serde_json::Value) -> Vec<(String, String)> {
    fn walk(panels: &[serde_json::Value], out: &mut Vec<(String, String)>) {
        for panel in panels {
            let title = panel["title"].as_str().unwrap_or("(untitled)").to_owned();
            for target in panel["targets"].as_array().into_iter().flatten() {
                if let Some(expr) = target["expr"].as_str() {
                    out.push((title.clone(), expr.to_owned()));
                }
            }
            if let Some(nested) = panel["panels"].as_array() {
                walk(nested, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        dashboard["panels"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]),
        &mut out,
    );
    out
}

/// Every alerting rule of alerts.yml: `(alert name, expr)`.
pub fn alert_rules() -> Vec<(String, String)> {
    let rules = yaml("alerts.yml");
    let mut out = Vec::new();
    for group in rules["groups"].as_sequence().into_iter().flatten() {
        for rule in group["rules"].as_sequence().into_iter().flatten() {
            if let (Some(name), Some(expr)) = (rule["alert"].as_str(), rule["expr"].as_str()) {
                out.push((name.to_owned(), expr.trim().to_owned()));
            }
        }
    }
    out
}
