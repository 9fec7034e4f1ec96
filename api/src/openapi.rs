//! The OpenAPI 3.1 document of this API, served at `/openapi.json` and committed as
//! `docs/openapi.json` (a test fails when the two differ; regenerate the file with
//! `HERALD_WRITE_OPENAPI=1 cargo test -p herald-api --test api openapi`).

use axum::Json;
use serde_json::{json, Value};

use herald_core::matches::{MAX_DURATION_SEC, MAX_PLAYERS, MAX_PLAYER_ID_CHARS, MAX_POINTS};
use herald_core::notification::{MAX_PUSH_BODY_BYTES, MAX_PUSH_TITLE_CHARS, MAX_SMS_BODY_CHARS};

use crate::notifications::{MAX_BATCH, MAX_IDEMPOTENCY_KEY_LEN};

pub async fn serve() -> Json<Value> {
    Json(document())
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

fn job_id_param() -> Value {
    json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"},
           "description": "Job id (UUIDv7). Another tenant's id, or a malformed one, is a 404."})
}

fn page_params(with_status: bool) -> Value {
    let mut params = vec![
        json!({"name": "kind", "in": "query", "schema": {"$ref": "#/components/schemas/JobKind"}}),
        json!({"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}),
        json!({"name": "cursor", "in": "query", "schema": {"type": "string"}, "description": "nextCursor of the previous page"}),
        json!({"name": "view", "in": "query", "schema": {"type": "string", "enum": ["summary", "full"], "default": "summary"},
               "description": "summary leaves out each job's payload; full returns whole jobs. A page also stops at 1 MiB of items, with nextCursor where it stopped."}),
    ];
    if with_status {
        params.insert(0, json!({"name": "status", "in": "query", "schema": {"$ref": "#/components/schemas/JobStatus"}}));
    }
    Value::Array(params)
}

/// The document. Built in code so it can use the API's constants.
pub fn document() -> Value {
    let common = |extra: &[(&str, &str)]| {
        let mut r = serde_json::Map::new();
        for (code, description) in extra {
            r.insert((*code).to_owned(), error_response(description));
        }
        r.insert("401".into(), error_response("Missing or unknown API key"));
        r.insert(
            "429".into(),
            json!({
                "description": "Rate limited; retry after the Retry-After header's seconds",
                "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
            }),
        );
        r.insert(
            "503".into(),
            error_response("Store unavailable; nothing was done"),
        );
        r
    };
    let body_errors = [
        (
            "400",
            "Malformed JSON, or a field of the wrong type or unknown (error.field names it)",
        ),
        (
            "413",
            "Body larger than MAX_BODY_BYTES (refused before it is read)",
        ),
        ("415", "Content-Type is not application/json"),
        (
            "408",
            "The body did not fully arrive within BODY_TIMEOUT_MS",
        ),
        (
            "422",
            "Valid JSON that fails validation (error.field names the field)",
        ),
    ];
    let idempotency = json!({
        "name": "Idempotency-Key", "in": "header", "required": false,
        "schema": {"type": "string", "maxLength": MAX_IDEMPOTENCY_KEY_LEN},
        "description": "Replaying a request with the same key (per tenant, across API instances) returns the first request's job(s) with 200 and creates nothing."
    });

    let mut create_responses = common(&body_errors);
    create_responses.insert("202".into(), json!({"description": "Stored durably (and published to RabbitMQ unless the broker is down; the worker poller then dispatches it)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}}));
    create_responses.insert("200".into(), json!({"description": "Idempotent replay: the job the key already names", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}}));

    let mut batch_responses = common(&body_errors);
    batch_responses.insert("202".into(), json!({"description": "All stored (in order), or none", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchAccepted"}}}}));
    batch_responses.insert("200".into(), json!({"description": "Idempotent replay of a whole batch", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchAccepted"}}}}));

    let mut get_responses = common(&[("404", "No such job for this tenant")]);
    get_responses.insert("200".into(), json!({"description": "The job", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}}}));

    let mut list_responses = common(&[("400", "Unknown or invalid query parameter")]);
    list_responses.insert("200".into(), json!({"description": "A page, newest first", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobPage"}}}}));

    let mut cancel_responses = common(&[
        ("404", "No such job for this tenant"),
        ("409", "The job is not waiting (pending or scheduled)"),
    ]);
    cancel_responses.insert("200".into(), json!({"description": "The cancelled job", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}}}));

    let mut retry_responses = common(&[
        ("404", "No such job for this tenant"),
        ("409", "The job is not dead"),
    ]);
    retry_responses.insert("202".into(), json!({"description": "Pending again with fresh attempts, and published", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}}));

    let mut match_create_responses = common(&body_errors);
    match_create_responses.insert("202".into(), json!({"description": "Stored durably and published to the match queue; a worker with a free slot hosts it", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}}));
    match_create_responses.insert("200".into(), json!({"description": "Idempotent replay: the match the key already names", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}}));

    let mut event_responses = common(&body_errors);
    event_responses.insert(
        "404".into(),
        error_response("No such match for this tenant"),
    );
    event_responses.insert(
        "409".into(),
        error_response("The match has ended (error.code match_ended)"),
    );
    event_responses.insert("202".into(), json!({"description": "Appended durably to the match's log with the next sequence number; the hosting worker is woken", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventAccepted"}}}}));
    event_responses.insert("200".into(), json!({"description": "Idempotent replay: the seq of the event the key already names on this match (answered even after the match ended); nothing is appended", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventAccepted"}}}}));
    let event_idempotency = json!({
        "name": "Idempotency-Key", "in": "header", "required": false,
        "schema": {"type": "string", "maxLength": MAX_IDEMPOTENCY_KEY_LEN},
        "description": "Replaying an event with a key already used on this match (across API instances) returns the first event's seq with 200 and appends nothing. Keys are per match."
    });

    let mut match_get_responses = common(&[("404", "No such match for this tenant")]);
    match_get_responses.insert("200".into(), json!({"description": "The match", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MatchView"}}}}));

    let mut workers_responses = common(&[]);
    workers_responses.insert("200".into(), json!({"description": "Workers heard from within 3 heartbeat intervals", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Workers"}}}}));

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Herald API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Notification job queue. 202 is only returned once a job is durably stored. Errors are {\"error\":{\"code\",\"message\",\"field\"?}}."
        },
        "security": [{"bearer": []}],
        "paths": {
            "/v1/notifications": {"post": {
                "summary": "Enqueue one notification",
                "parameters": [idempotency.clone()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Notification"}}}},
                "responses": create_responses
            }},
            "/v1/notifications/batch": {"post": {
                "summary": format!("Enqueue up to {MAX_BATCH} notifications, validated all-or-nothing"),
                "parameters": [idempotency.clone()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Batch"}}}},
                "responses": batch_responses
            }},
            "/v1/matches": {"post": {
                "summary": "Create a match; a worker hosts it until it ends",
                "parameters": [idempotency.clone()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Match"}}}},
                "responses": match_create_responses
            }},
            "/v1/matches/{id}": {"get": {"summary": "A match: status, host, state, progress, result", "parameters": [job_id_param()], "responses": match_get_responses}},
            "/v1/matches/{id}/events": {"post": {
                "summary": "Append an event to a match's log",
                "parameters": [job_id_param(), event_idempotency],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MatchEvent"}}}},
                "responses": event_responses
            }},
            "/v1/jobs": {"get": {"summary": "List this tenant's jobs, newest first", "parameters": page_params(true), "responses": list_responses.clone()}},
            "/v1/jobs/{id}": {"get": {"summary": "One job", "parameters": [job_id_param()], "responses": get_responses}},
            "/v1/jobs/{id}/cancel": {"post": {"summary": "Cancel a waiting job", "parameters": [job_id_param()], "responses": cancel_responses}},
            "/v1/jobs/{id}/retry": {"post": {"summary": "Re-drive a dead job", "parameters": [job_id_param()], "responses": retry_responses}},
            "/v1/dead-letters": {"get": {"summary": "This tenant's dead jobs, newest first", "parameters": page_params(false), "responses": list_responses}},
            "/v1/workers": {"get": {"summary": "Live workers from the registry", "responses": workers_responses}},
            "/health": {"get": {"summary": "Liveness", "security": [], "responses": {"200": {"description": "Up"}}}},
            "/ready": {"get": {"summary": "Readiness: store and (unless embedded) broker reachable", "security": [],
                "responses": {"200": {"description": "Ready", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Ready"}}}},
                              "503": {"description": "Store or broker unreachable", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Ready"}}}}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "security": [], "responses": {"200": {"description": "Text exposition format", "content": {"text/plain": {}}}}}},
            "/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OpenAPI 3.1"}}}}
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "An API key from API_KEYS; it selects the tenant"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string", "examples": ["malformed_json", "invalid_field", "validation_failed", "forbidden_target", "unauthorized", "not_found", "invalid_state", "match_ended", "payload_too_large", "unsupported_media_type", "rate_limited", "unavailable"]},
                    "message": {"type": "string"},
                    "field": {"type": "string", "description": "The failing field's path, e.g. recipient.address or notifications[3].channel"}}}}},
                "Channel": {"type": "string", "enum": ["webhook", "email", "sms", "push", "log"]},
                "Priority": {"type": "string", "enum": ["critical", "high", "normal", "low"], "default": "normal"},
                "JobKind": {"type": "string", "enum": ["notification", "match"]},
                "JobStatus": {"type": "string", "enum": ["pending", "scheduled", "running", "succeeded", "dead", "cancelled"]},
                "TimeOfDay": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
                "Notification": {
                    "type": "object", "additionalProperties": false, "required": ["channel", "recipient"],
                    "description": format!("Exactly one of body and template. For webhook the address is an http(s) URL, refused with 422 forbidden_target when its host is a loopback, private, link-local or otherwise internal IP literal or localhost (unless WEBHOOK_ALLOWED_CIDRS allows it); email local@domain; sms E.164 (+14155550123). Body limits: sms {MAX_SMS_BODY_CHARS} characters, push {MAX_PUSH_BODY_BYTES} bytes (subject, the title, {MAX_PUSH_TITLE_CHARS} characters), others {} bytes.", herald_core::notification::MAX_BODY_BYTES),
                    "properties": {
                        "channel": {"$ref": "#/components/schemas/Channel"},
                        "recipient": {"type": "object", "additionalProperties": false, "required": ["address"], "properties": {
                            "address": {"type": "string", "maxLength": herald_core::notification::MAX_ADDRESS_CHARS},
                            "timezone": {"type": "string", "description": "IANA zone name (tz database) for quiet hours, e.g. Europe/Paris"}}},
                        "subject": {"type": "string", "maxLength": herald_core::notification::MAX_SUBJECT_CHARS},
                        "body": {"type": "string", "description": format!("At most {} bytes", herald_core::notification::MAX_BODY_BYTES)},
                        "template": {"type": "string", "maxLength": herald_core::notification::MAX_TEMPLATE_CHARS},
                        "data": {"type": "object", "description": "Template variables (with template only)"},
                        "priority": {"$ref": "#/components/schemas/Priority", "description": "Above the tenant's TENANT_MAX_PRIORITY cap: 422 on priority"},
                        "sendAt": {"type": "string", "format": "date-time", "description": "RFC 3339 with offset; the job is scheduled until then"},
                        "quietHours": {"type": "object", "additionalProperties": false, "required": ["start", "end"], "properties": {
                            "start": {"$ref": "#/components/schemas/TimeOfDay"}, "end": {"$ref": "#/components/schemas/TimeOfDay"}}},
                        "maxAttempts": {"type": "integer", "minimum": 1, "maximum": herald_core::notification::MAX_ATTEMPTS_LIMIT, "default": herald_core::job::DEFAULT_MAX_ATTEMPTS},
                        "metadata": {"type": "object", "description": "Free-form; refused with 422 when a store could not hold it: an integer above 2^63-1, a NUL in a key, nesting deeper than 32"}
                    }
                },
                "Batch": {"type": "object", "additionalProperties": false, "required": ["notifications"], "properties": {
                    "notifications": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": {"$ref": "#/components/schemas/Notification"}}}},
                "Accepted": {"type": "object", "required": ["id", "status"], "properties": {
                    "id": {"type": "string"}, "status": {"$ref": "#/components/schemas/JobStatus"}}},
                "BatchAccepted": {"type": "object", "required": ["ids"], "properties": {"ids": {"type": "array", "items": {"type": "string"}}}},
                "Job": {"type": "object", "properties": {
                    "id": {"type": "string"}, "kind": {"$ref": "#/components/schemas/JobKind"}, "tenant": {"type": "string"},
                    "priority": {"$ref": "#/components/schemas/Priority"}, "status": {"$ref": "#/components/schemas/JobStatus"},
                    "payload": {"type": "object", "description": "The validated request (a notification or a match); absent from list items in the summary view"},
                    "runAt": {"type": "string", "format": "date-time"}, "attempts": {"type": "integer"}, "maxAttempts": {"type": "integer"},
                    "lastError": {"type": ["string", "null"]}, "lockedBy": {"type": ["string", "null"]},
                    "lockedAt": {"type": ["string", "null"], "format": "date-time"}, "lockExpiry": {"type": ["string", "null"], "format": "date-time"},
                    "leaseVersion": {"type": "integer"}, "idempotencyKey": {"type": ["string", "null"]},
                    "createdAt": {"type": "string", "format": "date-time"}, "updatedAt": {"type": "string", "format": "date-time"},
                    "completedAt": {"type": ["string", "null"], "format": "date-time"},
                    "history": {"type": "array", "items": {"type": "object", "properties": {
                        "at": {"type": "string", "format": "date-time"}, "attempt": {"type": "integer"}, "worker": {"type": ["string", "null"]},
                        "outcome": {"type": "string"}, "error": {"type": "string"}}}}}},
                "JobPage": {"type": "object", "required": ["items", "nextCursor"], "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}},
                    "nextCursor": {"type": ["string", "null"], "description": "Pass as cursor for the next page; null on the last"}}},
                "Match": {
                    "type": "object", "additionalProperties": false, "required": ["type", "players", "durationSec"],
                    "properties": {
                        "type": {"type": "string", "enum": ["scoreboard"]},
                        "players": {"type": "array", "minItems": 1, "maxItems": MAX_PLAYERS, "items": {
                            "type": "object", "additionalProperties": false, "required": ["id", "notify"], "properties": {
                                "id": {"type": "string", "maxLength": MAX_PLAYER_ID_CHARS, "pattern": "^[A-Za-z0-9._-]+$", "description": "Unique within the match"},
                                "notify": {"type": "object", "additionalProperties": false, "required": ["channel", "recipient"],
                                    "description": "Where the player's result notification goes (validated like a notification's)",
                                    "properties": {
                                        "channel": {"$ref": "#/components/schemas/Channel"},
                                        "recipient": {"type": "object", "additionalProperties": false, "required": ["address"], "properties": {
                                            "address": {"type": "string"}, "timezone": {"type": "string"}}}}}}}},
                        "durationSec": {"type": "integer", "minimum": 1, "maximum": MAX_DURATION_SEC, "description": "The match ends this long after a host starts it, or at an end event"},
                        "metadata": {"type": "object"}
                    }
                },
                "MatchEvent": {
                    "type": "object", "additionalProperties": false, "required": ["type"],
                    "description": "join and score name a player of the match; score carries points; end has neither",
                    "properties": {
                        "type": {"type": "string", "enum": ["join", "score", "end"]},
                        "playerId": {"type": "string"},
                        "points": {"type": "integer", "minimum": -MAX_POINTS, "maximum": MAX_POINTS}
                    }
                },
                "EventAccepted": {"type": "object", "required": ["seq"], "properties": {
                    "seq": {"type": "integer", "description": "The event's place in the match's log: 1, 2, 3… with no gaps, whichever API instance appended it"}}},
                "MatchView": {"type": "object", "properties": {
                    "id": {"type": "string"}, "type": {"type": "string", "enum": ["scoreboard"]},
                    "status": {"$ref": "#/components/schemas/JobStatus"},
                    "hostedBy": {"type": ["string", "null"], "description": "The worker hosting the match while it runs"},
                    "state": {"type": "object", "description": "{\"scores\": {playerId: points}, \"joined\": [...]}; before a host starts the match, the state it starts from"},
                    "stateVersion": {"type": "integer"},
                    "appliedSeq": {"type": "integer", "description": "The last event folded into state"},
                    "lastSeq": {"type": "integer", "description": "The last event appended"},
                    "startedAt": {"type": ["string", "null"], "format": "date-time"},
                    "endsAt": {"type": ["string", "null"], "format": "date-time"},
                    "result": {"type": ["object", "null"], "properties": {
                        "standings": {"type": "array", "items": {"type": "object", "properties": {
                            "playerId": {"type": "string"}, "points": {"type": "integer"}, "rank": {"type": "integer"}}}},
                        "endedBy": {"type": "string", "enum": ["end", "time"]}}},
                    "players": {"type": "array", "items": {"type": "object"}},
                    "durationSec": {"type": "integer"}, "metadata": {"type": "object"},
                    "attempts": {"type": "integer"}, "lastError": {"type": ["string", "null"]},
                    "createdAt": {"type": "string", "format": "date-time"},
                    "completedAt": {"type": ["string", "null"], "format": "date-time"}}},
                "Workers": {"type": "object", "properties": {
                    "totalWorkers": {"type": "integer"}, "activeWorkers": {"type": "integer", "description": "With jobs in flight or matches hosted"},
                    "idleWorkers": {"type": "integer"}, "totalMatches": {"type": "integer"}, "generatedAt": {"type": "string", "format": "date-time"},
                    "workers": {"type": "array", "items": {"type": "object", "properties": {
                        "workerId": {"type": "string"}, "hostname": {"type": "string"}, "pid": {"type": "integer"},
                        "startedAt": {"type": "string", "format": "date-time"}, "inFlight": {"type": "integer"}, "capacity": {"type": "integer"},
                        "activeMatches": {"type": "integer"}, "matchCapacity": {"type": "integer"}, "processed": {"type": "integer"},
                        "lastSeen": {"type": "string", "format": "date-time"}, "status": {"type": "string", "enum": ["active", "idle"]}}}}}},
                "Ready": {"type": "object", "properties": {
                    "status": {"type": "string", "enum": ["ready", "unavailable"]},
                    "store": {"type": "string", "enum": ["ok", "unavailable"]},
                    "broker": {"type": "string", "enum": ["ok", "unavailable", "embedded"]}}}
            }
        }
    })
}
