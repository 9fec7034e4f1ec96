//! Matches in the MongoDB store (`docs/matches.md`).
//!
//! A match is a document of `jobs` (kind `match`) that also carries the hosted
//! snapshot (`state`, `stateVersion`, `appliedSeq`, `startedAt`, `endsAt`), the
//! `result` once it ended, and `eventSeq`, the last sequence number of its log; all
//! absent on other jobs. The log is the `match_events` collection, one document per
//! event, unique on `(matchId, seq)`.
//!
//! Sequence numbers: an append is one transaction of two writes — a
//! `findOneAndUpdate` that `$inc`s `eventSeq` on the match, filtered on the tenant,
//! kind and a status that still takes events, then the insert of the event under the
//! new value at the server's `$$NOW`. Both commit or neither does, so a crash cannot
//! burn a number (no gaps); two concurrent appends write the same match document, so
//! one of them gets a `WriteConflict` and re-runs (no repeats — and the unique index
//! would refuse a repeat even so).
//!
//! Idempotency keys: an event appended with a key stores it, unique per match (a
//! partial unique index on `(matchId, idempotencyKey)`). The append transaction looks
//! the key up first and answers a replay with the stored event, writing nothing.
//!
//! Concurrent appends to one match conflict on every overlap and re-run, so a burst
//! of them from one process would mostly spend itself on conflicts: appends from this
//! process queue (FIFO) per match first ([`AppendQueues`]), and only appends from
//! different processes race in the server.
//!
//! State writes present the fence like `complete`; `finish_match` is one transaction:
//! the fenced final write (snapshot, result, `succeeded`, lock cleared) and then the
//! result notifications through the same idempotent insert as `insert_many`. When the
//! fence matches nothing the transaction is aborted before any insert.

use async_trait::async_trait;
use futures::TryStreamExt;
use mongodb::bson::{doc, Document};
use mongodb::options::{Hint, ReturnDocument};
use mongodb::ClientSession;

use super::{codec, mongo, pipeline as q, MongoStore, TxnError};
use crate::job::{JobId, JobKind, JobStatus, NewJob, TenantId};
use crate::lease::Lease;
use crate::matches::{EventRequest, MatchEvent, MatchRecord, MatchResult, MatchSnapshot};
use crate::store::{Appended, Inserted, MatchStore, StoreError, StoreResult};

/// Striped FIFO locks, one taken per append by match id: this process's appends to one
/// match run one at a time instead of conflicting in the server. Bounded (matches
/// sharing a stripe just queue together) and never cleaned up.
pub(super) struct AppendQueues([tokio::sync::Mutex<()>; APPEND_STRIPES]);

const APPEND_STRIPES: usize = 64;

impl Default for AppendQueues {
    fn default() -> Self {
        Self(std::array::from_fn(|_| tokio::sync::Mutex::new(())))
    }
}

impl AppendQueues {
    fn stripe(&self, id: &str) -> &tokio::sync::Mutex<()> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(id);
        &self.0[usize::try_from(hash % APPEND_STRIPES as u64).unwrap_or(0)]
    }
}

impl MongoStore {
    /// Why a tenant's id takes no events: not there, another tenant's, not a match
    /// (all `NotFound`), or finished.
    async fn why_not_appendable(
        &self,
        session: &mut ClientSession,
        tenant: &str,
        id: &str,
    ) -> Result<StoreError, TxnError> {
        let found = self
            .jobs
            .find_one(doc! { "_id": id, "tenant": tenant })
            .projection(doc! { "kind": 1, "status": 1 })
            .session(session)
            .await?;
        let Some(job) = found else {
            return Ok(StoreError::NotFound);
        };
        if job.get_str("kind") != Ok(JobKind::Match.as_str()) {
            return Ok(StoreError::NotFound);
        }
        let status = job
            .get_str("status")
            .map_err(|e| StoreError::Corrupt(format!("field status: {e}")))?
            .parse::<JobStatus>()
            .map_err(|e| StoreError::Corrupt(format!("field status: {e}")))?;
        Ok(StoreError::MatchFinished { status })
    }

    /// The body of the append transaction.
    async fn append_in(
        &self,
        session: &mut ClientSession,
        tenant: &str,
        id: &str,
        event: &EventRequest,
    ) -> Result<Appended, TxnError> {
        // The key first, before the finished check: a replay is the original answer,
        // even once the match has ended. A concurrent append under the same key that
        // commits after this read also wrote the match document, so our `$inc` below
        // fails with a WriteConflict (or, failing that, our insert with a duplicate on
        // the key index); either re-runs this body, which then finds the event here.
        if let Some(key) = &event.idempotency_key {
            let stored = self
                .events
                .find_one(q::event_by_key_filter(id, key))
                .session(&mut *session)
                .await?;
            if let Some(stored) = stored {
                // The log has no tenant: the match's row says whose it is.
                let owned = self
                    .jobs
                    .find_one(q::tenant_match_filter(tenant, id))
                    .projection(doc! { "_id": 1 })
                    .session(&mut *session)
                    .await?;
                return match owned {
                    Some(_) => Ok(Appended::Replayed(codec::event_from_doc(&stored)?)),
                    None => Err(TxnError::Store(StoreError::NotFound)),
                };
            }
        }
        let bumped = self
            .jobs
            .find_one_and_update(q::live_match_filter(tenant, id), q::next_seq_update())
            .projection(doc! { "eventSeq": 1 })
            .return_document(ReturnDocument::After)
            .session(&mut *session)
            .await?;
        let Some(bumped) = bumped else {
            return Err(TxnError::Store(
                self.why_not_appendable(session, tenant, id).await?,
            ));
        };
        let seq = codec::event_seq(&bumped)?;
        let stored = self
            .events
            .find_one_and_update(
                q::insert_filter(&format!("{id}:{seq}")),
                q::event_insert(id, seq, event),
            )
            .upsert(true)
            .return_document(ReturnDocument::After)
            .session(&mut *session)
            .await?
            .ok_or_else(|| StoreError::Other(anyhow::anyhow!("event upsert returned nothing")))?;
        Ok(Appended::New(codec::event_from_doc(&stored)?))
    }

