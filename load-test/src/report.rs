//! What a run measured, for people (a table) and machines (one JSON document), and
//! the thresholds that turn a bad run into a non-zero exit.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Latency summary in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Latency {
    pub count: u64,
    pub avg: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Latency {
    /// From a histogram of microseconds.
    pub fn from_micros(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Self {
            count: h.len(),
            avg: h.mean() / 1000.0,
            p50: ms(h.value_at_quantile(0.50)),
            p95: ms(h.value_at_quantile(0.95)),
            p99: ms(h.value_at_quantile(0.99)),
            max: ms(h.max()),
        }
    }
}

/// A histogram of microseconds from 1 µs to 1 hour at 3 significant digits.
pub fn micros_histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, 3_600_000_000, 3)?)
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejections {
    pub total: u64,
    /// Keyed by `<status> <error code>`, or `transport: <kind>` when no answer came.
    pub by_reason: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Throughput {
    /// Jobs per second asked for.
    pub requested: f64,
    /// Jobs per second the API accepted over the send phase.
    pub accepted: f64,
    /// Jobs per second delivered, from the first send to the last delivery.
    pub delivered: f64,
}

/// The whole result of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub channel: String,
    pub duration_secs: f64,
    pub sent: u64,
    pub accepted: u64,
    pub rejected: Rejections,
    /// Accepted jobs delivered at least once.
    pub delivered: u64,
    /// Deliveries beyond the first for the same job id.
    pub duplicates: u64,
    /// Accepted jobs not delivered within the grace period.
    pub lost: u64,
    /// Deliveries for jobs whose acceptance the client never saw (e.g. a timed-out
    /// request the API had stored); not part of delivered or lost.
    pub delivered_unacknowledged: u64,
    /// Deliveries whose `X-Herald-Signature` did not verify.
    pub bad_signatures: u64,
    /// Jobs that ended `dead` instead of delivered (log channel).
    pub dead: u64,
    /// From each request's scheduled send time to its response.
    pub api_latency_ms: Latency,
    /// From each job's scheduled send time to its first delivery.
    pub end_to_end_ms: Latency,
    pub throughput: Throughput,
    /// Whether `--spawn` dispatched through RabbitMQ (`None` without `--spawn`).
    pub spawned_with_rabbitmq: Option<bool>,
    /// Jobs enqueued before the workers started (`--backlog`); throughput.delivered
    /// is then the drain rate.
    pub backlog: Option<u64>,
    /// Worker processes killed during the run (`--kill-worker-after`).
    pub workers_killed: u32,
    /// Threshold breaches; empty when the run passed.
    pub breaches: Vec<String>,
    pub passed: bool,
}

/// Limits from the command line; a breach makes the exit code non-zero.
#[derive(Debug, Clone, Copy, Default)]
pub struct Thresholds {
    pub max_p99_ms: Option<f64>,
    pub max_lost: Option<u64>,
    pub max_duplicates: Option<u64>,
}

impl Report {
    /// Fills `breaches` and `passed` from the thresholds.
    pub fn judge(&mut self, t: &Thresholds) {
        self.breaches.clear();
        if let Some(max) = t.max_p99_ms {
            if self.end_to_end_ms.p99 > max {
                self.breaches.push(format!(
                    "end-to-end p99 {:.1} ms > --max-p99-ms {max}",
                    self.end_to_end_ms.p99
                ));
            }
        }
        if let Some(max) = t.max_lost {
            if self.lost > max {
                self.breaches
                    .push(format!("lost {} > --max-lost {max}", self.lost));
            }
        }
        if let Some(max) = t.max_duplicates {
            if self.duplicates > max {
                self.breaches.push(format!(
                    "duplicates {} > --max-duplicates {max}",
                    self.duplicates
                ));
            }
        }
        self.passed = self.breaches.is_empty();
    }

