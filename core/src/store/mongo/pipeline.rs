//! The filters and update pipelines the MongoDB store sends, built in one place so the
//! lease protocol can be read (and explained by the server) query by query.
//!
//! Every decision about time is made on the server: `now()` is `$$NOW`, never a value
//! from this process. Every value that came from a caller (payload, error text, worker
//! id, idempotency key) enters a pipeline through [`lit`], so a string such as
//! `"$5 off"` is stored as written instead of being read as a field path.

use std::time::Duration;

use mongodb::bson::{doc, Bson, DateTime as BsonDateTime, Document};

use crate::job::{JobId, JobKind, JobStatus, HISTORY_LIMIT};
use crate::lease::{Lease, WorkerId};
use crate::matches::{EventRequest, MatchSnapshot};
use crate::store::{millis, BulkRequest, ListFilter};

/// Index names, shared by [`super::indexes`], the hints below, and the explain test.
pub const CLAIM_INDEX: &str = "jobs_claim";
pub const LEASE_EXPIRY_INDEX: &str = "jobs_lease_expiry";
/// Fair claims: each priority's waiting tenants, and one tenant's oldest due job.
pub const FAIR_INDEX: &str = "jobs_fair";
pub const TENANT_LIST_INDEX: &str = "jobs_tenant_list";
pub const TENANT_STATUS_LIST_INDEX: &str = "jobs_tenant_status_list";
pub const IDEMPOTENCY_INDEX: &str = "jobs_tenant_idempotency";
pub const TENANT_KIND_LIST_INDEX: &str = "jobs_tenant_kind_list";
pub const TENANT_PRIORITY_LIST_INDEX: &str = "jobs_tenant_priority_list";
pub const TENANT_CHANNEL_LIST_INDEX: &str = "jobs_tenant_channel_list";
pub const TENANT_KIND_STATUS_LIST_INDEX: &str = "jobs_tenant_kind_status_list";
pub const TENANT_STATUS_CHANNEL_LIST_INDEX: &str = "jobs_tenant_status_channel_list";
pub const TENANT_SUMMARY_INDEX: &str = "jobs_tenant_summary";
pub const TENANT_FINISHED_INDEX: &str = "jobs_tenant_finished";
/// Matches that ended dead or cancelled, by end time: the sweep that gives their event
/// logs an expiry (`MongoStore::prune`). Partial on `kind: "match"`, so it holds
/// matches only.
pub const ENDED_MATCHES_INDEX: &str = "jobs_ended_matches";
pub const WORKER_TTL_INDEX: &str = "workers_heartbeat_ttl";
pub const MATCH_EVENTS_INDEX: &str = "match_events_seq";
pub const EVENT_IDEMPOTENCY_INDEX: &str = "match_events_idempotency";
/// The TTL indexes on `expireAt` (retention, DESIGN §13).
pub const JOBS_EXPIRY_INDEX: &str = "jobs_expire_at_ttl";
pub const EVENTS_EXPIRY_INDEX: &str = "match_events_expire_at_ttl";

/// Fields that only a lease holder has; every write that ends a lease removes them.
pub const LOCK_FIELDS: [&str; 3] = ["lockedBy", "lockedAt", "lockExpiry"];

/// The server's clock, as a date.
///
/// `$$NOW` is the server's time, fixed for the whole operation. It goes through
/// `$toLong`/`$toDate` (an identity on MongoDB: a date is milliseconds since the epoch)
/// because SecantusDB, the test server, binds `$$NOW` as a time-zone-aware value that
/// its comparison operators rank *equal* to every stored date; the round trip gives it
/// a plain date that compares correctly there and means the same on MongoDB.
pub fn now() -> Bson {
    Bson::Document(doc! { "$toDate": { "$toLong": "$$NOW" } })
}

/// The server's time plus `d`.
pub fn now_plus(d: Duration) -> Bson {
    Bson::Document(doc! { "$add": [now(), millis(d)] })
}

