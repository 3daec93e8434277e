//! What `cargo bench` sweeps: which worker counts for which kind of
//! workload, and the smaller settings of quick mode.
//!
//! The benches and the report share these rules, so a bench for a new kind
//! of workload (IO) extends [`workers_for`] instead of inventing its own.

use crate::workloads::Kind;

/// Worker counts to measure a workload of `kind` at on a machine with
/// `cores` cores.
///
/// CPU- and memory-bound workloads sweep [`crate::default_workers`]: 1, 2,
/// 4, ... up to twice the cores, plus the core count itself.
pub fn workers_for(kind: Kind, cores: usize) -> Vec<usize> {
    match kind {
        Kind::Cpu | Kind::Memory => crate::default_workers(cores),
        // IO workloads have their own bench and sweep (see benches/).
        Kind::Io => crate::default_workers(cores),
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
    fn cpu_and_memory_follow_the_default_sweep() {
        for cores in [1, 2, 6] {
            assert_eq!(workers_for(Kind::Cpu, cores), crate::default_workers(cores));
            assert_eq!(
                workers_for(Kind::Memory, cores),
                crate::default_workers(cores)
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
}
