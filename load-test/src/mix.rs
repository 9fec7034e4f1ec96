//! `--priority-mix`: how often each priority is sent.

use std::str::FromStr;

use herald_core::Priority;
use rand::Rng;

/// Relative weights per priority, e.g. `critical=1,high=4,normal=90,low=5`.
#[derive(Debug, Clone, PartialEq)]
pub struct PriorityMix {
    weights: Vec<(Priority, u32)>,
    total: u32,
}

impl Default for PriorityMix {
    fn default() -> Self {
        Self::single(Priority::Normal)
    }
}

impl PriorityMix {
    pub fn single(priority: Priority) -> Self {
        Self {
            weights: vec![(priority, 1)],
            total: 1,
        }
    }

    pub fn pick(&self, rng: &mut impl Rng) -> Priority {
        let mut roll = rng.gen_range(0..self.total);
        for (priority, weight) in &self.weights {
            if roll < *weight {
                return *priority;
            }
            roll -= weight;
        }
        Priority::Normal
    }
}

impl FromStr for PriorityMix {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut weights = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?}: expected priority=weight"))?;
            let priority: Priority = name.trim().parse().map_err(|e| format!("{e}"))?;
            let weight: u32 = weight
                .trim()
                .parse()
                .map_err(|_| format!("{part:?}: weight must be a whole number"))?;
            if weight > 0 {
                weights.push((priority, weight));
            }
        }
        let total: u32 = weights.iter().map(|(_, w)| w).sum();
        if total == 0 {
            return Err("at least one priority needs a weight above 0".into());
        }
        Ok(Self { weights, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn picks_follow_the_weights() {
        let mix: PriorityMix = "critical=1, normal=9".parse().unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        let critical = (0..10_000)
            .filter(|_| mix.pick(&mut rng) == Priority::Critical)
            .count();
        assert!((800..1200).contains(&critical), "{critical} of 10000");
    }

    #[test]
    fn bad_mixes_are_rejected() {
        for bad in ["", "urgent=1", "normal", "normal=x", "normal=0"] {
            assert!(bad.parse::<PriorityMix>().is_err(), "{bad:?} accepted");
        }
    }
}