/// The stage that follows every write which can end a job: `expireAt` (the TTL
/// index's field) is the server's time plus the retention of the status the job now
/// has, and is removed for a non-terminal status or a state kept for ever (a
/// re-driven job loses it).
pub fn expiry_stage(lifecycle: &crate::store::Lifecycle) -> Document {
    let mut expr = Bson::from("$$REMOVE");
    for status in [JobStatus::Cancelled, JobStatus::Dead, JobStatus::Succeeded] {
        let then = lifecycle
            .retention(status)
            .map_or_else(|| Bson::from("$$REMOVE"), now_plus);
        expr = Bson::Document(doc! { "$cond": [
            { "$eq": ["$status", status.as_str()] },
            then,
            expr,
        ] });
    }
    doc! { "$set": { "expireAt": expr } }
}

/// A caller's value, taken literally inside an aggregation expression.
pub fn lit(value: impl Into<Bson>) -> Bson {
    Bson::Document(doc! { "$literal": value.into() })
}

pub fn date(t: chrono::DateTime<chrono::Utc>) -> Bson {
    Bson::DateTime(BsonDateTime::from_millis(t.timestamp_millis()))
}

/// `history` with `entry` appended, keeping the newest [`HISTORY_LIMIT`] entries.
pub fn history_push(entry: Document) -> Bson {
    let limit = i64::try_from(HISTORY_LIMIT).unwrap_or(i64::MAX);
    Bson::Document(doc! {
        "$slice": [
            { "$concatArrays": [ { "$ifNull": ["$history", []] }, [entry] ] },
            -limit,
        ]
    })
}

/// A history entry for the attempt in progress, written by its holder (or about it).
/// Field references read the document as it was before this update.
pub fn attempt_entry(outcome: impl Into<Bson>, error: Option<Bson>) -> Document {
    let mut entry = doc! {
        "at": now(),
        "attempt": "$attempts",
        "worker": "$lockedBy",
        "outcome": outcome.into(),
    };
    if let Some(error) = error {
        entry.insert("error", error);
    }
    entry
}

fn statuses(list: &[JobStatus]) -> Bson {
    Bson::Array(list.iter().map(|s| Bson::from(s.as_str())).collect())
}

/// True when the job can be claimed now (by the server's clock): waiting and due, or
/// running under an expired lease — with attempts left either way.
pub fn claimable_expr() -> Document {
    doc! {
        "$and": [
            { "$lt": ["$attempts", "$maxAttempts"] },
            { "$or": [
                { "$and": [
                    { "$in": ["$status", statuses(&[JobStatus::Pending, JobStatus::Scheduled])] },
                    { "$lte": ["$runAt", now()] },
                ] },
                { "$and": [
                    { "$eq": ["$status", JobStatus::Running.as_str()] },
                    { "$lt": ["$lockExpiry", now()] },
                ] },
            ] },
        ]
    }
}

/// The claim filter. The plain `status` predicate lets the server bound an index scan;
/// the `$expr` decides, on the server's clock.
pub fn claim_filter(id: Option<&str>, kind: Option<JobKind>) -> Document {
    let mut filter = Document::new();
    if let Some(id) = id {
        filter.insert("_id", id);
    }
    filter.insert(
        "status",
        doc! { "$in": statuses(&[JobStatus::Pending, JobStatus::Scheduled, JobStatus::Running]) },
    );
    if let Some(kind) = kind {
        filter.insert("kind", kind.as_str());
    }
    filter.insert("$expr", claimable_expr());
    filter
}

/// Claim order for `claim_due`: priority first, then the time the job became due.
pub fn claim_sort() -> Document {
    doc! { "priorityRank": 1, "runAt": 1 }
}

/// The claim write: one `findOneAndUpdate` sets the lease and increments `attempts` and
/// `leaseVersion` together. Taking over an expired lease records it in the history.
pub fn claim_update(worker: &WorkerId, lease: Duration) -> Vec<Document> {
    let expired = attempt_entry("lease_expired", Some(Bson::from("lease expired")));
    vec![doc! {
        "$set": {
            // First, and reading only the document as it was: every field of one
            // `$set` sees the input document.
            "history": {
                "$cond": [
                    { "$eq": ["$status", JobStatus::Running.as_str()] },
                    history_push(expired),
                    "$history",
                ]
            },
            "status": JobStatus::Running.as_str(),
            "lockedBy": lit(worker.as_str()),
            "lockedAt": now(),
            "lockExpiry": now_plus(lease),
            "attempts": { "$add": ["$attempts", 1_i64] },
            "leaseVersion": { "$add": ["$leaseVersion", 1_i64] },
            "updatedAt": now(),
        }
    }]
}

