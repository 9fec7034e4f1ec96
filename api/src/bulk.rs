//! Bulk re-drive and cancel (`docs/api.md`, "Bulk re-drive and cancel"):
//! `POST /v1/dead-letters/retry` and `POST /v1/jobs/cancel` apply one state change to
//! the caller's jobs that match a filter, at most `limit` (1000) per call, newest
//! first. A call that reached its limit answers with `nextCursor`; the next call with
//! the same filter and that cursor carries on below it, so a sweep visits each job
//! once even when a re-driven job dies again while the sweep runs.

use axum::extract::State;
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use herald_core::notification::{Channel, ValidationError};
use herald_core::store::{BulkAction, BulkFilter, BulkOutcome, BulkRequest, BULK_MAX};
use herald_core::{Job, JobId, JobKind, Priority};
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::AppState;

/// The longest `errorContains` text.
pub const MAX_ERROR_TEXT: usize = 1_000;

/// The body of both routes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BulkBody {
    /// Required, so that "every job" is said out loud: `{}` selects them all.
    filter: FilterBody,
    #[serde(
        default,
        deserialize_with = "herald_core::json_fields::optional_integer"
    )]
    limit: Option<u32>,
    #[serde(default, deserialize_with = "herald_core::json_fields::present")]
    cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FilterBody {
    #[serde(default, deserialize_with = "herald_core::json_fields::present")]
    channel: Option<Channel>,
    #[serde(default, deserialize_with = "herald_core::json_fields::present")]
    kind: Option<JobKind>,
    #[serde(default, deserialize_with = "herald_core::json_fields::present")]
    priority: Option<Priority>,
    #[serde(default, with = "herald_core::json_fields::rfc3339")]
    created_after: Option<DateTime<Utc>>,
    #[serde(default, with = "herald_core::json_fields::rfc3339")]
    created_before: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "herald_core::json_fields::present")]
    error_contains: Option<String>,
    #[serde(default, deserialize_with = "herald_core::json_fields::present")]
    ids: Option<Vec<String>>,
}

impl BulkBody {
    fn request(self, action: BulkAction) -> Result<BulkRequest, ApiError> {
        let limit = self.limit.unwrap_or(BULK_MAX);
        if !(1..=BULK_MAX).contains(&limit) {
            return Err(invalid("limit", format!("between 1 and {BULK_MAX}")));
        }
        let cursor = self
            .cursor
            .map(|c| c.parse::<JobId>())
            .transpose()
            .map_err(|_| invalid("cursor", "a job id from nextCursor"))?;
        let f = self.filter;
        if let Some(text) = &f.error_contains {
            if text.is_empty() || text.chars().count() > MAX_ERROR_TEXT {
                return Err(invalid(
                    "filter.errorContains",
                    format!("between 1 and {MAX_ERROR_TEXT} characters"),
                ));
            }
        }
        let ids = match f.ids {
            None => None,
            Some(ids) if ids.len() > BULK_MAX as usize => {
                return Err(invalid("filter.ids", format!("at most {BULK_MAX} ids")))
            }
            Some(ids) => Some(
                ids.iter()
                    .enumerate()
                    .map(|(i, id)| {
                        id.parse::<JobId>()
                            .map_err(|_| invalid(&format!("filter.ids[{i}]"), "not a job id"))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        Ok(BulkRequest {
            action,
            filter: BulkFilter {
                kind: f.kind,
                priority: f.priority,
                channel: f.channel,
                created_after: f.created_after,
                created_before: f.created_before,
                error_contains: f.error_contains,
                ids,
            },
            limit,
            cursor,
        })
    }
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Validation(ValidationError::new(field, message))
}

/// What `POST /v1/dead-letters/retry` did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Retried {
    /// Dead jobs the call selected (at most `limit`).
    matched: u32,
    /// How many of them are pending again; fewer than `matched` only when someone
    /// else changed a job between the two.
    retried: u32,
    ids: Vec<JobId>,
    next_cursor: Option<JobId>,
}

/// What `POST /v1/jobs/cancel` did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cancelled {
    /// Waiting jobs the call selected (at most `limit`).
    matched: u32,
    /// How many of them are cancelled; fewer than `matched` only when a worker claimed
    /// a job between the two.
    cancelled: u32,
    ids: Vec<JobId>,
    next_cursor: Option<JobId>,
}

fn moved(outcome: &BulkOutcome) -> (u32, Vec<JobId>) {
    let ids: Vec<JobId> = outcome.jobs.iter().map(|j| j.id.clone()).collect();
    (u32::try_from(ids.len()).unwrap_or(u32::MAX), ids)
}

/// Re-drives the caller's dead jobs that match: each pending again with fresh
/// attempts, as `POST /v1/jobs/{id}/retry` does, and published.
#[tracing::instrument(skip_all, fields(tenant = %caller.tenant))]
pub async fn retry(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody<BulkBody>,
) -> Result<Json<Retried>, ApiError> {
    let request = body.request(BulkAction::Redrive)?;
    let outcome = state
        .store
        .bulk_transition(&caller.tenant, &request)
        .await?;
    let jobs: Vec<&Job> = outcome.jobs.iter().collect();
    crate::notifications::dispatch(&state, &jobs).await;
    let (retried, ids) = moved(&outcome);
    tracing::info!(matched = outcome.matched, retried, "bulk re-drive");
    Ok(Json(Retried {
        matched: outcome.matched,
        retried,
        ids,
        next_cursor: outcome.next_cursor,
    }))
}

/// Cancels the caller's waiting (pending or scheduled) jobs that match, as
/// `POST /v1/jobs/{id}/cancel` does.
#[tracing::instrument(skip_all, fields(tenant = %caller.tenant))]
pub async fn cancel(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody<BulkBody>,
) -> Result<Json<Cancelled>, ApiError> {
    let request = body.request(BulkAction::Cancel)?;
    let outcome = state
        .store
        .bulk_transition(&caller.tenant, &request)
        .await?;
    let (cancelled, ids) = moved(&outcome);
    tracing::info!(matched = outcome.matched, cancelled, "bulk cancel");
    Ok(Json(Cancelled {
        matched: outcome.matched,
        cancelled,
        ids,
        next_cursor: outcome.next_cursor,
    }))
}
