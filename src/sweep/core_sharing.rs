//! Whether something else shares this core's execution units: a probe that
//! tells a slower machine from a shared core.
//!
//! A core runs a chain of dependent operations one step at a time, each
//! waiting for the last, and leaves most of its execution units idle; it
//! runs independent operations side by side and keeps them busy. A second
//! thread on the same physical core (its hyperthread sibling; on a virtual
//! machine, possibly another guest's vCPU, which the guest cannot see)
//! takes units the independent operations need and the chain does not. So
//! when the core is shared from time to time, a loop of independent
//! multiplies slows from run to run while a chain of the same multiplies
//! hardly moves; a slower clock or a busy scheduler slows both alike.
//!
//! [`probe`] alternates the two loops for a few rounds (about 0.6 s) on one
//! CPU of every physical core at once, each probe pinned to its CPU, and
//! keeps how far each loop's slow runs were from its fast ones. Every core
//! gets its own probe because a VM's vCPUs need not be alike: one may sit
//! on a busy host core and the other not, so a fresh thread runs fast or
//! slow by where the scheduler places it (the scaling bench's monte_carlo
//! threads cell at one worker, a new thread per run, alternated between
//! 90 and 160 ms from sample to sample on 2026-11-30 while the sequential
//! runs on the main thread stayed at 89-129 ms). A probe sees sharing that
//! comes and goes while it runs; a core shared for the whole probe slows
//! the independent loop evenly and goes unseen, so a probe that finds
//! nothing proves nothing.
//!
//! On the 2-core reference VM (2026-11-30), twelve probes of 30 rounds, two
//! batches of six a few minutes apart, found the independent loop's
//! slowdown between 3% and 38% and the chain's between 1% and 6%; ten of
//! the twelve called the core shared (one probe on the calling thread, as
//! the first version ran). The same night monte_carlo, whose
//! samples are independent, repeated worst of the CPU workloads there. The
//! scaling bench runs the probe after each group of a full run (quick mode
//! skips it) and the report reads it
//! ([`crate::report::criterion::RunInfo::core_sharing`]); `tvp run` runs
//! it after a table with a noisy cell.

use std::hint::black_box;
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// The name of the probe's threads, each pinned to one CPU of the run's
/// set (a test that checks every thread keeps the run's whole set knows
/// them by it).
pub const THREAD_NAME: &str = "core-probe";

/// Rounds of the two loops: about 20 ms a round on the reference VM.
pub const ROUNDS: usize = 30;

/// Multiplies per loop run: about 10 ms each on the reference VM.
const CHAIN_STEPS: u64 = 5_000_000;
const INDEPENDENT_STEPS: u64 = 16_000_000;

/// A shared core, when the independent loop's slowdown is more than this
/// many times the chain's ...
const TIMES_THE_CHAIN: f64 = 2.0;
/// ... and more than this much larger: a few percent come and go (quiet
/// probes of 10 rounds on the reference VM read up to 6% against 1%).
const MARGIN: f64 = 0.08;

/// One core's probe: for each loop, how much longer its slow runs took
/// than its fast ones ([`slowdown`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CpuProbe {
    /// The CPU the probe ran pinned to; `None` where it could not be pinned
    /// (it ran wherever the scheduler put it).
    pub cpu: Option<usize>,
    /// The loop of independent multiplies.
    pub independent_slowdown: f64,
    /// The chain of dependent multiplies.
    pub chain_slowdown: f64,
}

impl CpuProbe {
    /// Whether the independent loop slowed well beyond the chain: something
    /// took this core's execution units at times while the probe ran.
    pub fn shared(&self) -> bool {
        self.independent_slowdown > TIMES_THE_CHAIN * self.chain_slowdown
            && self.independent_slowdown - self.chain_slowdown > MARGIN
    }
}

/// What [`probe`] measured: one [`CpuProbe`] per physical core it may use,
/// all run at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoreSharing {
    pub cpus: Vec<CpuProbe>,
    pub rounds: usize,
}

impl CoreSharing {
    /// The probes that found their core shared at times.
    pub fn shared_cpus(&self) -> Vec<&CpuProbe> {
        self.cpus.iter().filter(|c| c.shared()).collect()
    }

    /// Whether any core was shared at times.
    pub fn shared(&self) -> bool {
        self.cpus.iter().any(CpuProbe::shared)
    }

    /// The shared core whose independent loop slowed most.
    pub fn worst(&self) -> Option<&CpuProbe> {
        self.shared_cpus()
            .into_iter()
            .max_by(|a, b| a.independent_slowdown.total_cmp(&b.independent_slowdown))
    }
}

/// The SplitMix64 finaliser step that monte_carlo's generator repeats.
#[inline(always)]
fn step(z: u64, i: u64) -> u64 {
    (z ^ (z >> 30))
        .wrapping_mul(0xBF58_476D_1CE4_E5B9)
        .wrapping_add(i)
}

/// One chain: each multiply waits for the one before.
fn chain(steps: u64) -> u64 {
    let mut z = black_box(0x1234_5678_u64);
    for i in 0..steps {
        z = step(z, i);
    }
    z
}

/// Four chains side by side: the core runs their multiplies in parallel.
fn independent(steps: u64) -> u64 {
    let mut z = black_box([1_u64, 2, 3, 4]);
    for i in 0..steps / 4 {
        for x in &mut z {
            *x = step(*x, i);
        }
    }
    z.iter().fold(0, |a, x| a ^ x)
}

fn time_ms(run: impl FnOnce() -> u64) -> f64 {
    let start = Instant::now();
    black_box(run());
    start.elapsed().as_secs_f64() * 1e3
}

