//! The deployment docs stay in step with the artifacts: every alert's runbook link
//! lands on a heading of docs/operations.md, the relative links of the architecture
//! and operations pages point at files that exist, and the operations page says what
//! the checks cannot verify here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use deploy_checks::repo;

/// GitHub's anchor for a Markdown heading: lower case, spaces to dashes, punctuation
/// other than dashes and underscores dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(markdown: &str) -> BTreeSet<String> {
    markdown
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| anchor(l.trim_start_matches('#')))
        .collect()
}

/// The targets of the Markdown links `[text](target)` of a page.
fn links(markdown: &str) -> Vec<String> {
    markdown
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_runbook_link_lands_on_a_heading() {
    let operations = anchors(&repo::read("docs/operations.md"));
    let rules = repo::yaml("alerts.yml");
    let mut checked = 0;
    for group in rules["groups"].as_sequence().unwrap() {
        for rule in group["rules"].as_sequence().unwrap() {
            let name = rule["alert"].as_str().unwrap();
            let runbook = rule["annotations"]["runbook"]
                .as_str()
                .unwrap_or_else(|| panic!("{name} has no runbook"));
            let (file, fragment) = runbook.split_once('#').unwrap();
            assert_eq!(file, "docs/operations.md", "{name}");
            assert!(
                operations.contains(fragment),
                "{name}: no heading #{fragment} in {file}"
            );
            checked += 1;
        }
    }
    assert!(checked > 0);
}

#[test]
fn the_pages_links_resolve() {
    for page in ["docs/architecture.md", "docs/operations.md"] {
        let text = repo::read(page);
        let own = anchors(&text);
        let targets = links(&text);
        assert!(
            targets.iter().any(|t| t == "openapi.json"),
            "{page} does not link the API reference"
        );
        for target in targets {
            if target.starts_with("http") {
                continue;
            }
            let (file, fragment) = target.split_once('#').unwrap_or((&target, ""));
            if file.is_empty() {
                assert!(own.contains(fragment), "{page}: no heading #{fragment}");
            } else {
                assert!(
                    repo::path("docs").join(file).is_file(),
                    "{page} links {file}, which does not exist"
                );
            }
        }
    }
}

#[test]
fn the_operations_page_says_what_is_unverified_without_a_docker_engine() {
    let text = repo::read("docs/operations.md");
    let section = text
        .split("### What remains unverified here")
        .nth(1)
        .expect("docs/operations.md has a 'What remains unverified here' section");
    for topic in [
        "image build",
        "DNS service discovery",
        "definitions",
        "Grafana",
    ] {
        assert!(
            section.contains(topic),
            "the unverified list does not mention {topic}"
        );
    }
}

#[test]
fn anchors_are_computed_like_githubs() {
    assert_eq!(anchor(" Dead letters pile up"), "dead-letters-pile-up");
    assert_eq!(
        anchor("Tune prefetch, lease and batch"),
        "tune-prefetch-lease-and-batch"
    );
    assert_eq!(
        links("see [a](x.md) and [b](#c)"),
        vec!["x.md".to_owned(), "#c".to_owned()]
    );
}

/// Every compose command the docs give names the file: the repository has no
/// `docker-compose.yml`, so a plain `docker compose up` finds nothing to run.
#[test]
fn every_compose_command_in_the_docs_names_the_file() {
    let subcommands = [
        "up", "down", "exec", "ps", "logs", "restart", "build", "config", "stop", "run", "pull",
        "top", "start",
    ];
    let mut pages: Vec<String> = vec!["README.md".into()];
    for entry in std::fs::read_dir(repo::root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(format!(
                "docs/{}",
                path.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    let mut commands = 0;
    for page in &pages {
        let text = repo::read(page);
        for (n, line) in text.lines().enumerate() {
            for tool in ["docker compose ", "docker-compose "] {
                for (at, _) in line.match_indices(tool) {
                    let rest = &line[at + tool.len()..];
                    let words: Vec<&str> = rest.split_whitespace().take(3).collect();
                    let first = words.first().copied().unwrap_or("");
                    let first =
                        first.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-');
                    if subcommands.contains(&first) {
                        panic!(
                            "{page}:{}: `{tool}{first}` without -f docker-compose.scale.yml",
                            n + 1
                        );
                    }
                    if first == "-f" {
                        commands += 1;
                        assert_eq!(
                            words.get(1).copied(),
                            Some("docker-compose.scale.yml"),
                            "{page}:{}: {line}",
                            n + 1
                        );
                    }
                }
            }
        }
    }
    assert!(
        commands >= 5,
        "only {commands} compose commands found in the docs"
    );
}
