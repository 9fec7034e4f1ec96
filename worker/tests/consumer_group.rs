//! The consumer group on real RabbitMQ and SQLite: worker processes spawned from the
//! real binary, a webhook sink inside the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::HashSet;
use std::time::Duration;

use herald_core::dispatch::{Dispatch, JobMessage};
use herald_core::{JobStatus, Priority};
use herald_testkit::sink::Sink;
use herald_testkit::wait::wait_for;
use support::{log_job, webhook, Harness, SECRET};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_deliver_every_job_exactly_once() {
    let h = Harness::new("exactly-once").await;
    let sink = Sink::start().await;
    let a = h.worker().spawn(h.dir.path(), "a");
    let b = h.worker().spawn(h.dir.path(), "b");
    a.wait_consuming().await;
    b.wait_consuming().await;

    let n = 300;
    let jobs = (0..n)
        .map(|i| {
            webhook(
                &sink.url("/ok"),
                if i % 10 == 0 {
                    Priority::High
                } else {
                    Priority::Normal
                },
            )
        })
        .collect();
    let ids = h.enqueue(jobs).await;
    let jobs = h.wait_final(&ids, Duration::from_secs(60)).await;

    for job in &jobs {
        assert_eq!(
            job.status,
            JobStatus::Succeeded,
            "{} ended {}",
            job.id,
            job.status
        );
        assert_eq!(job.attempts, 1, "{} took {} attempts", job.id, job.attempts);
    }
    let counts = sink.counts();
    assert_eq!(counts.len(), n, "distinct jobs delivered");
    for id in &ids {
        assert_eq!(
            counts.get(id.as_str()),
            Some(&1),
            "job {id} delivered {:?} times",
            counts.get(id.as_str())
        );
    }
    for r in sink.received() {
        assert!(
            r.signed_with(SECRET),
            "bad X-Herald-Signature for {}",
            r.job_id
        );
        assert_eq!(r.idempotency_key, r.job_id);
        assert_eq!(r.attempt, 1);
    }
    // Both processes took part: the queues are shared by the group.
    let sa = a.get_json("/stats").await;
    let sb = b.get_json("/stats").await;
    let (pa, pb) = (
        sa["succeeded"].as_u64().unwrap(),
        sb["succeeded"].as_u64().unwrap(),
    );
    assert_eq!(pa + pb, n as u64, "stats: {sa} {sb}");
    assert!(pa > 0 && pb > 0, "one worker did everything: {pa} / {pb}");
    h.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_job_published_twice_is_delivered_once() {
    let h = Harness::new("dup-publish").await;
    let sink = Sink::start().await;
    let a = h.worker().spawn(h.dir.path(), "a");
    let b = h.worker().spawn(h.dir.path(), "b");
    a.wait_consuming().await;
    b.wait_consuming().await;

    // A slow endpoint keeps the first claim running while the duplicate arrives.
    let ids = h
        .enqueue(vec![webhook(&sink.url("/slow/500"), Priority::Normal)])
        .await;
    let job = h.job(&ids[0]).await;
    h.publisher
        .publish(&[JobMessage::for_job(&job)])
        .await
        .unwrap();
    let jobs = h.wait_final(&ids, Duration::from_secs(30)).await;
    assert_eq!(jobs[0].status, JobStatus::Succeeded);
    // Once more after it finished: still nothing new.
    h.publisher
        .publish(&[JobMessage::for_job(&job)])
        .await
        .unwrap();

    let metrics_skipped = || async {
        let text = format!("{}{}", a.metrics().await, b.metrics().await);
        let skipped: f64 = text
            .lines()
            .filter(|l| l.starts_with("herald_lease_conflicts_total"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        (skipped >= 2.0).then_some(())
    };
    wait_for(
        Duration::from_secs(15),
        "both duplicates to be dropped",
        metrics_skipped,
    )
    .await;
    assert_eq!(
        sink.counts().get(ids[0].as_str()),
        Some(&1),
        "{:?}",
        sink.received()
    );
    assert_eq!(h.job(&ids[0]).await.attempts, 1);
    h.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_critical_job_overtakes_a_normal_backlog() {
    let h = Harness::new("critical").await;
    // 10,000 normal jobs wait in the queue, then a critical one behind them.
    let backlog = h
        .enqueue((0..10_000).map(|_| log_job(Priority::Normal)).collect())
        .await;
    let first = h.enqueue(vec![log_job(Priority::Critical)]).await;
    // The poller would claim by priority too; keep it out so the queues alone decide.
    let w = h
        .worker()
        .env("POLL_INTERVAL_MS", "600000")
        .spawn(h.dir.path(), "w");
    // And once more in the middle of the drain.
    wait_for(
        Duration::from_secs(60),
        "the drain to be under way",
        || async {
            let c = h.store.counts().await.ok()?;
            (c.get(JobStatus::Succeeded) >= 2_000).then_some(())
        },
    )
    .await;
    let second_enqueued_at = chrono::Utc::now();
    let second = h.enqueue(vec![log_job(Priority::Critical)]).await;
    let mut all = backlog.clone();
    all.extend(first.iter().cloned());
    all.extend(second.iter().cloned());
    h.wait_final(&all, Duration::from_secs(180)).await;
    drop(w);

    let mut normal_done: Vec<_> = h
        .jobs(&backlog)
        .await
        .into_iter()
        .map(|j| j.completed_at.unwrap())
        .collect();
    normal_done.sort();
    let done_before =
        |t: chrono::DateTime<chrono::Utc>| normal_done.iter().filter(|n| **n < t).count();

    let first_done = h.job(&first[0]).await.completed_at.unwrap();
    eprintln!(
        "first critical job completed after {} normal ones",
        done_before(first_done)
    );
    assert!(
        first_done < normal_done[999],
        "the critical job completed after {} normal ones (must be before the 1,000th)",
        done_before(first_done)
    );

    let second_done = h.job(&second[0]).await.completed_at.unwrap();
    let (at_enqueue, at_done) = (done_before(second_enqueued_at), done_before(second_done));
    eprintln!(
        "second critical job: enqueued after {at_enqueue} normal jobs, completed after {at_done}"
    );
    assert!(
        at_done - at_enqueue < 1_000 && at_done < normal_done.len(),
        "enqueued mid-drain after {at_enqueue} normal jobs, it completed after {at_done}: \
         it waited for the backlog"
    );
    let distinct: HashSet<_> = backlog.iter().collect();
    assert_eq!(distinct.len(), 10_000);
    h.cleanup().await;
}
