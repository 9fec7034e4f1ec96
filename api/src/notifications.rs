//! `POST /v1/notifications` and `POST /v1/notifications/batch`: validate, store
//! durably, publish with confirms, answer.
//!
//! The order is the contract (`docs/api.md`): nothing is published before the store has
//! the job, and 202 is never sent before that. A failed publish after the write still
//! answers 202: the job is durable, and a worker's poller dispatches jobs whose
//! publish was lost. A failed write answers 503 with nothing published.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use herald_core::dispatch::JobMessage;
use herald_core::notification::{Address, NotificationRequest, ValidationError};
use herald_core::ssrf::Refused;
use herald_core::store::lifecycle::request_digest;
use herald_core::store::{Inserted, KeyRoute};
use herald_core::{Job, JobStatus, NewJob};
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::AppState;

/// Most notifications in one batch.
pub const MAX_BATCH: usize = 1000;
/// Longest `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    pub notifications: Vec<NotificationRequest>,
}

#[derive(Debug, Serialize)]
pub struct Accepted {
    pub id: String,
    pub status: JobStatus,
}

impl Accepted {
    /// `{id, status}` of `job`, answered with `status_code` (202 new, 200 replayed).
    pub(crate) fn response(status_code: StatusCode, job: &Job) -> Response {
        let accepted = Self {
            id: job.id.to_string(),
            status: job.status,
        };
        (status_code, Json(accepted)).into_response()
    }
}

#[derive(Debug, Serialize)]
pub struct BatchAccepted {
    pub ids: Vec<String>,
}

/// The `Idempotency-Key` header: printable ASCII, at most 255 characters.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let invalid = || {
        ApiError::Validation(ValidationError::new(
            "Idempotency-Key",
            format!("1 to {MAX_IDEMPOTENCY_KEY_LEN} printable ASCII characters"),
        ))
    };
    let key = value.to_str().map_err(|_| invalid())?.trim();
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY_LEN
        || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return Err(invalid());
    }
    Ok(Some(key.to_owned()))
}

fn new_job(
    state: &AppState,
    caller: &Caller,
    request: &NotificationRequest,
) -> Result<NewJob, ApiError> {
    let notification = request.validate(state.clock.now())?;
    state
        .priority_caps
        .allows(&caller.tenant, request.priority())
        .map_err(|cap| {
            ValidationError::new(
                "priority",
                format!(
                    "{} is above this tenant's highest priority, {cap} (TENANT_MAX_PRIORITY)",
                    request.priority()
                ),
            )
        })?;
    check_target(state, notification.address())?;
    notification
        .to_new_job(caller.tenant.clone())
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("encoding the payload")))
}

/// The SSRF guard on what the URL alone says (`docs/channels.md`): a webhook whose host is an
/// internal IP literal or `localhost` is refused before anything is stored, unless
/// `WEBHOOK_ALLOWED_CIDRS` allows it. Host names are left to the worker, which checks
/// the addresses they resolve to when it delivers; the API does no DNS.
pub(crate) fn check_target(state: &AppState, address: &Address) -> Result<(), ApiError> {
    const FIELD: &str = "recipient.address";
    let Address::Webhook(url) = address else {
        return Ok(());
    };
    match state.webhook_guard.check_url(url.as_str()) {
        Ok(()) => Ok(()),
        Err(refused @ Refused::Internal { .. }) => Err(ApiError::ForbiddenTarget(
            ValidationError::new(FIELD, format!("{address} is refused: {refused}")),
        )),
        Err(Refused::BadUrl(message)) => Err(ValidationError::new(FIELD, message).into()),
    }
}

/// Stores one job and, when it is new, publishes it; a replayed key stores and
/// publishes nothing. Records the id on the request span. The job carries its
/// namespaced key and request digest already ([`keyed`]).
pub(crate) async fn store_and_dispatch(
    state: &AppState,
    job: NewJob,
) -> Result<Inserted, ApiError> {
    let inserted = state.store.insert(job).await?;
    tracing::Span::current().record("job_id", inserted.job().id.as_str());
    if let Inserted::Created(job) = &inserted {
        state.metrics.enqueued(job.kind, job.priority);
        dispatch(state, &[job]).await;
    }
    Ok(inserted)
}