    /// The body of the finish transaction: the fenced write, then the notifications.
    async fn finish_in(
        &self,
        session: &mut ClientSession,
        lease: &Lease,
        update: &[Document],
        notifications: &[NewJob],
    ) -> Result<Vec<Inserted>, TxnError> {
        let finished = self
            .jobs
            .find_one_and_update(q::fence(lease), update.to_vec())
            .session(&mut *session)
            .await?;
        if finished.is_none() {
            return Err(TxnError::Store(StoreError::LeaseLost));
        }
        // The log expires RETENTION_MATCH_EVENTS after the end (the TTL index on
        // match_events; kept for ever when it is off).
        if let Some(keep) = self.lifecycle.match_events {
            self.events
                .update_many(
                    doc! { "matchId": lease.job_id.as_str() },
                    vec![doc! { "$set": { "expireAt": q::now_plus(keep) } }],
                )
                .session(&mut *session)
                .await?;
        }
        self.insert_in(session, notifications).await
    }
}

#[async_trait]
impl MatchStore for MongoStore {
    async fn append_event(
        &self,
        tenant: &TenantId,
        id: &JobId,
        event: &EventRequest,
    ) -> StoreResult<Appended> {
        let (tenant, id) = (tenant.as_str(), id.as_str());
        let _queued = self.append_queues.stripe(id).lock().await;
        self.transaction(|mut session| {
            Box::pin(async move {
                let out = self.append_in(&mut session, tenant, id, event).await;
                (session, out)
            })
        })
        .await
    }

    async fn get_match(&self, tenant: &TenantId, id: &JobId) -> StoreResult<MatchRecord> {
        let filter =
            doc! { "_id": id.as_str(), "tenant": tenant.as_str(), "kind": JobKind::Match.as_str() };
        match self.jobs.find_one(filter).await.map_err(mongo)? {
            Some(doc) => codec::match_record_from_doc(&doc),
            None => Err(StoreError::NotFound),
        }
    }

    async fn events_after(
        &self,
        id: &JobId,
        after: u64,
        limit: usize,
    ) -> StoreResult<Vec<MatchEvent>> {
        // A limit of 0 means "no limit" to the server.
        if limit == 0 {
            return Ok(Vec::new());
        }
        let docs: Vec<Document> = self
            .events
            .find(q::events_after_filter(id.as_str(), after))
            .sort(q::events_sort())
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .hint(Hint::Name(q::MATCH_EVENTS_INDEX.to_owned()))
            .await
            .map_err(mongo)?
            .try_collect()
            .await
            .map_err(mongo)?;
        docs.iter().map(codec::event_from_doc).collect()
    }

    async fn load_snapshot(&self, id: &JobId) -> StoreResult<MatchSnapshot> {
        let found = self
            .jobs
            .find_one(doc! { "_id": id.as_str(), "kind": JobKind::Match.as_str() })
            .projection(doc! {
                "state": 1, "stateVersion": 1, "appliedSeq": 1, "startedAt": 1, "endsAt": 1,
            })
            .await
            .map_err(mongo)?;
        match found {
            Some(doc) => codec::snapshot_from_doc(&doc),
            None => Err(StoreError::NotFound),
        }
    }

    async fn save_snapshot(&self, lease: &Lease, snapshot: &MatchSnapshot) -> StoreResult<()> {
        let state = codec::to_bson(&snapshot.state, "the match state")?;
        let update = q::save_snapshot_update(q::snapshot_fields(snapshot, state));
        self.fenced(lease, update).await.map(|_| ())
    }

    async fn finish_match(
        &self,
        lease: &Lease,
        snapshot: &MatchSnapshot,
        result: &MatchResult,
        notifications: Vec<NewJob>,
    ) -> StoreResult<Vec<Inserted>> {
        let state = codec::to_bson(&snapshot.state, "the match state")?;
        let result = codec::to_bson(result, "the match result")?;
        let update = self.expiring(q::finish_update(
            q::snapshot_fields(snapshot, state),
            result,
        ));
        let (update, notifications) = (&update, &notifications);
        self.transaction(|mut session| {
            Box::pin(async move {
                let out = self
                    .finish_in(&mut session, lease, update, notifications)
                    .await;
                (session, out)
            })
        })
        .await
    }
}
