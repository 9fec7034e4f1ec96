//! The open-loop traffic generator.
//!
//! Requests are scheduled at fixed times (`start + i / rate`) and sent at those
//! times whether or not earlier requests have been answered, so a slow API does not
//! slow the load down (coordinated omission). Every latency is measured from the
//! request's *scheduled* time, so time spent queued in the client counts too.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio::sync::Semaphore;

use crate::mix::PriorityMix;
use crate::tracker::Tracker;

/// Requests allowed in flight before the generator waits; only reached when the API
/// stalls completely, and even then latencies still count from the scheduled time.
const MAX_IN_FLIGHT: usize = 20_000;

/// Which delivery channel the generated notifications use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Channel {
    /// Delivered to the built-in webhook sink, which timestamps each arrival.
    Webhook,
    /// Herald's no-op channel; delivery is read back from the API (`completedAt`).
    Log,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Webhook => "webhook",
            Channel::Log => "log",
        }
    }
}

/// What to send, and how fast.
#[derive(Debug, Clone)]
pub struct Plan {
    /// API base URLs; requests go round-robin over them.
    pub urls: Vec<String>,
    pub api_key: String,
    pub rate: f64,
    pub duration: Duration,
    pub users: u32,
    pub channel: Channel,
    /// Jobs per request; 1 uses the single route, more the batch route.
    pub batch: usize,
    pub mix: PriorityMix,
    /// Base URL of the webhook sink as workers reach it.
    pub sink_url: String,
}

impl Plan {
    pub fn total_jobs(&self) -> u64 {
        (self.rate * self.duration.as_secs_f64()).round().max(0.0) as u64
    }

    fn notification(&self, rng: &mut StdRng) -> Value {
        let user = rng.gen_range(0..self.users.max(1));
        let priority = self.mix.pick(rng);
        let address = match self.channel {
            Channel::Webhook => format!("{}/users/{user}", self.sink_url.trim_end_matches('/')),
            Channel::Log => format!("user-{user}@example.com"),
        };
        json!({
            "channel": self.channel.as_str(),
            "recipient": { "address": address },
            "subject": "Herald load test",
            "body": format!("Hello user {user}"),
            "priority": priority.as_str(),
        })
    }
}

/// Sends the plan's traffic; returns when every request has been answered or has
/// failed, or early when `stop` fires.
pub async fn run(
    plan: &Plan,
    client: &reqwest::Client,
    tracker: &Tracker,
    stop: &tokio::sync::watch::Receiver<bool>,
) {
    let total = plan.total_jobs();
    let batch = plan.batch.max(1) as u64;
    let requests = total.div_ceil(batch);
    let interval = Duration::from_secs_f64(batch as f64 / plan.rate.max(1e-6));
    let path = if plan.batch > 1 {
        "/v1/notifications/batch"
    } else {
        "/v1/notifications"
    };
    let routes: Vec<String> = plan
        .urls
        .iter()
        .map(|u| format!("{}{path}", u.trim_end_matches('/')))
        .collect();
    if routes.is_empty() {
        return;
    }
    let start = Instant::now() + Duration::from_millis(20);
    let wall_start = Utc::now() + chrono::Duration::milliseconds(20);
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut rng = StdRng::from_entropy();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..requests {
        let offset = interval.mul_f64(i as f64);
        let scheduled = start + offset;
        tokio::time::sleep_until(scheduled.into()).await;
        if *stop.borrow() {
            break;
        }
        let n = batch.min(total - i * batch);
        let body = if plan.batch > 1 {
            json!({ "notifications": (0..n).map(|_| plan.notification(&mut rng)).collect::<Vec<_>>() })
        } else {
            plan.notification(&mut rng)
        };
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        tracker.sending(n, scheduled);
        let wall = wall_start + chrono::Duration::from_std(offset).unwrap_or_default();
        let route = &routes[(i % routes.len() as u64) as usize];
        let request = client.post(route).bearer_auth(&plan.api_key).json(&body);
        let tracker = tracker.clone();
        tasks.spawn(async move {
            let _permit = permit;
            let response = request.send().await;
            let answered = Instant::now();
            tracker.responded(scheduled, answered);
            record(&tracker, response, n, scheduled, wall).await;
        });
        // Reap finished requests as we go so the set stays small.
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

/// How a request failed without an answer: `timeout`, `connect` or `other`.
pub(crate) fn error_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "other"
    }
}

