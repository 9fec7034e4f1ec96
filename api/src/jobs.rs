//! The job routes: read, list, cancel, re-drive, dead letters. Every store call is
//! scoped by the caller's tenant, so another tenant's job is a 404, never visible.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use herald_core::store::{ListFilter, Page, PageRequest};
use herald_core::{Job, JobId, JobKind, JobStatus};
use serde::Serialize;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::query_pairs;
use crate::notifications::Accepted;
use crate::AppState;

/// A malformed id names no job: 404, like an unknown one.
pub(crate) fn job_id(raw: &str) -> Result<JobId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobPage {
    pub items: Vec<Job>,
    pub next_cursor: Option<JobId>,
}

impl From<Page> for JobPage {
    fn from(page: Page) -> Self {
        Self {
            items: page.items,
            next_cursor: page.next_cursor,
        }
    }
}

fn parse_param<T: std::str::FromStr>(
    name: &str,
    value: &str,
    expected: &str,
) -> Result<T, ApiError> {
    value.parse().map_err(|_| {
        ApiError::bad_field(name, format!("{name}: expected {expected}, got {value:?}"))
    })
}

/// Reads `status`, `kind`, `limit`, `cursor` (the ones in `known`).
fn list_query(raw: Option<&str>, known: &[&str]) -> Result<(ListFilter, PageRequest), ApiError> {
    let mut filter = ListFilter::default();
    let mut limit = PageRequest::DEFAULT_LIMIT;
    let mut cursor = None;
    for (name, value) in query_pairs(raw, known)? {
        match name.as_str() {
            "status" => {
                filter.status = Some(parse_param(
                    "status",
                    &value,
                    "pending, scheduled, running, succeeded, dead or cancelled",
                )?)
            }
            "kind" => {
                filter.kind = Some(parse_param::<JobKind>(
                    "kind",
                    &value,
                    "notification or match",
                )?)
            }
            "limit" => {
                let n: u32 = parse_param("limit", &value, "a whole number")?;
                if !(1..=PageRequest::MAX_LIMIT).contains(&n) {
                    return Err(ApiError::bad_field(
                        "limit",
                        format!("limit: between 1 and {}", PageRequest::MAX_LIMIT),
                    ));
                }
                limit = n;
            }
            "cursor" => {
                cursor = Some(parse_param::<JobId>(
                    "cursor",
                    &value,
                    "a job id from nextCursor",
                )?)
            }
            _ => {}
        }
    }
    let page = match cursor {
        Some(c) => PageRequest::after(limit, c),
        None => PageRequest::first(limit),
    };
    Ok((filter, page))
}

pub async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Job>, ApiError> {
    let id = job_id(&id)?;
    Ok(Json(state.store.get(&caller.tenant, &id).await?))
}

pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Json<JobPage>, ApiError> {
    let (filter, page) = list_query(query.as_deref(), &["status", "kind", "limit", "cursor"])?;
    Ok(Json(
        state
            .store
            .list(&caller.tenant, &filter, &page)
            .await?
            .into(),
    ))
}

pub async fn dead_letters(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Json<JobPage>, ApiError> {
    let (mut filter, page) = list_query(query.as_deref(), &["kind", "limit", "cursor"])?;
    filter.status = Some(JobStatus::Dead);
    Ok(Json(
        state
            .store
            .list(&caller.tenant, &filter, &page)
            .await?
            .into(),
    ))
}

#[tracing::instrument(skip_all, fields(tenant = %caller.tenant, job_id = %id))]
pub async fn cancel(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<Job>, ApiError> {
    let id = job_id(&id)?;
    Ok(Json(state.store.cancel(&caller.tenant, &id).await?))
}

/// Re-drives a dead job: pending again with fresh attempts, and published.
#[tracing::instrument(skip_all, fields(tenant = %caller.tenant, job_id = %id))]
pub async fn retry(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = job_id(&id)?;
    let job = state.store.redrive(&caller.tenant, &id).await?;
    crate::notifications::dispatch(&state, &[&job]).await;
    Ok(Accepted::response(StatusCode::ACCEPTED, &job))
}
