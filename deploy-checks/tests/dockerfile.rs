//! Dockerfile.worker, checked without a Docker engine (there is none on the machines
//! that run these tests; docs/operations.md lists what this leaves unverified): its
//! stages, the cached dependency layer, the runtime stages' user, health check,
//! exposed port and entrypoint, and that the binary names are the workspace's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::process::Command;

use deploy_checks::{repo, tools};

/// One stage: its base image and its instructions (`KEYWORD`, arguments), with line
/// continuations joined and comments dropped.
#[derive(Debug)]
struct Stage {
    base: String,
    instructions: Vec<(String, String)>,
}

impl Stage {
    fn all(&self, keyword: &str) -> Vec<&str> {
        self.instructions
            .iter()
            .filter(|(k, _)| k == keyword)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn last(&self, keyword: &str) -> Option<&str> {
        self.all(keyword).last().copied()
    }
}

fn parse(text: &str) -> BTreeMap<String, Stage> {
    let mut logical = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        if let Some(body) = trimmed.strip_suffix('\\') {
            current.push_str(body);
            current.push(' ');
        } else {
            current.push_str(trimmed);
            if !current.trim().is_empty() {
                logical.push(std::mem::take(&mut current));
            }
            current.clear();
        }
    }
    let mut stages = BTreeMap::new();
    let mut name: Option<String> = None;
    for line in logical {
        let (keyword, args) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
        let keyword = keyword.to_ascii_uppercase();
        let args = args.trim().to_owned();
        if keyword == "FROM" {
            let words: Vec<&str> = args.split_whitespace().collect();
            let stage_name = match words.as_slice() {
                [_, as_kw, n] if as_kw.eq_ignore_ascii_case("as") => n.to_string(),
                _ => panic!("every stage must be named: FROM {args}"),
            };
            stages.insert(
                stage_name.clone(),
                Stage {
                    base: words[0].to_owned(),
                    instructions: Vec::new(),
                },
            );
            name = Some(stage_name);
        } else if let Some(n) = &name {
            stages
                .get_mut(n)
                .unwrap()
                .instructions
                .push((keyword, args));
        }
    }
    stages
}

/// The stage's instructions including those of the stages it is built `FROM`.
fn effective<'a>(stages: &'a BTreeMap<String, Stage>, name: &str) -> Vec<&'a (String, String)> {
    let stage = &stages[name];
    let mut out = match stages.contains_key(&stage.base) {
        true => effective(stages, &stage.base),
        false => Vec::new(),
    };
    out.extend(stage.instructions.iter());
    out
}

fn base_image<'a>(stages: &'a BTreeMap<String, Stage>, name: &str) -> &'a str {
    let base = &stages[name].base;
    if stages.contains_key(base) {
        base_image(stages, base)
    } else {
        base
    }
}

#[test]
fn the_image_builds_in_stages_with_cached_dependencies_and_runs_small_and_unprivileged() {
    let stages = parse(&repo::read("Dockerfile.worker"));
    for needed in ["chef", "planner", "builder", "runtime", "api", "worker"] {
        assert!(
            stages.contains_key(needed),
            "no `{needed}` stage: {:?}",
            stages.keys()
        );
    }
    // Dependencies are cooked from the recipe before the sources are copied in.
    let builder = &stages["builder"].instructions;
    let cook = builder
        .iter()
        .position(|(k, v)| k == "RUN" && v.contains("cargo chef cook"))
        .expect("builder cooks the dependencies");
    let copy_sources = builder
        .iter()
        .position(|(k, v)| k == "COPY" && v.starts_with(". "))
        .expect("builder copies the sources");
    assert!(
        cook < copy_sources,
        "dependencies must be built before the sources are copied"
    );
    assert!(stages["planner"]
        .all("RUN")
        .iter()
        .any(|r| r.contains("cargo chef prepare")));
    // The last stage is the default target: the worker, as the file name says.
    let text = repo::read("Dockerfile.worker");
    let last_from = text.lines().rfind(|l| l.starts_with("FROM ")).unwrap();
    assert!(
        last_from.ends_with(" AS worker"),
        "the default target is the worker"
    );

    for (target, port) in [("api", "3000"), ("worker", "9091")] {
        let stage = &stages[target];
        assert!(
            base_image(&stages, target).starts_with("debian:")
                && base_image(&stages, target).ends_with("-slim"),
            "{target} runs on a slim Debian image, not the build image"
        );
        let user = stage
            .last("USER")
            .unwrap_or_else(|| panic!("{target} sets no USER"));
        let user_name = user.split(':').next().unwrap();
        assert!(!matches!(user_name, "root" | "0"), "{target} runs as root");
        let effective = effective(&stages, target);
        assert!(
            effective
                .iter()
                .any(|(k, v)| k == "RUN" && v.contains("useradd") && v.contains(user_name)),
            "{target}: user {user_name} is never created"
        );
        let health = stage
            .last("HEALTHCHECK")
            .unwrap_or_else(|| panic!("{target} has no HEALTHCHECK"));
        assert!(
            health.contains("/health"),
            "{target}'s HEALTHCHECK must probe /health: {health}"
        );
        let port_var = if target == "api" {
            "PORT"
        } else {
            "METRICS_PORT"
        };
        assert!(
            health.contains(&format!("${{{port_var}}}"))
                && stage
                    .all("ENV")
                    .iter()
                    .any(|e| e.contains(&format!("{port_var}={port}"))),
            "{target}'s HEALTHCHECK probes ${port_var}, which defaults to {port}"
        );
        assert!(
            effective
                .iter()
                .any(|(k, v)| k == "RUN" && v.contains("curl")),
            "the health check needs curl"
        );
        assert_eq!(stage.last("EXPOSE"), Some(port), "{target} exposes {port}");
        // Exec form: the binary is PID 1 and receives SIGTERM itself (no shell).
        let entrypoint = stage
            .last("ENTRYPOINT")
            .unwrap_or_else(|| panic!("{target}: no ENTRYPOINT"));
        let argv: Vec<String> = serde_json::from_str(entrypoint).unwrap_or_else(|_| {
            panic!("{target}: ENTRYPOINT must be exec form (JSON), got {entrypoint}")
        });
        assert_eq!(argv, vec![format!("/usr/local/bin/herald-{target}")]);
        assert!(stage.all("CMD").is_empty() || argv.len() == 1);
        assert!(
            stage
                .all("COPY")
                .iter()
                .any(|c| c.starts_with("--from=builder")
                    && c.contains(&format!("/usr/local/bin/herald-{target}"))),
            "{target} copies its binary from the builder"
        );
    }
    assert_eq!(
        stages["runtime"].last("STOPSIGNAL"),
        Some("SIGTERM"),
        "the stop signal the binaries handle"
    );
}

