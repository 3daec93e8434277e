//! Compute, then communicate: a step-by-step job whose workers must
//! exchange data every step, so the cost of moving B bytes can be set
//! against the cost of computing.
//!
//! The workloads elsewhere send one checksum per worker: the network never
//! shows. Here P participants each own a contiguous part of an array of
//! `elements` numbers. Every step, each one
//! 1. **computes**: updates every number of its part from its old value,
//!    the step and a word of the last step's reduced buffer, and adds each
//!    new value into word `i % K` of its own buffer of `K = B / 8` words;
//! 2. **communicates**: the P buffers are summed word by word and every
//!    participant gets the sum (an all-reduce of B bytes), which the next
//!    step reads.
//!
//! The compute per step is fixed (`elements x rounds` hashes, split P
//! ways); the buffer goes from 8 B to 64 MiB ([`SIZES`]), so somewhere
//! communication overtakes compute. Where depends on how the buffers move
//! ([`Transport`]): threads read each other's buffers in shared memory, no
//! copy ([`threads`]); a pool of processes sends them through pipes to the
//! parent, which sums and sends back ([`pipes`]); MPI ranks call
//! `MPI_Allreduce` over shared memory, TCP on one host, or TCP between
//! (simulated) hosts (`mpi.rs`, feature `mpi`).
//!
//! Every transport ends in the same numbers: the sum is word-wise wrapping
//! addition, so how the array is split does not matter, and the digest of
//! the reduced buffer after [`CHECK_STEPS`] steps must equal [`reference()`]'s
//! (a sequential run in one process).
//!
//! Why not a [`crate::workloads::Workload`]: a workload is a pure function
//! of an index range that returns one number, and every backend runs it in
//! one go. This job keeps state in each worker across steps and needs a
//! collective between steps, which no backend offers; so it is a
//! measurement of its own, with its own three small runners, timed by
//! [`measure`] the same way on each.

use std::ops::Range;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::workloads::monte_carlo::splitmix64;

pub mod data;
#[cfg(feature = "mpi")]
pub mod mpi;
pub mod pipes;
pub mod threads;

/// The buffer sizes measured, in bytes: 8 B to 64 MiB, every 4x.
pub const SIZES: [u64; 13] = [
    8,
    32,
    128,
    512,
    2 << 10,
    8 << 10,
    32 << 10,
    128 << 10,
    512 << 10,
    2 << 20,
    8 << 20,
    32 << 20,
    64 << 20,
];

/// Quick mode's sizes: small, middle, large.
pub const QUICK_SIZES: [u64; 3] = [8, 128 << 10, 8 << 20];

/// Numbers in the array; with [`ROUNDS`], one step is about 1 to 2 ms of
/// hashing on one core of the 2-core machine (so 0.5 to 1 ms per
/// participant at 2).
pub const ELEMENTS: u64 = 1 << 17;

/// Hashes per number per step.
pub const ROUNDS: u32 = 8;

/// Steps from the initial array whose digest is checked against
/// [`reference()`].
pub const CHECK_STEPS: u64 = 3;

/// One configuration of the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spec {
    /// Numbers in the whole array.
    pub elements: u64,
    /// The buffer exchanged every step, in bytes (a multiple of 8).
    pub bytes: u64,
    /// Hashes per number per step: the compute.
    pub rounds: u32,
}

impl Spec {
    /// The default array and compute, exchanging `bytes` bytes a step.
    pub fn new(bytes: u64) -> Self {
        Spec {
            elements: ELEMENTS,
            bytes,
            rounds: ROUNDS,
        }
    }

    /// Words in the buffer: `bytes / 8`, at least one.
    pub fn words(&self) -> usize {
        usize::try_from((self.bytes / 8).max(1)).expect("a buffer fits in memory")
    }

    /// Participant `index`'s part of the array, of `parts`.
    pub fn part(&self, index: usize, parts: usize) -> Range<u64> {
        let parts = parts.max(1) as u64;
        let (i, n) = (index as u64, self.elements);
        (n * i / parts)..(n * (i + 1) / parts)
    }

    /// Checks what a peer or rank is handed.
    pub fn validate(&self) -> Result<()> {
        if self.bytes == 0 || self.bytes % 8 != 0 || self.bytes > 1 << 30 {
            return Err(Error::InvalidJob(format!(
                "an exchange buffer is a whole number of 8-byte words up to 1 GiB, not {} bytes",
                self.bytes
            )));
        }
        Ok(())
    }
}

/// A participant's part of the array, kept across steps.
#[derive(Debug, Clone)]
pub struct Part {
    range: Range<u64>,
    values: Vec<u64>,
}

