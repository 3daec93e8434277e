//! What to sweep: which worker counts for which kind of workload.
//!
//! CPU- and memory-bound work stops gaining once the cores are busy, so it
//! sweeps up to twice the cores. IO-bound work waits rather than computes,
//! so it keeps gaining far past the core count: it sweeps 1, 2, 4, ... up to
//! [`DEFAULT_IO_MAX_WORKERS`] (or `TVP_IO_MAX_WORKERS`), whatever the cores.

use crate::error::{Error, Result};
use crate::workloads::Kind;

/// The largest IO worker count swept by default.
pub const DEFAULT_IO_MAX_WORKERS: usize = 64;

/// Environment variable that overrides [`DEFAULT_IO_MAX_WORKERS`].
pub const IO_MAX_WORKERS_ENV: &str = "TVP_IO_MAX_WORKERS";

/// The most workers a run may ask for: a guard against typos. What fits
/// is the machine's to say: before a run starts, each backend checks its
/// threads, processes and open files against the kernel's limits
/// ([`crate::backends::limits`]), which an async task does not touch.
pub const MAX_WORKERS: usize = 1_000_000;

/// The largest IO maximum for the IO sweep, where every backend, `process`
/// included, runs at every count up to it.
pub const IO_MAX_WORKERS_CAP: usize = 1024;

/// A worker count from the command line: 1 to [`MAX_WORKERS`].
pub fn parse_workers(text: &str) -> std::result::Result<usize, String> {
    let n: usize = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number of workers"))?;
    match n {
        0 => Err("workers must be at least 1".into()),
        n if n > MAX_WORKERS => Err(format!(
            "{n} workers is above the cap of {MAX_WORKERS}: past it even async tasks would \
             exhaust the memory before teaching anything new (a typo?)"
        )),
        n => Ok(n),
    }
}

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

/// Worker counts to measure a workload of `kind` at on a machine with
/// `cores` cores, with the default IO maximum.
///
/// CPU- and memory-bound workloads sweep [`default_workers`]: 1, 2,
/// 4, ... up to twice the cores, plus the core count itself.
pub fn workers_for(kind: Kind, cores: usize) -> Vec<usize> {
    workers_for_max(kind, cores, DEFAULT_IO_MAX_WORKERS)
}

/// [`workers_for`] with IO workloads swept up to `io_max`.
pub fn workers_for_max(kind: Kind, cores: usize, io_max: usize) -> Vec<usize> {
    match kind {
        Kind::Cpu | Kind::Memory => default_workers(cores),
        Kind::Io => io_workers(io_max),
    }
}

/// 1, 2, 4, ... up to `max`, plus `max` itself when it is not a power of two.
pub fn io_workers(max: usize) -> Vec<usize> {
    powers_up_to(2, max)
}

/// Quick mode's IO worker counts: 1, 4, 16, ... up to `max`, and `max`.
pub fn quick_io_workers(max: usize) -> Vec<usize> {
    powers_up_to(4, max)
}

/// The IO bench's worker counts in full mode: [`quick_io_workers`]'s 1, 4,
/// 16, ... up to `max`, plus the machine's `cores`, so that the sweep marks
/// the core count and reaches far past it in few cells (the whole
/// `cargo bench` has 10 minutes on 2 cores; `tvp run` sweeps every power
/// of two).
pub fn io_bench_workers(max: usize, cores: usize) -> Vec<usize> {
    let mut counts = quick_io_workers(max);
    if cores <= max && !counts.contains(&cores) {
        counts.push(cores);
        counts.sort_unstable();
    }
    counts
}

/// 1, base, base^2, ... up to `max`, ending with `max` itself.
fn powers_up_to(base: usize, max: usize) -> Vec<usize> {
    let max = max.max(1);
    let mut counts: Vec<usize> = std::iter::successors(Some(1usize), |w| w.checked_mul(base))
        .take_while(|&w| w <= max)
        .collect();
    if counts.last() != Some(&max) {
        counts.push(max);
    }
    counts
}

/// Parses an IO maximum worker count, from the CLI or the environment.
pub fn parse_io_max_workers(text: &str) -> Result<usize> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=IO_MAX_WORKERS_CAP).contains(&n) => Ok(n),
        _ => Err(Error::InvalidJob(format!(
            "`{text}` is not a valid IO maximum worker count: give a whole number from 1 to \
             {IO_MAX_WORKERS_CAP} (in {IO_MAX_WORKERS_ENV} or --max-io-workers)"
        ))),
    }
}

/// The IO maximum from `TVP_IO_MAX_WORKERS`, else [`DEFAULT_IO_MAX_WORKERS`].
pub fn io_max_workers_from_env() -> Result<usize> {
    match std::env::var(IO_MAX_WORKERS_ENV) {
        Ok(text) => parse_io_max_workers(&text),
        Err(_) => Ok(DEFAULT_IO_MAX_WORKERS),
    }
}

