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
//! Under the `async` backends each wait is a `tokio::time::sleep` instead
//! ([`Workload::run_async`]): a timer on the runtime, not a sleeping thread,
//! so one thread keeps thousands of waits going at once. Tokio's timers tick
//! in whole milliseconds and round a deadline up to the next tick, so one
//! 2 ms sleep lasts up to a millisecond longer than `std::thread::sleep`'s.
//!
//! The job option `wait_ms` changes the wait (default [`LATENCY_MS`], 0
//! computes the checksum without waiting); the memory sweep of
//! `crate::sweep::waits` uses long waits so every worker is alive at once.
//!
//! Checksum: the wrapping sum of `splitmix64(i) & 0xFFFF`. The Python twin
//! (scripts/python) uses exactly this definition. Default 128 items (a
//! multiple of 64, so 64 workers get equal chunks): one sequential run takes
//! 128 x 2 ms plus the sleep overshoot: 270-290 ms on the 2-core reference
//! machine (`tvp run -w latency -b sequential`).

use std::ops::Range;
use std::time::Duration;

use super::monte_carlo::splitmix64;
use super::{ChunkFuture, Entry, Job, Kind, Workload};
use crate::context::Context;
use crate::error::{Error, Result};

/// How long each item waits.
pub const LATENCY_MS: u64 = 2;

/// Job option: milliseconds per wait, instead of [`LATENCY_MS`].
pub const OPT_WAIT_MS: &str = "wait_ms";

pub(super) const ENTRY: Entry = Entry {
    name: "latency",
    kind: Kind::Io,
    teaches: "IO-bound waits: threads scale far past the cores, even under a GIL",
    default_size: 128,
    build,
    setup: None,
};

fn build(job: &Job) -> Result<Box<dyn Workload>> {
    let wait_ms = match job.options.get(OPT_WAIT_MS) {
        None => LATENCY_MS,
        Some(text) => text.trim().parse().map_err(|_| {
            Error::InvalidJob(format!(
                "`latency`: the `{OPT_WAIT_MS}` option `{text}` is not a whole number of \
                 milliseconds"
            ))
        })?,
    };
    Ok(Box::new(Latency {
        items: job.size,
        wait: Duration::from_millis(wait_ms),
    }))
}

/// `items` waits of `wait` each ([`LATENCY_MS`] by default).
#[derive(Debug, Clone)]
pub struct Latency {
    pub items: u64,
    pub wait: Duration,
}

impl Latency {
    /// `items` waits of [`LATENCY_MS`].
    pub fn new(items: u64) -> Self {
        Latency {
            items,
            wait: Duration::from_millis(LATENCY_MS),
        }
    }
}

/// The checksum of `items` without waiting: what every backend must return.
pub fn checksum(items: Range<u64>) -> u64 {
    items.map(value).fold(0, u64::wrapping_add)
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
            if !self.wait.is_zero() {
                cx.blocking(|| std::thread::sleep(self.wait));
            }
            sum = sum.wrapping_add(value(i));
        }
        sum
    }
    fn run_async(&self, items: Range<u64>) -> Option<ChunkFuture<'_>> {
        Some(Box::pin(async move {
            let mut sum = 0u64;
            for i in items {
                if !self.wait.is_zero() {
                    tokio::time::sleep(self.wait).await;
                }
                sum = sum.wrapping_add(value(i));
            }
            sum
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_the_sum_of_masked_splitmix() {
        let got = Latency::new(3).run(0..3, &Context::free());
        let want: u64 = (0..3).map(|i| splitmix64(i) & 0xFFFF).sum();
        assert_eq!(got, want);
        assert_eq!(checksum(0..3), want);
        // splitmix64(0) = 0xE220A8397B1DCDAF.
        assert_eq!(value(0), 0xCDAF);
    }

    #[test]
    fn the_wait_is_an_option_and_a_bad_one_is_named() {
        let mut job = Job::new("latency").unwrap().with_size(4);
        job.options.insert(OPT_WAIT_MS.into(), "0".into());
        assert_eq!(
            job.build().unwrap().run(0..4, &Context::free()),
            checksum(0..4)
        );
        job.options.insert(OPT_WAIT_MS.into(), "soon".into());
        let err = job.build().err().unwrap().to_string();
        assert!(err.contains("wait_ms") && err.contains("soon"), "{err}");
    }
}
