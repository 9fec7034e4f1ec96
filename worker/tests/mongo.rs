//! The main path once on the MongoDB test server (slow: tens of operations a second,
//! so a handful of jobs): RabbitMQ → worker process on MongoDB → webhook sink.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use herald_core::{JobStatus, Priority};
use herald_testkit::sink::Sink;
use support::{webhook, Harness, SECRET};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_path_works_on_mongodb() {
    let h = Harness::mongo("main").await;
    let sink = Sink::start().await;
    let w = h
        .worker()
        .env("POLL_INTERVAL_MS", "5000")
        .env("HEARTBEAT_INTERVAL_MS", "5000")
        .spawn(h.dir.path(), "w");
    w.wait_consuming().await;

    let ids = h
        .enqueue(vec![
            webhook(&sink.url("/ok"), Priority::Normal),
            webhook(&sink.url("/ok"), Priority::Critical),
            webhook(&sink.url("/ok"), Priority::Low),
        ])
        .await;
    let jobs = h.wait_final(&ids, Duration::from_secs(90)).await;
    let counts = sink.counts();
    for job in &jobs {
        assert_eq!(
            job.status,
            JobStatus::Succeeded,
            "{} ended {}",
            job.id,
            job.status
        );
        assert_eq!(
            counts.get(job.id.as_str()),
            Some(&1),
            "{} delivered {:?} times",
            job.id,
            counts.get(job.id.as_str())
        );
        assert!(job.locked_by.is_none());
    }
    assert!(sink.received().iter().all(|r| r.signed_with(SECRET)));
    let stats = w.get_json("/stats").await;
    assert_eq!(stats["succeeded"].as_u64(), Some(3), "{stats}");
    h.cleanup().await;
}