impl Part {
    /// The part `range` of the initial array.
    pub fn new(range: Range<u64>) -> Self {
        let mut part = Part {
            values: vec![0; (range.end - range.start) as usize],
            range,
        };
        part.reset();
        part
    }

    /// Back to the initial array (what step 0 starts from).
    pub fn reset(&mut self) {
        for (v, i) in self.values.iter_mut().zip(self.range.clone()) {
            *v = splitmix64(i);
        }
    }

    /// One step's compute: updates every number from its old value, the
    /// step and word `i % K` of `global` (the last reduced buffer, read
    /// through `global`), and writes this part's contribution into `local`
    /// (its K words, zeroed first).
    pub fn compute(
        &mut self,
        rounds: u32,
        step: u64,
        global: impl Fn(usize) -> u64,
        local: &mut [u64],
    ) {
        local.fill(0);
        let words = local.len() as u64;
        let salt = step.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for (v, i) in self.values.iter_mut().zip(self.range.clone()) {
            let word = (i % words) as usize;
            let mut x = *v ^ global(word) ^ salt;
            for _ in 0..rounds {
                x = splitmix64(x);
            }
            *v = x;
            local[word] = local[word].wrapping_add(x);
        }
    }
}

/// Adds `other` into `sum`, word by word (wrapping): the reduction.
pub fn add_into(sum: &mut [u64], other: &[u64]) {
    for (s, o) in sum.iter_mut().zip(other) {
        *s = s.wrapping_add(*o);
    }
}

/// One number for a reduced buffer, in any transport.
pub fn digest(global: impl Iterator<Item = u64>) -> u64 {
    global.enumerate().fold(0u64, |acc, (j, w)| {
        acc.wrapping_add(splitmix64(w ^ j as u64))
    })
}

/// The digest after `steps` steps, computed in this thread in one part:
/// what every transport must match.
pub fn reference(spec: &Spec, steps: u64) -> u64 {
    let mut part = Part::new(0..spec.elements);
    let mut global = vec![0u64; spec.words()];
    let mut local = vec![0u64; spec.words()];
    for step in 0..steps {
        part.compute(spec.rounds, step, |w| global[w], &mut local);
        std::mem::swap(&mut global, &mut local);
    }
    digest(global.into_iter())
}

/// How the buffers move between participants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    /// Threads of one process: each reads the others' buffers in shared
    /// memory, no copy.
    Threads,
    /// A pool of `tvp peer exchange` processes: buffers go through pipes to
    /// the parent, which sums them and sends the sum back.
    Pipes,
    /// MPI ranks on this machine, `MPI_Allreduce` over shared memory.
    Mpi,
    /// MPI ranks on this machine, over TCP on the loopback interface.
    MpiTcp,
    /// MPI ranks, one per simulated host, over TCP through a bridge.
    MpiHosts,
    /// The same with every host's link limited with `tbf`.
    MpiHostsLimited,
}

impl Transport {
    /// Every transport, in the order the report shows them.
    pub const ALL: [Transport; 6] = [
        Transport::Threads,
        Transport::Pipes,
        Transport::Mpi,
        Transport::MpiTcp,
        Transport::MpiHosts,
        Transport::MpiHostsLimited,
    ];

    /// The name in data files and charts.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Threads => "threads",
            Transport::Pipes => "pipes",
            Transport::Mpi => "mpi",
            Transport::MpiTcp => "mpi-tcp",
            Transport::MpiHosts => "mpi-hosts",
            Transport::MpiHostsLimited => "mpi-hosts-limited",
        }
    }

    /// What it is, in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            Transport::Threads => "threads, shared memory (no copy)",
            Transport::Pipes => "a pool of processes, pipes through the parent",
            Transport::Mpi => "MPI ranks, shared memory",
            Transport::MpiTcp => "MPI ranks, TCP on one host",
            Transport::MpiHosts => "MPI ranks on simulated hosts",
            Transport::MpiHostsLimited => "MPI ranks on simulated hosts, link limited",
        }
    }
}

/// What one batch of steps took, seen by participant 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Batch {
    /// From the start of the first step to the end of the last.
    pub elapsed: Duration,
    /// The part of it participant 0 spent computing.
    pub compute: Duration,
}

/// P participants that run steps together, as seen by whoever times them.
pub trait Group {
    /// Runs steps `first .. first + count`; step 0 starts from the initial
    /// array and a buffer of zeros.
    fn steps(&mut self, first: u64, count: u64) -> Result<Batch>;
    /// The digest of the current reduced buffer.
    fn digest(&mut self) -> Result<u64>;
    /// Makes every participant use the same count (MPI: rank 0's); others
    /// keep theirs.
    fn agree(&mut self, count: u64) -> Result<u64> {
        Ok(count)
    }
}

