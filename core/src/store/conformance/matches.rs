//! Matches (`docs/matches.md`): event appends get gap-free sequence numbers under concurrent
//! appends from tasks and processes, only live matches of the caller's tenant take
//! events, idempotency keys replay the first append, and the host's snapshot and
//! finish are fenced on its lease.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;

use crate::clock::SystemClock;
use crate::job::{AttemptOutcome, JobId, JobKind, JobStatus};
use crate::lease::WorkerId;
use crate::matches::{
    result_idempotency_key, EndedBy, EventKind, EventRequest, MatchEvent, MatchRequest,
    MatchResult, MatchSnapshot, Standing,
};
use crate::store::{
    Appended, ClaimRequest, ListFilter, NotClaimed, PageRequest, Retry, Store, StoreError,
};

use super::{claim, claim_when_possible, insert, not_claimed, note, real, tenant, Harness, Scale};

/// Three players whose result notifications go to the `log` channel.
fn match_spec() -> MatchRequest {
    let player =
        |id: &str| json!({"id": id, "notify": {"channel": "log", "recipient": {"address": id}}});
    serde_json::from_value(json!({
        "type": "scoreboard",
        "players": [player("ann"), player("bob"), player("cy")],
        "durationSec": 600,
    }))
    .unwrap()
}

pub(super) async fn insert_match(store: &Arc<dyn Store>, tenant_name: &str) -> crate::job::Job {
    insert(store, match_spec().to_new_job(tenant(tenant_name)).unwrap()).await
}

/// The highest `seq` appended to tenant t1's match `id`.
async fn last_seq(store: &Arc<dyn Store>, id: &JobId) -> u64 {
    store.get_match(&tenant("t1"), id).await.unwrap().last_seq
}

pub(super) fn score(player: &str, points: i64) -> EventRequest {
    EventRequest {
        kind: EventKind::Score,
        player_id: Some(player.into()),
        points: Some(points),
        idempotency_key: None,
    }
}

/// Now, at the millisecond precision every store keeps.
fn now_ms() -> chrono::DateTime<Utc> {
    chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap()
}

fn snapshot(version: u64, applied_seq: u64, ann: i64) -> MatchSnapshot {
    let started = now_ms();
    MatchSnapshot {
        state: json!({"scores": {"ann": ann, "bob": 0, "cy": 0}, "joined": ["ann"]}),
        state_version: version,
        applied_seq,
        started_at: Some(started),
        ends_at: Some(started + chrono::Duration::seconds(600)),
    }
}

fn final_result(ann: i64) -> MatchResult {
    let standing = |player: &str, points, rank| Standing {
        player_id: player.into(),
        points,
        rank,
    };
    MatchResult {
        standings: vec![
            standing("ann", ann, 1),
            standing("bob", 0, 2),
            standing("cy", 0, 2),
        ],
        ended_by: EndedBy::End,
    }
}

/// Appends per task in the concurrency tests: 25 on SQLite, a handful on a slow server.
fn appends_per_task(scale: Scale) -> usize {
    (scale.jobs / 40).clamp(2, 25)
}

/// The seqs must be exactly 1..=n, and the log must hold exactly what each append got.
async fn assert_gap_free_log(
    store: &Arc<dyn Store>,
    id: &JobId,
    mut seqs: Vec<u64>,
    appended: &[MatchEvent],
) {
    let n = seqs.len() as u64;
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=n).collect::<Vec<_>>(),
        "seqs must be 1..={n}, once each"
    );
    let log = store.events_after(id, 0, seqs.len() + 10).await.unwrap();
    assert_eq!(
        log.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=n).collect::<Vec<_>>()
    );
    assert!(
        log.windows(2).all(|w| w[0].at <= w[1].at),
        "a later seq carries an earlier time"
    );
    let by_seq: HashMap<u64, &MatchEvent> = appended.iter().map(|e| (e.seq, e)).collect();
    for event in &log {
        let mine = by_seq.get(&event.seq).expect("an event nobody appended");
        assert_eq!(
            event.event, mine.event,
            "seq {} holds another event",
            event.seq
        );
        assert_eq!(event.at, mine.at, "seq {}: stored time differs", event.seq);
    }
    let record = store.get_match(&tenant("t1"), id).await.unwrap();
    assert_eq!(record.last_seq, n);
}