#[test]
fn the_binary_names_are_the_workspaces() {
    let bins = tools::workspace_binaries();
    let text = repo::read("Dockerfile.worker");
    let mut named: Vec<String> = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || matches!(c, '"' | '[' | ']' | ',')) {
        if let Some(name) = word.rsplit('/').next() {
            if name.starts_with("herald-")
                && (word.contains("/bin/") || word.contains("target/release/"))
            {
                named.push(name.to_owned());
            }
        }
    }
    named.sort();
    named.dedup();
    assert!(!named.is_empty());
    for name in &named {
        assert!(
            bins.contains(name),
            "Dockerfile.worker names {name}, not a binary of the workspace ({bins:?})"
        );
    }
    for needed in ["herald-api", "herald-worker"] {
        assert!(
            named.iter().any(|n| n == needed),
            "Dockerfile.worker does not install {needed}"
        );
    }
    // Each -p package in the cargo build has the binary the image copies.
    assert!(text.contains("-p herald-api") && text.contains("-p herald-worker"));
}

#[test]
fn the_compose_file_builds_the_targets_of_this_dockerfile() {
    let compose = repo::yaml("docker-compose.scale.yml");
    let stages = parse(&repo::read("Dockerfile.worker"));
    for service in ["api1", "api2", "worker"] {
        let build = &compose["services"][service]["build"];
        assert_eq!(build["dockerfile"].as_str(), Some("Dockerfile.worker"));
        let target = build["target"].as_str().unwrap();
        assert!(
            stages.contains_key(target),
            "{service} builds unknown target {target}"
        );
        assert_eq!(target, if service == "worker" { "worker" } else { "api" });
    }
}

/// `cargo build --locked` in the image fails if Cargo.lock is not in step with the
/// manifests: check it here, where it is cheap.
#[test]
fn cargo_lock_is_in_step_for_the_images_locked_build() {
    let text = repo::read("Dockerfile.worker");
    assert!(text.contains("cargo build --release --locked"));
    // Offline, and only this platform's packages: those the test build downloaded.
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = tools::run_ok("rustc -vV", Command::new(rustc).arg("-vV"));
    let host = String::from_utf8_lossy(&version.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .expect("rustc -vV names the host");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    tools::run_ok(
        "cargo metadata --locked",
        Command::new(cargo)
            .args(["metadata", "--locked", "--offline", "--format-version", "1"])
            .args(["--filter-platform", &host, "--manifest-path"])
            .arg(repo::path("Cargo.toml")),
    );
    assert!(repo::read(".dockerignore")
        .lines()
        .any(|l| l.trim() == "target/"));
}

/// The builder stage's `cargo build` line produces every file its `install` takes
/// from `target/release/`: each is a binary target of a package the line selects
/// (`-p <package> … --bins`), by `cargo metadata`. (Running that build here would
/// resolve other features than the test build, and compile a second copy of the
/// dependency tree; the code itself is compiled by the workspace build, and the
/// lock file by `cargo_lock_is_in_step_for_the_images_locked_build`.)
#[test]
fn the_builders_cargo_build_produces_every_binary_it_installs() {
    let stages = parse(&repo::read("Dockerfile.worker"));
    let run = stages["builder"]
        .all("RUN")
        .into_iter()
        .find(|r| r.contains("cargo build"))
        .expect("the builder runs cargo build");
    let mut parts = run.split("&&").map(str::trim);
    let build: Vec<&str> = parts.next().unwrap().split_whitespace().collect();
    assert_eq!(&build[..2], ["cargo", "build"]);
    assert!(build.contains(&"--release") && build.contains(&"--locked"));
    assert!(build.contains(&"--bins"), "{build:?}");
    let packages: Vec<&str> = build
        .windows(2)
        .filter(|w| w[0] == "-p" || w[0] == "--package")
        .map(|w| w[1])
        .collect();
    let by_package = tools::package_binaries();
    let mut built = Vec::new();
    for package in &packages {
        let bins = by_package
            .get(*package)
            .unwrap_or_else(|| panic!("-p {package}: no such workspace package"));
        built.extend(bins.iter().cloned());
    }
    let install: Vec<&str> = parts
        .find(|p| p.starts_with("install "))
        .expect("the builder installs the binaries")
        .split_whitespace()
        .collect();
    let sources: Vec<&str> = install
        .iter()
        .copied()
        .filter_map(|a| a.strip_prefix("target/release/"))
        .collect();
    assert_eq!(sources.len(), 3, "{install:?}");
    for binary in sources {
        assert!(
            built.iter().any(|b| b == binary),
            "cargo build {} does not produce {binary} (it builds {built:?})",
            build[2..].join(" ")
        );
    }
}
