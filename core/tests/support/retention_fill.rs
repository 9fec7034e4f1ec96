//! Simulated days of finished jobs, written straight into a Herald SQLite file (one
//! statement per day, timestamps as the store would have stamped them): shared by the
//! ten-days test (`tests/retention_sqlite.rs`) and the retention bench
//! (`benches/retention.rs`).

use herald_core::Priority;
use rusqlite::{named_params, Connection};

pub const DAY_MS: i64 = 86_400_000;

/// Day `day`'s finished jobs, evenly spread over the day: 1 in 20 dead, 1 in 20
/// cancelled, the rest succeeded; 1 in 1000 is a match with 3 logged events.
pub fn fill_day(conn: &Connection, day: i64, start_ms: i64, n: i64) -> rusqlite::Result<()> {
    conn.execute(
        "WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < :n - 1)
         INSERT INTO jobs (_id, kind, tenant, priority, priorityRank, status, payload, runAt,
             attempts, maxAttempts, leaseVersion, createdAt, updatedAt, completedAt, history)
         SELECT printf('%08x-0000-7000-8000-%012x', :day, i),
             CASE WHEN i % 1000 = 999 THEN 'match' ELSE 'notification' END,
             'acme', 'normal', :rank,
             CASE i % 20 WHEN 0 THEN 'dead' WHEN 1 THEN 'cancelled' ELSE 'succeeded' END,
             '{\"channel\":\"log\",\"recipient\":{\"address\":\"x\"},\"body\":\"hello from a simulated day\"}',
             :start + i * (86400000 / :n), 1, 5, 1,
             :start + i * (86400000 / :n), :start + i * (86400000 / :n),
             :start + i * (86400000 / :n), '[]'
         FROM seq",
        named_params! {":n": n, ":day": day, ":start": start_ms, ":rank": Priority::Normal.rank()},
    )?;
    conn.execute(
        "INSERT INTO match_events (matchId, seq, type, playerId, points, at)
         SELECT j._id, s.seq, 'score', 'ada', 1, j.createdAt FROM jobs j
         JOIN (SELECT 1 AS seq UNION ALL SELECT 2 UNION ALL SELECT 3) s
         WHERE j.kind = 'match' AND j._id LIKE printf('%08x-%%', :day)",
        named_params! {":day": day},
    )?;
    Ok(())
}

/// The file's page count and free-list length.
pub fn pages(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    let count = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let free = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
    Ok((count, free))
}