/// Running jobs whose lease expired (server clock) on their final attempt.
pub fn exhausted_filter(id: Option<&str>, kind: Option<JobKind>) -> Document {
    let mut filter = Document::new();
    if let Some(id) = id {
        filter.insert("_id", id);
    }
    filter.insert("status", JobStatus::Running.as_str());
    if let Some(kind) = kind {
        filter.insert("kind", kind.as_str());
    }
    filter.insert(
        "$expr",
        doc! { "$and": [
            { "$lt": ["$lockExpiry", now()] },
            { "$gte": ["$attempts", "$maxAttempts"] },
        ] },
    );
    filter
}

/// Moves an exhausted job to dead instead of running it again (crash loops end).
pub fn bury_update() -> Vec<Document> {
    vec![
        doc! {
            "$set": {
                "history": history_push(attempt_entry(
                    "lease_expired",
                    Some(Bson::from("lease expired on the final attempt")),
                )),
                "status": JobStatus::Dead.as_str(),
                "lastError": { "$concat": [
                    "lease expired on the final attempt (worker ",
                    { "$ifNull": ["$lockedBy", "?"] },
                    " stopped renewing)",
                ] },
                "completedAt": now(),
                "updatedAt": now(),
            }
        },
        unset_lock(),
    ]
}

fn unset_lock() -> Document {
    doc! { "$unset": LOCK_FIELDS.to_vec() }
}

/// The fence every write after a claim matches on.
pub fn fence(lease: &Lease) -> Document {
    doc! {
        "_id": lease.job_id.as_str(),
        "lockedBy": lease.worker.as_str(),
        "leaseVersion": i64::try_from(lease.version).unwrap_or(i64::MAX),
        "status": JobStatus::Running.as_str(),
    }
}

/// The fence, plus: the lease is still live by the server's clock. An expired lease
/// is never revived, whether or not another worker has taken the job yet.
pub fn renew_filter(lease: &Lease) -> Document {
    let mut filter = fence(lease);
    filter.insert("$expr", doc! { "$gte": ["$lockExpiry", now()] });
    filter
}

pub fn renew_update(lease_for: Duration) -> Vec<Document> {
    vec![doc! { "$set": { "lockExpiry": now_plus(lease_for), "updatedAt": now() } }]
}

pub fn complete_update() -> Vec<Document> {
    vec![
        doc! {
            "$set": {
                "history": history_push(attempt_entry("succeeded", None)),
                "status": JobStatus::Succeeded.as_str(),
                "completedAt": now(),
                "updatedAt": now(),
            }
        },
        unset_lock(),
    ]
}

/// A failed attempt. `retry_after` is `None` for a permanent error; otherwise the job
/// is scheduled again after the delay if it has attempts left, and is dead if not —
/// decided in the same write, on the stored attempt counts.
pub fn fail_update(error: &str, retry_after: Option<Duration>) -> Vec<Document> {
    let (retry, run_at) = match retry_after {
        Some(delay) => (
            Bson::Document(doc! { "$lt": ["$attempts", "$maxAttempts"] }),
            now_plus(delay),
        ),
        None => (Bson::Boolean(false), now()),
    };
    let pick = |yes: Bson, no: Bson| Bson::Document(doc! { "$cond": [retry.clone(), yes, no] });
    vec![
        doc! {
            "$set": {
                "history": history_push(attempt_entry(
                    pick("retrying".into(), "dead".into()),
                    Some(lit(error)),
                )),
                "status": pick(
                    JobStatus::Scheduled.as_str().into(),
                    JobStatus::Dead.as_str().into(),
                ),
                "runAt": pick(run_at, now()),
                "lastError": lit(error),
                "completedAt": pick("$$REMOVE".into(), now()),
                "updatedAt": now(),
            }
        },
        unset_lock(),
    ]
}

/// Back to scheduled after `delay`, returning the attempt it was charged.
pub fn snooze_update(delay: Duration, reason: &str) -> Vec<Document> {
    vec![
        doc! {
            "$set": {
                "history": history_push(attempt_entry("snoozed", Some(lit(reason)))),
                "status": JobStatus::Scheduled.as_str(),
                "runAt": now_plus(delay),
                "attempts": { "$add": ["$attempts", -1_i64] },
                "updatedAt": now(),
            }
        },
        unset_lock(),
    ]
}

