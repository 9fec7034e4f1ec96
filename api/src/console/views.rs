//! What the templates show: page structs (askama, compiled with the binary; every
//! `{{ }}` is HTML-escaped) and the small view values they are made of.

use askama::Template;
use chrono::{DateTime, Utc};
use herald_core::store::{QueueRow, WorkerRecord};
use herald_core::{Job, JobStatus};

/// What every page's frame needs.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    pub logged_in: bool,
    pub tenant: String,
    pub csrf: String,
    pub active: &'static str,
    pub asset_version: &'static str,
    pub notice: String,
}

/// A time as shown: relative in the text, absolute (RFC 3339, UTC) on hover.
#[derive(Debug, Clone)]
pub struct When {
    pub iso: String,
    pub relative: String,
}

impl When {
    pub fn new(t: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        let secs = (now - t).num_seconds();
        let n = secs.unsigned_abs();
        let text = match n {
            0..=59 => format!("{n}s"),
            60..=3599 => format!("{}m", n / 60),
            3600..=86_399 => format!("{}h", n / 3600),
            _ => format!("{}d", n / 86_400),
        };
        Self {
            iso: t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            relative: if secs < 0 {
                format!("in {text}")
            } else {
                format!("{text} ago")
            },
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "console/login.html")]
pub struct LoginPage {
    pub nav: Nav,
    pub csrf: String,
    pub error: String,
}

#[derive(Debug, Template)]
#[template(path = "console/error.html")]
pub struct ErrorPage {
    pub nav: Nav,
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug)]
pub struct Cell {
    pub status: &'static str,
    pub count: String,
}

#[derive(Debug)]
pub struct OverviewRow {
    pub kind: &'static str,
    pub priority: &'static str,
    pub cells: Vec<Cell>,
    pub oldest_ready: Option<When>,
    pub per_minute: String,
}

