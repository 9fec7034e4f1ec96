//! `GET /v1/queues`: the tenant's queues, one row per kind × priority: job counts by
//! state and the age of the oldest job that is due and not running (DESIGN §13).
//!
//! Cheap at any size: every count is a range of the `(tenant, kind, priority, status,
//! runAt)` index read up to [`QUEUE_COUNT_CAP`] (a count equal to the cap means "at
//! least"), and the oldest due job is the first entry of one such range.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use herald_core::{JobKind, JobStatus, Priority};
use serde::Serialize;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::AppState;

/// Counts stop here: the read is bounded whatever the backlog.
pub const QUEUE_COUNT_CAP: u64 = 10_000;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Queues {
    /// A count equal to this means "at least this many".
    pub count_cap: u64,
    pub generated_at: DateTime<Utc>,
    pub queues: Vec<Queue>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Queue {
    pub kind: JobKind,
    pub priority: Priority,
    /// Every state, 0 included.
    pub counts: BTreeMap<JobStatus, u64>,
    /// Seconds since the oldest due, not running job's run time; `null` when none.
    pub oldest_ready_age_seconds: Option<f64>,
}

pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Queues>, ApiError> {
    let now = state.clock.now();
    // `since` feeds only the console's success count, which this route does not show.
    let rows = state
        .store
        .summarize(&caller.tenant, now, QUEUE_COUNT_CAP)
        .await?;
    let queues = rows
        .into_iter()
        .map(|row| Queue {
            kind: row.kind,
            priority: row.priority,
            counts: JobStatus::ALL
                .iter()
                .map(|s| (*s, row.counts.get(*s)))
                .collect(),
            oldest_ready_age_seconds: row
                .oldest_ready
                .map(|at| (now - at).num_milliseconds().max(0) as f64 / 1000.0),
        })
        .collect();
    Ok(Json(Queues {
        count_cap: QUEUE_COUNT_CAP,
        generated_at: now,
        queues,
    }))
}
