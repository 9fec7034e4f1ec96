//! What this process uses: CPU, resident memory, heap, threads — read from `/proc`
//! (Linux), so no allocator hooks are needed. `heap` is the anonymous resident memory
//! (`RssAnon`): heap and thread stacks, without mapped files.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use serde::Serialize;

/// Kernel clock ticks per second for `/proc/<pid>/stat` times (100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    /// Percent of one core since the previous sample.
    pub cpu_percent: f64,
    pub rss_bytes: u64,
    pub heap_bytes: u64,
    pub threads: u64,
}

/// Samples usage; CPU is a rate, so it remembers the previous sample.
#[derive(Debug)]
pub struct Sampler {
    previous: Mutex<Option<(Instant, u64)>>,
}

impl Default for Sampler {
    fn default() -> Self {
        Self {
            previous: Mutex::new(cpu_ticks().map(|t| (Instant::now(), t))),
        }
    }
}

impl Sampler {
    pub fn sample(&self) -> Usage {
        let mut usage = Usage::default();
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            for line in status.lines() {
                let (key, value) = match line.split_once(':') {
                    Some(kv) => kv,
                    None => continue,
                };
                let number = value
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
                    .unwrap_or(0);
                match key {
                    "VmRSS" => usage.rss_bytes = number * 1024,
                    "RssAnon" => usage.heap_bytes = number * 1024,
                    "Threads" => usage.threads = number,
                    _ => {}
                }
            }
        }
        if let Some(ticks) = cpu_ticks() {
            let now = Instant::now();
            let mut previous = self.previous.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((at, before)) = *previous {
                let wall = now.duration_since(at).as_secs_f64();
                if wall > 0.0 {
                    let used = ticks.saturating_sub(before) as f64 / TICKS_PER_SECOND;
                    usage.cpu_percent = (used / wall * 1000.0).round() / 10.0;
                }
            }
            *previous = Some((now, ticks));
        }
        usage
    }
}

/// utime + stime of this process.
fn cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may contain spaces; fields are counted after its closing ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name, field 3 (state) is index 0, so utime (14) and stime (15) are 11, 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let sampler = Sampler::default();
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let usage = sampler.sample();
        assert!(usage.rss_bytes > 1_000_000, "{usage:?}");
        assert!(
            usage.heap_bytes > 0 && usage.heap_bytes <= usage.rss_bytes,
            "{usage:?}"
        );
        assert!(usage.threads >= 1, "{usage:?}");
        assert!(usage.cpu_percent >= 0.0);
    }
}
