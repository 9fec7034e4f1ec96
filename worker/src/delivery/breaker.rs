//! Circuit breakers, one per (tenant, channel, provider) (`docs/channels.md`).
//!
//! A provider that is down should not eat every job's attempts: without a breaker,
//! each job bound for it burns through its retries and lands in dead while the
//! provider is still down. So the worker remembers, per channel and provider (the
//! webhook's host, the SMTP relay, the SMS or push provider — [`super::Channel::provider`]):
//!
//! - **closed** — deliveries go out; consecutive retryable failures (timeouts,
//!   connection errors, 5xx, 429) are counted, and a success resets the count.
//!   Permanent failures (4xx) are the job's fault, not the provider's: not counted.
//!   At `BREAKER_FAILURE_THRESHOLD` the circuit opens;
//! - **open** for `BREAKER_OPEN_MS` — nothing is sent. Jobs are snoozed
//!   ([`DeliveryError::Snooze`]) to the end of the open period plus a little jitter,
//!   so they neither spend an attempt nor come back all at once;
//! - **half-open** — the first job after the open period is the probe; the others
//!   keep snoozing briefly. The probe's success closes the circuit, its retryable
//!   failure opens it again for another period. A probe that ends any other way (a
//!   permanent failure, a shutdown that drops it) hands the probe to the next job.
//!
//! Circuits are keyed by tenant too: tenants share hosts (a chat service's webhook
//! host, an SMTP relay), and one tenant's failing endpoint there must not snooze
//! another tenant's deliveries to the same host.
//!
//! The set of circuits is bounded ([`MAX_CIRCUITS`]): webhook hosts are tenant-chosen,
//! so a tenant could name 20,000 failing hosts. Past the bound, healthy circuits are
//! forgotten first, then the least recently used ones, and their metric series go
//! with them; a forgotten circuit is exactly a new one (at worst its host gets
//! `BREAKER_FAILURE_THRESHOLD` more attempts before it opens again).
//!
//! State is per worker process: each worker learns a provider is down from its own
//! failures (within `BREAKER_FAILURE_THRESHOLD` attempts). Results of deliveries that
//! were admitted while closed but finish after the circuit opened do not move it; only
//! the probe decides a half-open circuit.
//!
//! Time comes from the injected [`Clock`], so the state machine is tested without
//! sleeping; `openUntil` in `/stats` is on the same clock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use herald_core::config::{ConfigError, Env};
use herald_core::Clock;
use prometheus::{IntCounterVec, IntGaugeVec};
use rand::Rng;
use serde::Serialize;

use super::DeliveryError;

pub const DEFAULT_FAILURE_THRESHOLD: u32 = 5;
pub const DEFAULT_OPEN_FOR: Duration = Duration::from_millis(30_000);
/// Shortest and longest wait of a job that finds a half-open circuit's probe out.
const PROBE_WAIT_MIN: Duration = Duration::from_millis(200);
const PROBE_WAIT_MAX: Duration = Duration::from_secs(5);
/// Circuits kept before healthy ones (closed, no failures counted), then the least
/// recently used, are forgotten. Webhook providers are tenant-chosen hosts, so the set
/// is open-ended; a forgotten circuit is exactly a new one.
pub const MAX_CIRCUITS: usize = 10_000;
/// What an eviction of least recently used circuits brings the set down to, so that
/// it does not run on every new circuit.
const EVICT_TO: usize = MAX_CIRCUITS * 9 / 10;
/// The `to` label values of `herald_circuit_transitions_total`.
const TRANSITION_LABELS: [&str; 3] = ["closed", "half-open", "open"];

/// `BREAKER_FAILURE_THRESHOLD` and `BREAKER_OPEN_MS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive retryable failures that open a closed circuit.
    pub failure_threshold: u32,
    /// How long an open circuit stays open before it lets a probe through.
    pub open_for: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failure_threshold: DEFAULT_FAILURE_THRESHOLD,
            open_for: DEFAULT_OPEN_FOR,
        }
    }
}

