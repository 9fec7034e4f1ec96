//! The external tools the checks run, and Herald's own service binaries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

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

/// The directory of the running test's build profile (`target/debug`): integration
/// test executables live in its `deps/` subdirectory, whatever `CARGO_TARGET_DIR` is.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable has a path");
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .expect("test executables live in <target>/<profile>/deps")
}

/// Runs `cargo build <args>` on the workspace into this test's target directory and
/// profile; returns the profile directory, where the built binaries are.
pub fn cargo_build(args: &[&str]) -> PathBuf {
    let profile = profile_dir();
    let target_dir = profile
        .parent()
        .expect("the profile directory is inside the target directory");
    let cargo = std::env::var_os("CARGO")
        .map(PathBuf::from)
        .or_else(|| option_env!("CARGO").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("cargo"));
    let mut build = Command::new(cargo);
    // Cargo gives the test its package's CARGO_MANIFEST_DIR, CARGO_PKG_*, …; some
    // build scripts (ring's) rerun when those change, and would rebuild the tree.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
            "CARGO_PRIMARY_",
        ]
        .iter()
        .any(|p| key.starts_with(p))
        {
            build.env_remove(&*key);
        }
    }
    build
        .arg("build")
        .arg("--manifest-path")
        .arg(super::repo::path("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir)
        .args(args);
    if profile.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    run_ok(&format!("cargo build {}", args.join(" ")), &mut build);
    profile
}

/// The path of one of the workspace's service binaries (`herald-api`,
/// `herald-worker`), brought up to date first.
///
/// `env!("CARGO_BIN_EXE_…")` only exists for binaries of the test's own package, and
/// this crate cannot depend on binaries of other packages. So the first call runs
/// `cargo build` into the same target directory and profile as this test executable,
/// with the very target selection `cargo test --workspace` (and `cargo nextest run
/// --workspace`) builds: the same selection resolves the same features, so under
/// scripts/test.sh it is a no-op. A narrower one (`-p herald-api -p herald-worker`)
/// would resolve other features, rebuild half the dependency tree a second time and
/// overwrite the binaries the other tests run.
pub fn service_binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT
        .get_or_init(|| cargo_build(&["--workspace", "--lib", "--bins", "--tests", "--examples"]));
    let path = dir.join(name);
    assert!(path.is_file(), "{} was not built", path.display());
    path
}

/// The workspace's binary targets, from `cargo metadata`: the names the Dockerfile
/// must use.
pub fn workspace_binaries() -> Vec<String> {
    let mut bins: Vec<String> = package_binaries().into_values().flatten().collect();
    bins.sort();
    bins
}

/// Each workspace package's binary targets, by package name, from `cargo metadata`:
/// what `cargo build -p <package> --bins` produces.
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
                .filter_map(|t| t["name"].as_str().map(str::to_owned))
                .collect();
            Some((p["name"].as_str()?.to_owned(), bins))
        })
        .collect()
}