/// Concurrent appends from several handles (as from several API instances) get
/// distinct, gap-free sequence numbers, each stored with its own event.
pub async fn match_events_get_gap_free_seqs_under_concurrent_appends(h: &impl Harness) {
    let scale = h.scale();
    let store = real(h).await;
    let m = insert_match(&store, "t1").await;
    let per_task = appends_per_task(scale);
    let before = Utc::now();
    let mut tasks = Vec::new();
    for t in 0..scale.tasks.min(4) {
        let handle = h.open(Arc::new(SystemClock::default())).await;
        let id = m.id.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for i in 0..per_task {
                let points = (t * 1_000 + i) as i64;
                let event = handle
                    .append_event(&tenant("t1"), &id, &score("ann", points))
                    .await
                    .unwrap()
                    .into_event();
                assert_eq!(event.event, score("ann", points));
                got.push(event);
            }
            got
        }));
    }
    let mut appended = Vec::new();
    for t in tasks {
        appended.extend(t.await.unwrap());
    }
    for event in &appended {
        assert!(
            (event.at - before).num_seconds().abs() < 60,
            "event time {} is not the store's now",
            event.at
        );
    }
    let seqs = appended.iter().map(|e| e.seq).collect();
    assert_gap_free_log(&store, &m.id, seqs, &appended).await;
}

/// Two OS processes (`herald-conformance append`) append to one match at once.
pub async fn match_events_gap_free_across_processes<H: Harness>(store_bin: &str) {
    let h = H::setup("match_events_gap_free_across_processes").await;
    let scale = h.scale();
    let store = real(&h).await;
    let m = insert_match(&store, "t1").await;
    // Enough appends that the two processes overlap (process start-up is ~20 ms).
    let per_process = (scale.jobs / 10).clamp(4, 200);
    let mut children = Vec::new();
    for player in ["ann", "bob"] {
        let mut cmd = tokio::process::Command::new(store_bin);
        cmd.args(["append", "--tenant", "t1", "--match", m.id.as_str()])
            .args(["--player", player, "--count", &per_process.to_string()])
            .envs(h.child_env())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        children.push(cmd.spawn().expect("start herald-conformance"));
    }
    let mut seqs = Vec::new();
    let mut per_player = HashMap::new();
    for (child, player) in children.into_iter().zip(["ann", "bob"]) {
        let out = tokio::time::timeout(scale.patience * 6, child.wait_with_output())
            .await
            .expect("appender process timed out")
            .unwrap();
        assert!(
            out.status.success(),
            "appender failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let mine: Vec<u64> = stdout.lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(mine.len(), per_process, "{player} printed {stdout:?}");
        per_player.insert(player, mine.clone());
        seqs.extend(mine);
    }
    let n = seqs.len() as u64;
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=n).collect::<Vec<_>>(),
        "seqs must be 1..={n}, once each"
    );
    // Each seq holds the event of the process that was given it.
    for event in store.events_after(&m.id, 0, seqs.len() + 10).await.unwrap() {
        let player = event.event.player_id.clone().unwrap();
        assert!(
            per_player[player.as_str()].contains(&event.seq),
            "seq {} holds {player}'s event, but {player} was not given it",
            event.seq
        );
    }
    assert_eq!(last_seq(&store, &m.id).await, n);
}

