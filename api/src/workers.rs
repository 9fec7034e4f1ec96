//! `GET /v1/workers`: the live workers from the registry, with the totals the
//! dashboards of the previous system show.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use herald_core::store::{WorkerRecord, LIVE_HEARTBEATS};
use serde::Serialize;

use crate::error::ApiError;
use crate::AppState;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerView {
    #[serde(flatten)]
    pub record: WorkerRecord,
    /// `active` when it has jobs in flight or hosts matches, otherwise `idle`.
    pub status: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkersSummary {
    pub total_workers: usize,
    pub active_workers: usize,
    pub idle_workers: usize,
    pub total_matches: u64,
    pub generated_at: DateTime<Utc>,
    pub workers: Vec<WorkerView>,
}

fn is_active(w: &WorkerRecord) -> bool {
    w.heartbeat.in_flight > 0 || w.heartbeat.active_matches > 0
}

pub fn summarise(mut records: Vec<WorkerRecord>, now: DateTime<Utc>) -> WorkersSummary {
    records.sort_by(|a, b| {
        a.heartbeat
            .worker_id
            .as_str()
            .cmp(b.heartbeat.worker_id.as_str())
    });
    let active = records.iter().filter(|w| is_active(w)).count();
    let total_matches = records
        .iter()
        .map(|w| u64::from(w.heartbeat.active_matches))
        .sum();
    WorkersSummary {
        total_workers: records.len(),
        active_workers: active,
        idle_workers: records.len() - active,
        total_matches,
        generated_at: now,
        workers: records
            .into_iter()
            .map(|record| WorkerView {
                status: if is_active(&record) { "active" } else { "idle" },
                record,
            })
            .collect(),
    }
}

pub async fn list(State(state): State<AppState>) -> Result<Json<WorkersSummary>, ApiError> {
    // Each worker is judged by the heartbeat interval it recorded; one too old to record
    // it, by the default interval.
    let fallback = herald_core::config::DEFAULT_HEARTBEAT_INTERVAL * LIVE_HEARTBEATS;
    let records = state.store.live_workers(fallback).await?;
    Ok(Json(summarise(records, state.clock.now())))
}