impl OverviewRow {
    pub fn new(row: &QueueRow, cap: u64, window_minutes: u64, now: DateTime<Utc>) -> Self {
        let shown = |n: u64| {
            if n >= cap {
                format!("{cap}+")
            } else {
                n.to_string()
            }
        };
        Self {
            kind: row.kind.as_str(),
            priority: row.priority.as_str(),
            cells: JobStatus::ALL
                .iter()
                .map(|&s| Cell {
                    status: s.as_str(),
                    count: shown(row.counts.get(s)),
                })
                .collect(),
            oldest_ready: row.oldest_ready.map(|t| When::new(t, now)),
            per_minute: if row.succeeded_since >= cap {
                format!("{}+", cap / window_minutes.max(1))
            } else {
                format!(
                    "{:.1}",
                    row.succeeded_since as f64 / window_minutes.max(1) as f64
                )
            },
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "console/overview.html")]
pub struct OverviewPage {
    pub nav: Nav,
    pub statuses: Vec<&'static str>,
    pub rows: Vec<OverviewRow>,
    pub cap: u64,
    pub window_minutes: u64,
}

/// One job in a list.
#[derive(Debug)]
pub struct JobRow {
    pub id: String,
    pub status: &'static str,
    pub kind: &'static str,
    pub channel: String,
    pub priority: &'static str,
    pub attempts: String,
    pub created: When,
    pub updated: When,
    pub last_error: String,
}

/// A notification's channel, from its payload; empty for a match.
pub fn channel_of(job: &Job) -> String {
    job.payload
        .get("channel")
        .and_then(|c| c.as_str())
        .unwrap_or_default()
        .to_owned()
}

/// At most `max` characters of `text`, with an ellipsis when cut.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

impl JobRow {
    pub fn new(job: &Job, now: DateTime<Utc>) -> Self {
        Self {
            id: job.id.to_string(),
            status: job.status.as_str(),
            kind: job.kind.as_str(),
            channel: channel_of(job),
            priority: job.priority.as_str(),
            attempts: format!("{}/{}", job.attempts, job.max_attempts),
            created: When::new(job.created_at, now),
            updated: When::new(job.updated_at, now),
            last_error: clip(job.last_error.as_deref().unwrap_or_default(), 120),
        }
    }
}

/// One option of a filter's select.
#[derive(Debug)]
pub struct Opt {
    pub value: &'static str,
    pub selected: bool,
}

impl Opt {
    pub fn list(values: impl IntoIterator<Item = &'static str>, current: &str) -> Vec<Opt> {
        values
            .into_iter()
            .map(|value| Opt {
                value,
                selected: value == current,
            })
            .collect()
    }
}

/// The filter form's current values, and the same as a query string (`?…`, or empty).
#[derive(Debug, Default)]
pub struct FilterView {
    pub status: String,
    pub kind: String,
    pub channel: String,
    pub priority: String,
    pub query: String,
}

#[derive(Debug, Template)]
#[template(path = "console/jobs.html")]
pub struct JobsPage {
    pub nav: Nav,
    pub heading: &'static str,
    pub base: &'static str,
    pub dead: bool,
    pub show_status: bool,
    pub statuses: Vec<Opt>,
    pub kinds: Vec<Opt>,
    pub channels: Vec<Opt>,
    pub priorities: Vec<Opt>,
    pub filter: FilterView,
    pub jobs: Vec<JobRow>,
    pub next: Option<String>,
}

#[derive(Debug)]
pub struct HistoryRow {
    pub at: When,
    pub attempt: u32,
    pub worker: String,
    pub outcome: String,
    pub error: String,
}

#[derive(Debug)]
pub struct JobDetail {
    pub id: String,
    pub status: &'static str,
    pub kind: &'static str,
    pub is_match: bool,
    pub priority: &'static str,
    pub attempts: u32,
    pub max_attempts: u32,
    pub run_at: When,
    pub created: When,
    pub updated: When,
    pub idempotency_key: String,
    pub locked_by: String,
    pub lock_expiry: String,
    pub last_error: String,
    pub can_retry: bool,
    pub can_cancel: bool,
    pub summary: Vec<(&'static str, String)>,
    pub payload: String,
    pub history: Vec<HistoryRow>,
}

/// The payload fields an operator looks for first.
fn payload_summary(job: &Job) -> Vec<(&'static str, String)> {
    let p = &job.payload;
    let text = |v: Option<&serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => Some(clip(s, 200)),
        Some(serde_json::Value::Null) | None => None,
        Some(other) => Some(clip(&other.to_string(), 200)),
    };
    let mut out = Vec::new();
    for (label, value) in [
        ("channel", text(p.get("channel"))),
        ("recipient", text(p.pointer("/recipient/address"))),
        ("subject", text(p.get("subject"))),
        ("template", text(p.get("template"))),
        ("body", text(p.get("body"))),
        ("match type", text(p.get("type"))),
        (
            "players",
            p.get("players")
                .and_then(|v| v.as_array())
                .map(|a| a.len().to_string()),
        ),
        ("duration (s)", text(p.get("durationSec"))),
    ] {
        if let Some(value) = value {
            out.push((label, value));
        }
    }
    out
}

impl JobDetail {
    pub fn new(job: &Job, now: DateTime<Utc>) -> Self {
        let payload = serde_json::to_string_pretty(&job.payload).unwrap_or_default();
        Self {
            id: job.id.to_string(),
            status: job.status.as_str(),
            kind: job.kind.as_str(),
            is_match: job.kind == herald_core::JobKind::Match,
            priority: job.priority.as_str(),
            attempts: job.attempts,
            max_attempts: job.max_attempts,
            run_at: When::new(job.run_at, now),
            created: When::new(job.created_at, now),
            updated: When::new(job.updated_at, now),
            idempotency_key: job.idempotency_key.clone().unwrap_or_default(),
            locked_by: job
                .locked_by
                .as_ref()
                .filter(|_| job.status == JobStatus::Running)
                .map(|w| w.to_string())
                .unwrap_or_default(),
            lock_expiry: job
                .lock_expiry
                .map(|t| {
                    let w = When::new(t, now);
                    format!("{} ({})", w.iso, w.relative)
                })
                .unwrap_or_default(),
            last_error: job.last_error.clone().unwrap_or_default(),
            can_retry: job.status == JobStatus::Dead,
            can_cancel: matches!(job.status, JobStatus::Pending | JobStatus::Scheduled),
            summary: payload_summary(job),
            payload: clip(&payload, 20_000),
            history: job
                .history
                .iter()
                .rev()
                .map(|h| HistoryRow {
                    at: When::new(h.at, now),
                    attempt: h.attempt,
                    worker: h.worker.clone().unwrap_or_default(),
                    outcome: serde_json::to_value(h.outcome)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    error: h.error.clone().unwrap_or_default(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "console/job.html")]
pub struct JobPage {
    pub nav: Nav,
    pub job: JobDetail,
}

#[derive(Debug, Template)]
#[template(path = "console/redrive.html")]
pub struct RedrivePage {
    pub nav: Nav,
    pub description: String,
    pub count: u64,
    pub count_text: String,
    pub batch: u64,
    pub fields: Vec<(&'static str, String)>,
    pub back: String,
}

#[derive(Debug)]
pub struct MatchRow {
    pub id: String,
    pub status: &'static str,
    pub locked_by: String,
    pub attempts: u32,
    pub created: When,
}

impl MatchRow {
    pub fn new(job: &Job, now: DateTime<Utc>) -> Self {
        Self {
            id: job.id.to_string(),
            status: job.status.as_str(),
            locked_by: job
                .locked_by
                .as_ref()
                .filter(|_| job.status == JobStatus::Running)
                .map(|w| w.to_string())
                .unwrap_or_default(),
            attempts: job.attempts,
            created: When::new(job.created_at, now),
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "console/matches.html")]
pub struct MatchesPage {
    pub nav: Nav,
    pub sections: Vec<MatchSection>,
}

#[derive(Debug)]
pub struct MatchSection {
    pub title: &'static str,
    pub id: &'static str,
    pub rows: Vec<MatchRow>,
}

#[derive(Debug, Template)]
#[template(path = "console/scoreboard.html")]
pub struct Scoreboard {
    pub status: &'static str,
    pub state_version: u64,
    pub applied_seq: u64,
    pub last_seq: u64,
    pub hosted_by: String,
    pub scores: Vec<(String, String)>,
    pub ends: String,
}

#[derive(Debug, Template)]
#[template(path = "console/match.html")]
pub struct MatchPage {
    pub nav: Nav,
    pub id: String,
    pub live: bool,
    /// The rendered [`Scoreboard`] (escaped by its own template).
    pub board: String,
}

#[derive(Debug)]
pub struct WorkerRow {
    pub id: String,
    pub status: &'static str,
    pub hostname: String,
    pub pid: u32,
    pub in_flight: u32,
    pub capacity: u32,
    pub matches: u32,
    pub match_capacity: u32,
    pub started: When,
    pub last_seen: When,
    pub processed: u64,
}

impl WorkerRow {
    pub fn new(w: &WorkerRecord, now: DateTime<Utc>) -> Self {
        let h = &w.heartbeat;
        Self {
            id: h.worker_id.to_string(),
            status: if h.in_flight > 0 || h.active_matches > 0 {
                "active"
            } else {
                "idle"
            },
            hostname: h.hostname.clone(),
            pid: h.pid,
            in_flight: h.in_flight,
            capacity: h.capacity,
            matches: h.active_matches,
            match_capacity: h.match_capacity,
            started: When::new(h.started_at, now),
            last_seen: When::new(w.last_seen, now),
            processed: h.processed,
        }
    }
}

#[derive(Debug, Template)]
#[template(path = "console/workers.html")]
pub struct WorkersPage {
    pub nav: Nav,
    pub total: usize,
    pub active: usize,
    pub idle: usize,
    pub matches: u64,
    pub workers: Vec<WorkerRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_relative_with_the_absolute_kept() {
        let now = Utc::now();
        let w = When::new(now - chrono::Duration::seconds(150), now);
        assert_eq!(w.relative, "2m ago");
        assert!(w.iso.ends_with('Z'));
        assert_eq!(
            When::new(now + chrono::Duration::hours(3), now).relative,
            "in 3h"
        );
        assert_eq!(clip("héllo", 2), "hé…");
        assert_eq!(clip("hi", 5), "hi");
    }

    #[test]
    fn templates_escape_what_they_show() {
        let page = ErrorPage {
            nav: Nav::default(),
            status: 404,
            code: "not_found",
            message: "<script>alert(1)</script>".into(),
        };
        let html = page.render().unwrap_or_default();
        assert!(!html.contains("<script>alert(1)"), "{html}");
        assert!(
            html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"),
            "{html}"
        );
    }
}
