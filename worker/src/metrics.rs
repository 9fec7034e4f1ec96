//! The worker's Prometheus metrics (`docs/worker.md`). The names inherited from the system
//! Herald replaces are kept so existing dashboards work; everything new is `herald_*`.
//! Each worker instance has its own registry, so several can run in one test process.

use herald_core::store::{StoreError, StoreResult};
use herald_core::supervise::SessionObserver;
use prometheus::{
    Encoder, Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec,
    IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Latency buckets, seconds: fine below 50 ms where the targets are, coarse above.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// Event→applied buckets, seconds: the wake-up path lands in single milliseconds, the
/// fallback poll in hundreds; fine enough to read p50/p99 off the histogram.
pub const MATCH_EVENT_BUCKETS: &[f64] = &[
    0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3,
    0.5, 0.75, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    // Herald's own.
    pub jobs_processed: IntCounterVec,
    pub processing_seconds: HistogramVec,
    pub end_to_end_seconds: HistogramVec,
    pub lease_claims: IntCounterVec,
    pub lease_conflicts: IntCounterVec,
    pub lease_lost: IntCounter,
    pub lease_renewals: IntCounter,
    pub lease_releases: IntCounter,
    pub deliveries: IntCounterVec,
    pub circuit_state: IntGaugeVec,
    pub circuit_transitions: IntCounterVec,
    pub jobs_in_flight: IntGauge,
    pub broker_connected: IntGauge,
    pub broker_reconnects: IntCounter,
    pub store_up: IntGauge,
    pub store_errors: IntCounter,
    pub deliveries_dropped: IntCounterVec,
    pub matches: IntCounterVec,
    pub matches_hosted: IntGauge,
    pub match_events_applied: IntCounter,
    pub match_event_apply_seconds: Histogram,
    // Kept from the previous system.
    pub cpu_percent: Gauge,
    pub memory_bytes: IntGauge,
    pub heap_bytes: IntGauge,
    pub database_connections: IntGauge,
    pub store_connections_in_use: IntGauge,
    pub store_pool_max: IntGauge,
    pub queue_depth: IntGaugeVec,
    pub queue_oldest_ready_seconds: GaugeVec,
    pub pruned: IntCounterVec,
    pub prune_run_seconds: Histogram,
    pub uptime_seconds: Gauge,
    pub active_workers: IntGauge,
    pub active_matches: IntGauge,
    pub idle_workers: IntGauge,
}

fn counter_vec(
    r: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntCounterVec> {
    let c = IntCounterVec::new(Opts::new(name, help), labels)?;
    r.register(Box::new(c.clone()))?;
    Ok(c)
}

fn counter(r: &Registry, name: &str, help: &str) -> prometheus::Result<IntCounter> {
    let c = IntCounter::new(name, help)?;
    r.register(Box::new(c.clone()))?;
    Ok(c)
}

fn int_gauge(r: &Registry, name: &str, help: &str) -> prometheus::Result<IntGauge> {
    let g = IntGauge::new(name, help)?;
    r.register(Box::new(g.clone()))?;
    Ok(g)
}

fn gauge(r: &Registry, name: &str, help: &str) -> prometheus::Result<Gauge> {
    let g = Gauge::new(name, help)?;
    r.register(Box::new(g.clone()))?;
    Ok(g)
}

fn histogram_vec(
    r: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<HistogramVec> {
    let h = HistogramVec::new(
        HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec()),
        labels,
    )?;
    r.register(Box::new(h.clone()))?;
    Ok(h)
}

impl Metrics {
    pub fn new() -> prometheus::Result<Self> {
        let r = Registry::new();
        Ok(Self {
            jobs_processed: counter_vec(&r, "herald_jobs_processed_total", "Jobs processed, by kind and outcome (completed, retried, dead, snoozed, lease_lost, released, unrecorded)", &["kind", "outcome"])?,
            processing_seconds: histogram_vec(&r, "herald_job_processing_seconds", "Time from claim to written outcome", &["kind"])?,
            end_to_end_seconds: histogram_vec(&r, "herald_job_end_to_end_seconds", "Time from enqueue (createdAt) to completed", &["kind"])?,
            lease_claims: counter_vec(&r, "herald_lease_claims_total", "Jobs claimed, by dispatch path (rabbitmq, poller)", &["source"])?,
            lease_conflicts: counter_vec(&r, "herald_lease_conflicts_total", "Claims that did not take the job, by reason (held, finished, not_due, not_found, exhausted, turn: the turn went to another tenant or the tenant is at its cap)", &["reason"])?,
            lease_lost: counter(&r, "herald_lease_lost_total", "Fenced writes rejected because another holder took the job; the result was dropped")?,
            lease_renewals: counter(&r, "herald_lease_renewals_total", "Leases extended while a job ran long")?,
            lease_releases: counter(&r, "herald_lease_releases_total", "Leases given back unfinished at shutdown")?,
            deliveries: counter_vec(&r, "herald_deliveries_total", "Delivery attempts by channel and outcome (delivered, retryable, permanent, snoozed)", &["channel", "outcome"])?,
            circuit_state: {
                let g = IntGaugeVec::new(Opts::new("herald_circuit_state", "Circuit breaker state per tenant, channel and provider: 0 closed, 1 half-open, 2 open"), &["tenant", "channel", "provider"])?;
                r.register(Box::new(g.clone()))?;
                g
            },
            circuit_transitions: counter_vec(&r, "herald_circuit_transitions_total", "Circuit breaker transitions per tenant, channel and provider, by the state entered (open, half-open, closed)", &["tenant", "channel", "provider", "to"])?,
            jobs_in_flight: int_gauge(&r, "herald_jobs_in_flight", "Jobs being processed by this worker now")?,
            broker_connected: int_gauge(&r, "herald_broker_connected", "1 while consuming from RabbitMQ")?,
            broker_reconnects: counter(&r, "herald_broker_reconnects_total", "RabbitMQ connections re-established after a loss")?,
            store_up: int_gauge(&r, "herald_store_up", "1 when the last store round trip succeeded")?,
            store_errors: counter(&r, "herald_store_errors_total", "Store calls that failed as unavailable")?,
            deliveries_dropped: counter_vec(&r, "herald_rabbitmq_deliveries_total", "RabbitMQ deliveries by what became of them (processed, skipped, requeued, invalid)", &["result"])?,
            matches: counter_vec(&r, "herald_matches_total", "Match hosting events on this worker (started, resumed, finished, released, lease_lost, unrecorded, failed)", &["event"])?,
            matches_hosted: int_gauge(&r, "herald_matches_hosted", "Matches this worker hosts now")?,
            match_events_applied: counter(&r, "herald_match_events_applied_total", "Match events applied and saved by this worker")?,
            match_event_apply_seconds: {
                let h = Histogram::with_opts(HistogramOpts::new("herald_match_event_apply_seconds", "Time from a match event's append (its `at`) to its state being saved by the host").buckets(MATCH_EVENT_BUCKETS.to_vec()))?;
                r.register(Box::new(h.clone()))?;
                h
            },
            cpu_percent: gauge(&r, "worker_cpu_usage_percent", "CPU used by this process, percent of one core")?,
            memory_bytes: int_gauge(&r, "worker_memory_usage_bytes", "Resident set size")?,
            heap_bytes: int_gauge(&r, "worker_heap_usage_bytes", "Anonymous resident memory (heap and stacks)")?,
            database_connections: int_gauge(&r, "database_connections_total", "Store connections open now in this process (in use or idle), from the pool itself")?,
            store_connections_in_use: int_gauge(&r, "herald_store_connections_in_use", "Store connections checked out by a query right now")?,
            store_pool_max: int_gauge(&r, "herald_store_pool_max_connections", "The most store connections this process opens (SQLITE_POOL_SIZE, MONGODB_MAX_POOL_SIZE or the driver's 10)")?,
            queue_depth: {
                let g = IntGaugeVec::new(Opts::new("notification_queue_depth", "Jobs in the store by state"), &["state"])?;
                r.register(Box::new(g.clone()))?;
                g
            },
            queue_oldest_ready_seconds: {
                let g = GaugeVec::new(Opts::new("herald_queue_oldest_ready_seconds", "Age of the oldest job that is due and not running, by kind and priority (0 when none); refreshed every PRUNE_INTERVAL_MS"), &["kind", "priority"])?;
                r.register(Box::new(g.clone()))?;
                g
            },
            pruned: {
                let c = counter_vec(&r, "herald_pruned_total", "Jobs deleted by the SQLite pruner after their retention, by kind and state (match events as kind match_event)", &["kind", "state"])?;
                // Every series from the start, at 0: a rate over "nothing pruned yet" is 0, not absent.
                for kind in herald_core::JobKind::ALL {
                    for state in ["succeeded", "dead", "cancelled"] {
                        c.with_label_values(&[kind.as_str(), state]);
                    }
                }
                c.with_label_values(&["match_event", "ended"]);
                c
            },
            prune_run_seconds: {
                let h = Histogram::with_opts(HistogramOpts::new("herald_prune_run_duration_seconds", "Duration of one pruner run (all its batches) on the lease holder"))?;
                r.register(Box::new(h.clone()))?;
                h
            },
            uptime_seconds: gauge(&r, "worker_uptime_seconds", "Seconds since this worker started")?,
            active_workers: int_gauge(&r, "matchserver_active_workers", "Live workers (registry) with work in hand")?,
            active_matches: int_gauge(&r, "matchserver_active_matches_total", "Matches hosted across live workers")?,
            idle_workers: int_gauge(&r, "matchserver_idle_workers", "Live workers (registry) with nothing in hand")?,
            registry: r,
        })
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = Vec::new();
        if TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .is_err()
        {
            return String::new();
        }
        String::from_utf8(out).unwrap_or_default()
    }

    /// Keeps `herald_store_up` and the error counter honest from every store call.
    pub fn observe_store<T>(&self, result: &StoreResult<T>) {
        match result {
            Err(StoreError::Unavailable(_)) => {
                self.store_up.set(0);
                self.store_errors.inc();
            }
            _ => self.store_up.set(1),
        }
    }

    pub fn processed(&self, kind: &str, outcome: &str) {
        self.jobs_processed
            .with_label_values(&[kind, outcome])
            .inc();
    }

    pub fn latency(&self, kind: &str) -> (Histogram, Histogram) {
        (
            self.processing_seconds.with_label_values(&[kind]),
            self.end_to_end_seconds.with_label_values(&[kind]),
        )
    }
}

/// The worker's broker sessions as its metrics tell them: `herald_broker_connected` is
/// 1 while every session (job queues, match queue, match wake-ups) is up, and
/// `herald_broker_reconnects_total` counts sessions re-established after a loss.
#[derive(Debug)]
pub struct BrokerSessions {
    up: std::sync::atomic::AtomicUsize,
    sessions: usize,
    connected: IntGauge,
    reconnects: IntCounter,
}

impl BrokerSessions {
    /// For a worker that supervises `sessions` sessions.
    pub fn new(metrics: &Metrics, sessions: usize) -> Self {
        Self {
            up: std::sync::atomic::AtomicUsize::new(0),
            sessions,
            connected: metrics.broker_connected.clone(),
            reconnects: metrics.broker_reconnects.clone(),
        }
    }

    fn show(&self, up: usize) {
        self.connected.set(i64::from(up >= self.sessions));
    }
}

impl SessionObserver for BrokerSessions {
    fn up(&self, _session: &'static str) {
        let up = self.up.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        self.show(up);
    }

    fn down(&self, _session: &'static str) {
        let up = self
            .up
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst)
            .saturating_sub(1);
        self.show(up);
    }

    fn reconnected(&self, _session: &'static str) {
        self.reconnects.inc();
    }
}