/// Back to pending at once, returning the attempt it was charged.
pub fn release_update() -> Vec<Document> {
    vec![
        doc! {
            "$set": {
                "history": history_push(attempt_entry("released", None)),
                "status": JobStatus::Pending.as_str(),
                "runAt": { "$min": ["$runAt", now()] },
                "attempts": { "$add": ["$attempts", -1_i64] },
                "updatedAt": now(),
            }
        },
        unset_lock(),
    ]
}

pub fn cancel_update() -> Vec<Document> {
    vec![doc! {
        "$set": {
            "history": history_push(doc! {
                "at": now(),
                "attempt": "$attempts",
                "worker": Bson::Null,
                "outcome": "cancelled",
            }),
            "status": JobStatus::Cancelled.as_str(),
            "completedAt": now(),
            "updatedAt": now(),
        }
    }]
}

pub fn redrive_update() -> Vec<Document> {
    vec![
        doc! {
            "$set": {
                "status": JobStatus::Pending.as_str(),
                "attempts": 0_i64,
                "runAt": now(),
                "updatedAt": now(),
            }
        },
        doc! { "$unset": ["completedAt"] },
    ]
}

/// A tenant's jobs matching a list filter (a notification's channel is its payload's).
pub fn list_filter(tenant: &str, filter: &ListFilter) -> Document {
    let mut query = doc! { "tenant": tenant };
    if let Some(status) = filter.status {
        query.insert("status", status.as_str());
    }
    if let Some(kind) = filter.kind {
        query.insert("kind", kind.as_str());
    }
    if let Some(priority) = filter.priority {
        query.insert("priority", priority.as_str());
    }
    if let Some(channel) = filter.channel {
        query.insert("payload.channel", channel.as_str());
    }
    query
}

/// The jobs one bulk step selects: the tenant's, matching the filter, in the action's
/// starting status, below the cursor.
pub fn bulk_filter(tenant: &str, request: &BulkRequest) -> Document {
    let f = &request.filter;
    let mut query = list_filter(tenant, &f.listed());
    let from: Vec<&str> = request.action.from().iter().map(|s| s.as_str()).collect();
    query.insert("status", doc! { "$in": from });
    let mut created = Document::new();
    if let Some(after) = f.created_after {
        created.insert("$gt", bson_time(after));
    }
    if let Some(before) = f.created_before {
        created.insert("$lt", bson_time(before));
    }
    if !created.is_empty() {
        query.insert("createdAt", created);
    }
    if let Some(text) = &f.error_contains {
        query.insert("lastError", doc! { "$regex": regex_literal(text) });
    }
    let mut id = Document::new();
    if let Some(ids) = &f.ids {
        let ids: Vec<&str> = ids.iter().map(JobId::as_str).collect();
        id.insert("$in", ids);
    }
    if let Some(cursor) = &request.cursor {
        id.insert("$lt", cursor.as_str());
    }
    if !id.is_empty() {
        query.insert("_id", id);
    }
    query
}

fn bson_time(t: chrono::DateTime<chrono::Utc>) -> BsonDateTime {
    BsonDateTime::from_millis(t.timestamp_millis())
}

/// A regular expression that matches `text` literally, anywhere.
fn regex_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if "\\^$.|?*+()[]{}-/#".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A filter no existing document matches: an upsert with it always inserts, and an
/// `_id` that is already taken fails with a duplicate key instead of updating.
pub fn insert_filter(id: &str) -> Document {
    doc! { "_id": id, "$expr": false }
}

/// Statuses after which a match takes no more events.
const FINISHED: [JobStatus; 3] = [JobStatus::Succeeded, JobStatus::Dead, JobStatus::Cancelled];

/// A tenant's match that still takes events (pending, scheduled or running).
pub fn live_match_filter(tenant: &str, id: &str) -> Document {
    doc! {
        "_id": id,
        "tenant": tenant,
        "kind": JobKind::Match.as_str(),
        "status": { "$nin": statuses(&FINISHED) },
    }
}

/// Allocates the next sequence number of a match's log (the counter starts absent: 0).
pub fn next_seq_update() -> Document {
    doc! { "$inc": { "eventSeq": 1_i64 } }
}

