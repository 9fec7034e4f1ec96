//! Matches (`docs/matches.md`): long-running jobs that one worker hosts from start to end.
//!
//! A match is a job of kind `match` whose payload is the [`MatchRequest`] the client
//! sent. Beside the job, the store keeps:
//! - an ordered **event log** per match: [`MatchEvent`]s with sequence numbers 1, 2, 3…
//!   allocated atomically by the store (no gaps, no repeats, whichever API instance
//!   appends);
//! - a [`MatchSnapshot`]: the engine's `state`, its `stateVersion`, the `appliedSeq` of
//!   the last event folded into it, and `startedAt`/`endsAt` — written only under the
//!   host's fenced lease, so a takeover resumes exactly where the last saved snapshot
//!   stops and a stale host can never overwrite the new host's state.
//!
//! The rules of a match type live behind [`MatchEngine`]; [`Scoreboard`] is built in.
//! Everything here is pure: the stores persist it, the API validates with it, the
//! worker drives it.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::job::{JobId, JobKind, NewJob, Priority, TenantId};
use crate::notification::{
    validate_recipient, Channel, NotificationRequest, Recipient, ValidationError,
};

/// Most players in one match.
pub const MAX_PLAYERS: usize = 100;
/// Longest player id.
pub const MAX_PLAYER_ID_CHARS: usize = 64;
/// Longest match: one day.
pub const MAX_DURATION_SEC: u32 = 86_400;
/// Largest absolute `points` of one score event.
pub const MAX_POINTS: i64 = 1_000_000;
/// Largest `metadata`, as JSON bytes.
pub const MAX_MATCH_METADATA_BYTES: usize = 8 * 1024;
/// Claims a match may take before it goes dead. Every host crash spends one (the lease
/// protocol's crash-loop rule), so this is how many failovers a match survives.
pub const MATCH_MAX_ATTEMPTS: u32 = 10;

/// The match types Herald knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchType {
    Scoreboard,
}

impl MatchType {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchType::Scoreboard => "scoreboard",
        }
    }
}

impl fmt::Display for MatchType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a player's result notification goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PlayerNotify {
    pub channel: Channel,
    pub recipient: Recipient,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Player {
    pub id: String,
    pub notify: PlayerNotify,
}

/// `POST /v1/matches`: what a client asks for. Stored, validated, as the job payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MatchRequest {
    #[serde(rename = "type")]
    pub match_type: MatchType,
    pub players: Vec<Player>,
    #[serde(deserialize_with = "crate::json_fields::integer")]
    pub duration_sec: u32,
    #[serde(
        default,
        deserialize_with = "crate::json_fields::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

