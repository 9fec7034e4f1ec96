//! What every part of a worker shares: the store, its identity, its configuration,
//! its metrics and counters, and its clock. The notification engine and the match
//! side each hold the context; neither reaches into the other.

use std::sync::Arc;

use herald_core::{Clock, Store, WorkerId};

use crate::config::Config;
use crate::metrics::Metrics;
use crate::stats::Stats;

#[derive(Debug)]
pub struct WorkerContext {
    pub store: Arc<dyn Store>,
    /// This worker's `hostname-pid-uuid`: every lease it takes names it.
    pub id: WorkerId,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    /// The counters behind `/stats` and the registry heartbeat.
    pub stats: Arc<Stats>,
    /// The clock quiet hours and circuit breakers read (a test moves it).
    pub clock: Arc<dyn Clock>,
}