/// Appends go to waiting or running matches of the caller's tenant; everything else is
/// NotFound or MatchFinished, and a refused append uses no sequence number.
pub async fn appending_is_for_live_matches_of_the_tenant(h: &impl Harness) {
    let store = real(h).await;
    let t1 = tenant("t1");
    let worker = WorkerId::generate();
    let m = insert_match(&store, "t1").await;
    assert_eq!(m.status, JobStatus::Pending);
    let first = store
        .append_event(&t1, &m.id, &score("ann", 1))
        .await
        .unwrap()
        .into_event();
    assert_eq!(first.seq, 1, "appending to a pending match");
    let held = claim(&store, &m.id, &worker, Duration::from_secs(60)).await;
    let second = store
        .append_event(&t1, &m.id, &score("bob", 2))
        .await
        .unwrap()
        .into_event();
    assert_eq!(second.seq, 2, "appending to a running match");

    let not_found = |r: Result<Appended, StoreError>, what: &str| match r {
        Err(StoreError::NotFound) => {}
        other => panic!("{what}: expected NotFound, got {other:?}"),
    };
    not_found(
        store
            .append_event(&tenant("t2"), &m.id, &score("ann", 1))
            .await,
        "another tenant's match",
    );
    not_found(
        store
            .append_event(&t1, &JobId::new(), &score("ann", 1))
            .await,
        "an unknown id",
    );
    let notification = insert(&store, note("t1", 1)).await;
    not_found(
        store
            .append_event(&t1, &notification.id, &score("ann", 1))
            .await,
        "a notification",
    );
    assert!(matches!(
        store.get_match(&tenant("t2"), &m.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.get_match(&t1, &notification.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.get_match(&t1, &JobId::new()).await,
        Err(StoreError::NotFound)
    ));

    let finished = |r: Result<Appended, StoreError>, want: JobStatus| match r {
        Err(StoreError::MatchFinished { status }) => assert_eq!(status, want),
        other => panic!("expected MatchFinished({want}), got {other:?}"),
    };
    let cancelled = insert_match(&store, "t1").await;
    store.cancel(&t1, &cancelled.id).await.unwrap();
    finished(
        store
            .append_event(&t1, &cancelled.id, &score("ann", 1))
            .await,
        JobStatus::Cancelled,
    );
    let dead = insert(
        &store,
        match_spec().to_new_job(t1.clone()).unwrap().max_attempts(1),
    )
    .await;
    let dying = claim(&store, &dead.id, &worker, Duration::from_secs(60)).await;
    store
        .fail(&dying.lease, "engine broke", Retry::Never)
        .await
        .unwrap();
    finished(
        store.append_event(&t1, &dead.id, &score("ann", 1)).await,
        JobStatus::Dead,
    );
    store
        .finish_match(
            &held.lease,
            &snapshot(1, 2, 1),
            &final_result(1),
            Vec::new(),
        )
        .await
        .unwrap();
    finished(
        store.append_event(&t1, &m.id, &score("ann", 1)).await,
        JobStatus::Succeeded,
    );
    let record = store.get_match(&t1, &m.id).await.unwrap();
    assert_eq!(record.last_seq, 2, "refused appends use no sequence number");
    assert_eq!(
        store.events_after(&m.id, 0, 10).await.unwrap(),
        vec![first, second]
    );
    for id in [&cancelled.id, &dead.id] {
        let record = store.get_match(&t1, id).await.unwrap();
        assert_eq!(record.last_seq, 0);
        assert!(store.events_after(id, 0, 10).await.unwrap().is_empty());
    }
}

fn keyed(mut event: EventRequest, key: &str) -> EventRequest {
    event.idempotency_key = Some(key.into());
    event
}

/// An append with an idempotency key already used on the match writes nothing and
/// returns the event first stored under it (the key, not the body, names the request),
/// without using a seq; the key is per match and tenant-checked; and a replay is
/// answered even after the match finished, while a new append is refused.
pub async fn event_keys_replay_the_first_append_of_their_match(h: &impl Harness) {
    let store = real(h).await;
    let t1 = tenant("t1");
    let m = insert_match(&store, "t1").await;
    let other = insert_match(&store, "t1").await;

    let first = match store
        .append_event(&t1, &m.id, &keyed(score("ann", 5), "k1"))
        .await
        .unwrap()
    {
        Appended::New(event) => event,
        replayed => panic!("a fresh key must append, got {replayed:?}"),
    };
    assert_eq!(first.seq, 1);
    assert_eq!(first.event, keyed(score("ann", 5), "k1"));
    // The same key with another body: still the first event.
    assert_eq!(
        store
            .append_event(&t1, &m.id, &keyed(score("bob", 9), "k1"))
            .await
            .unwrap(),
        Appended::Replayed(first.clone())
    );
    // The next appends, keyed or not, continue at seq 2: a replay uses no number.
    let second = store
        .append_event(&t1, &m.id, &keyed(score("bob", 2), "k2"))
        .await
        .unwrap();
    assert!(second.is_new(), "{second:?}");
    assert_eq!(second.event().seq, 2);
    let third = store
        .append_event(&t1, &m.id, &score("cy", 3))
        .await
        .unwrap();
    assert!(third.is_new(), "{third:?}");
    assert_eq!(third.event().seq, 3);
    // Per match: the same key on another match is another request.
    let elsewhere = store
        .append_event(&t1, &other.id, &keyed(score("ann", 1), "k1"))
        .await
        .unwrap();
    assert!(elsewhere.is_new(), "{elsewhere:?}");
    assert_eq!(elsewhere.event().seq, 1);
    // Another tenant learns nothing about the match, key or not.
    assert!(matches!(
        store
            .append_event(&tenant("t2"), &m.id, &keyed(score("ann", 5), "k1"))
            .await,
        Err(StoreError::NotFound)
    ));

    assert_eq!(
        store.events_after(&m.id, 0, 10).await.unwrap(),
        vec![first.clone(), second.into_event(), third.into_event()]
    );
    assert_eq!(last_seq(&store, &m.id).await, 3);

    // Finished: a replay is still the original answer; a new append is refused.
    let held = claim(
        &store,
        &m.id,
        &WorkerId::generate(),
        Duration::from_secs(60),
    )
    .await;
    store
        .finish_match(
            &held.lease,
            &snapshot(1, 3, 5),
            &final_result(5),
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .append_event(&t1, &m.id, &keyed(score("ann", 5), "k1"))
            .await
            .unwrap(),
        Appended::Replayed(first)
    );
    for event in [keyed(score("ann", 5), "k-new"), score("ann", 5)] {
        match store.append_event(&t1, &m.id, &event).await {
            Err(StoreError::MatchFinished { status }) => {
                assert_eq!(status, JobStatus::Succeeded)
            }
            other => panic!("expected MatchFinished, got {other:?}"),
        }
    }
    assert!(matches!(
        store
            .append_event(&tenant("t2"), &m.id, &keyed(score("ann", 5), "k1"))
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(last_seq(&store, &m.id).await, 3);
}

/// Concurrent appends under one key from several handles (as from several API
/// instances retrying one request): exactly one appends, every other one gets that
/// event back, and the log holds it once.
pub async fn concurrent_appends_under_one_key_store_one_event(h: &impl Harness) {
    let scale = h.scale();
    let store = real(h).await;
    let m = insert_match(&store, "t1").await;
    let start = Arc::new(tokio::sync::Barrier::new(scale.tasks));
    let mut tasks = Vec::new();
    for t in 0..scale.tasks {
        let handle = h.open(Arc::new(SystemClock::default())).await;
        let (id, start) = (m.id.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            handle
                .append_event(&tenant("t1"), &id, &keyed(score("ann", t as i64), "once"))
                .await
                .unwrap()
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    let new: Vec<&MatchEvent> = outcomes
        .iter()
        .filter_map(|o| match o {
            Appended::New(event) => Some(event),
            Appended::Replayed(_) => None,
        })
        .collect();
    assert_eq!(new.len(), 1, "exactly one append is new: {outcomes:?}");
    let stored = new[0].clone();
    assert_eq!(stored.seq, 1);
    for outcome in &outcomes {
        assert_eq!(
            outcome.event(),
            &stored,
            "every replay returns the stored event"
        );
    }
    assert_eq!(
        store.events_after(&m.id, 0, 10).await.unwrap(),
        vec![stored]
    );
    assert_eq!(last_seq(&store, &m.id).await, 1);
}

/// `events_after` pages through one match's log in order, never mixing in another's.
pub async fn events_after_reads_ascending_with_a_limit(h: &impl Harness) {
    let store = real(h).await;
    let t1 = tenant("t1");
    let m = insert_match(&store, "t1").await;
    let other = insert_match(&store, "t1").await;
    let mut appended = Vec::new();
    for i in 0..7 {
        appended.push(
            store
                .append_event(&t1, &m.id, &score("ann", i))
                .await
                .unwrap()
                .into_event(),
        );
        if i % 3 == 0 {
            store
                .append_event(&t1, &other.id, &score("bob", -i))
                .await
                .unwrap()
                .into_event();
        }
    }
    let mut paged = Vec::new();
    let mut after = 0;
    loop {
        let page = store.events_after(&m.id, after, 3).await.unwrap();
        assert!(page.len() <= 3, "limit exceeded: {}", page.len());
        let Some(last) = page.last() else { break };
        after = last.seq;
        paged.extend(page);
    }
    assert_eq!(paged, appended, "pages in seq order hold exactly the log");
    assert_eq!(
        store
            .events_after(&m.id, 4, 100)
            .await
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>(),
        vec![5, 6, 7]
    );
    assert!(store.events_after(&m.id, 7, 10).await.unwrap().is_empty());
    let theirs = store.events_after(&other.id, 0, 10).await.unwrap();
    assert_eq!(
        theirs.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3],
        "each match has its own numbering"
    );
    assert!(theirs
        .iter()
        .all(|e| e.event.player_id.as_deref() == Some("bob")));
}

/// Snapshot saves are fenced: after a takeover the old host's save is LeaseLost and
/// the new host's snapshot stands.
pub async fn match_snapshot_saves_are_fenced(h: &impl Harness) {
    let scale = h.scale();
    let store = real(h).await;
    let t1 = tenant("t1");
    let (a, b) = (WorkerId::generate(), WorkerId::generate());
    let m = insert_match(&store, "t1").await;
    assert_eq!(
        store.load_snapshot(&m.id).await.unwrap(),
        MatchSnapshot::initial()
    );
    let record = store.get_match(&t1, &m.id).await.unwrap();
    assert_eq!(record.snapshot, MatchSnapshot::initial());
    assert_eq!((record.last_seq, record.result.clone()), (0, None));
    assert_eq!(record.job, store.get(&t1, &m.id).await.unwrap());

    let old = claim(&store, &m.id, &a, scale.short_lease).await;
    let saved = snapshot(1, 0, 0);
    store.save_snapshot(&old.lease, &saved).await.unwrap();
    assert_eq!(store.load_snapshot(&m.id).await.unwrap(), saved);

    let new = claim_when_possible(&store, &m.id, &b, scale).await;
    let theirs = snapshot(2, 0, 5);
    store.save_snapshot(&new.lease, &theirs).await.unwrap();
    assert!(
        matches!(
            store.save_snapshot(&old.lease, &snapshot(9, 9, 99)).await,
            Err(StoreError::LeaseLost)
        ),
        "a stale host's save must be LeaseLost"
    );
    assert_eq!(store.load_snapshot(&m.id).await.unwrap(), theirs);
    let record = store.get_match(&t1, &m.id).await.unwrap();
    assert_eq!(record.snapshot, theirs);
    assert_eq!(record.job.locked_by.as_ref(), Some(&b));
    assert_eq!(record.job.lease_version, new.lease.version);
    assert_eq!(record.job.status, JobStatus::Running);

    // A finished match takes no saves, not even from its last holder.
    store.complete(&new.lease).await.unwrap();
    assert!(matches!(
        store.save_snapshot(&new.lease, &snapshot(3, 0, 6)).await,
        Err(StoreError::LeaseLost)
    ));
    assert_eq!(store.load_snapshot(&m.id).await.unwrap(), theirs);
}

/// A host dies mid-match; the poller's claim (kind `match`) gives the match to another
/// worker, which resumes from the last saved snapshot and reads only the events after
/// its `appliedSeq`.
pub async fn snapshot_survives_a_takeover(h: &impl Harness) {
    let scale = h.scale();
    let store = real(h).await;
    let t1 = tenant("t1");
    let (a, b) = (WorkerId::generate(), WorkerId::generate());
    let m = insert_match(&store, "t1").await;
    let notification = insert(&store, note("t1", 1)).await;
    let by_kind = |worker: &WorkerId, kind, lease| ClaimRequest {
        worker: worker.clone(),
        lease,
        limit: 10,
        kind: Some(kind),
        priority: None,
        fairness: Default::default(),
    };
    let first = store
        .claim_due(&by_kind(&a, JobKind::Match, scale.short_lease))
        .await
        .unwrap();
    assert_eq!(
        first.iter().map(|c| c.job.id.clone()).collect::<Vec<_>>(),
        vec![m.id.clone()],
        "claim_due(kind: match) takes the match and only it"
    );
    let host = &first[0];
    assert_eq!(
        host.job.payload,
        serde_json::to_value(match_spec()).unwrap()
    );
    for i in 1..=3 {
        store
            .append_event(&t1, &m.id, &score("ann", i))
            .await
            .unwrap()
            .into_event();
    }
    let applied = store.events_after(&m.id, 0, 2).await.unwrap();
    assert_eq!(applied.len(), 2);
    let saved = snapshot(2, 2, 3);
    store.save_snapshot(&host.lease, &saved).await.unwrap();

    // A stops renewing. B's poll takes the match once the lease has expired.
    let deadline = Instant::now() + scale.patience;
    let taken = loop {
        let got = store
            .claim_due(&by_kind(&b, JobKind::Match, Duration::from_secs(60)))
            .await
            .unwrap();
        if let Some(c) = got.into_iter().find(|c| c.job.id == m.id) {
            break c;
        }
        assert!(
            Instant::now() < deadline,
            "the expired match was never reclaimed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(taken.lease.version > host.lease.version);
    assert_eq!(store.load_snapshot(&m.id).await.unwrap(), saved);
    let rest = store
        .events_after(&m.id, saved.applied_seq, 100)
        .await
        .unwrap();
    assert_eq!(
        rest.iter()
            .map(|e| (e.seq, e.event.points))
            .collect::<Vec<_>>(),
        vec![(3, Some(3))],
        "the new host reads exactly the events not yet applied"
    );
    let record = store.get_match(&t1, &m.id).await.unwrap();
    assert_eq!(record.snapshot, saved);
    assert_eq!(record.last_seq, 3);
    assert_eq!(record.job.locked_by.as_ref(), Some(&b));

    // Notifications are unaffected by the match columns.
    let notes = store
        .claim_due(&by_kind(&b, JobKind::Notification, Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(
        notes.iter().map(|c| c.job.id.clone()).collect::<Vec<_>>(),
        vec![notification.id.clone()]
    );
    assert_eq!(notes[0].job.payload, notification.payload);
    assert!(matches!(
        store.load_snapshot(&notification.id).await,
        Err(StoreError::NotFound)
    ));
}

/// `finish_match` writes the final snapshot, the result, `succeeded` and the result
/// notifications together, or — with a lost lease — nothing at all. Keys already used
/// return the existing notification, so each player gets exactly one.
pub async fn finish_match_is_one_fenced_atomic_write(h: &impl Harness) {
    let scale = h.scale();
    let store = real(h).await;
    let t1 = tenant("t1");
    let (a, b) = (WorkerId::generate(), WorkerId::generate());
    let spec = match_spec();
    let m = insert_match(&store, "t1").await;
    let result = final_result(7);
    let notifications = || spec.result_notifications(&m.id, &t1, &result).unwrap();
    let notes_filter = ListFilter {
        kind: Some(JobKind::Notification),
        ..ListFilter::default()
    };

    let old = claim(&store, &m.id, &a, scale.short_lease).await;
    let new = claim_when_possible(&store, &m.id, &b, scale).await;
    let before = store.get_match(&t1, &m.id).await.unwrap();
    match store
        .finish_match(&old.lease, &snapshot(5, 4, 7), &result, notifications())
        .await
    {
        Err(StoreError::LeaseLost) => {}
        other => panic!("a stale host's finish must be LeaseLost, got {other:?}"),
    }
    let after = store.get_match(&t1, &m.id).await.unwrap();
    assert_eq!(after, before, "a lost finish writes nothing to the match");
    assert_eq!(after.result, None);
    assert_eq!(after.job.status, JobStatus::Running);
    let listed = store
        .list(&t1, &notes_filter, &PageRequest::first(100))
        .await
        .unwrap();
    assert!(
        listed.items.is_empty(),
        "a lost finish inserts no notification: {:?}",
        listed.items
    );
    assert_eq!(store.counts().await.unwrap().total(), 1);

    // Bob's notification already exists (a key used before this finish).
    let bob_key = result_idempotency_key(&m.id, "bob");
    let earlier = notifications()
        .into_iter()
        .find(|j| j.idempotency_key.as_deref() == Some(bob_key.as_str()))
        .unwrap();
    let bob_note = insert(&store, earlier).await;

    let final_snapshot = snapshot(6, 4, 7);
    let inserted = store
        .finish_match(&new.lease, &final_snapshot, &result, notifications())
        .await
        .unwrap();
    let shape: Vec<(bool, Option<String>)> = inserted
        .iter()
        .map(|i| (i.is_created(), i.job().idempotency_key.clone()))
        .collect();
    assert_eq!(
        shape,
        vec![
            (true, Some(result_idempotency_key(&m.id, "ann"))),
            (false, Some(bob_key.clone())),
            (true, Some(result_idempotency_key(&m.id, "cy"))),
        ]
    );
    assert_eq!(
        inserted[1].job().id,
        bob_note.id,
        "the existing job is returned"
    );

    let done = store.get_match(&t1, &m.id).await.unwrap();
    assert_eq!(done.job.status, JobStatus::Succeeded);
    assert_eq!(done.result, Some(result.clone()));
    assert_eq!(done.snapshot, final_snapshot);
    assert!(done.job.completed_at.is_some());
    assert!(done.job.locked_by.is_none() && done.job.lock_expiry.is_none());
    assert_eq!(
        done.job.history.last().map(|r| r.outcome),
        Some(AttemptOutcome::Succeeded)
    );
    assert_eq!(
        not_claimed(&store, &m.id, &a).await,
        NotClaimed::Finished(JobStatus::Succeeded)
    );

    // Neither the old holder nor a repeat by the new one writes anything more.
    for lease in [&old.lease, &new.lease] {
        assert!(matches!(
            store
                .finish_match(lease, &snapshot(8, 8, 8), &final_result(8), notifications())
                .await,
            Err(StoreError::LeaseLost)
        ));
    }
    let listed = store
        .list(&t1, &notes_filter, &PageRequest::first(100))
        .await
        .unwrap();
    let mut keys: Vec<String> = listed
        .items
        .iter()
        .filter_map(|j| j.idempotency_key.clone())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        vec![
            result_idempotency_key(&m.id, "ann"),
            result_idempotency_key(&m.id, "bob"),
            result_idempotency_key(&m.id, "cy"),
        ],
        "exactly one notification per player"
    );
    assert_eq!(listed.items.len(), 3);
    let record = store.get_match(&t1, &m.id).await.unwrap();
    assert_eq!(
        (record.snapshot, record.result),
        (final_snapshot, Some(result))
    );
}