impl MatchRequest {
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.players.is_empty() || self.players.len() > MAX_PLAYERS {
            return Err(ValidationError::new(
                "players",
                format!("a match has 1 to {MAX_PLAYERS} players"),
            ));
        }
        let mut seen = HashSet::new();
        for (i, player) in self.players.iter().enumerate() {
            let field = format!("players[{i}]");
            let id_ok = !player.id.is_empty()
                && player.id.chars().count() <= MAX_PLAYER_ID_CHARS
                && player
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !id_ok {
                return Err(ValidationError::new(
                    format!("{field}.id"),
                    format!("a player id is 1 to {MAX_PLAYER_ID_CHARS} of A-Z a-z 0-9 - _ ."),
                ));
            }
            if !seen.insert(player.id.as_str()) {
                return Err(ValidationError::new(
                    format!("{field}.id"),
                    format!("player {:?} appears twice", player.id),
                ));
            }
            validate_recipient(player.notify.channel, &player.notify.recipient)
                .map_err(|e| e.within(&format!("{field}.notify")))?;
        }
        if self.duration_sec == 0 || self.duration_sec > MAX_DURATION_SEC {
            return Err(ValidationError::new(
                "durationSec",
                format!("must be between 1 and {MAX_DURATION_SEC}"),
            ));
        }
        if let Some(metadata) = &self.metadata {
            let len = serde_json::to_vec(metadata).map_or(usize::MAX, |v| v.len());
            if len > MAX_MATCH_METADATA_BYTES {
                return Err(ValidationError::new(
                    "metadata",
                    format!("larger than {MAX_MATCH_METADATA_BYTES} bytes"),
                ));
            }
        }
        Ok(())
    }

    /// Checks an event against this match: the player must be one of its players.
    pub fn validate_event(&self, event: &EventRequest) -> Result<(), ValidationError> {
        match event.kind {
            EventKind::Join | EventKind::Score => {
                let Some(player) = &event.player_id else {
                    return Err(ValidationError::new(
                        "playerId",
                        format!("a {} event names its playerId", event.kind),
                    ));
                };
                if !self.players.iter().any(|p| &p.id == player) {
                    return Err(ValidationError::new(
                        "playerId",
                        format!("{player:?} is not a player of this match"),
                    ));
                }
            }
            EventKind::End => {
                if event.player_id.is_some() || event.points.is_some() {
                    return Err(ValidationError::new(
                        "type",
                        "an end event has no playerId or points",
                    ));
                }
            }
        }
        match (event.kind, event.points) {
            (EventKind::Score, None) => Err(ValidationError::new(
                "points",
                "a score event carries points",
            )),
            (EventKind::Score, Some(p)) if p.abs() > MAX_POINTS => Err(ValidationError::new(
                "points",
                format!("must be between -{MAX_POINTS} and {MAX_POINTS}"),
            )),
            (EventKind::Join, Some(_)) => {
                Err(ValidationError::new("points", "a join event has no points"))
            }
            _ => Ok(()),
        }
    }

    /// The job that hosts this (already validated) match.
    pub fn to_new_job(&self, tenant: TenantId) -> Result<NewJob, serde_json::Error> {
        Ok(
            NewJob::new(JobKind::Match, tenant, serde_json::to_value(self)?)
                .priority(Priority::High)
                .max_attempts(MATCH_MAX_ATTEMPTS),
        )
    }

    /// Reads a match job's payload back.
    pub fn from_payload(payload: &serde_json::Value) -> Result<Self, serde_json::Error> {
        Self::deserialize(payload)
    }

    /// One result notification per player, each with the idempotency key
    /// `match:<id>:result:<player>`, so a failover while ending never sends twice.
    pub fn result_notifications(
        &self,
        match_id: &JobId,
        tenant: &TenantId,
        result: &MatchResult,
    ) -> Result<Vec<NewJob>, serde_json::Error> {
        let mut jobs = Vec::with_capacity(self.players.len());
        for player in &self.players {
            let standing = result.standings.iter().find(|s| s.player_id == player.id);
            let (points, rank) =
                standing.map_or((0, result.standings.len() + 1), |s| (s.points, s.rank));
            let mut metadata = serde_json::Map::new();
            metadata.insert("matchId".into(), match_id.as_str().into());
            metadata.insert("playerId".into(), player.id.clone().into());
            metadata.insert("points".into(), points.into());
            metadata.insert("rank".into(), rank.into());
            let request = NotificationRequest {
                channel: player.notify.channel,
                recipient: player.notify.recipient.clone(),
                subject: Some(format!("Your {} result", self.match_type)),
                body: Some(format!(
                    "Match {match_id} is over: you scored {points} points and placed {rank} of {}.",
                    self.players.len()
                )),
                template: None,
                data: None,
                priority: Some(Priority::High),
                send_at: None,
                quiet_hours: None,
                max_attempts: None,
                metadata: Some(metadata),
            };
            jobs.push(
                crate::notification::job_of(&request, tenant.clone())?
                    .idempotency_key(result_idempotency_key(match_id, &player.id)),
            );
        }
        Ok(jobs)
    }
}

/// `match:<id>:result:<player>`.
pub fn result_idempotency_key(match_id: &JobId, player_id: &str) -> String {
    format!("match:{match_id}:result:{player_id}")
}

