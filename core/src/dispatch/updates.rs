//! Match updates (`docs/streams.md`): what live match streams carry between processes.
//!
//! Three kinds, each published to the consumer group's `G.match-updates` exchange
//! (direct, durable, no queues of its own) under the match id as routing key:
//! - `event`: one entry of the match's log, published by the API instance that stored
//!   it, after the store committed it;
//! - `state`: the host worker's snapshot, after each fenced save;
//! - `ended`: the final snapshot and the result, after the host's fenced finish.
//!
//! Every API instance with live subscribers has one exclusive, auto-delete queue
//! ([`UpdateQueue`]) bound under the id of each match it has subscribers for. Like a
//! wake-up, an update is a hint: the log and the snapshot in the store are the truth, so
//! updates are transient and never retried, and a subscriber that sees a gap in `seq`
//! reads the log to fill it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::rabbitmq::{HintQueue, Session};
use super::DispatchError;
use crate::job::{JobId, JobStatus};
use crate::matches::{EventKind, MatchEvent, MatchResult, MatchSnapshot};

/// One update of one match: `{"kind": "event"|"state"|"ended", "data": {...}}`. The same
/// JSON is what a WebSocket client receives, and `data` is what an SSE message holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "lowercase")]
pub enum MatchUpdate {
    Event(EventUpdate),
    State(StateUpdate),
    Ended(EndedUpdate),
}

impl MatchUpdate {
    /// `event`, `state` or `ended`: the SSE `event` field and the metrics label.
    pub fn kind(&self) -> &'static str {
        match self {
            MatchUpdate::Event(_) => "event",
            MatchUpdate::State(_) => "state",
            MatchUpdate::Ended(_) => "ended",
        }
    }

    /// The body on the broker: the update and the match it belongs to.
    pub fn encode(&self, match_id: &JobId) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&Envelope {
            match_id: match_id.as_str().to_owned(),
            update: self.clone(),
        })
    }

    /// Reads a body written by [`MatchUpdate::encode`].
    pub fn decode(body: &[u8]) -> Result<(String, Self), serde_json::Error> {
        let envelope: Envelope = serde_json::from_slice(body)?;
        Ok((envelope.match_id, envelope.update))
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    match_id: String,
    #[serde(flatten)]
    update: MatchUpdate,
}

/// One log entry: `seq`, `type`, `playerId`, `points`, `at` (the store's append time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventUpdate {
    pub seq: u64,
    #[serde(rename = "type")]
    pub kind: EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub player_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<i64>,
    pub at: DateTime<Utc>,
}

impl From<&MatchEvent> for EventUpdate {
    fn from(e: &MatchEvent) -> Self {
        Self {
            seq: e.seq,
            kind: e.event.kind,
            player_id: e.event.player_id.clone(),
            points: e.event.points,
            at: e.at,
        }
    }
}

/// The host's state after a save: `stateVersion`, `appliedSeq` and the engine's
/// `state` (`{"scores": {...}}` for a scoreboard), as `GET /v1/matches/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateUpdate {
    pub state_version: u64,
    pub applied_seq: u64,
    pub state: serde_json::Value,
}

impl From<&MatchSnapshot> for StateUpdate {
    fn from(s: &MatchSnapshot) -> Self {
        Self {
            state_version: s.state_version,
            applied_seq: s.applied_seq,
            state: s.state.clone(),
        }
    }
}

/// The final state and the result. The last message of a stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndedUpdate {
    /// `succeeded` for a match that ended; `cancelled` or `dead` for one that never will.
    pub status: JobStatus,
    pub state_version: u64,
    pub applied_seq: u64,
    pub state: serde_json::Value,
    /// The standings; `null` unless the match succeeded.
    pub result: Option<MatchResult>,
}

/// An API instance's queue of match updates: exclusive and auto-delete, so it goes with
/// the instance's connection; bound under the id of every match with live subscribers
/// here; consumed without acks (an update is a hint).
#[derive(Debug)]
pub struct UpdateQueue(HintQueue);

impl std::ops::Deref for UpdateQueue {
    type Target = HintQueue;
    fn deref(&self) -> &HintQueue {
        &self.0
    }
}

impl UpdateQueue {
    /// Declares this process's queue on `session` and starts consuming it.
    pub async fn open(session: &Session) -> Result<Self, DispatchError> {
        let channel = session.open_channel().await?;
        let exchange = session.topology().match_updates_exchange();
        Ok(Self(
            HintQueue::open(channel, exchange, "match updates").await?,
        ))
    }

    /// The next delivery's body (undecoded: a bad one is the caller's to log).
    pub async fn next(&mut self) -> Result<Vec<u8>, DispatchError> {
        Ok(self.0.next_delivery().await?.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matches::{EndedBy, Standing};

    #[test]
    fn updates_round_trip_with_their_match() {
        let id = JobId::new();
        let at = Utc::now();
        let updates = [
            MatchUpdate::Event(EventUpdate {
                seq: 3,
                kind: EventKind::Score,
                player_id: Some("ann".into()),
                points: Some(2),
                at,
            }),
            MatchUpdate::State(StateUpdate {
                state_version: 4,
                applied_seq: 3,
                state: serde_json::json!({"scores": {"ann": 2}}),
            }),
            MatchUpdate::Ended(EndedUpdate {
                status: JobStatus::Succeeded,
                state_version: 5,
                applied_seq: 4,
                state: serde_json::json!({"scores": {"ann": 2}}),
                result: Some(MatchResult {
                    standings: vec![Standing {
                        player_id: "ann".into(),
                        points: 2,
                        rank: 1,
                    }],
                    ended_by: EndedBy::End,
                }),
            }),
        ];
        for update in updates {
            let body = update.encode(&id).unwrap_or_default();
            let (match_id, back) = MatchUpdate::decode(&body).expect("decodes");
            assert_eq!(match_id, id.as_str());
            assert_eq!(back, update);
        }
        let json = serde_json::to_value(MatchUpdate::Event(EventUpdate {
            seq: 1,
            kind: EventKind::Join,
            player_id: Some("bob".into()),
            points: None,
            at,
        }))
        .unwrap_or_default();
        assert_eq!(json["kind"], "event");
        assert_eq!(json["data"]["seq"], 1);
        assert_eq!(json["data"]["type"], "join");
        assert_eq!(json["data"]["playerId"], "bob");
        assert!(json["data"].get("points").is_none());
    }
}
