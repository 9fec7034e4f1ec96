//! Jobs and worker records to and from BSON documents (field names of `docs/lease-protocol.md`).

use chrono::{DateTime, Utc};
use mongodb::bson::{Bson, Document};

use crate::job::{AttemptRecord, Job, JobId, JobKind, JobStatus, Priority, TenantId};
use crate::lease::WorkerId;
use crate::matches::{
    EventKind, EventRequest, MatchEvent, MatchRecord, MatchResult, MatchSnapshot,
};
use crate::store::{StoreError, StoreResult, WorkerHeartbeat, WorkerRecord};

fn corrupt(field: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("field {field}: {e}"))
}

fn string<'a>(doc: &'a Document, field: &str) -> StoreResult<&'a str> {
    doc.get_str(field).map_err(|e| corrupt(field, e))
}

fn opt_string(doc: &Document, field: &str) -> StoreResult<Option<String>> {
    match doc.get(field) {
        None | Some(Bson::Null) => Ok(None),
        Some(Bson::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(corrupt(field, format!("expected a string, got {other}"))),
    }
}

fn integer(doc: &Document, field: &str) -> StoreResult<i64> {
    match doc.get(field) {
        Some(Bson::Int32(n)) => Ok(i64::from(*n)),
        Some(Bson::Int64(n)) => Ok(*n),
        // Exact whole numbers only (a manual edit in a shell writes doubles).
        Some(Bson::Double(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(*f as i64),
        other => Err(corrupt(
            field,
            format!("expected an integer, got {other:?}"),
        )),
    }
}

fn unsigned<T: TryFrom<i64>>(doc: &Document, field: &str) -> StoreResult<T> {
    let n = integer(doc, field)?;
    T::try_from(n).map_err(|_| corrupt(field, format!("{n} is out of range")))
}

fn to_time(field: &str, bson: &Bson) -> StoreResult<DateTime<Utc>> {
    match bson {
        Bson::DateTime(d) => DateTime::from_timestamp_millis(d.timestamp_millis())
            .ok_or_else(|| corrupt(field, "date out of range")),
        other => Err(corrupt(field, format!("expected a date, got {other}"))),
    }
}

fn time(doc: &Document, field: &str) -> StoreResult<DateTime<Utc>> {
    match doc.get(field) {
        Some(b) => to_time(field, b),
        None => Err(corrupt(field, "missing")),
    }
}

fn opt_time(doc: &Document, field: &str) -> StoreResult<Option<DateTime<Utc>>> {
    match doc.get(field) {
        None | Some(Bson::Null) => Ok(None),
        Some(b) => to_time(field, b).map(Some),
    }
}

/// A payload as BSON: a JSON document stays a document, so it can be queried in place.
pub fn payload_to_bson(payload: &serde_json::Value) -> StoreResult<Bson> {
    mongodb::bson::to_bson(payload)
        .map_err(|e| StoreError::Other(anyhow::anyhow!("payload cannot be stored as BSON: {e}")))
}

fn payload_from_bson(bson: Option<&Bson>) -> StoreResult<serde_json::Value> {
    match bson {
        None => Ok(serde_json::Value::Null),
        Some(b) => mongodb::bson::from_bson(b.clone()).map_err(|e| corrupt("payload", e)),
    }
}

fn attempt_record(bson: &Bson) -> StoreResult<AttemptRecord> {
    let Bson::Document(doc) = bson else {
        return Err(corrupt(
            "history",
            format!("expected a document, got {bson}"),
        ));
    };
    let outcome = string(doc, "outcome")?;
    Ok(AttemptRecord {
        at: time(doc, "at")?,
        attempt: unsigned(doc, "attempt")?,
        worker: opt_string(doc, "worker")?,
        outcome: serde_json::from_value(serde_json::Value::String(outcome.to_owned()))
            .map_err(|e| corrupt("history.outcome", e))?,
        error: opt_string(doc, "error")?,
    })
}

pub fn job_from_doc(doc: &Document) -> StoreResult<Job> {
    let history = match doc.get("history") {
        None | Some(Bson::Null) => Vec::new(),
        Some(Bson::Array(items)) => items
            .iter()
            .map(attempt_record)
            .collect::<StoreResult<_>>()?,
        Some(other) => {
            return Err(corrupt(
                "history",
                format!("expected an array, got {other}"),
            ))
        }
    };
    Ok(Job {
        id: string(doc, "_id")?
            .parse::<JobId>()
            .map_err(|e| corrupt("_id", e))?,
        kind: string(doc, "kind")?
            .parse::<JobKind>()
            .map_err(|e| corrupt("kind", e))?,
        tenant: TenantId::parse(string(doc, "tenant")?).map_err(|e| corrupt("tenant", e))?,
        priority: string(doc, "priority")?
            .parse::<Priority>()
            .map_err(|e| corrupt("priority", e))?,
        status: string(doc, "status")?
            .parse::<JobStatus>()
            .map_err(|e| corrupt("status", e))?,
        payload: payload_from_bson(doc.get("payload"))?,
        run_at: time(doc, "runAt")?,
        attempts: unsigned(doc, "attempts")?,
        max_attempts: unsigned(doc, "maxAttempts")?,
        last_error: opt_string(doc, "lastError")?,
        locked_by: opt_string(doc, "lockedBy")?.map(WorkerId::from_stored),
        locked_at: opt_time(doc, "lockedAt")?,
        lock_expiry: opt_time(doc, "lockExpiry")?,
        lease_version: unsigned(doc, "leaseVersion")?,
        idempotency_key: opt_string(doc, "idempotencyKey")?,
        created_at: time(doc, "createdAt")?,
        updated_at: time(doc, "updatedAt")?,
        completed_at: opt_time(doc, "completedAt")?,
        history,
    })
}

/// A counter that is absent until first written (`stateVersion`, `appliedSeq`,
/// `eventSeq`): 0 then.
fn counter(doc: &Document, field: &str) -> StoreResult<u64> {
    match doc.get(field) {
        None | Some(Bson::Null) => Ok(0),
        Some(_) => unsigned(doc, field),
    }
}

/// The `eventSeq` of a match just bumped by an append.
pub fn event_seq(doc: &Document) -> StoreResult<u64> {
    unsigned(doc, "eventSeq")
}

/// A match's snapshot from its job document; absent fields are the initial snapshot's.
pub fn snapshot_from_doc(doc: &Document) -> StoreResult<MatchSnapshot> {
    Ok(MatchSnapshot {
        state: match doc.get("state") {
            None | Some(Bson::Null) => serde_json::Value::Null,
            Some(b) => mongodb::bson::from_bson(b.clone()).map_err(|e| corrupt("state", e))?,
        },
        state_version: counter(doc, "stateVersion")?,
        applied_seq: counter(doc, "appliedSeq")?,
        started_at: opt_time(doc, "startedAt")?,
        ends_at: opt_time(doc, "endsAt")?,
    })
}

/// A value (a match's state, its result) as BSON.
pub fn to_bson(value: &impl serde::Serialize, what: &str) -> StoreResult<Bson> {
    mongodb::bson::to_bson(value)
        .map_err(|e| StoreError::Other(anyhow::anyhow!("{what} cannot be stored as BSON: {e}")))
}

pub fn match_record_from_doc(doc: &Document) -> StoreResult<MatchRecord> {
    let result = match doc.get("result") {
        None | Some(Bson::Null) => None,
        Some(b) => Some(
            mongodb::bson::from_bson::<MatchResult>(b.clone()).map_err(|e| corrupt("result", e))?,
        ),
    };
    Ok(MatchRecord {
        job: job_from_doc(doc)?,
        snapshot: snapshot_from_doc(doc)?,
        last_seq: counter(doc, "eventSeq")?,
        result,
    })
}

/// One entry of `match_events`.
pub fn event_from_doc(doc: &Document) -> StoreResult<MatchEvent> {
    let kind = string(doc, "type")?;
    Ok(MatchEvent {
        seq: unsigned(doc, "seq")?,
        event: EventRequest {
            kind: serde_json::from_value::<EventKind>(serde_json::Value::String(kind.to_owned()))
                .map_err(|e| corrupt("type", e))?,
            player_id: opt_string(doc, "playerId")?,
            points: match doc.get("points") {
                None | Some(Bson::Null) => None,
                Some(_) => Some(integer(doc, "points")?),
            },
            idempotency_key: opt_string(doc, "idempotencyKey")?,
        },
        at: time(doc, "at")?,
    })
}

/// The heartbeat's fields as stored in `workers` (`_id` is the worker id).
pub fn heartbeat_fields(beat: &WorkerHeartbeat) -> Document {
    let mut doc = Document::new();
    doc.insert("hostname", super::pipeline::lit(beat.hostname.as_str()));
    doc.insert("pid", i64::from(beat.pid));
    doc.insert("startedAt", super::pipeline::date(beat.started_at));
    doc.insert("inFlight", i64::from(beat.in_flight));
    doc.insert("capacity", i64::from(beat.capacity));
    doc.insert("activeMatches", i64::from(beat.active_matches));
    doc.insert("matchCapacity", i64::from(beat.match_capacity));
    doc.insert(
        "processed",
        i64::try_from(beat.processed).unwrap_or(i64::MAX),
    );
    doc.insert(
        "intervalMs",
        i64::try_from(beat.interval_ms).unwrap_or(i64::MAX),
    );
    doc
}

pub fn worker_from_doc(doc: &Document) -> StoreResult<WorkerRecord> {
    Ok(WorkerRecord {
        heartbeat: WorkerHeartbeat {
            worker_id: WorkerId::from_stored(string(doc, "_id")?),
            hostname: string(doc, "hostname")?.to_owned(),
            pid: unsigned(doc, "pid")?,
            started_at: time(doc, "startedAt")?,
            in_flight: unsigned(doc, "inFlight")?,
            capacity: unsigned(doc, "capacity")?,
            active_matches: unsigned(doc, "activeMatches")?,
            match_capacity: unsigned(doc, "matchCapacity")?,
            processed: unsigned(doc, "processed")?,
            // Absent in the rows of workers older than the field.
            interval_ms: match doc.get("intervalMs") {
                None => 0,
                Some(_) => unsigned(doc, "intervalMs")?,
            },
        },
        last_seen: time(doc, "heartbeatAt")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;

    #[test]
    fn payload_round_trips_through_bson() {
        let payload = serde_json::json!({
            "to": "$5 off", "n": 3, "f": 1.5, "list": [1, "a", null], "nested": {"ok": true}
        });
        let bson = payload_to_bson(&payload).unwrap();
        assert_eq!(payload_from_bson(Some(&bson)).unwrap(), payload);
    }

    #[test]
    fn a_stored_job_decodes_and_bad_fields_are_named() {
        let now = mongodb::bson::DateTime::now();
        let mut doc = doc! {
            "_id": JobId::new().as_str(), "kind": "notification", "tenant": "t1",
            "priority": "high", "priorityRank": 1, "status": "running", "payload": {"a": 1},
            "runAt": now, "attempts": 2_i32, "maxAttempts": 5_i64, "lockedBy": "w",
            "lockedAt": now, "lockExpiry": now, "leaseVersion": 3_i64, "createdAt": now,
            "updatedAt": now,
            "history": [{"at": now, "attempt": 1_i64, "worker": null, "outcome": "lease_expired",
                         "error": "lease expired"}],
        };
        let job = job_from_doc(&doc).unwrap();
        assert_eq!((job.attempts, job.lease_version), (2, 3));
        assert_eq!(job.history.len(), 1);
        assert!(job.completed_at.is_none() && job.idempotency_key.is_none());
        doc.insert("status", "exploded");
        let err = job_from_doc(&doc).unwrap_err().to_string();
        assert!(err.contains("status"), "{err}");
    }
}
