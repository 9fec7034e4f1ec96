//! The job routes: read, list, cancel, re-drive, dead letters. Every store call is
//! scoped by the caller's tenant, so another tenant's job is a 404, never visible.
//!
//! Lists are bounded in bytes as well as in items (`docs/api.md`): a page stops at
//! [`MAX_LIST_BYTES`] of JSON (with `nextCursor` where it stopped), and is read from
//! the store [`STORE_CHUNK`] jobs at a time, so 40 concurrent `limit=500` lists of
//! 64 KB bodies hold a few megabytes, not gigabytes. The default view is the summary
//! (no `payload`); `?view=full` returns whole jobs.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use herald_core::store::{ListFilter, Page, PageRequest};
use herald_core::{Job, JobId, JobKind, JobStatus};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::query_pairs;
use crate::notifications::Accepted;
use crate::AppState;

/// A malformed id names no job: 404, like an unknown one.
pub(crate) fn job_id(raw: &str) -> Result<JobId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

/// Most JSON bytes of one list page's items; the page ends early (with `nextCursor`)
/// rather than grow past it. One job is always returned, whatever its size.
pub const MAX_LIST_BYTES: usize = 1024 * 1024;
/// Jobs read from the store per call while a page is built.
pub const STORE_CHUNK: u32 = 25;

/// What a list shows of each job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Every field but `payload`, the notification or match as sent (the default).
    Summary,
    /// The whole job, as `GET /v1/jobs/{id}` returns it.
    Full,
}

impl View {
    fn render(self, job: &Job) -> Result<Vec<u8>, ApiError> {
        let encode = |e: serde_json::Error| {
            ApiError::Internal(anyhow::Error::new(e).context("encoding a job"))
        };
        match self {
            View::Full => serde_json::to_vec(job).map_err(encode),
            View::Summary => {
                let mut value = serde_json::to_value(job).map_err(encode)?;
                if let Some(fields) = value.as_object_mut() {
                    fields.remove("payload");
                }
                serde_json::to_vec(&value).map_err(encode)
            }
        }
    }
}

/// One page of `view`s, at most `page.limit` items and [`MAX_LIST_BYTES`] of them,
/// as the JSON response `{"items": [...], "nextCursor": ...}`.
async fn bounded_page(
    state: &AppState,
    caller: &Caller,
    filter: &ListFilter,
    page: PageRequest,
    view: View,
) -> Result<Response, ApiError> {
    let mut body = Vec::with_capacity(4096);
    body.extend_from_slice(b"{\"items\":[");
    let (mut count, mut bytes) = (0u32, 0usize);
    let mut cursor = page.cursor.clone();
    let mut last: Option<JobId> = None;
    let next = 'pages: loop {
        let want = STORE_CHUNK.min(page.limit - count);
        let chunk_request = PageRequest {
            limit: want,
            cursor: cursor.clone(),
        };
        let Page { items, next_cursor } = state
            .store
            .list(&caller.tenant, filter, &chunk_request)
            .await?;
        for job in items {
            let rendered = view.render(&job)?;
            if count > 0 && bytes + rendered.len() > MAX_LIST_BYTES {
                // Full in bytes: the next page starts after the last job shown.
                break 'pages last;
            }
            if count > 0 {
                body.push(b',');
            }
            body.extend_from_slice(&rendered);
            bytes += rendered.len();
            count += 1;
            last = Some(job.id);
        }
        match next_cursor {
            None => break None,
            Some(_) if count >= page.limit => break last,
            Some(c) => cursor = Some(c),
        }
    };
    body.extend_from_slice(b"],\"nextCursor\":");
    match next {
        Some(id) => {
            body.push(b'"');
            body.extend_from_slice(id.as_str().as_bytes());
            body.push(b'"');
        }
        None => body.extend_from_slice(b"null"),
    }
    body.push(b'}');
    Response::builder()
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(body))
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("building a list response")))
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

/// Reads `status`, `kind`, `limit`, `cursor`, `view` (the ones in `known`).
fn list_query(
    raw: Option<&str>,
    known: &[&str],
) -> Result<(ListFilter, PageRequest, View), ApiError> {
    let mut filter = ListFilter::default();
    let mut limit = PageRequest::DEFAULT_LIMIT;
    let mut cursor = None;
    let mut view = View::Summary;
    for (name, value) in query_pairs(raw, known)? {
        match name.as_str() {
            "view" => {
                view = match value.as_str() {
                    "summary" => View::Summary,
                    "full" => View::Full,
                    other => {
                        return Err(ApiError::bad_field(
                            "view",
                            format!("view: expected summary or full, got {other:?}"),
                        ))
                    }
                }
            }
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
    Ok((filter, page, view))
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
) -> Result<Response, ApiError> {
    let (filter, page, view) = list_query(
        query.as_deref(),
        &["status", "kind", "limit", "cursor", "view"],
    )?;
    bounded_page(&state, &caller, &filter, page, view).await
}

pub async fn dead_letters(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let (mut filter, page, view) =
        list_query(query.as_deref(), &["kind", "limit", "cursor", "view"])?;
    filter.status = Some(JobStatus::Dead);
    bounded_page(&state, &caller, &filter, page, view).await
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