async fn record(
    tracker: &Tracker,
    response: reqwest::Result<reqwest::Response>,
    n: u64,
    scheduled: Instant,
    wall: chrono::DateTime<Utc>,
) {
    let response = match response {
        Ok(r) => r,
        Err(e) => {
            tracker.rejected(format!("transport: {}", error_kind(&e)), n);
            return;
        }
    };
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        let ids: Vec<String> = match (&body["id"], &body["ids"]) {
            (Value::String(id), _) => vec![id.clone()],
            (_, Value::Array(ids)) => ids
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        if ids.len() as u64 != n {
            tracker.rejected(format!("{} unreadable answer", status.as_u16()), n);
            return;
        }
        for id in ids {
            tracker.accepted(id, scheduled, wall);
        }
    } else {
        let code = body["error"]["code"].as_str().unwrap_or("no error code");
        tracker.rejected(format!("{} {code}", status.as_u16()), n);
    }
}

/// Enqueues `jobs` as fast as the API takes them, through the batch route (1,000 per
/// request, a few requests at a time): the backlog for a drain measurement.
pub async fn fill(
    plan: &Plan,
    jobs: u64,
    client: &reqwest::Client,
    tracker: &Tracker,
    stop: &tokio::sync::watch::Receiver<bool>,
) {
    const PER_REQUEST: u64 = 1_000;
    const CONCURRENT: usize = 4;
    let Some(base) = plan.urls.first() else {
        return;
    };
    let route = format!("{}/v1/notifications/batch", base.trim_end_matches('/'));
    let mut rng = StdRng::from_entropy();
    let mut tasks = tokio::task::JoinSet::new();
    let mut queued = 0;
    while queued < jobs && !*stop.borrow() {
        let n = PER_REQUEST.min(jobs - queued);
        queued += n;
        let body = json!({ "notifications": (0..n).map(|_| plan.notification(&mut rng)).collect::<Vec<_>>() });
        let request = client.post(&route).bearer_auth(&plan.api_key).json(&body);
        let tracker = tracker.clone();
        let scheduled = Instant::now();
        tracker.sending(n, scheduled);
        tasks.spawn(async move {
            let response = request.send().await;
            tracker.responded(scheduled, Instant::now());
            record(&tracker, response, n, scheduled, Utc::now()).await;
        });
        while tasks.len() >= CONCURRENT {
            let _ = tasks.join_next().await;
        }
    }
    while tasks.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(channel: Channel) -> Plan {
        Plan {
            urls: vec!["http://x".into()],
            api_key: "k".into(),
            rate: 12.0,
            duration: Duration::from_secs(10),
            users: 3,
            channel,
            batch: 1,
            mix: PriorityMix::default(),
            sink_url: "http://127.0.0.1:9/".into(),
        }
    }

    #[test]
    fn total_jobs_is_rate_times_duration() {
        assert_eq!(plan(Channel::Log).total_jobs(), 120);
        let fractional = Plan {
            rate: 0.5,
            ..plan(Channel::Log)
        };
        assert_eq!(fractional.total_jobs(), 5);
    }

    #[test]
    fn webhook_notifications_point_at_the_sink() {
        let mut rng = StdRng::seed_from_u64(2);
        let n = plan(Channel::Webhook).notification(&mut rng);
        assert_eq!(n["channel"], "webhook");
        let address = n["recipient"]["address"].as_str().unwrap();
        assert!(
            address.starts_with("http://127.0.0.1:9/users/"),
            "{address}"
        );
        assert_eq!(n["priority"], "normal");
    }
}