/// The kinds of event a match log holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    Join,
    Score,
    End,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Join => "join",
            EventKind::Score => "score",
            EventKind::End => "end",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `POST /v1/matches/{id}/events`: `{"type": "join"|"score"|"end", "playerId"?, "points"?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EventRequest {
    #[serde(rename = "type")]
    pub kind: EventKind,
    #[serde(
        default,
        deserialize_with = "crate::json_fields::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub player_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::json_fields::optional_integer",
        skip_serializing_if = "Option::is_none"
    )]
    pub points: Option<i64>,
    /// The `Idempotency-Key` header of the request that appended the event: a retry
    /// under the same key (per match) gets the event first stored under it back
    /// instead of appending it again. Never part of the body (the header carries it)
    /// nor of the event's JSON.
    #[serde(skip)]
    pub idempotency_key: Option<String>,
}

/// One entry of a match's log, as the store returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchEvent {
    /// 1, 2, 3… per match, allocated atomically by the store.
    pub seq: u64,
    #[serde(flatten)]
    pub event: EventRequest,
    /// The store's time when the event was appended (event→applied latency starts here).
    pub at: DateTime<Utc>,
}

/// The hosted part of a match, saved under the host's fenced lease.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchSnapshot {
    /// The engine's state (`{"scores": {...}}` for a scoreboard); `null` before the
    /// first host starts the match.
    pub state: serde_json::Value,
    /// Incremented by every save.
    pub state_version: u64,
    /// The `seq` of the last event folded into `state`; 0 before any.
    pub applied_seq: u64,
    /// When the first host started the match; kept across failovers.
    pub started_at: Option<DateTime<Utc>>,
    /// `startedAt + durationSec`.
    pub ends_at: Option<DateTime<Utc>>,
}

impl MatchSnapshot {
    /// What a match has before any host saved anything.
    pub fn initial() -> Self {
        Self {
            state: serde_json::Value::Null,
            state_version: 0,
            applied_seq: 0,
            started_at: None,
            ends_at: None,
        }
    }
}

/// A player's place in a finished match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Standing {
    pub player_id: String,
    pub points: i64,
    /// 1 for the best; equal points share a rank.
    pub rank: usize,
}

/// The final result of a match, stored when it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchResult {
    pub standings: Vec<Standing>,
    /// Why it ended: `end` (an end event) or `time` (`endsAt` passed).
    pub ended_by: EndedBy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndedBy {
    End,
    Time,
}

/// A match as `GET /v1/matches/{id}` reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchRecord {
    /// The job (status, `lockedBy` = the host, attempts, …).
    pub job: crate::job::Job,
    pub snapshot: MatchSnapshot,
    /// The highest `seq` appended so far (0 with no events).
    pub last_seq: u64,
    /// Set once the match succeeded.
    pub result: Option<MatchResult>,
}

/// What applying one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Continue,
    /// The event ends the match.
    Ended,
}

/// The rules of one match type. Pure: the worker folds the log through it and saves
/// the state; the same events always give the same state.
pub trait MatchEngine: Send + Sync + fmt::Debug {
    fn match_type(&self) -> MatchType;

    /// The state before any event.
    fn initial_state(&self, spec: &MatchRequest) -> serde_json::Value;

    /// Folds one event into `state`. An event the state cannot take (a corrupt
    /// state) is an error; an event that is merely pointless (a second join) is not.
    fn apply(
        &self,
        spec: &MatchRequest,
        state: &mut serde_json::Value,
        event: &MatchEvent,
    ) -> Result<Applied, MatchEngineError>;

    /// The result of a finished match.
    fn result(
        &self,
        spec: &MatchRequest,
        state: &serde_json::Value,
        ended_by: EndedBy,
    ) -> Result<MatchResult, MatchEngineError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("match state: {0}")]
pub struct MatchEngineError(pub String);

/// The engine for a match type.
pub fn engine_for(match_type: MatchType) -> &'static dyn MatchEngine {
    match match_type {
        MatchType::Scoreboard => &Scoreboard,
    }
}

/// The built-in match type: players join, score points, and the match ends with an
/// `end` event or when `durationSec` has passed. State: `{"scores": {player: points},
/// "joined": [player, …]}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scoreboard;

#[derive(Debug, Default, Serialize, Deserialize)]
struct ScoreboardState {
    scores: BTreeMap<String, i64>,
    #[serde(default)]
    joined: Vec<String>,
}

impl ScoreboardState {
    fn read(state: &serde_json::Value) -> Result<Self, MatchEngineError> {
        if state.is_null() {
            return Ok(Self::default());
        }
        Self::deserialize(state).map_err(|e| MatchEngineError(e.to_string()))
    }

    fn write(&self) -> Result<serde_json::Value, MatchEngineError> {
        serde_json::to_value(self).map_err(|e| MatchEngineError(e.to_string()))
    }
}

impl MatchEngine for Scoreboard {
    fn match_type(&self) -> MatchType {
        MatchType::Scoreboard
    }

    fn initial_state(&self, spec: &MatchRequest) -> serde_json::Value {
        let scores = spec.players.iter().map(|p| (p.id.clone(), 0i64)).collect();
        let state = ScoreboardState {
            scores,
            joined: Vec::new(),
        };
        state.write().unwrap_or(serde_json::Value::Null)
    }

    fn apply(
        &self,
        _spec: &MatchRequest,
        state: &mut serde_json::Value,
        event: &MatchEvent,
    ) -> Result<Applied, MatchEngineError> {
        let mut board = ScoreboardState::read(state)?;
        let applied = match (event.event.kind, &event.event.player_id) {
            (EventKind::Join, Some(player)) => {
                if !board.joined.contains(player) {
                    board.joined.push(player.clone());
                }
                board.scores.entry(player.clone()).or_insert(0);
                Applied::Continue
            }
            (EventKind::Score, Some(player)) => {
                let points = event.event.points.unwrap_or(0);
                let score = board.scores.entry(player.clone()).or_insert(0);
                *score = score.saturating_add(points);
                Applied::Continue
            }
            (EventKind::End, _) => Applied::Ended,
            (kind, None) => {
                return Err(MatchEngineError(format!(
                    "event {} ({kind}) names no player",
                    event.seq
                )))
            }
        };
        *state = board.write()?;
        Ok(applied)
    }

    fn result(
        &self,
        spec: &MatchRequest,
        state: &serde_json::Value,
        ended_by: EndedBy,
    ) -> Result<MatchResult, MatchEngineError> {
        let board = ScoreboardState::read(state)?;
        let mut points: Vec<(String, i64)> = spec
            .players
            .iter()
            .map(|p| (p.id.clone(), board.scores.get(&p.id).copied().unwrap_or(0)))
            .collect();
        points.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut standings = Vec::with_capacity(points.len());
        for (i, (player_id, pts)) in points.iter().enumerate() {
            let rank = match standings.last() {
                Some(Standing {
                    points: prev, rank, ..
                }) if prev == pts => *rank,
                _ => i + 1,
            };
            standings.push(Standing {
                player_id: player_id.clone(),
                points: *pts,
                rank,
            });
        }
        Ok(MatchResult {
            standings,
            ended_by,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> MatchRequest {
        serde_json::from_value(json!({
            "type": "scoreboard",
            "players": [
                {"id": "ann", "notify": {"channel": "log", "recipient": {"address": "ann"}}},
                {"id": "bob", "notify": {"channel": "email", "recipient": {"address": "bob@example.com"}}},
                {"id": "cy", "notify": {"channel": "log", "recipient": {"address": "cy"}}}
            ],
            "durationSec": 60
        }))
        .unwrap_or_else(|e| panic!("spec: {e}"))
    }

    fn event(seq: u64, kind: EventKind, player: Option<&str>, points: Option<i64>) -> MatchEvent {
        MatchEvent {
            seq,
            event: EventRequest {
                kind,
                player_id: player.map(str::to_owned),
                points,
                idempotency_key: None,
            },
            at: Utc::now(),
        }
    }

    #[test]
    fn a_valid_match_passes_and_bad_ones_name_the_field() {
        let good = spec();
        assert_eq!(good.validate(), Ok(()));

        let mut dup = spec();
        dup.players[1].id = "ann".into();
        assert_eq!(
            dup.validate().map_err(|e| e.field),
            Err("players[1].id".into())
        );

        let mut bad_addr = spec();
        bad_addr.players[1].notify.recipient.address = "not-an-email".into();
        assert_eq!(
            bad_addr.validate().map_err(|e| e.field),
            Err("players[1].notify.recipient.address".into())
        );

        let mut long = spec();
        long.duration_sec = MAX_DURATION_SEC + 1;
        assert_eq!(
            long.validate().map_err(|e| e.field),
            Err("durationSec".into())
        );

        let mut none = spec();
        none.players.clear();
        assert_eq!(none.validate().map_err(|e| e.field), Err("players".into()));
    }

    #[test]
    fn unknown_fields_and_types_are_rejected() {
        let extra = serde_json::from_value::<MatchRequest>(json!({
            "type": "scoreboard", "players": [], "durationSec": 1, "colour": "red"
        }));
        assert!(extra.is_err());
        let chess = serde_json::from_value::<MatchRequest>(json!({
            "type": "chess", "players": [], "durationSec": 1
        }));
        assert!(chess.is_err());
        let event = serde_json::from_value::<EventRequest>(json!({"type": "score", "who": "x"}));
        assert!(event.is_err());
        // The key comes from the header only: a body naming it is refused, and the
        // event's JSON never carries it.
        let keyed =
            serde_json::from_value::<EventRequest>(json!({"type": "end", "idempotencyKey": "k"}));
        assert!(keyed.is_err());
        let with_key = EventRequest {
            kind: EventKind::End,
            player_id: None,
            points: None,
            idempotency_key: Some("k".into()),
        };
        assert_eq!(
            serde_json::to_value(&with_key).unwrap(),
            json!({"type": "end"})
        );
    }

    #[test]
    fn events_are_checked_against_the_match() {
        let s = spec();
        let ok = EventRequest {
            kind: EventKind::Score,
            player_id: Some("bob".into()),
            points: Some(5),
            idempotency_key: None,
        };
        assert_eq!(s.validate_event(&ok), Ok(()));
        let stranger = EventRequest {
            player_id: Some("zed".into()),
            ..ok.clone()
        };
        assert_eq!(
            s.validate_event(&stranger).map_err(|e| e.field),
            Err("playerId".into())
        );
        let no_points = EventRequest {
            points: None,
            ..ok.clone()
        };
        assert_eq!(
            s.validate_event(&no_points).map_err(|e| e.field),
            Err("points".into())
        );
        let huge = EventRequest {
            points: Some(MAX_POINTS + 1),
            ..ok
        };
        assert_eq!(
            s.validate_event(&huge).map_err(|e| e.field),
            Err("points".into())
        );
        let end = EventRequest {
            kind: EventKind::End,
            player_id: None,
            points: None,
            idempotency_key: None,
        };
        assert_eq!(s.validate_event(&end), Ok(()));
    }

    #[test]
    fn scoreboard_folds_events_and_ranks_with_ties() {
        let s = spec();
        let engine = engine_for(MatchType::Scoreboard);
        let mut state = engine.initial_state(&s);
        let events = [
            event(1, EventKind::Join, Some("ann"), None),
            event(2, EventKind::Score, Some("ann"), Some(7)),
            event(3, EventKind::Score, Some("bob"), Some(7)),
            event(4, EventKind::Score, Some("cy"), Some(-2)),
            event(5, EventKind::Join, Some("ann"), None),
        ];
        for e in &events {
            assert_eq!(engine.apply(&s, &mut state, e), Ok(Applied::Continue));
        }
        assert_eq!(state["scores"], json!({"ann": 7, "bob": 7, "cy": -2}));
        assert_eq!(state["joined"], json!(["ann"]));
        let end = event(6, EventKind::End, None, None);
        assert_eq!(engine.apply(&s, &mut state, &end), Ok(Applied::Ended));

        let result = engine
            .result(&s, &state, EndedBy::End)
            .unwrap_or_else(|e| panic!("{e}"));
        let ranks: Vec<(&str, i64, usize)> = result
            .standings
            .iter()
            .map(|st| (st.player_id.as_str(), st.points, st.rank))
            .collect();
        assert_eq!(ranks, vec![("ann", 7, 1), ("bob", 7, 1), ("cy", -2, 3)]);
    }

    #[test]
    fn result_notifications_carry_one_key_per_player() {
        let s = spec();
        let id = JobId::new();
        let tenant = TenantId::parse("acme").unwrap_or_else(|e| panic!("{e}"));
        let engine = engine_for(MatchType::Scoreboard);
        let state = engine.initial_state(&s);
        let result = engine
            .result(&s, &state, EndedBy::Time)
            .unwrap_or_else(|e| panic!("{e}"));
        let jobs = s
            .result_notifications(&id, &tenant, &result)
            .unwrap_or_else(|e| panic!("{e}"));
        let keys: Vec<_> = jobs
            .iter()
            .filter_map(|j| j.idempotency_key.clone())
            .collect();
        assert_eq!(
            keys,
            vec![
                format!("match:{id}:result:ann"),
                format!("match:{id}:result:bob"),
                format!("match:{id}:result:cy"),
            ]
        );
        for job in &jobs {
            assert_eq!(job.kind, JobKind::Notification);
            let request =
                NotificationRequest::from_payload(&job.payload).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(request.validate(Utc::now()).map(|_| ()), Ok(()));
        }
    }
}