/// How long to time each buffer size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// A batch runs about this long (at least one step).
    pub batch_secs: f64,
    /// Timed batches per size; the median is kept.
    pub batches: u32,
}

impl Policy {
    /// Full mode: 3 batches of about 0.2 s.
    pub const FULL: Policy = Policy {
        batch_secs: 0.2,
        batches: 3,
    };
    /// Quick mode, and the tests: 1 batch of about 20 ms.
    pub const QUICK: Policy = Policy {
        batch_secs: 0.02,
        batches: 1,
    };
}

/// One buffer size on one transport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub bytes: u64,
    /// The digest after [`CHECK_STEPS`] steps from the start.
    pub digest: u64,
    pub steps_per_batch: u64,
    /// Median time per step over the batches, in seconds.
    pub step_secs: f64,
    /// Participant 0's compute per step in that median batch, in seconds.
    pub compute_secs: f64,
}

impl Cell {
    /// The step minus its compute: moving, reducing and waiting.
    pub fn communication_secs(&self) -> f64 {
        (self.step_secs - self.compute_secs).max(0.0)
    }
}

/// The largest batch: a step this fast is all overhead anyway.
const MAX_STEPS: u64 = 10_000;

/// Times `group` for one buffer size: [`CHECK_STEPS`] steps from the start
/// (the digest to check), one step to size the batches, then `policy`'s
/// batches. Every participant of an MPI group calls it; they agree on the
/// batch size through [`Group::agree`].
pub fn measure(group: &mut dyn Group, bytes: u64, policy: &Policy) -> Result<Cell> {
    group.steps(0, CHECK_STEPS)?;
    let digest = group.digest()?;
    let mut next = CHECK_STEPS;
    let one = group.steps(next, 1)?;
    next += 1;
    let wanted = (policy.batch_secs / one.elapsed.as_secs_f64().max(1e-9)).ceil() as u64;
    let count = group.agree(wanted.clamp(1, MAX_STEPS))?;
    let mut batches = Vec::new();
    for _ in 0..policy.batches.max(1) {
        batches.push(group.steps(next, count)?);
        next += count;
    }
    batches.sort_by_key(|b| b.elapsed);
    let median = batches[batches.len() / 2];
    Ok(Cell {
        bytes,
        digest,
        steps_per_batch: count,
        step_secs: median.elapsed.as_secs_f64() / count as f64,
        compute_secs: median.compute.as_secs_f64() / count as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sequential run cut into `parts` parts, summed by hand.
    fn split_digest(spec: &Spec, parts: usize, steps: u64) -> u64 {
        let mut all: Vec<Part> = (0..parts).map(|i| Part::new(spec.part(i, parts))).collect();
        let mut global = vec![0u64; spec.words()];
        for step in 0..steps {
            let mut sum = vec![0u64; spec.words()];
            for part in &mut all {
                let mut local = vec![0u64; spec.words()];
                part.compute(spec.rounds, step, |w| global[w], &mut local);
                add_into(&mut sum, &local);
            }
            global = sum;
        }
        digest(global.into_iter())
    }

    #[test]
    fn the_digest_does_not_depend_on_the_split() {
        for bytes in [8, 64, 4096] {
            let spec = Spec {
                elements: 1000,
                bytes,
                rounds: 2,
            };
            let expected = reference(&spec, CHECK_STEPS);
            for parts in [1, 2, 3, 7] {
                assert_eq!(
                    split_digest(&spec, parts, CHECK_STEPS),
                    expected,
                    "{bytes} B, {parts}"
                );
            }
        }
    }

    #[test]
    fn parts_cover_the_array_and_sizes_are_words() {
        let spec = Spec::new(64);
        assert_eq!(spec.words(), 8);
        let parts: Vec<_> = (0..3).map(|i| spec.part(i, 3)).collect();
        assert_eq!(parts[0].start, 0);
        assert_eq!(parts[2].end, ELEMENTS);
        assert!(parts.windows(2).all(|w| w[0].end == w[1].start));
        assert!(SIZES.iter().all(|&b| Spec::new(b).validate().is_ok()));
        assert!(Spec::new(12).validate().is_err());
        assert!(Spec::new(0).validate().is_err());
    }

    #[test]
    fn steps_and_buffers_change_the_digest() {
        let spec = Spec {
            elements: 100,
            bytes: 16,
            rounds: 1,
        };
        assert_ne!(reference(&spec, 1), reference(&spec, 2));
        assert_ne!(
            reference(&spec, 2),
            reference(&Spec { bytes: 24, ..spec }, 2)
        );
    }
}