impl BreakerConfig {
    /// How long a job waits while a half-open circuit's probe is out: a fifth of the
    /// open period, within 200 ms..5 s.
    fn probe_wait(&self) -> Duration {
        (self.open_for / 5).clamp(PROBE_WAIT_MIN, PROBE_WAIT_MAX)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CircuitState {
    Closed,
    HalfOpen,
    Open,
}

impl CircuitState {
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::HalfOpen => "half-open",
            CircuitState::Open => "open",
        }
    }

    /// The value of `herald_circuit_state`.
    pub fn gauge(self) -> i64 {
        match self {
            CircuitState::Closed => 0,
            CircuitState::HalfOpen => 1,
            CircuitState::Open => 2,
        }
    }
}

/// One circuit, as `/stats` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CircuitView {
    pub tenant: String,
    pub channel: String,
    pub provider: String,
    pub state: CircuitState,
    /// Consecutive retryable failures counted while closed.
    pub failures: u32,
    /// RFC 3339; set while open.
    pub open_until: Option<String>,
}

/// The Prometheus side: `herald_circuit_state{tenant,channel,provider}` and
/// `herald_circuit_transitions_total{tenant,channel,provider,to}`.
#[derive(Debug, Clone)]
pub struct CircuitMetrics {
    pub state: IntGaugeVec,
    pub transitions: IntCounterVec,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    tenant: String,
    channel: String,
    provider: String,
}

impl Key {
    fn new(tenant: &str, channel: &str, provider: &str) -> Self {
        Self {
            tenant: tenant.to_owned(),
            channel: channel.to_owned(),
            provider: provider.to_owned(),
        }
    }

    fn labels(&self) -> [&str; 3] {
        [
            self.tenant.as_str(),
            self.channel.as_str(),
            self.provider.as_str(),
        ]
    }
}

#[derive(Debug, Clone)]
struct Circuit {
    state: CircuitState,
    failures: u32,
    open_until: Option<DateTime<Utc>>,
    /// Half-open: the probe is out.
    probing: bool,
    /// The last admission: the least recently used circuits are evicted first.
    used: DateTime<Utc>,
}

impl Circuit {
    fn closed(now: DateTime<Utc>) -> Self {
        Self {
            state: CircuitState::Closed,
            failures: 0,
            open_until: None,
            probing: false,
            used: now,
        }
    }
}

/// Every circuit of one worker.
#[derive(Debug)]
pub struct Breakers {
    config: BreakerConfig,
    clock: Arc<dyn Clock>,
    metrics: Option<CircuitMetrics>,
    circuits: Mutex<HashMap<Key, Circuit>>,
}

/// Permission to deliver, from [`Breakers::admit`]. Report the result with
/// [`Ticket::record`]; a probe ticket dropped unrecorded hands the probe on.
#[derive(Debug)]
#[must_use = "report the delivery's result with Ticket::record"]
pub struct Ticket<'a> {
    breakers: &'a Breakers,
    key: Key,
    probe: bool,
    recorded: bool,
}

impl Breakers {
    pub fn new(
        config: BreakerConfig,
        clock: Arc<dyn Clock>,
        metrics: Option<CircuitMetrics>,
    ) -> Self {
        Self {
            config,
            clock,
            metrics,
            circuits: Mutex::new(HashMap::new()),
        }
    }

    pub fn config(&self) -> BreakerConfig {
        self.config
    }

