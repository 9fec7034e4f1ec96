//! The match routes (`docs/matches.md`, `docs/api.md`): create a match, append events to its log, read
//! its state.
//!
//! Creating a match is enqueueing a job of kind `match`, in the same order as a
//! notification: validate, store durably, publish with confirms, answer 202.
//!
//! Appending an event writes only to the store: the store allocates the event's `seq`
//! atomically, so two API instances appending at once get distinct, gap-free numbers,
//! and 202 means the event is durably in the log (an `Idempotency-Key` already used on
//! the match answers 200 with the first event's `seq` and appends nothing). Then the
//! API publishes a wake-up to
//! the worker hosting the match, in a task of its own so the answer never waits on
//! the broker; it is a hint (the host also polls its log), so a lost or failed
//! wake-up costs latency, never an event.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use herald_core::dispatch::updates::EventUpdate;
use herald_core::dispatch::{DispatchMode, MatchUpdate};
use herald_core::matches::{
    engine_for, EventRequest, MatchRecord, MatchRequest, MatchResult, MatchType, Player,
};
use herald_core::notification::Address;
use herald_core::store::{Inserted, KeyRoute};
use herald_core::{JobId, JobStatus, WorkerId};
use serde::Serialize;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::jobs::job_id;
use crate::notifications::{check_target, idempotency_key, keyed, store_and_dispatch, Accepted};
use crate::AppState;

/// `POST /v1/matches/{id}/events` → 202 (200 for an idempotent replay).
#[derive(Debug, Serialize)]
pub struct EventAccepted {
    pub seq: u64,
}

/// `GET /v1/matches/{id}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchView {
    pub id: JobId,
    #[serde(rename = "type")]
    pub match_type: MatchType,
    pub status: JobStatus,
    /// The worker hosting the match now; `null` unless it is running.
    pub hosted_by: Option<WorkerId>,
    /// The engine's state (`{"scores": {...}}` for a scoreboard). Before a host has
    /// started the match, the state it will start from (every score 0).
    pub state: serde_json::Value,
    pub state_version: u64,
    /// The `seq` of the last event folded into `state`.
    pub applied_seq: u64,
    /// The highest `seq` appended; `lastSeq - appliedSeq` events wait for the host.
    pub last_seq: u64,
    pub started_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Set once the match has ended.
    pub result: Option<MatchResult>,
    pub players: Vec<Player>,
    pub duration_sec: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A stored match's payload is the request it was created from; one that does not read
/// back is a corrupt record, not the client's fault.
pub(crate) fn spec_of(record: &MatchRecord) -> Result<MatchRequest, ApiError> {
    MatchRequest::from_payload(&record.job.payload).map_err(|e| {
        ApiError::Internal(
            anyhow::Error::new(e)
                .context(format!("match {} has an unreadable payload", record.job.id)),
        )
    })
}

impl MatchView {
    pub(crate) fn new(record: MatchRecord, spec: MatchRequest) -> Self {
        let job = record.job;
        let snapshot = record.snapshot;
        let state = if snapshot.state.is_null() {
            engine_for(spec.match_type).initial_state(&spec)
        } else {
            snapshot.state
        };
        Self {
            hosted_by: job.locked_by.filter(|_| job.status == JobStatus::Running),
            id: job.id,
            match_type: spec.match_type,
            status: job.status,
            state,
            state_version: snapshot.state_version,
            applied_seq: snapshot.applied_seq,
            last_seq: record.last_seq,
            started_at: snapshot.started_at,
            ends_at: snapshot.ends_at,
            result: record.result,
            players: spec.players,
            duration_sec: spec.duration_sec,
            metadata: spec.metadata,
            attempts: job.attempts,
            last_error: job.last_error,
            created_at: job.created_at,
            completed_at: job.completed_at,
        }
    }
}

