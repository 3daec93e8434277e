//! `monte_carlo`: estimate pi from random points in the unit square.
//!
//! Sample `i` draws its two coordinates from a counter-based generator,
//! SplitMix64 of `2i` and `2i + 1`, so every sample is a pure function of its
//! index: any split over threads or processes gives the same hits. Items are
//! tiny and equal, so static chunks balance perfectly.
//!
//! Checksum: the number of samples inside the quarter circle (`4 * hits /
//! size` is the estimate of pi). Default 20,000,000 samples: one sequential
//! run took about 130 ms on the 2-core reference machine.

use std::ops::Range;

use super::{Entry, Job, Kind, Workload};
use crate::context::Context;
use crate::error::Result;

pub(super) const ENTRY: Entry = Entry {
    name: "monte_carlo",
    kind: Kind::Cpu,
    teaches: "CPU-bound, tiny equal items: near-perfect scaling, and a counter-based RNG so any split agrees",
    default_size: 40_000_000,
    build,
    setup: None,
};

fn build(job: &Job) -> Result<Box<dyn Workload>> {
    Ok(Box::new(MonteCarlo { samples: job.size }))
}

/// `samples` random points; counts those with x^2 + y^2 <= 1.
#[derive(Debug, Clone)]
pub struct MonteCarlo {
    pub samples: u64,
}

/// SplitMix64 (Steele, Lea and Flood 2014): a counter-based generator.
pub fn splitmix64(counter: u64) -> u64 {
    let mut z = counter.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The top 53 bits of `bits` as a double in [0, 1).
fn unit(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Whether sample `i` falls inside the quarter circle.
pub fn hit(i: u64) -> bool {
    let x = unit(splitmix64(2 * i));
    let y = unit(splitmix64(2 * i + 1));
    x * x + y * y <= 1.0
}

impl Workload for MonteCarlo {
    fn name(&self) -> &'static str {
        ENTRY.name
    }
    fn kind(&self) -> Kind {
        ENTRY.kind
    }
    fn size(&self) -> u64 {
        self.samples
    }
    fn run(&self, items: Range<u64>, cx: &Context) -> u64 {
        let mut hits = 0;
        for i in items {
            cx.tick();
            hits += u64::from(hit(i));
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_reference_values() {
        // First outputs of the reference SplitMix64 seeded with 0: the
        // generator's state advances by the golden gamma, so output k is
        // splitmix64(k * gamma).
        assert_eq!(splitmix64(0), 0xE220_A839_7B1D_CDAF);
        assert_eq!(splitmix64(0x9E37_79B9_7F4A_7C15), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn estimate_is_close_to_pi() {
        let n = 1_000_000;
        let hits = MonteCarlo { samples: n }.run(0..n, &Context::free());
        let pi = 4.0 * hits as f64 / n as f64;
        assert!((pi - std::f64::consts::PI).abs() < 0.01, "{pi}");
    }
}
