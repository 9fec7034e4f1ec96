//! Herald's service binaries (`herald-api`, `herald-worker`, …) for the tests of a
//! package that does not own them.
//!
//! `env!("CARGO_BIN_EXE_…")` exists only for binaries of the test's own package, and a
//! package cannot depend on another's binaries. So the first call runs `cargo build`
//! into the same target directory and profile as the running test executable, with the
//! very target selection that `cargo test --workspace` (and `cargo nextest run
//! --workspace`) builds: the same selection resolves the same features, so under
//! `scripts/test.sh` it is a no-op, and when only one package's tests were built it
//! brings the binaries up to date. A narrower one (`-p herald-api -p herald-worker`)
//! would resolve other features, build a second copy of half the dependency tree and
//! overwrite the binaries that the other tests run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// What `cargo test --workspace` builds (and so the features it resolves).
const TEST_BUILD_SELECTION: [&str; 5] = ["--workspace", "--lib", "--bins", "--tests", "--examples"];

/// The path of one of the workspace's binaries, brought up to date first (once per
/// test process).
pub fn workspace_binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let path = BUILT.get_or_init(build_workspace).join(name);
    assert!(path.is_file(), "{} was not built", path.display());
    path
}

/// The directory of the running test's build profile (`target/debug`): test
/// executables live in its `deps/` subdirectory, whatever `CARGO_TARGET_DIR` is.
fn profile_dir() -> PathBuf {
    let exe =
        std::env::current_exe().unwrap_or_else(|e| panic!("the test executable has no path: {e}"));
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| panic!("{} is not in <target>/<profile>/deps", exe.display()))
}

/// Runs `cargo build` with [`TEST_BUILD_SELECTION`] into this test's target directory
/// and profile; returns the profile directory, where the binaries are.
fn build_workspace() -> PathBuf {
    let profile = profile_dir();
    let Some(target_dir) = profile.parent() else {
        panic!("{} is not inside a target directory", profile.display());
    };
    let cargo = std::env::var_os("CARGO")
        .or_else(|| option_env!("CARGO").map(Into::into))
        .unwrap_or_else(|| "cargo".into());
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
        .args(TEST_BUILD_SELECTION)
        .arg("--manifest-path")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir);
    if profile.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let output = build
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo build: {e}"));
    assert!(
        output.status.success(),
        "cargo build {} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        TEST_BUILD_SELECTION.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    profile
}