/// Quick mode's worker counts: 1 and the core count (or 1 and 2 on one
/// core), enough to see whether anything scales.
pub fn quick_workers(cores: usize) -> Vec<usize> {
    let mut counts = vec![1, cores.max(2)];
    counts.dedup();
    counts
}

/// How much smaller quick mode makes each workload.
pub const QUICK_SIZE_DIVISOR: u64 = 4;

/// `size` items, or in quick mode a quarter of them (at least one).
pub fn size_for(size: u64, quick: bool) -> u64 {
    if quick {
        (size / QUICK_SIZE_DIVISOR).max(1)
    } else {
        size
    }
}

/// The share of each CPU or memory workload's default size that the
/// scaling and mpi benches measure in full mode: runs of 40-150 ms instead
/// of 70-250 ms, so that the whole `cargo bench` fits in 10 minutes on 2
/// cores. Both benches use it, so the MPI page finds the scaling results
/// of the same size to put beside the ranks.
pub const BENCH_SIZE_PERCENT: u64 = 60;

/// The size the scaling and mpi benches measure: [`BENCH_SIZE_PERCENT`] of
/// `size` in full mode, a quarter of it in quick mode.
pub fn bench_size(size: u64, quick: bool) -> u64 {
    if quick {
        size_for(size, true)
    } else {
        (size * BENCH_SIZE_PERCENT / 100).max(1)
    }
}

/// Whether quick mode was asked for: `cargo bench -- --quick` (criterion's
/// own flag, seen in `args`) or `TVP_QUICK=1` in the environment (for bench
/// targets that do not see criterion's flags).
pub fn quick_requested(args: impl IntoIterator<Item = String>) -> bool {
    let env = std::env::var("TVP_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    env || args.into_iter().any(|a| a == "--quick")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_sizes_are_a_quarter_and_never_zero() {
        assert_eq!(size_for(1000, false), 1000);
        assert_eq!(size_for(1000, true), 250);
        assert_eq!(size_for(3, true), 1);
    }

    #[test]
    fn cpu_and_memory_follow_the_default_sweep() {
        for cores in [1, 2, 6] {
            assert_eq!(workers_for(Kind::Cpu, cores), default_workers(cores));
            assert_eq!(workers_for(Kind::Memory, cores), default_workers(cores));
        }
    }

    #[test]
    fn io_sweeps_powers_of_two_past_the_cores() {
        for cores in [1, 2, 6] {
            assert_eq!(workers_for(Kind::Io, cores), vec![1, 2, 4, 8, 16, 32, 64]);
        }
        assert_eq!(workers_for_max(Kind::Io, 2, 8), vec![1, 2, 4, 8]);
        assert_eq!(io_workers(48), vec![1, 2, 4, 8, 16, 32, 48]);
        assert_eq!(io_workers(1), vec![1]);
        assert_eq!(quick_io_workers(64), vec![1, 4, 16, 64]);
        assert_eq!(quick_io_workers(32), vec![1, 4, 16, 32]);
        assert_eq!(io_bench_workers(64, 2), vec![1, 2, 4, 16, 64]);
        assert_eq!(io_bench_workers(64, 64), vec![1, 4, 16, 64]);
        assert_eq!(io_bench_workers(64, 8), vec![1, 4, 8, 16, 64]);
        assert_eq!(io_bench_workers(16, 96), vec![1, 4, 16]);
    }

    #[test]
    fn io_max_is_checked() {
        assert_eq!(parse_io_max_workers(" 16 ").unwrap(), 16);
        for bad in ["0", "-1", "many", "5000"] {
            let err = parse_io_max_workers(bad).unwrap_err().to_string();
            assert!(
                err.contains(bad) && err.contains(IO_MAX_WORKERS_ENV),
                "{err}"
            );
        }
    }

    #[test]
    fn quick_sweep_has_one_and_the_cores() {
        assert_eq!(quick_workers(1), vec![1, 2]);
        assert_eq!(quick_workers(2), vec![1, 2]);
        assert_eq!(quick_workers(8), vec![1, 8]);
    }

    #[test]
    fn quick_flag_is_found_among_the_args() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(quick_requested(args(&["bench", "--bench", "--quick"])));
        if std::env::var_os("TVP_QUICK").is_none() {
            assert!(!quick_requested(args(&["bench", "--bench"])));
        }
    }

    #[test]
    fn worker_sweep_follows_the_core_count() {
        assert_eq!(default_workers(1), vec![1, 2]);
        assert_eq!(default_workers(2), vec![1, 2, 4]);
        assert_eq!(default_workers(6), vec![1, 2, 4, 6, 8, 12]);
        assert_eq!(default_workers(64), vec![1, 2, 4, 8, 16, 32, 64, 128]);
    }
}
