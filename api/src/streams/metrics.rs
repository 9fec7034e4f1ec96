//! `herald_stream_*`: the live streams' metrics (`docs/streams.md`, the Grafana
//! dashboard's "Live streams" row).

use prometheus::{
    Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
};

#[derive(Debug, Clone)]
pub struct StreamMetrics {
    /// `herald_stream_connections{transport}`: open streams now.
    pub connections: IntGaugeVec,
    /// `herald_stream_messages_total{kind}`: messages written to clients.
    pub messages: IntCounterVec,
    /// `herald_stream_fanout_seconds`: a live event's append (the store's time) to its
    /// write to a client's socket.
    pub fanout: Histogram,
    /// `herald_stream_resumes_total`: streams opened with `Last-Event-ID` or `?after=`.
    pub resumes: IntCounter,
    /// `herald_stream_dropped_total{reason}`: streams closed by the server
    /// (`slow_consumer`, `shutdown`, `unavailable`), connections refused (`full`), and
    /// broker updates dropped by a full feed (`feed_full`, repaired from the log).
    pub dropped: IntCounterVec,
    /// `herald_stream_gap_repairs_total`: gaps in a feed's `seq` filled from the log.
    pub gap_repairs: IntCounter,
}

impl StreamMetrics {
    pub fn new(registry: &Registry) -> Result<Self, prometheus::Error> {
        let connections = IntGaugeVec::new(
            Opts::new(
                "herald_stream_connections",
                "Open live match streams by transport (sse, ws)",
            ),
            &["transport"],
        )?;
        let messages = IntCounterVec::new(
            Opts::new(
                "herald_stream_messages_total",
                "Stream messages written to clients by kind (event, state, ended)",
            ),
            &["kind"],
        )?;
        let fanout = Histogram::with_opts(
            HistogramOpts::new(
                "herald_stream_fanout_seconds",
                "A live match event's append to its write to a subscriber's socket",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
        )?;
        let resumes = IntCounter::new(
            "herald_stream_resumes_total",
            "Streams opened with Last-Event-ID or ?after= (a resume by seq)",
        )?;
        let dropped = IntCounterVec::new(
            Opts::new(
                "herald_stream_dropped_total",
                "Streams closed or refused by the server, and broker updates dropped, by reason",
            ),
            &["reason"],
        )?;
        let gap_repairs = IntCounter::new(
            "herald_stream_gap_repairs_total",
            "Gaps in a match feed's seq (a lost or late broker update) filled from the log",
        )?;
        registry.register(Box::new(connections.clone()))?;
        registry.register(Box::new(messages.clone()))?;
        registry.register(Box::new(fanout.clone()))?;
        registry.register(Box::new(resumes.clone()))?;
        registry.register(Box::new(dropped.clone()))?;
        registry.register(Box::new(gap_repairs.clone()))?;
        for transport in ["sse", "ws"] {
            connections.with_label_values(&[transport]).set(0);
        }
        for kind in ["event", "state", "ended"] {
            messages.with_label_values(&[kind]).inc_by(0);
        }
        for reason in [
            "slow_consumer",
            "shutdown",
            "unavailable",
            "full",
            "feed_full",
        ] {
            dropped.with_label_values(&[reason]).inc_by(0);
        }
        Ok(Self {
            connections,
            messages,
            fanout,
            resumes,
            dropped,
            gap_repairs,
        })
    }

    pub fn dropped(&self, reason: &str) {
        self.dropped.with_label_values(&[reason]).inc();
    }

    pub fn gap_repaired(&self) {
        self.gap_repairs.inc();
    }
}
