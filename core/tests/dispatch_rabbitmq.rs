//! The dispatch layer against a real RabbitMQ (`HERALD_TEST_RABBITMQ_URL`, set by
//! scripts/test.sh). Each test uses its own consumer group, so its own queues.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use futures::StreamExt;
use herald_core::dispatch::{self, Dispatch, DispatchError, JobMessage, RabbitDispatch, Topology};
use herald_core::{JobId, JobKind, Priority};
use herald_testkit::services::rabbitmq_url;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicGetOptions, BasicNackOptions,
    QueueDeclareOptions,
};
use lapin::types::FieldTable;

fn unique_topology(name: &str) -> Topology {
    Topology::new(&format!("test-{name}-{}", uuid::Uuid::new_v4().simple()))
}

/// Takes the next message from `queue`, or fails after a few seconds.
async fn consume_one(channel: &lapin::Channel, queue: &str) -> lapin::message::Delivery {
    let tag = format!("test-{}", uuid::Uuid::new_v4().simple());
    let mut consumer = channel
        .basic_consume(
            queue.into(),
            tag.as_str().into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let delivery = tokio::time::timeout(Duration::from_secs(10), consumer.next())
        .await
        .unwrap_or_else(|_| panic!("no message on {queue} within 10 s"))
        .expect("consumer ended")
        .expect("delivery error");
    delivery.ack(BasicAckOptions::default()).await.unwrap();
    // Cancelled before the next call consumes the same queue: a consumer left behind
    // would take (and never answer) the next message round-robin.
    channel
        .basic_cancel(tag.as_str().into(), BasicCancelOptions::default())
        .await
        .unwrap();
    delivery
}

#[tokio::test]
async fn declares_idempotently_publishes_with_confirms_and_consumes_back() {
    let url = rabbitmq_url();
    let topology = unique_topology("roundtrip");
    let connection = dispatch::connect(&url).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    dispatch::declare(&channel, &topology).await.unwrap();
    dispatch::declare(&channel, &topology).await.unwrap(); // idempotent

    // The queues are quorum queues with the delivery limit and the DLX: declaring one
    // with other arguments is refused by the broker.
    let other = channel
        .queue_declare(
            topology
                .queue(JobKind::Notification, Priority::High)
                .as_str()
                .into(),
            QueueDeclareOptions::durable(),
            FieldTable::default(),
        )
        .await;
    assert!(other.is_err(), "a classic redeclaration must be refused");
    let channel = connection.create_channel().await.unwrap(); // the refusal closed it

    let publisher = RabbitDispatch::connect(&url, topology.clone())
        .await
        .unwrap();
    assert!(publisher.is_healthy().await);
    let cases = [
        (JobKind::Notification, Priority::Critical),
        (JobKind::Notification, Priority::High),
        (JobKind::Notification, Priority::Normal),
        (JobKind::Notification, Priority::Low),
        (JobKind::Match, Priority::Normal),
    ];
    for (kind, priority) in cases {
        let msg = JobMessage::new(JobId::new(), kind, priority);
        publisher.publish(std::slice::from_ref(&msg)).await.unwrap();
        let delivery = consume_one(&channel, &topology.queue(kind, priority)).await;
        assert_eq!(JobMessage::decode(&delivery.data).unwrap(), msg);
        assert_eq!(
            delivery
                .properties
                .message_id()
                .as_ref()
                .map(|s| s.to_string()),
            Some(msg.id.to_string())
        );
        assert_eq!(delivery.properties.delivery_mode(), &Some(2));
    }

    // A batch: every message confirmed, all on their queue.
    let batch: Vec<_> = (0..50)
        .map(|_| JobMessage::new(JobId::new(), JobKind::Notification, Priority::High))
        .collect();
    publisher.publish(&batch).await.unwrap();
    let queue = topology.queue(JobKind::Notification, Priority::High);
    let declared = channel
        .queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    assert_eq!(declared.message_count(), 50);

    dispatch::delete(&channel, &topology).await.unwrap();
}

#[tokio::test]
async fn unroutable_message_is_an_error_not_a_silent_loss() {
    let url = rabbitmq_url();
    let topology = unique_topology("unroutable");
    let publisher = RabbitDispatch::connect(&url, topology.clone())
        .await
        .unwrap();
    let connection = dispatch::connect(&url).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    channel
        .queue_delete(
            topology
                .queue(JobKind::Match, Priority::Normal)
                .as_str()
                .into(),
            Default::default(),
        )
        .await
        .unwrap();
    let err = publisher
        .publish(&[JobMessage::new(
            JobId::new(),
            JobKind::Match,
            Priority::Normal,
        )])
        .await
        .unwrap_err();
    assert!(matches!(err, DispatchError::Unroutable(_)), "{err:?}");
    // Declaring again restores it, and publishing works again.
    dispatch::declare(&channel, &topology).await.unwrap();
    publisher
        .publish(&[JobMessage::new(
            JobId::new(),
            JobKind::Match,
            Priority::Normal,
        )])
        .await
        .unwrap();
    dispatch::delete(&channel, &topology).await.unwrap();
}

#[tokio::test]
async fn unreachable_broker_fails_fast_and_reports_unhealthy() {
    // A port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("amqp://guest:guest@127.0.0.1:{port}/%2f");
    let topology = unique_topology("down");
    assert!(matches!(
        RabbitDispatch::connect(&url, topology.clone()).await,
        Err(DispatchError::Unavailable(_))
    ));
    let publisher = RabbitDispatch::lazy(&url, topology);
    assert!(!publisher.is_healthy().await);
    let started = std::time::Instant::now();
    for _ in 0..20 {
        let err = publisher
            .publish(&[JobMessage::new(
                JobId::new(),
                JobKind::Notification,
                Priority::Normal,
            )])
            .await
            .unwrap_err();
        assert!(matches!(err, DispatchError::Unavailable(_)), "{err:?}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "publishing to a dead broker must fail fast, took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_message_rejected_past_the_delivery_limit_is_dead_lettered() {
    let url = rabbitmq_url();
    let topology = unique_topology("poison");
    let publisher = RabbitDispatch::connect(&url, topology.clone())
        .await
        .unwrap();
    let msg = JobMessage::new(JobId::new(), JobKind::Notification, Priority::Normal);
    publisher.publish(std::slice::from_ref(&msg)).await.unwrap();

    let connection = dispatch::connect(&url).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    let queue = topology.queue(msg.kind, msg.priority);
    let dead = topology.dead_letter_queue();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut deliveries = 0;
    let dead_lettered = loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not dead-lettered after {deliveries} deliveries"
        );
        if let Some(got) = channel
            .basic_get(dead.as_str().into(), BasicGetOptions::default())
            .await
            .unwrap()
        {
            got.delivery.ack(BasicAckOptions::default()).await.unwrap();
            break got.delivery;
        }
        match channel
            .basic_get(queue.as_str().into(), BasicGetOptions::default())
            .await
            .unwrap()
        {
            Some(got) => {
                deliveries += 1;
                got.delivery
                    .nack(BasicNackOptions {
                        requeue: true,
                        ..BasicNackOptions::default()
                    })
                    .await
                    .unwrap();
            }
            None => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    assert_eq!(JobMessage::decode(&dead_lettered.data).unwrap(), msg);
    let limit = dispatch::DELIVERY_LIMIT;
    assert!(
        (limit..=limit + 1).contains(&deliveries),
        "dead-lettered after {deliveries} deliveries, limit {limit}"
    );
    dispatch::delete(&channel, &topology).await.unwrap();
}

#[tokio::test]
async fn match_wake_up_reaches_a_queue_bound_to_the_match_id_and_fails_fast_when_down() {
    let url = rabbitmq_url();
    let topology = unique_topology("wake");
    let publisher = RabbitDispatch::connect(&url, topology.clone())
        .await
        .unwrap();
    let connection = dispatch::connect(&url).await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    // A host's private queue, bound under the id of the match it hosts.
    let queue = channel
        .queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    let hosted = JobId::new();
    channel
        .queue_bind(
            queue.name().as_str().into(),
            topology.match_events_exchange().as_str().into(),
            hosted.as_str().into(),
            lapin::options::QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();

    // A wake-up for a match nobody hosts is fine (and reaches nobody).
    publisher.wake_match(&JobId::new()).await.unwrap();
    publisher.wake_match(&hosted).await.unwrap();
    let delivery = consume_one(&channel, queue.name().as_str()).await;
    let body: serde_json::Value = serde_json::from_slice(&delivery.data).unwrap();
    assert_eq!(body, serde_json::json!({ "matchId": hosted.as_str() }));
    assert_eq!(delivery.routing_key.as_str(), hosted.as_str());
    assert_eq!(delivery.properties.delivery_mode(), &Some(1));
    dispatch::delete(&channel, &topology).await.unwrap();

    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let down = RabbitDispatch::lazy(
        &format!("amqp://guest:guest@127.0.0.1:{port}/%2f"),
        unique_topology("wake-down"),
    );
    let started = std::time::Instant::now();
    for _ in 0..10 {
        assert!(matches!(
            down.wake_match(&hosted).await,
            Err(DispatchError::Unavailable(_))
        ));
    }
    assert!(started.elapsed() < dispatch::WAKE_TIMEOUT * 2);
}
