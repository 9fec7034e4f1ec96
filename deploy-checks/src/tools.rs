//! The external tools the checks run, and the workspace's binary targets.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

/// Finds `name` on `PATH` or in the sbin directories (nginx lives in /usr/sbin, which a
/// non-root `PATH` often lacks). Panics with the Debian package that provides it:
/// scripts/test.sh installs them (`ensure_deploy_tools`).
pub fn tool(name: &str, debian_package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    dirs.extend(["/usr/sbin", "/usr/bin", "/sbin", "/usr/local/sbin"].map(PathBuf::from));
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} not found: install it with `apt-get install {debian_package}` \
                 (scripts/test.sh does so when it is missing)"
            )
        })
}

/// Runs a command to completion, panicking with its output unless it succeeded.
pub fn run_ok(what: &str, command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The workspace's binary targets, from `cargo metadata`: the names the Dockerfile
/// must use.
pub fn workspace_binaries() -> Vec<String> {
    let mut bins: Vec<String> = package_binaries().into_values().flatten().collect();
    bins.sort();
    bins
}

/// Each workspace package's binary targets, by package name, from `cargo metadata`:
/// what `cargo build -p <package> --bins` produces. A binary that needs a feature
/// (`required-features`, such as the conformance suite's `herald-conformance`) is not
/// built without it, so it is not listed.
pub fn package_binaries() -> BTreeMap<String, Vec<String>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = run_ok(
        "cargo metadata",
        Command::new(cargo)
            .args([
                "metadata",
                "--no-deps",
                "--format-version",
                "1",
                "--manifest-path",
            ])
            .arg(super::repo::path("Cargo.toml")),
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let is_bin = |t: &&serde_json::Value| {
        t["kind"]
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k == "bin"))
    };
    metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let bins = p["targets"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(is_bin)
                .filter(|t| {
                    t["required-features"]
                        .as_array()
                        .is_none_or(|features| features.is_empty())
                })
                .filter_map(|t| t["name"].as_str().map(str::to_owned))
                .collect();
            Some((p["name"].as_str()?.to_owned(), bins))
        })
        .collect()
}