/// How much longer the slowest tenth of `times` took than the fastest
/// tenth, as a share (0.18 for 18%): the 90th percentile over the 10th,
/// minus one. Zero for fewer than two times.
pub fn slowdown(times: &[f64]) -> f64 {
    if times.len() < 2 {
        return 0.0;
    }
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[(q * (sorted.len() - 1) as f64).round() as usize];
    let fast = at(0.1);
    if fast > 0.0 {
        at(0.9) / fast - 1.0
    } else {
        0.0
    }
}

/// Runs the two loops `rounds` times, alternating, on one CPU of each
/// physical core this process may use, all at once (a core's own
/// hyperthread siblings are left idle, so the probes do not share a core
/// with each other). A probe whose thread cannot be pinned says so (its
/// `cpu` is `None`); where the usable CPUs cannot be read (not Linux), one
/// probe runs on this thread.
pub fn probe(rounds: usize) -> CoreSharing {
    let rounds = rounds.max(2);
    let usable = super::affinity::usable().ok();
    let per_core = usable.map_or_else(
        || super::affinity::CpuSet::new(Vec::new()),
        |usable| super::affinity::one_per_core(&usable, super::affinity::siblings),
    );
    let mut cpus: Vec<CpuProbe> = std::thread::scope(|scope| {
        let probes: Vec<_> = per_core
            .cpus()
            .iter()
            .map(|&cpu| {
                std::thread::Builder::new()
                    .name(THREAD_NAME.into())
                    .spawn_scoped(scope, move || {
                        let pinned = super::affinity::pin_current_thread(cpu).is_ok();
                        probe_here(pinned.then_some(cpu), rounds)
                    })
            })
            .collect();
        // A thread that cannot start leaves its core unprobed.
        probes
            .into_iter()
            .filter_map(|p| p.ok())
            .map(|p| p.join().expect("a probe thread only runs loops"))
            .collect()
    });
    if cpus.is_empty() {
        cpus.push(probe_here(None, rounds));
    }
    CoreSharing { cpus, rounds }
}

/// The two loops, alternating, on the calling thread.
fn probe_here(cpu: Option<usize>, rounds: usize) -> CpuProbe {
    let mut chains = Vec::with_capacity(rounds);
    let mut independents = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        chains.push(time_ms(|| chain(CHAIN_STEPS)));
        independents.push(time_ms(|| independent(INDEPENDENT_STEPS)));
    }
    CpuProbe {
        cpu,
        independent_slowdown: slowdown(&independents),
        chain_slowdown: slowdown(&chains),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slowdown_compares_the_slow_tenth_with_the_fast_tenth() {
        let times: Vec<f64> = (0..=10).map(|i| 10.0 + i as f64).collect();
        // 10th percentile 11, 90th 19.
        assert!((slowdown(&times) - (19.0 / 11.0 - 1.0)).abs() < 1e-12);
        assert_eq!(slowdown(&[5.0]), 0.0);
        assert_eq!(slowdown(&[5.0; 20]), 0.0);
    }

    #[test]
    fn shared_needs_the_independent_loop_well_beyond_the_chain() {
        let probe = |independent_slowdown, chain_slowdown| CpuProbe {
            cpu: Some(0),
            independent_slowdown,
            chain_slowdown,
        };
        assert!(probe(0.18, 0.04).shared());
        assert!(!probe(0.09, 0.02).shared(), "within the margin");
        assert!(!probe(0.30, 0.20).shared(), "both slowed: not the core");
        assert!(!probe(0.02, 0.01).shared(), "a quiet core");
    }

    #[test]
    fn the_loops_compute_what_the_step_says_and_the_probe_measures() {
        assert_eq!(chain(2), step(step(0x1234_5678, 0), 1));
        assert_eq!(
            independent(4),
            step(1, 0) ^ step(2, 0) ^ step(3, 0) ^ step(4, 0)
        );
        let p = probe(2);
        assert_eq!(p.rounds, 2);
        assert!(!p.cpus.is_empty());
        for c in &p.cpus {
            assert!(c.independent_slowdown.is_finite() && c.independent_slowdown >= 0.0);
            assert!(c.chain_slowdown.is_finite() && c.chain_slowdown >= 0.0);
        }
    }

    #[test]
    fn one_probe_per_physical_core_each_pinned_to_its_own_cpu() {
        let usable = crate::sweep::affinity::usable().unwrap();
        let p = probe(2);
        let cpus: Vec<usize> = p.cpus.iter().filter_map(|c| c.cpu).collect();
        assert_eq!(cpus.len(), p.cpus.len(), "every probe pinned on Linux");
        assert!(cpus.iter().all(|c| usable.cpus().contains(c)), "{cpus:?}");
        for &cpu in &cpus {
            let siblings = crate::sweep::affinity::siblings(cpu);
            let also = cpus
                .iter()
                .filter(|&&o| o != cpu && siblings.as_ref().is_some_and(|s| s.cpus().contains(&o)))
                .count();
            assert_eq!(also, 0, "two probes on one physical core: {cpus:?}");
        }
    }

    #[test]
    fn the_worst_shared_core_is_the_one_whose_independent_loop_slowed_most() {
        let cpu = |cpu, independent_slowdown| CpuProbe {
            cpu: Some(cpu),
            independent_slowdown,
            chain_slowdown: 0.01,
        };
        let p = CoreSharing {
            cpus: vec![cpu(0, 0.12), cpu(1, 0.30), cpu(2, 0.02)],
            rounds: ROUNDS,
        };
        assert!(p.shared());
        assert_eq!(p.shared_cpus().len(), 2);
        assert_eq!(p.worst().and_then(|c| c.cpu), Some(1));
        let quiet = CoreSharing {
            cpus: vec![cpu(0, 0.02)],
            rounds: ROUNDS,
        };
        assert!(!quiet.shared() && quiet.worst().is_none());
    }
}
