//! The checks after the run: what is still outstanding, why a job died, what is
//! stuck past its lease, and each match against its own event log.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{lock, Client, MatchCheck, Shared, MATCHES, PLAYERS};
use crate::stack::Stack;
// ---------------------------------------------------------------------------
// The checks

/// Accepted jobs not delivered and not dead with a reason.
pub(super) fn outstanding(ledger: &Shared, dead: &BTreeMap<String, String>) -> Vec<String> {
    let l = lock(ledger);
    let mut ids = Vec::new();
    for (n, note) in &l.notifications {
        if l.deliveries.first.contains_key(n) {
            continue;
        }
        for id in &note.job_ids {
            if !dead.contains_key(id) {
                ids.push(id.clone());
            }
        }
    }
    ids.sort();
    ids
}

pub(super) fn results_done(ledger: &Shared) -> bool {
    let l = lock(ledger);
    (0..MATCHES)
        .all(|m| (0..PLAYERS).all(|p| l.deliveries.results.contains_key(&(m, format!("p{p}")))))
}

pub(super) async fn dead_reason(client: &Client, id: &str) -> Option<String> {
    let job = client.get(&format!("/v1/jobs/{id}")).await?;
    (job["status"] == "dead")
        .then(|| job["lastError"].as_str().map(str::to_owned))
        .flatten()
}

/// A job's state in one line, for the report on lost jobs.
pub(super) async fn job_summary(client: &Client, id: &str) -> String {
    match client.get(&format!("/v1/jobs/{id}")).await {
        Some(job) => format!(
            "{id} status {} attempts {} runAt {} lockedBy {} lastError {} history {}",
            job["status"],
            job["attempts"],
            job["runAt"],
            job["lockedBy"],
            job["lastError"],
            job["history"]
        ),
        None => format!("{id}: not readable"),
    }
}

/// Jobs still `running` whose lease ran out a while ago: nobody took them back.
pub(super) async fn stuck_jobs(client: &Client) -> Vec<String> {
    let mut stuck = Vec::new();
    let mut cursor: Option<String> = None;
    let now = chrono::Utc::now();
    for _ in 0..100 {
        let mut path = "/v1/jobs?status=running&limit=500".to_owned();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let Some(page) = client.get(&path).await else {
            break;
        };
        for job in page["items"].as_array().into_iter().flatten() {
            let expired = job["lockExpiry"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_none_or(|t| {
                    now - t.with_timezone(&chrono::Utc) > chrono::Duration::seconds(10)
                });
            if expired {
                stuck.push(job["id"].as_str().unwrap_or_default().to_owned());
            }
        }
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    stuck
}

pub(super) async fn check_matches(
    stack: &Stack,
    client: &Client,
    ledger: &Shared,
) -> Vec<MatchCheck> {
    use herald_core::matches::{engine_for, EventKind, MatchRequest};
    let ctl = stack.control();
    let store = ctl.open_store().await.ok();
    let mut checks = Vec::new();
    for m in 0..MATCHES {
        let (id, acknowledged) = {
            let l = lock(ledger);
            (l.matches[m].id.clone(), l.matches[m].acknowledged.clone())
        };
        let Some(id) = id else { continue };
        // Wait for the end to be applied (bounded).
        let mut doc = Value::Null;
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(read) = client.get(&format!("/v1/matches/{id}")).await {
                doc = read;
                if doc["status"] != "running" && doc["status"] != "pending" {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let log = match (&store, id.parse::<herald_core::JobId>()) {
            (Some(store), Ok(job_id)) => store.events_after(&job_id, 0, 1_000_000).await.ok(),
            _ => None,
        }
        .unwrap_or_default();
        let mut points_seen = BTreeSet::new();
        let mut once = true;
        for e in &log {
            if let Some(p) = e.event.points {
                once &= points_seen.insert(p);
            }
        }
        let in_log: BTreeMap<u64, Option<i64>> =
            log.iter().map(|e| (e.seq, e.event.points)).collect();
        let acknowledged_in_log = acknowledged
            .iter()
            .all(|(seq, p)| in_log.get(seq) == Some(&Some(*p)));
        let spec: Option<MatchRequest> = serde_json::from_value(json!({
            "type": "scoreboard",
            "players": doc["players"],
            "durationSec": doc["durationSec"],
        }))
        .ok();
        let state_matches_log = spec.is_some_and(|spec| {
            let engine = engine_for(spec.match_type);
            let mut state = engine.initial_state(&spec);
            for e in &log {
                if e.event.kind == EventKind::End {
                    break;
                }
                if engine.apply(&spec, &mut state, e).is_err() {
                    return false;
                }
            }
            state["scores"] == doc["state"]["scores"]
        });
        let players_with_one_result = {
            let l = lock(ledger);
            (0..PLAYERS)
                .filter(|p| {
                    l.deliveries
                        .results
                        .get(&(m, format!("p{p}")))
                        .is_some_and(|ids| ids.len() == 1)
                })
                .count()
        };
        let applied_seq = doc["appliedSeq"].as_u64().unwrap_or(0);
        let last_seq = doc["lastSeq"].as_u64().unwrap_or(0);
        let status = doc["status"].as_str().unwrap_or("unknown").to_owned();
        let ok = status == "succeeded"
            && once
            && acknowledged_in_log
            && state_matches_log
            && applied_seq == last_seq
            && players_with_one_result == PLAYERS;
        checks.push(MatchCheck {
            id,
            status,
            events_acknowledged: acknowledged.len(),
            events_in_log: log.len(),
            applied_seq,
            last_seq,
            events_once: once,
            acknowledged_in_log,
            state_matches_log,
            players_with_one_result,
            players: PLAYERS,
            ok,
        });
    }
    checks
}
