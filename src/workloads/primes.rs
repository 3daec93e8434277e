//! `primes`: count the primes below N by trial division.
//!
//! Item `i` asks "is `i` prime?" by trying odd divisors up to its square
//! root, so later items cost more: equal static chunks are unequal work, and
//! the last chunk finishes last. This is the load-balancing lesson: rayon's
//! work stealing and the pool's small tasks even it out; `threads`, `gil`
//! and `process` (one static chunk per worker) do not.
//!
//! Checksum: the number of primes below N (pi(10^6) = 78,498).
//! Default N = 3,000,000: one sequential run took about 240 ms on the 2-core
//! reference machine (`tvp run --workload primes --backend sequential`).

use std::ops::Range;

use super::{Entry, Job, Kind, Workload};
use crate::context::Context;
use crate::error::Result;

pub(super) const ENTRY: Entry = Entry {
    name: "primes",
    kind: Kind::Cpu,
    teaches: "CPU-bound, uneven items: static chunks leave workers idle, work stealing evens them out",
    default_size: 3_000_000,
    build,
    setup: None,
};

fn build(job: &Job) -> Result<Box<dyn Workload>> {
    Ok(Box::new(Primes { limit: job.size }))
}

/// Counts primes in `0..limit`.
#[derive(Debug, Clone)]
pub struct Primes {
    pub limit: u64,
}

/// Trial division by 2 and odd numbers up to the square root.
pub fn is_prime(n: u64) -> bool {
    if n < 4 {
        return n >= 2;
    }
    if n % 2 == 0 {
        return false;
    }
    let mut d = 3;
    while d * d <= n {
        if n % d == 0 {
            return false;
        }
        d += 2;
    }
    true
}

impl Workload for Primes {
    fn name(&self) -> &'static str {
        ENTRY.name
    }
    fn kind(&self) -> Kind {
        ENTRY.kind
    }
    fn size(&self) -> u64 {
        self.limit
    }
    fn run(&self, items: Range<u64>, cx: &Context) -> u64 {
        let mut count = 0;
        for n in items {
            cx.tick();
            count += u64::from(is_prime(n));
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_prime_counts() {
        let count = |limit| Primes { limit }.run(0..limit, &Context::free());
        assert_eq!(count(0), 0);
        assert_eq!(count(2), 0);
        assert_eq!(count(3), 1);
        assert_eq!(count(100), 25);
        assert_eq!(count(1_000_000), 78_498);
    }
}