    /// May `tenant`'s delivery to `provider` on `channel` go out now? `Err` is the
    /// snooze that defers the job instead, without spending its attempt.
    pub fn admit(
        &self,
        tenant: &str,
        channel: &str,
        provider: &str,
    ) -> Result<Ticket<'_>, DeliveryError> {
        let now = self.clock.now();
        let key = Key::new(tenant, channel, provider);
        let mut circuits = self.lock();
        if circuits.len() >= MAX_CIRCUITS && !circuits.contains_key(&key) {
            self.evict(&mut circuits);
        }
        let circuit = circuits
            .entry(key.clone())
            .or_insert_with(|| Circuit::closed(now));
        circuit.used = now;
        let probe = match circuit.state {
            CircuitState::Closed => false,
            CircuitState::Open => match circuit.open_until {
                Some(until) if now < until => {
                    let wait = (until - now).to_std().unwrap_or_default();
                    return Err(self.snooze(
                        wait,
                        format!(
                            "circuit open for {channel} provider {provider} until {}",
                            until.to_rfc3339_opts(SecondsFormat::Millis, true)
                        ),
                    ));
                }
                _ => {
                    self.transition(&key, circuit, CircuitState::HalfOpen);
                    circuit.probing = true;
                    true
                }
            },
            CircuitState::HalfOpen if circuit.probing => {
                return Err(self.snooze(
                    self.config.probe_wait(),
                    format!("circuit half-open for {channel} provider {provider}: probe in flight"),
                ));
            }
            CircuitState::HalfOpen => {
                circuit.probing = true;
                true
            }
        };
        Ok(Ticket {
            breakers: self,
            key,
            probe,
            recorded: false,
        })
    }

    /// Moves every open circuit whose open period has ended to half-open (its next job
    /// is the probe). `admit` does the same when a job comes, but a provider that gets
    /// no more traffic would otherwise show `open` in `/stats` and in
    /// `herald_circuit_state` (and keep `HeraldCircuitOpen` firing) long after it
    /// stopped holding anything back. Called when `/metrics` and `/stats` are read.
    pub fn refresh(&self) {
        let now = self.clock.now();
        let mut circuits = self.lock();
        for (key, circuit) in circuits.iter_mut() {
            let ended = circuit.state == CircuitState::Open
                && !matches!(circuit.open_until, Some(until) if now < until);
            if ended {
                circuit.probing = false;
                self.transition(key, circuit, CircuitState::HalfOpen);
            }
        }
    }

    /// Every circuit this worker has seen, for `/stats`.
    pub fn views(&self) -> Vec<CircuitView> {
        self.refresh();
        let circuits = self.lock();
        let mut views: Vec<CircuitView> = circuits
            .iter()
            .map(|(key, c)| CircuitView {
                tenant: key.tenant.clone(),
                channel: key.channel.clone(),
                provider: key.provider.clone(),
                state: c.state,
                failures: c.failures,
                open_until: c
                    .open_until
                    .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true)),
            })
            .collect();
        views.sort_by(|a, b| {
            (&a.tenant, &a.channel, &a.provider).cmp(&(&b.tenant, &b.channel, &b.provider))
        });
        views
    }

    /// The state of one circuit (closed when never seen).
    pub fn state(&self, tenant: &str, channel: &str, provider: &str) -> CircuitState {
        let key = Key::new(tenant, channel, provider);
        self.lock()
            .get(&key)
            .map_or(CircuitState::Closed, |c| c.state)
    }

    /// Circuits held now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes room for a new circuit: drops the circuits that carry no information
    /// (closed, nothing counted); if that is not enough, the least recently used down
    /// to [`EVICT_TO`]. Their metric series go with them.
    fn evict(&self, circuits: &mut HashMap<Key, Circuit>) {
        let mut gone: Vec<Key> = circuits
            .iter()
            .filter(|(_, c)| c.state == CircuitState::Closed && c.failures == 0)
            .map(|(k, _)| k.clone())
            .collect();
        if circuits.len() - gone.len() >= MAX_CIRCUITS {
            let mut by_use: Vec<(DateTime<Utc>, &Key)> = circuits
                .iter()
                .filter(|(_, c)| c.state != CircuitState::Closed || c.failures > 0)
                .map(|(k, c)| (c.used, k))
                .collect();
            by_use.sort_unstable_by_key(|(used, _)| *used);
            let excess = by_use.len().saturating_sub(EVICT_TO);
            gone.extend(by_use.into_iter().take(excess).map(|(_, k)| k.clone()));
        }
        for key in gone {
            circuits.remove(&key);
            self.forget_series(&key);
        }
    }

    fn forget_series(&self, key: &Key) {
        if let Some(m) = &self.metrics {
            let labels = key.labels();
            let _ = m.state.remove_label_values(&labels);
            for to in TRANSITION_LABELS {
                let _ = m
                    .transitions
                    .remove_label_values(&[labels[0], labels[1], labels[2], to]);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Circuit>> {
        self.circuits.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A snooze of `wait` plus up to a fifth more, so the jobs a circuit holds back do
    /// not all come back in the same instant.
    fn snooze(&self, wait: Duration, reason: String) -> DeliveryError {
        let jitter = rand::thread_rng().gen_range(0.0..=0.2);
        let delay = wait + wait.mul_f64(jitter).max(Duration::from_millis(1));
        DeliveryError::Snooze { delay, reason }
    }

    fn transition(&self, key: &Key, circuit: &mut Circuit, to: CircuitState) {
        if circuit.state == to {
            return;
        }
        circuit.state = to;
        if to != CircuitState::Open {
            circuit.open_until = None;
        }
        if to == CircuitState::Closed {
            circuit.failures = 0;
            circuit.probing = false;
        }
        tracing::warn!(
            tenant = %key.tenant,
            channel = %key.channel,
            provider = %key.provider,
            state = to.as_str(),
            "circuit {}",
            to.as_str()
        );
        if let Some(m) = &self.metrics {
            let labels = key.labels();
            m.state.with_label_values(&labels).set(to.gauge());
            m.transitions
                .with_label_values(&[labels[0], labels[1], labels[2], to.as_str()])
                .inc();
        }
    }

    fn open(&self, key: &Key, circuit: &mut Circuit, now: DateTime<Utc>) {
        let open_for = chrono::Duration::from_std(self.config.open_for)
            .unwrap_or_else(|_| chrono::Duration::seconds(30));
        circuit.open_until = Some(now + open_for);
        circuit.probing = false;
        self.transition(key, circuit, CircuitState::Open);
    }

    fn record(&self, ticket: &Ticket<'_>, result: Option<&Result<(), DeliveryError>>) {
        let now = self.clock.now();
        let mut circuits = self.lock();
        let Some(circuit) = circuits.get_mut(&ticket.key) else {
            return;
        };
        if ticket.probe {
            circuit.probing = false;
            if circuit.state != CircuitState::HalfOpen {
                return;
            }
            match result {
                Some(Ok(())) => self.transition(&ticket.key, circuit, CircuitState::Closed),
                Some(Err(DeliveryError::Retryable { .. })) => {
                    self.open(&ticket.key, circuit, now);
                }
                // A permanent failure or a snooze says nothing about the provider, and
                // a dropped probe said nothing at all: the next job probes.
                _ => {}
            }
            return;
        }
        if circuit.state != CircuitState::Closed {
            return;
        }
        match result {
            Some(Ok(())) => circuit.failures = 0,
            Some(Err(DeliveryError::Retryable { .. })) => {
                circuit.failures += 1;
                if circuit.failures >= self.config.failure_threshold {
                    self.open(&ticket.key, circuit, now);
                }
            }
            _ => {}
        }
    }
}

impl Ticket<'_> {
    /// Whether this delivery is a half-open circuit's probe.
    pub fn is_probe(&self) -> bool {
        self.probe
    }

    /// Reports how the delivery went.
    pub fn record(mut self, result: &Result<(), DeliveryError>) {
        self.recorded = true;
        self.breakers.record(&self, Some(result));
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if !self.recorded && self.probe {
            self.breakers.record(self, None);
        }
    }
}

/// Longest `BREAKER_OPEN_MS`: a day.
const MAX_BREAKER_OPEN: Duration = Duration::from_secs(86_400);

impl BreakerConfig {
    /// `BREAKER_FAILURE_THRESHOLD` and `BREAKER_OPEN_MS`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let defaults = BreakerConfig::default();
        let failure_threshold = u32::try_from(env.count_or(
            "BREAKER_FAILURE_THRESHOLD",
            defaults.failure_threshold as usize,
            1_000,
        )?)
        .map_err(|_| ConfigError::new("BREAKER_FAILURE_THRESHOLD", "must be at most 1000"))?;
        let open_for = env.millis_or("BREAKER_OPEN_MS", defaults.open_for)?;
        if open_for > MAX_BREAKER_OPEN {
            return Err(ConfigError::new(
                "BREAKER_OPEN_MS",
                "must be at most 86400000 (a day)",
            ));
        }
        Ok(BreakerConfig {
            failure_threshold,
            open_for,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use herald_core::clock::ManualClock;

    fn breakers(threshold: u32, open_ms: u64) -> (Breakers, ManualClock) {
        let clock = ManualClock::new(Utc::now());
        let config = BreakerConfig {
            failure_threshold: threshold,
            open_for: Duration::from_millis(open_ms),
        };
        (Breakers::new(config, Arc::new(clock.clone()), None), clock)
    }

    fn fail() -> Result<(), DeliveryError> {
        Err(DeliveryError::retryable("503"))
    }

    #[test]
    fn one_tenants_failing_endpoint_does_not_open_anothers_circuit_on_the_same_host() {
        let (b, _) = breakers(2, 1_000);
        for _ in 0..2 {
            b.admit("acme", "webhook", "hooks.chat.example")
                .unwrap()
                .record(&fail());
        }
        assert_eq!(
            b.state("acme", "webhook", "hooks.chat.example"),
            CircuitState::Open
        );
        assert!(b.admit("acme", "webhook", "hooks.chat.example").is_err());
        // Another tenant's deliveries to the same host still go out.
        assert_eq!(
            b.state("globex", "webhook", "hooks.chat.example"),
            CircuitState::Closed
        );
        b.admit("globex", "webhook", "hooks.chat.example")
            .unwrap()
            .record(&Ok(()));
    }

    /// 20,000 distinct failing hosts (each with open circuits and metric series) leave
    /// the circuits `/stats` shows and the series `/metrics` exports bounded.
    #[test]
    fn twenty_thousand_failing_hosts_leave_stats_and_metrics_bounded() {
        let registry = prometheus::Registry::new();
        let state = IntGaugeVec::new(
            prometheus::Opts::new("herald_circuit_state", "s"),
            &["tenant", "channel", "provider"],
        )
        .unwrap();
        let transitions = IntCounterVec::new(
            prometheus::Opts::new("herald_circuit_transitions_total", "t"),
            &["tenant", "channel", "provider", "to"],
        )
        .unwrap();
        registry.register(Box::new(state.clone())).unwrap();
        registry.register(Box::new(transitions.clone())).unwrap();
        let clock = ManualClock::new(Utc::now());
        let b = Breakers::new(
            BreakerConfig {
                failure_threshold: 1,
                open_for: Duration::from_secs(30),
            },
            Arc::new(clock.clone()),
            Some(CircuitMetrics { state, transitions }),
        );
        for n in 0..20_000 {
            clock.advance(chrono::Duration::milliseconds(1));
            b.admit("acme", "webhook", &format!("h{n}.example"))
                .unwrap()
                .record(&fail());
        }
        assert!(b.len() <= MAX_CIRCUITS, "{} circuits", b.len());
        assert!(b.views().len() <= MAX_CIRCUITS);
        let series = |name: &str| {
            registry
                .gather()
                .iter()
                .find(|f| f.name() == name)
                .map_or(0, |f| f.get_metric().len())
        };
        assert!(series("herald_circuit_state") <= MAX_CIRCUITS);
        assert!(series("herald_circuit_transitions_total") <= MAX_CIRCUITS);
        // The most recent hosts are the ones kept: the last one is still open.
        assert_eq!(
            b.state("acme", "webhook", "h19999.example"),
            CircuitState::Open
        );
    }

    fn advance(clock: &ManualClock, ms: i64) {
        clock.advance(chrono::Duration::milliseconds(ms));
    }

    #[test]
    fn opens_after_the_threshold_and_snoozes_until_the_period_ends() {
        let (b, clock) = breakers(3, 10_000);
        for _ in 0..2 {
            b.admit("t", "webhook", "h").unwrap().record(&fail());
        }
        assert_eq!(b.state("t", "webhook", "h"), CircuitState::Closed);
        assert_eq!(b.views()[0].failures, 2);
        b.admit("t", "webhook", "h").unwrap().record(&fail());
        assert_eq!(b.state("t", "webhook", "h"), CircuitState::Open);
        advance(&clock, 4_000);
        match b.admit("t", "webhook", "h") {
            Err(DeliveryError::Snooze { delay, reason }) => {
                assert!(
                    delay >= Duration::from_millis(6_000) && delay <= Duration::from_millis(7_200),
                    "{delay:?}"
                );
                assert!(reason.contains("circuit open"), "{reason}");
            }
            other => panic!("expected a snooze, got {other:?}"),
        }
        // Another provider on the same channel is unaffected.
        assert!(!b.admit("t", "webhook", "other").unwrap().is_probe());
    }

    #[test]
    fn successes_reset_the_count_and_permanent_failures_do_not_count() {
        let (b, _clock) = breakers(3, 10_000);
        for _ in 0..2 {
            b.admit("t", "sms", "p").unwrap().record(&fail());
        }
        b.admit("t", "sms", "p").unwrap().record(&Ok(()));
        for _ in 0..2 {
            b.admit("t", "sms", "p").unwrap().record(&fail());
        }
        for _ in 0..5 {
            b.admit("t", "sms", "p")
                .unwrap()
                .record(&Err(DeliveryError::permanent("400")));
        }
        assert_eq!(b.state("t", "sms", "p"), CircuitState::Closed);
        assert_eq!(b.views()[0].failures, 2);
    }

    #[test]
    fn half_open_lets_one_probe_through_and_its_success_closes() {
        let (b, clock) = breakers(1, 1_000);
        b.admit("t", "webhook", "h").unwrap().record(&fail());
        advance(&clock, 1_000);
        let probe = b.admit("t", "webhook", "h").unwrap();
        assert!(probe.is_probe());
        assert_eq!(b.state("t", "webhook", "h"), CircuitState::HalfOpen);
        match b.admit("t", "webhook", "h") {
            Err(DeliveryError::Snooze { delay, reason }) => {
                assert!(delay >= PROBE_WAIT_MIN, "{delay:?}");
                assert!(reason.contains("probe"), "{reason}");
            }
            other => panic!("only one probe at a time, got {other:?}"),
        }
        probe.record(&Ok(()));
        assert_eq!(b.state("t", "webhook", "h"), CircuitState::Closed);
        assert!(!b.admit("t", "webhook", "h").unwrap().is_probe());
    }

    #[test]
    fn a_failed_probe_opens_again_and_a_dropped_one_hands_the_probe_on() {
        let (b, clock) = breakers(1, 1_000);
        b.admit("t", "push", "p").unwrap().record(&fail());
        advance(&clock, 1_500);
        b.admit("t", "push", "p").unwrap().record(&fail());
        assert_eq!(b.state("t", "push", "p"), CircuitState::Open);
        let view = &b.views()[0];
        assert!(view.open_until.is_some());
        assert!(
            b.admit("t", "push", "p").is_err(),
            "a new open period began"
        );
        advance(&clock, 1_000);
        drop(b.admit("t", "push", "p").unwrap());
        assert_eq!(b.state("t", "push", "p"), CircuitState::HalfOpen);
        let next = b.admit("t", "push", "p").unwrap();
        assert!(next.is_probe(), "the dropped probe's turn passed on");
        next.record(&Err(DeliveryError::permanent("404")));
        assert_eq!(b.state("t", "push", "p"), CircuitState::HalfOpen);
        b.admit("t", "push", "p").unwrap().record(&Ok(()));
        assert_eq!(b.state("t", "push", "p"), CircuitState::Closed);
    }

    #[test]
    fn late_results_of_deliveries_admitted_while_closed_do_not_move_it() {
        let (b, _clock) = breakers(2, 60_000);
        let slow = b.admit("t", "webhook", "h").unwrap();
        b.admit("t", "webhook", "h").unwrap().record(&fail());
        b.admit("t", "webhook", "h").unwrap().record(&fail());
        assert_eq!(b.state("t", "webhook", "h"), CircuitState::Open);
        slow.record(&Ok(()));
        assert_eq!(b.state("t", "webhook", "h"), CircuitState::Open);
    }

    #[test]
    fn healthy_circuits_are_forgotten_when_there_are_too_many() {
        let (b, _clock) = breakers(1, 60_000);
        b.admit("t", "webhook", "down").unwrap().record(&fail());
        for i in 0..MAX_CIRCUITS + 10 {
            b.admit("t", "webhook", &format!("host-{i}"))
                .unwrap()
                .record(&Ok(()));
        }
        let views = b.views();
        assert!(views.len() <= MAX_CIRCUITS, "{}", views.len());
        assert_eq!(b.state("t", "webhook", "down"), CircuitState::Open, "kept");
    }

    #[test]
    fn an_open_circuit_whose_period_ended_shows_half_open_without_traffic() {
        let (b, clock) = breakers(1, 1_000);
        b.admit("t", "sms", "p").unwrap().record(&fail());
        b.refresh();
        assert_eq!(
            b.state("t", "sms", "p"),
            CircuitState::Open,
            "still within its period"
        );
        advance(&clock, 1_000);
        assert_eq!(b.views()[0].state, CircuitState::HalfOpen);
        assert_eq!(b.views()[0].open_until, None);
        // The next job is the probe, and a second one waits for it.
        let probe = b.admit("t", "sms", "p").unwrap();
        assert!(probe.is_probe());
        assert!(b.admit("t", "sms", "p").is_err());
        probe.record(&Ok(()));
        assert_eq!(b.state("t", "sms", "p"), CircuitState::Closed);
    }

    #[test]
    fn transitions_are_exported() {
        let clock = ManualClock::new(Utc::now());
        let state = IntGaugeVec::new(
            prometheus::Opts::new("s", "s"),
            &["tenant", "channel", "provider"],
        )
        .unwrap();
        let transitions = IntCounterVec::new(
            prometheus::Opts::new("t", "t"),
            &["tenant", "channel", "provider", "to"],
        )
        .unwrap();
        let b = Breakers::new(
            BreakerConfig {
                failure_threshold: 1,
                open_for: Duration::from_millis(100),
            },
            Arc::new(clock.clone()),
            Some(CircuitMetrics {
                state: state.clone(),
                transitions: transitions.clone(),
            }),
        );
        b.admit("t", "webhook", "h").unwrap().record(&fail());
        assert_eq!(state.with_label_values(&["t", "webhook", "h"]).get(), 2);
        clock.advance(chrono::Duration::milliseconds(100));
        let probe = b.admit("t", "webhook", "h").unwrap();
        assert_eq!(state.with_label_values(&["t", "webhook", "h"]).get(), 1);
        probe.record(&Ok(()));
        assert_eq!(state.with_label_values(&["t", "webhook", "h"]).get(), 0);
        for to in ["open", "half-open", "closed"] {
            assert_eq!(
                transitions
                    .with_label_values(&["t", "webhook", "h", to])
                    .get(),
                1,
                "{to}"
            );
        }
    }
}
