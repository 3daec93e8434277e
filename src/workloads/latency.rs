//! `latency`: each item waits 2 ms, like a call to a remote service, then
//! does a tiny computation.
//!
//! The wait is a sleep inside `cx.blocking`, so the `gil` backend releases
//! its lock while waiting, as CPython does around `time.sleep` and socket
//! calls. Waiting needs no core, so the ideal time is linear in workers, far
//! past the core count: 64 threads on 2 cores finish 64 times sooner. Under
//! the GIL the waits still overlap. Processes overlap too, but `process`
//! spawns a child per chunk in every run, and that spawn time is what grows.
//!
//! Checksum: the wrapping sum of `splitmix64(i) & 0xFFFF`. The Python twin
//! (scripts/python) uses exactly this definition. Default 128 items (a
//! multiple of 64, so 64 workers get equal chunks): one sequential run takes
//! 128 x 2 ms plus the sleep overshoot: 270-290 ms on the 2-core reference
//! machine (`tvp run -w latency -b sequential`).

use std::ops::Range;
use std::time::Duration;

use super::monte_carlo::splitmix64;
use super::{Entry, Job, Kind, Workload};
use crate::context::Context;
use crate::error::Result;

/// How long each item waits.
pub const LATENCY_MS: u64 = 2;

pub(super) const ENTRY: Entry = Entry {
    name: "latency",
    kind: Kind::Io,
    teaches: "IO-bound waits: threads scale far past the cores, even under a GIL",
    default_size: 128,
    build,
    setup: None,
};

fn build(job: &Job) -> Result<Box<dyn Workload>> {
    Ok(Box::new(Latency { items: job.size }))
}

/// `items` waits of [`LATENCY_MS`] each.
#[derive(Debug, Clone)]
pub struct Latency {
    pub items: u64,
}

/// What item `i` contributes to the checksum.
pub fn value(i: u64) -> u64 {
    splitmix64(i) & 0xFFFF
}

impl Workload for Latency {
    fn name(&self) -> &'static str {
        ENTRY.name
    }
    fn kind(&self) -> Kind {
        ENTRY.kind
    }
    fn size(&self) -> u64 {
        self.items
    }
    fn run(&self, items: Range<u64>, cx: &Context) -> u64 {
        let mut sum = 0u64;
        for i in items {
            cx.blocking(|| std::thread::sleep(Duration::from_millis(LATENCY_MS)));
            sum = sum.wrapping_add(value(i));
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_the_sum_of_masked_splitmix() {
        let got = Latency { items: 3 }.run(0..3, &Context::free());
        let want: u64 = (0..3).map(|i| splitmix64(i) & 0xFFFF).sum();
        assert_eq!(got, want);
        // splitmix64(0) = 0xE220A8397B1DCDAF.
        assert_eq!(value(0), 0xCDAF);
    }
}
