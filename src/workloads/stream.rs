//! `stream`: STREAM-like copy, scale, add and triad passes over large arrays.
//!
//! Items are array elements. A call fills three arrays of [`ARRAY_LEN`]
//! elements from the item indices and runs [`PASSES`] rounds of McCalpin's
//! four STREAM kernels (copy, scale, add, triad) over them, one array-full at
//! a time. Each element costs one add or multiply per kernel, so the time goes
//! to moving bytes between the memory hierarchy and the cores. Once that path
//! is saturated, more threads stop helping, before the cores run out: the
//! memory-bound lesson.
//!
//! What "memory" means depends on the machine: the 24 MB working set per
//! worker is far past a core's L2, but a shared L3 may hold one or two of
//! them (`lscpu` says how large it is: the 2-core VMs these were written on
//! reported 32 MiB and 480 MiB), and then the arrays stream from L3, whose
//! bandwidth still grows with a second core, and whether they fit depends
//! on what else is in that cache: this workload's speedup moves more from
//! run to run than the CPU-bound ones'. On a many-core machine with
//! ordinary caches the flattening shows clearly.
//!
//! Checksum: the wrapping sum of the final `a` values. Values depend only on
//! the item index, so any split agrees. Default 3,000,000 elements: one
//! sequential run took about 140 ms on the 2-core reference machine.

use std::ops::Range;

use super::{Entry, Job, Kind, Workload};
use crate::context::Context;
use crate::error::Result;

/// Elements per array. Three arrays of 1 Mi u64s are 24 MB, ten times a
/// core's L2 cache here. A call works through its items one array-full at a
/// time, reusing the arrays, so every backend streams the same array size
/// whatever its chunking, and page faults stay out of the measurement.
pub const ARRAY_LEN: usize = 1 << 20;

/// Rounds of the four kernels per array-full.
pub const PASSES: u32 = 16;
const SCALAR: u64 = 3;

pub(super) const ENTRY: Entry = Entry {
    name: "stream",
    kind: Kind::Memory,
    teaches: "memory-bound: past a few threads the memory bus, not the cores, is the limit",
    default_size: 3_000_000,
    build,
    setup: None,
};

fn build(job: &Job) -> Result<Box<dyn Workload>> {
    Ok(Box::new(Stream { elements: job.size }))
}

/// Three arrays of `elements` u64s.
#[derive(Debug, Clone)]
pub struct Stream {
    pub elements: u64,
}

/// Elements between two `tick`s: one tick per 4 KiB page of each array.
const BLOCK: usize = 512;

/// Calls `kernel` on consecutive blocks of `0..len`, ticking between blocks.
fn sweep(len: usize, cx: &Context, mut kernel: impl FnMut(Range<usize>)) {
    for start in (0..len).step_by(BLOCK) {
        cx.tick();
        kernel(start..(start + BLOCK).min(len));
    }
}

impl Workload for Stream {
    fn name(&self) -> &'static str {
        ENTRY.name
    }
    fn kind(&self) -> Kind {
        ENTRY.kind
    }
    fn size(&self) -> u64 {
        self.elements
    }
    /// Whole arrays: a smaller chunk would fit in a core's cache.
    fn grain(&self) -> u64 {
        ARRAY_LEN as u64
    }
    fn run(&self, items: Range<u64>, cx: &Context) -> u64 {
        let len = usize::try_from(items.end - items.start).unwrap_or(usize::MAX);
        let block = len.min(ARRAY_LEN);
        let (mut a, mut b, mut c) = (vec![0u64; block], vec![0u64; block], vec![0u64; block]);
        let mut sum = 0u64;
        let mut first = items.start;
        while first < items.end {
            let n = usize::try_from(items.end - first)
                .unwrap_or(usize::MAX)
                .min(ARRAY_LEN);
            let (a, b, c) = (&mut a[..n], &mut b[..n], &mut c[..n]);
            for (x, i) in a.iter_mut().zip(first..) {
                *x = i;
            }
            triad_passes(a, b, c, cx);
            sum = a.iter().fold(sum, |sum, &x| sum.wrapping_add(x));
            first += n as u64;
        }
        sum
    }
}

/// [`PASSES`] rounds of copy, scale, add and triad. Each kernel sweeps the
/// whole arrays before the next starts, so the data streams through the
/// memory hierarchy instead of staying in the core's own cache.
fn triad_passes(a: &mut [u64], b: &mut [u64], c: &mut [u64], cx: &Context) {
    let len = a.len();
    for _ in 0..PASSES {
        sweep(len, cx, |r| c[r.clone()].copy_from_slice(&a[r]));
        sweep(len, cx, |r| {
            for (b, c) in b[r.clone()].iter_mut().zip(&c[r]) {
                *b = SCALAR.wrapping_mul(*c);
            }
        });
        sweep(len, cx, |r| {
            for ((c, a), b) in c[r.clone()].iter_mut().zip(&a[r.clone()]).zip(&b[r]) {
                *c = a.wrapping_add(*b);
            }
        });
        sweep(len, cx, |r| {
            for ((a, b), c) in a[r.clone()].iter_mut().zip(&b[r.clone()]).zip(&c[r]) {
                *a = b.wrapping_add(SCALAR.wrapping_mul(*c));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_pass_multiplies_by_fifteen() {
        // copy c=a, scale b=3c, add c=a+b (=4a), triad a=b+3c (=3a+12a=15a).
        let n = 1000u64;
        let sum = Stream { elements: n }.run(0..n, &Context::free());
        let expected = (n * (n - 1) / 2).wrapping_mul(15u64.pow(PASSES));
        assert_eq!(sum, expected);
    }
}