    /// The table printed for people.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\nHerald load test — {} channel, {:.1} s{}",
            self.channel,
            self.duration_secs,
            match self.spawned_with_rabbitmq {
                Some(true) => ", local stack with RabbitMQ dispatch",
                Some(false) => ", local stack in embedded mode (poller dispatch)",
                None => "",
            }
        );
        let row = |out: &mut String, k: &str, v: String| row(out, 26, k, v);
        row(&mut out, "sent", self.sent.to_string());
        row(&mut out, "accepted", self.accepted.to_string());
        row(&mut out, "rejected", self.rejected.total.to_string());
        for (reason, n) in &self.rejected.by_reason {
            row(&mut out, &format!("  {reason}"), n.to_string());
        }
        row(&mut out, "delivered", self.delivered.to_string());
        row(&mut out, "lost", self.lost.to_string());
        row(&mut out, "duplicates", self.duplicates.to_string());
        if self.dead > 0 {
            row(&mut out, "dead", self.dead.to_string());
        }
        if self.delivered_unacknowledged > 0 {
            row(
                &mut out,
                "delivered, not acknowledged",
                self.delivered_unacknowledged.to_string(),
            );
        }
        if let Some(backlog) = self.backlog {
            row(
                &mut out,
                "backlog drained",
                format!("{} of {backlog}", self.delivered),
            );
        }
        if self.workers_killed > 0 {
            row(&mut out, "workers killed", self.workers_killed.to_string());
        }
        if self.bad_signatures > 0 {
            row(&mut out, "bad signatures", self.bad_signatures.to_string());
        }
        latency_table(
            &mut out,
            26,
            "latency (ms)",
            &[
                ("API (scheduled→response)", &self.api_latency_ms),
                ("end to end (→delivered)", &self.end_to_end_ms),
            ],
        );
        let _ = writeln!(
            out,
            "\n  throughput (jobs/s)        requested {:.1} · accepted {:.1} · delivered {:.1}",
            self.throughput.requested, self.throughput.accepted, self.throughput.delivered
        );
        verdict(&mut out, self.passed, &self.breaches);
        out
    }
}

/// One `name value` line of a report's table, the name padded to `width`.
pub fn row(out: &mut String, width: usize, name: &str, value: String) {
    let _ = writeln!(out, "  {name:<width$} {value}");
}

/// A latency block of a report's table: a header under `title`, then one line per
/// named summary.
pub fn latency_table(out: &mut String, width: usize, title: &str, rows: &[(&str, &Latency)]) {
    let _ = writeln!(
        out,
        "\n  {title:<width$} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "avg", "p50", "p95", "p99", "max"
    );
    for (name, l) in rows {
        let _ = writeln!(
            out,
            "  {name:<width$} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
            l.avg, l.p50, l.p95, l.p99, l.max
        );
    }
}

/// The last lines of a report's table: PASS, or one FAIL line per breach.
pub fn verdict(out: &mut String, passed: bool, breaches: &[String]) {
    if passed {
        let _ = writeln!(out, "\n  PASS");
    } else {
        for breach in breaches {
            let _ = writeln!(out, "\n  FAIL: {breach}");
        }
    }
}

/// Seconds as f64, for rates.
pub fn secs(d: Duration) -> f64 {
    d.as_secs_f64().max(1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_summary_reads_the_histogram_in_ms() {
        let mut h = micros_histogram().unwrap();
        for us in 1..=1000u64 {
            h.record(us * 1000).unwrap();
        }
        let l = Latency::from_micros(&h);
        assert_eq!(l.count, 1000);
        assert!((l.p50 - 500.0).abs() < 2.0, "{l:?}");
        assert!((l.p99 - 990.0).abs() < 2.0, "{l:?}");
        assert!((l.max - 1000.0).abs() < 2.0, "{l:?}");
    }

    #[test]
    fn thresholds_are_judged() {
        let mut r = Report {
            lost: 1,
            duplicates: 0,
            end_to_end_ms: Latency {
                p99: 30.0,
                ..Latency::default()
            },
            ..Report::default()
        };
        r.judge(&Thresholds {
            max_p99_ms: Some(20.0),
            max_lost: Some(0),
            max_duplicates: Some(0),
        });
        assert!(!r.passed);
        assert_eq!(r.breaches.len(), 2, "{:?}", r.breaches);
        r.judge(&Thresholds::default());
        assert!(r.passed);
    }
}