/// The upsert pipeline that stores one event of a match's log at the server's time.
pub fn event_insert(match_id: &str, seq: u64, event: &EventRequest) -> Vec<Document> {
    let mut set = doc! {
        "matchId": lit(match_id),
        "seq": i64::try_from(seq).unwrap_or(i64::MAX),
        "type": event.kind.as_str(),
        "at": now(),
    };
    if let Some(player) = &event.player_id {
        set.insert("playerId", lit(player.as_str()));
    }
    if let Some(points) = event.points {
        set.insert("points", points);
    }
    if let Some(key) = &event.idempotency_key {
        set.insert("idempotencyKey", lit(key.as_str()));
    }
    vec![doc! { "$set": set }]
}

/// The event a match stored under an idempotency key (a point read of
/// [`EVENT_IDEMPOTENCY_INDEX`]).
pub fn event_by_key_filter(match_id: &str, key: &str) -> Document {
    doc! { "matchId": match_id, "idempotencyKey": key }
}

/// A tenant's match, whatever its status (the tenant check of a replayed event).
pub fn tenant_match_filter(tenant: &str, id: &str) -> Document {
    doc! { "_id": id, "tenant": tenant, "kind": JobKind::Match.as_str() }
}

/// A match's events after `after` (with [`events_sort`], a range scan of
/// [`MATCH_EVENTS_INDEX`]).
pub fn events_after_filter(match_id: &str, after: u64) -> Document {
    doc! { "matchId": match_id, "seq": { "$gt": i64::try_from(after).unwrap_or(i64::MAX) } }
}

pub fn events_sort() -> Document {
    doc! { "seq": 1 }
}

/// A match's snapshot as `$set` fields of an update pipeline.
pub fn snapshot_fields(snapshot: &MatchSnapshot, state: Bson) -> Document {
    let opt_date = |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or(Bson::Null, date);
    doc! {
        "state": lit(state),
        "stateVersion": i64::try_from(snapshot.state_version).unwrap_or(i64::MAX),
        "appliedSeq": i64::try_from(snapshot.applied_seq).unwrap_or(i64::MAX),
        "startedAt": opt_date(snapshot.started_at),
        "endsAt": opt_date(snapshot.ends_at),
    }
}

/// The host's save (sent with the [`fence`]).
pub fn save_snapshot_update(snapshot: Document) -> Vec<Document> {
    let mut set = snapshot;
    set.insert("updatedAt", now());
    vec![doc! { "$set": set }]
}

/// The end of a match (sent with the [`fence`]): [`complete_update`] plus the final
/// snapshot and the result, in the same single-document write.
pub fn finish_update(snapshot: Document, result: Bson) -> Vec<Document> {
    let mut update = complete_update();
    if let Some(Ok(set)) = update
        .first_mut()
        .map(|stage| stage.get_document_mut("$set"))
    {
        set.extend(snapshot);
        set.insert("result", lit(result));
    }
    update
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_strings_are_literals() {
        let update = fail_update("$oops", None);
        let set = update[0].get_document("$set").unwrap();
        assert_eq!(
            set.get("lastError"),
            Some(&Bson::Document(doc! { "$literal": "$oops" }))
        );
    }

    #[test]
    fn claim_filter_is_fenced_on_attempts_and_server_time() {
        let filter = claim_filter(Some("x"), Some(JobKind::Match));
        let text = filter.to_string();
        assert!(text.contains("$$NOW"), "{text}");
        assert!(text.contains("maxAttempts"), "{text}");
        assert_eq!(filter.get_str("kind").unwrap(), "match");
    }

    #[test]
    fn finish_is_complete_plus_snapshot_and_result() {
        let update = finish_update(doc! { "appliedSeq": 3_i64 }, Bson::from("r"));
        let set = update[0].get_document("$set").unwrap();
        assert_eq!(set.get_str("status").unwrap(), "succeeded");
        assert_eq!(set.get_i64("appliedSeq").unwrap(), 3);
        assert_eq!(set.get("result"), Some(&lit("r")));
        assert_eq!(
            update[1],
            unset_lock(),
            "the lock is cleared as by complete"
        );
    }

    #[test]
    fn history_keeps_the_newest_entries() {
        let push = history_push(doc! {});
        let text = push.to_string();
        assert!(text.contains(&format!("-{HISTORY_LIMIT}")), "{text}");
    }
}