/// `job` under the client's `Idempotency-Key`, namespaced by `route`, with the digest
/// of the request that carried it (DESIGN §13).
pub(crate) fn keyed(
    job: NewJob,
    key: Option<&str>,
    route: KeyRoute,
    request: &impl Serialize,
) -> NewJob {
    match key {
        Some(key) => job
            .idempotency_key(route.scope(key))
            .request_digest(request_digest(request)),
        None => job,
    }
}

/// Publishes the new jobs that are due now. A scheduled job is left to the poller,
/// which claims it when due: a message for it would only be acked and dropped.
pub(crate) async fn dispatch(state: &AppState, created: &[&Job]) {
    let msgs: Vec<JobMessage> = created
        .iter()
        .filter(|job| job.status == JobStatus::Pending)
        .map(|job| JobMessage::for_job(job))
        .collect();
    if msgs.is_empty() {
        return;
    }
    if let Err(e) = state.dispatch.publish(&msgs).await {
        state.metrics.publish_failed(msgs.len() as u64);
        tracing::warn!(
            error = %e,
            jobs = msgs.len(),
            first_job_id = %msgs[0].id,
            "publish failed after the jobs were stored; the worker poller will dispatch them"
        );
    }
}

#[tracing::instrument(skip_all, fields(tenant = %caller.tenant, job_id))]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<NotificationRequest>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let job = new_job(&state, &caller, &request)?;
    let job = keyed(job, key.as_deref(), KeyRoute::Notification, &request);
    let inserted = store_and_dispatch(&state, job).await?;
    let status = match &inserted {
        Inserted::Created(_) => StatusCode::ACCEPTED,
        // A replay: the first request's job, nothing new stored or published.
        Inserted::Existing(_) => StatusCode::OK,
    };
    let job = inserted.into_job();
    Ok(Accepted::response(status, &job))
}

#[tracing::instrument(skip_all, fields(tenant = %caller.tenant, jobs))]
pub async fn create_batch(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    JsonBody(batch): JsonBody<BatchRequest>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let n = batch.notifications.len();
    if n == 0 || n > MAX_BATCH {
        return Err(ValidationError::new(
            "notifications",
            format!("a batch holds 1 to {MAX_BATCH} notifications, got {n}"),
        )
        .into());
    }
    tracing::Span::current().record("jobs", n);
    // The rate limit charges per job: the request took one token, the rest of the
    // batch takes the others, before anything is stored.
    let cost = u32::try_from(n).unwrap_or(u32::MAX);
    state.limiter.fits(cost)?;
    state
        .limiter
        .try_acquire(&caller.key, cost - 1, std::time::Instant::now())?;
    // All or nothing: every item is checked before anything is stored.
    let mut jobs = Vec::with_capacity(n);
    // Every item carries the whole batch's digest: a replay with any item changed
    // (or added, or dropped) is refused.
    let digest = key.as_ref().map(|_| request_digest(&batch.notifications));
    for (i, request) in batch.notifications.iter().enumerate() {
        let mut job = new_job(&state, &caller, request)
            .map_err(|e| e.within(&format!("notifications[{i}]")))?;
        // One key for the batch names each item by position (in the batch route's
        // namespace), so a replayed batch finds every job it created.
        if let (Some(key), Some(digest)) = (&key, &digest) {
            job = job
                .idempotency_key(KeyRoute::Batch.scope(&format!("{key}#{i}")))
                .request_digest(digest.clone());
        }
        jobs.push(job);
    }
    let inserted = state.store.insert_many(jobs).await?;
    let created: Vec<&Job> = inserted
        .iter()
        .filter_map(|i| match i {
            Inserted::Created(job) => Some(job),
            Inserted::Existing(_) => None,
        })
        .collect();
    for job in &created {
        state.metrics.enqueued(job.kind, job.priority);
    }
    dispatch(&state, &created).await;
    let status = if created.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    let ids = inserted.iter().map(|i| i.job().id.to_string()).collect();
    Ok((status, Json(BatchAccepted { ids })).into_response())
}