/// `POST /v1/matches`: validate, store, publish to the match queue, 202 `{id, status}`.
#[tracing::instrument(skip_all, fields(tenant = %caller.tenant, job_id))]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<MatchRequest>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    request.validate()?;
    for (i, player) in request.players.iter().enumerate() {
        let within = |e: ApiError| e.within(&format!("players[{i}].notify"));
        let address = Address::parse(player.notify.channel, &player.notify.recipient.address)
            .map_err(|e| within(e.into()))?;
        check_target(&state, &address).map_err(within)?;
    }
    let job = request
        .to_new_job(caller.tenant.clone())
        .map_err(|e| ApiError::Internal(anyhow::Error::new(e).context("encoding the payload")))?;
    let job = keyed(job, key.as_deref(), KeyRoute::Match, &request);
    let inserted = store_and_dispatch(&state, job).await?;
    let status = match &inserted {
        Inserted::Created(_) => StatusCode::ACCEPTED,
        Inserted::Existing(_) => StatusCode::OK,
    };
    let job = inserted.into_job();
    Ok(Accepted::response(status, &job))
}

/// `POST /v1/matches/{id}/events`: check the event against the match, append it to
/// the log (202 `{seq}`), then wake the host. With an `Idempotency-Key` already used on
/// this match, the event first stored under it is the answer (200 `{seq}`): nothing is
/// appended and nobody is woken, so a client retrying after a timeout or a 503 — the
/// event may well have been stored — never counts it twice.
#[tracing::instrument(skip_all, fields(tenant = %caller.tenant, job_id = %id, seq, replayed))]
pub async fn append_event(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(mut event): JsonBody<EventRequest>,
) -> Result<Response, ApiError> {
    event.idempotency_key = idempotency_key(&headers)?;
    let id = job_id(&id)?;
    let appended = append(&state, &caller.tenant, &id, event).await?;
    let seq = appended.seq;
    tracing::Span::current().record("seq", seq);
    tracing::Span::current().record("replayed", !appended.new);
    let status = if appended.new {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(EventAccepted { seq })).into_response())
}

/// What [`append`] did: the event's `seq`, and whether it was appended now (`false`:
/// an idempotent replay of an event already stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendOutcome {
    pub seq: u64,
    pub new: bool,
}

/// The one way an event enters a match's log, for `POST /v1/matches/{id}/events` and
/// a player's WebSocket alike: check it against the match, append it, then (for a new
/// event) wake the host and tell the instances streaming the match, in a task of its
/// own so the answer never waits on the broker.
pub(crate) async fn append(
    state: &AppState,
    tenant: &herald_core::TenantId,
    id: &JobId,
    event: EventRequest,
) -> Result<AppendOutcome, ApiError> {
    let record = state.store.get_match(tenant, id).await?;
    spec_of(&record)?.validate_event(&event)?;
    if record.job.status.is_final() && event.idempotency_key.is_none() {
        // The store would refuse too; answering here spares it a write. A keyed event
        // goes to the store even so: it may be a replay, whose answer is the original
        // one even after the match ended.
        return Err(ApiError::MatchEnded(record.job.status));
    }
    let appended = state.store.append_event(tenant, id, &event).await?;
    let seq = appended.event().seq;
    if !appended.is_new() {
        // The first request appended the event and woke the host already.
        return Ok(AppendOutcome { seq, new: false });
    }
    let update = MatchUpdate::Event(EventUpdate::from(appended.event()));
    let dispatch = state.dispatch.clone();
    let id = id.clone();
    tokio::spawn(async move {
        let streamed = async {
            if dispatch.mode() == DispatchMode::RabbitMq {
                dispatch.publish_update(&id, &update).await
            } else {
                Ok(())
            }
        };
        let (woken, streamed) = tokio::join!(dispatch.wake_match(&id), streamed);
        if let Err(e) = woken {
            tracing::debug!(error = %e, job_id = %id, "match wake-up not sent; the host's poll reads the event");
        }
        if let Err(e) = streamed {
            tracing::debug!(error = %e, job_id = %id, "match update not published; streams repair from the log");
        }
    });
    Ok(AppendOutcome { seq, new: true })
}

/// `GET /v1/matches/{id}`: status, host, state, progress and (once ended) result.
pub async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<MatchView>, ApiError> {
    let id = job_id(&id)?;
    let record = state.store.get_match(&caller.tenant, &id).await?;
    let spec = spec_of(&record)?;
    Ok(Json(MatchView::new(record, spec)))
}
