//! The API's Prometheus metrics, in a registry of its own per instance (tests run
//! several instances in one process).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use herald_core::{JobKind, Priority};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};

use crate::AppState;

#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    publish_failures: IntCounter,
    enqueued: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "herald_api_requests_total",
                "API requests by route and status",
            ),
            &["route", "status"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "herald_api_request_duration_seconds",
                "API request latency by route",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["route"],
        )?;
        let publish_failures = IntCounter::new(
            "herald_publish_failures_total",
            "Jobs stored but not published to RabbitMQ (the worker poller dispatches them)",
        )?;
        let enqueued = IntCounterVec::new(
            Opts::new(
                "herald_jobs_enqueued_total",
                "Jobs created by kind and priority",
            ),
            &["kind", "priority"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(publish_failures.clone()))?;
        registry.register(Box::new(enqueued.clone()))?;
        Ok(Self {
            registry,
            requests,
            duration,
            publish_failures,
            enqueued,
        })
    }

    /// The registry, for the metrics of other modules (`herald_stream_*`).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn publish_failed(&self, jobs: u64) {
        self.publish_failures.inc_by(jobs);
    }

    pub fn enqueued(&self, kind: JobKind, priority: Priority) {
        self.enqueued
            .with_label_values(&[kind.as_str(), priority.as_str()])
            .inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

/// Counts and times every request by its route template (`/v1/jobs/{id}`, never the
/// raw path, so the label set stays bounded).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let m = &state.metrics;
    m.duration
        .with_label_values(&[route.as_str()])
        .observe(started.elapsed().as_secs_f64());
    m.requests
        .with_label_values(&[route.as_str(), response.status().as_str()])
        .inc();
    response
}
