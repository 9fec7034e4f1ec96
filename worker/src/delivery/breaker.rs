//! Circuit breakers, one per (channel, provider) (`docs/channels.md`).
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
/// Circuits kept before healthy ones (closed, no failures counted) are forgotten.
/// Webhook providers are tenant-chosen hosts, so the set is open-ended; a forgotten
/// circuit is exactly a new one.
const MAX_CIRCUITS: usize = 10_000;

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
    pub channel: String,
    pub provider: String,
    pub state: CircuitState,
    /// Consecutive retryable failures counted while closed.
    pub failures: u32,
    /// RFC 3339; set while open.
    pub open_until: Option<String>,
}

/// The Prometheus side: `herald_circuit_state{channel,provider}` and
/// `herald_circuit_transitions_total{channel,provider,to}`.
#[derive(Debug, Clone)]
pub struct CircuitMetrics {
    pub state: IntGaugeVec,
    pub transitions: IntCounterVec,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    channel: String,
    provider: String,
}

#[derive(Debug, Clone)]
struct Circuit {
    state: CircuitState,
    failures: u32,
    open_until: Option<DateTime<Utc>>,
    /// Half-open: the probe is out.
    probing: bool,
}

impl Circuit {
    fn closed() -> Self {
        Self {
            state: CircuitState::Closed,
            failures: 0,
            open_until: None,
            probing: false,
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

    /// May a delivery to `provider` on `channel` go out now? `Err` is the snooze that
    /// defers the job instead, without spending its attempt.
    pub fn admit(&self, channel: &str, provider: &str) -> Result<Ticket<'_>, DeliveryError> {
        let now = self.clock.now();
        let key = Key {
            channel: channel.to_owned(),
            provider: provider.to_owned(),
        };
        let mut circuits = self.lock();
        if circuits.len() >= MAX_CIRCUITS && !circuits.contains_key(&key) {
            self.forget_healthy(&mut circuits);
        }
        let circuit = circuits.entry(key.clone()).or_insert_with(Circuit::closed);
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
                channel: key.channel.clone(),
                provider: key.provider.clone(),
                state: c.state,
                failures: c.failures,
                open_until: c
                    .open_until
                    .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true)),
            })
            .collect();
        views.sort_by(|a, b| (&a.channel, &a.provider).cmp(&(&b.channel, &b.provider)));
        views
    }

    /// The state of one circuit (closed when never seen).
    pub fn state(&self, channel: &str, provider: &str) -> CircuitState {
        let key = Key {
            channel: channel.to_owned(),
            provider: provider.to_owned(),
        };
        self.lock()
            .get(&key)
            .map_or(CircuitState::Closed, |c| c.state)
    }

    /// Drops the circuits that carry no information (closed, nothing counted), and
    /// their metric series.
    fn forget_healthy(&self, circuits: &mut HashMap<Key, Circuit>) {
        circuits.retain(|key, c| {
            let keep = c.state != CircuitState::Closed || c.failures > 0;
            if !keep {
                if let Some(m) = &self.metrics {
                    let _ = m
                        .state
                        .remove_label_values(&[key.channel.as_str(), key.provider.as_str()]);
                }
            }
            keep
        });
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
            channel = %key.channel,
            provider = %key.provider,
            state = to.as_str(),
            "circuit {}",
            to.as_str()
        );
        if let Some(m) = &self.metrics {
            let labels = [key.channel.as_str(), key.provider.as_str()];
            m.state.with_label_values(&labels).set(to.gauge());
            m.transitions
                .with_label_values(&[labels[0], labels[1], to.as_str()])
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

    fn advance(clock: &ManualClock, ms: i64) {
        clock.advance(chrono::Duration::milliseconds(ms));
    }

    #[test]
    fn opens_after_the_threshold_and_snoozes_until_the_period_ends() {
        let (b, clock) = breakers(3, 10_000);
        for _ in 0..2 {
            b.admit("webhook", "h").unwrap().record(&fail());
        }
        assert_eq!(b.state("webhook", "h"), CircuitState::Closed);
        assert_eq!(b.views()[0].failures, 2);
        b.admit("webhook", "h").unwrap().record(&fail());
        assert_eq!(b.state("webhook", "h"), CircuitState::Open);
        advance(&clock, 4_000);
        match b.admit("webhook", "h") {
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
        assert!(!b.admit("webhook", "other").unwrap().is_probe());
    }

    #[test]
    fn successes_reset_the_count_and_permanent_failures_do_not_count() {
        let (b, _clock) = breakers(3, 10_000);
        for _ in 0..2 {
            b.admit("sms", "p").unwrap().record(&fail());
        }
        b.admit("sms", "p").unwrap().record(&Ok(()));
        for _ in 0..2 {
            b.admit("sms", "p").unwrap().record(&fail());
        }
        for _ in 0..5 {
            b.admit("sms", "p")
                .unwrap()
                .record(&Err(DeliveryError::permanent("400")));
        }
        assert_eq!(b.state("sms", "p"), CircuitState::Closed);
        assert_eq!(b.views()[0].failures, 2);
    }

    #[test]
    fn half_open_lets_one_probe_through_and_its_success_closes() {
        let (b, clock) = breakers(1, 1_000);
        b.admit("webhook", "h").unwrap().record(&fail());
        advance(&clock, 1_000);
        let probe = b.admit("webhook", "h").unwrap();
        assert!(probe.is_probe());
        assert_eq!(b.state("webhook", "h"), CircuitState::HalfOpen);
        match b.admit("webhook", "h") {
            Err(DeliveryError::Snooze { delay, reason }) => {
                assert!(delay >= PROBE_WAIT_MIN, "{delay:?}");
                assert!(reason.contains("probe"), "{reason}");
            }
            other => panic!("only one probe at a time, got {other:?}"),
        }
        probe.record(&Ok(()));
        assert_eq!(b.state("webhook", "h"), CircuitState::Closed);
        assert!(!b.admit("webhook", "h").unwrap().is_probe());
    }

    #[test]
    fn a_failed_probe_opens_again_and_a_dropped_one_hands_the_probe_on() {
        let (b, clock) = breakers(1, 1_000);
        b.admit("push", "p").unwrap().record(&fail());
        advance(&clock, 1_500);
        b.admit("push", "p").unwrap().record(&fail());
        assert_eq!(b.state("push", "p"), CircuitState::Open);
        let view = &b.views()[0];
        assert!(view.open_until.is_some());
        assert!(b.admit("push", "p").is_err(), "a new open period began");
        advance(&clock, 1_000);
        drop(b.admit("push", "p").unwrap());
        assert_eq!(b.state("push", "p"), CircuitState::HalfOpen);
        let next = b.admit("push", "p").unwrap();
        assert!(next.is_probe(), "the dropped probe's turn passed on");
        next.record(&Err(DeliveryError::permanent("404")));
        assert_eq!(b.state("push", "p"), CircuitState::HalfOpen);
        b.admit("push", "p").unwrap().record(&Ok(()));
        assert_eq!(b.state("push", "p"), CircuitState::Closed);
    }

    #[test]
    fn late_results_of_deliveries_admitted_while_closed_do_not_move_it() {
        let (b, _clock) = breakers(2, 60_000);
        let slow = b.admit("webhook", "h").unwrap();
        b.admit("webhook", "h").unwrap().record(&fail());
        b.admit("webhook", "h").unwrap().record(&fail());
        assert_eq!(b.state("webhook", "h"), CircuitState::Open);
        slow.record(&Ok(()));
        assert_eq!(b.state("webhook", "h"), CircuitState::Open);
    }

    #[test]
    fn healthy_circuits_are_forgotten_when_there_are_too_many() {
        let (b, _clock) = breakers(1, 60_000);
        b.admit("webhook", "down").unwrap().record(&fail());
        for i in 0..MAX_CIRCUITS + 10 {
            b.admit("webhook", &format!("host-{i}"))
                .unwrap()
                .record(&Ok(()));
        }
        let views = b.views();
        assert!(views.len() <= MAX_CIRCUITS, "{}", views.len());
        assert_eq!(b.state("webhook", "down"), CircuitState::Open, "kept");
    }

    #[test]
    fn an_open_circuit_whose_period_ended_shows_half_open_without_traffic() {
        let (b, clock) = breakers(1, 1_000);
        b.admit("sms", "p").unwrap().record(&fail());
        b.refresh();
        assert_eq!(
            b.state("sms", "p"),
            CircuitState::Open,
            "still within its period"
        );
        advance(&clock, 1_000);
        assert_eq!(b.views()[0].state, CircuitState::HalfOpen);
        assert_eq!(b.views()[0].open_until, None);
        // The next job is the probe, and a second one waits for it.
        let probe = b.admit("sms", "p").unwrap();
        assert!(probe.is_probe());
        assert!(b.admit("sms", "p").is_err());
        probe.record(&Ok(()));
        assert_eq!(b.state("sms", "p"), CircuitState::Closed);
    }

    #[test]
    fn transitions_are_exported() {
        let clock = ManualClock::new(Utc::now());
        let state =
            IntGaugeVec::new(prometheus::Opts::new("s", "s"), &["channel", "provider"]).unwrap();
        let transitions = IntCounterVec::new(
            prometheus::Opts::new("t", "t"),
            &["channel", "provider", "to"],
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
        b.admit("webhook", "h").unwrap().record(&fail());
        assert_eq!(state.with_label_values(&["webhook", "h"]).get(), 2);
        clock.advance(chrono::Duration::milliseconds(100));
        let probe = b.admit("webhook", "h").unwrap();
        assert_eq!(state.with_label_values(&["webhook", "h"]).get(), 1);
        probe.record(&Ok(()));
        assert_eq!(state.with_label_values(&["webhook", "h"]).get(), 0);
        for to in ["open", "half-open", "closed"] {
            assert_eq!(
                transitions.with_label_values(&["webhook", "h", to]).get(),
                1,
                "{to}"
            );
        }
    }
}
