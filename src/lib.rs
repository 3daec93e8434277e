//! # threads-vs-processes
//!
//! A benchmark suite that teaches, with measurements from your own machine,
//! when to use threads, a thread pool or child processes.
//!
//! The model in one line: **workload x backend x workers -> checksum + time.**
//!
//! - [`workloads`]: pure functions over an index range (primes, mandelbrot,
//!   monte_carlo, stream; IO-bound: latency, files, files_fsync, tcp). A
//!   workload never knows how it is run.
//! - [`backends`]: ways to run them (sequential, threads, rayon, gil,
//!   process, pool). A backend never knows what it runs, and every backend
//!   must return the checksum `sequential` returns.
//! - [`context`]: the GIL model's hooks that workloads call.
//! - [`worker`], [`child`], [`pool`]: the process side: the `tvp worker`
//!   protocol, a child seen from the parent, and a `multiprocessing.Pool`.
//! - [`interrupt`]: SIGINT/SIGTERM stop a run, kill its children and clean up.
//! - [`run`]: timing a sweep of backends and worker counts, as `tvp run` does.
//! - [`python`]: the same workloads in CPython, measured beside Rust
//!   (`tvp python`).
//! - [`run`]: timing a sweep of backends and worker counts, as `tvp run` does;
//!   [`sweep`]: which worker counts (IO goes far past the cores), quick mode.
//! - [`memory`]: peak memory of a run, parent plus children, per worker;
//!   [`explain_io`]: the IO section's sentences, written from the numbers.
//! - [`costs`]: the costs underneath (spawn, IPC, locks, context switches),
//!   each beside its thread-side twin, and sentences written from them.
//! - [`report`]: criterion's results -> charts and explanations -> `reports/`;
//!   [`machine`]: the machine info it shows. [`report::lessons`]: the
//!   lessons (`reports/lessons.html`), from a Python idiom to a Rust example
//!   to this machine's chart, one concept each.
//! - `mpi_worker` (feature `mpi`): the rank side of the `mpi` backends;
//!   [`mpi_report`]: their lesson written from the measured numbers;
//!   [`mpi_launch`]: the launch costs the `mpi` bench keeps beside criterion.
//! - [`affinity`], [`core_sweep`]: workers and cores are different knobs:
//!   confine a run to K cores, and time every backend at 1, 2, ... N cores
//!   for a fixed worker count, as `tvp cores` does.

pub mod affinity;
pub mod backends;
pub mod child;
pub mod context;
pub mod core_sweep;
pub mod costs;
pub mod error;
pub mod explain_io;
pub mod interrupt;
pub mod machine;
pub mod memory;
pub mod mpi_launch;
pub mod mpi_report;
#[cfg(feature = "mpi")]
pub mod mpi_worker;
pub mod pool;
pub mod python;
pub mod report;
pub mod run;
pub mod sweep;
pub mod worker;
pub mod workloads;

pub use backends::{Backend, Config};
pub use context::Context;
pub use error::{Error, Result};
pub use workloads::{Job, Kind, Workload};

/// Worker counts to sweep on a machine with `cores` cores: 1, 2, 4, ... up
/// to twice the cores, plus the core count itself. Going past the cores is on
/// purpose: it shows oversubscription.
pub fn default_workers(cores: usize) -> Vec<usize> {
    let cores = cores.max(1);
    let mut counts: Vec<usize> = std::iter::successors(Some(1usize), |w| w.checked_mul(2))
        .take_while(|&w| w <= 2 * cores)
        .collect();
    counts.push(cores);
    counts.push(2 * cores);
    counts.sort_unstable();
    counts.dedup();
    counts
}

/// The machine's logical core count, as this process may use it.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or_else(|_| num_cpus::get(), usize::from)
}

#[cfg(test)]
mod tests {
    use super::default_workers;

    #[test]
    fn worker_sweep_follows_the_core_count() {
        assert_eq!(default_workers(1), vec![1, 2]);
        assert_eq!(default_workers(2), vec![1, 2, 4]);
        assert_eq!(default_workers(6), vec![1, 2, 4, 6, 8, 12]);
        assert_eq!(default_workers(64), vec![1, 2, 4, 8, 16, 32, 64, 128]);
    }
}
