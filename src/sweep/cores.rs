//! The core sweep: a fixed number of workers, every backend at 1, 2, ... N
//! cores, as `tvp cores` and `benches/cores.rs` run it.
//!
//! Sweeping workers on a whole machine mixes two effects: more workers, and
//! more cores for them. Here the workers stay fixed (twice the machine's
//! cores by default, so every core count is oversubscribed) and only the
//! cores change. Expect threads, rayon, process and pool to speed up with
//! each core, gil to stay flat (one lock, one thread computing at a time),
//! and sequential to stay flat (one worker uses one core). At 1 core every
//! backend time-slices: its workers take turns and finish no sooner than one
//! worker would.
//!
//! Each core count runs in this process with the calling thread confined
//! ([`confined`]); the backend is created, prepared and dropped inside, so
//! its threads and children inherit the mask, and the mask is restored
//! afterwards.

use std::time::Duration;

use serde::Serialize;

use crate::backends::{self, Config};
use crate::error::Result;
use crate::sweep::affinity::{Confinement, CpuSet};
use crate::sweep::time_backend;
use crate::workloads::Job;

/// The workloads `tvp cores` and the cores bench sweep by default: CPU-bound
/// ones, one with uneven items (primes) and one with even items
/// (monte_carlo). Waiting workloads do not need cores to overlap.
pub const DEFAULT_WORKLOADS: &[&str] = &["primes", "monte_carlo"];

/// Core counts to sweep when `usable` cores may be used: every count up to
/// 8, then 1, 2, 4, ... and `usable` itself.
pub fn core_counts(usable: usize) -> Vec<usize> {
    let usable = usable.max(1);
    if usable <= 8 {
        return (1..=usable).collect();
    }
    let mut counts: Vec<usize> = std::iter::successors(Some(1usize), |c| c.checked_mul(2))
        .take_while(|&c| c < usable)
        .collect();
    counts.push(usable);
    counts
}

/// The fixed worker count: twice the usable cores, so even at all cores
/// every core has more than one worker.
pub fn default_workers(usable: usize) -> usize {
    2 * usable.max(1)
}

/// Runs `f` with the calling thread confined to `k` cores, then restores
/// its mask. Create, prepare and drop backends inside `f`: their threads and
/// children inherit the mask only when started while it is set.
pub fn confined<T>(k: usize, f: impl FnOnce(&CpuSet) -> Result<T>) -> Result<T> {
    // rayon's global pool starts its threads on first use, and they keep the
    // mask they start with. criterion analyses results on it: start it now,
    // unconfined, so it never gets stuck on one core.
    let _ = rayon::current_num_threads();
    let confinement = Confinement::new(k)?;
    f(confinement.cpus())
}

/// One backend's times at a fixed worker count, by core count.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub backend: String,
    pub workers: usize,
    /// (cores, seconds), sorted by cores.
    pub points: Vec<(usize, f64)>,
}

impl Line {
    /// Seconds at `cores`, if measured.
    pub fn at(&self, cores: usize) -> Option<f64> {
        self.points
            .iter()
            .find(|&&(c, _)| c == cores)
            .map(|&(_, s)| s)
    }

    /// The most cores measured, with its time.
    pub fn most(&self) -> Option<(usize, f64)> {
        self.points.last().copied()
    }

    /// Time at 1 core / time at `cores`.
    pub fn speedup(&self, cores: usize) -> Option<f64> {
        Some(self.at(1)? / self.at(cores)?)
    }

    /// The best speedup `workers` workers can reach on `cores` cores.
    pub fn ideal(&self, cores: usize) -> usize {
        cores.min(self.workers).max(1)
    }
}

/// What to sweep.
#[derive(Debug, Clone)]
pub struct CoreSweep {
    pub job: Job,
    /// Backends to time; `sequential` is always timed too, as the 1-worker
    /// reference.
    pub backends: Vec<String>,
    /// Workers for every backend but `sequential`, which has one.
    pub workers: usize,
    /// Core counts, each at most the usable count.
    pub cores: Vec<usize>,
    /// Timed runs per cell; the median is kept.
    pub repeat: usize,
}

impl CoreSweep {
    /// The backends as timed: `sequential` first, then the rest in order.
    pub fn backends(&self) -> Vec<String> {
        let mut names = vec!["sequential".to_string()];
        names.extend(self.backends.iter().filter(|b| *b != "sequential").cloned());
        names
    }

    /// Cells this sweep will time.
    pub fn cell_count(&self) -> usize {
        self.backends().len() * self.cores.len()
    }
}

/// What `tvp cores` asks for; an empty list means "the default".
#[derive(Debug, Clone, Default)]
pub struct CoresRequest {
    /// Workload names [default: [`DEFAULT_WORKLOADS`]].
    pub workloads: Vec<String>,
    /// Backend names [default: [`backends::swept`]].
    pub backends: Vec<String>,
    /// Workers per backend [default: [`default_workers`] of the usable cores].
    pub workers: Option<usize>,
    /// Core counts [default: [`core_counts`] of the usable cores].
    pub cores: Vec<usize>,
    /// Items per workload [default: each workload's own].
    pub size: Option<u64>,
    /// Timed runs per cell.
    pub repeat: usize,
}

impl CoresRequest {
    /// One sweep per workload, every default filled in for a machine where
    /// `usable` cores may be used.
    pub fn plan(&self, usable: usize) -> Result<Vec<CoreSweep>> {
        let workloads: Vec<String> = if self.workloads.is_empty() {
            DEFAULT_WORKLOADS.iter().map(|w| (*w).to_string()).collect()
        } else {
            self.workloads.clone()
        };
        let backends: Vec<String> = if self.backends.is_empty() {
            backends::swept().into_iter().map(String::from).collect()
        } else {
            self.backends.clone()
        };
        let workers = self.workers.unwrap_or_else(|| default_workers(usable));
        let mut counts = if self.cores.is_empty() {
            core_counts(usable)
        } else {
            self.cores.clone()
        };
        counts.sort_unstable();
        counts.dedup();
        workloads
            .iter()
            .map(|name| {
                let mut job = Job::new(name)?;
                if let Some(size) = self.size {
                    job = job.with_size(size);
                }
                Ok(CoreSweep {
                    job,
                    backends: backends.clone(),
                    workers,
                    cores: counts.clone(),
                    repeat: self.repeat,
                })
            })
            .collect()
    }
}

/// One (backend, cores) cell.
#[derive(Debug, Clone, Serialize)]
pub struct CoreCell {
    pub workload: String,
    pub backend: String,
    pub workers: usize,
    pub cores: usize,
    /// The CPUs the run was confined to, as "cores 0-1".
    pub cpus: String,
    pub median: Duration,
    pub checksum: u64,
    pub checksum_ok: bool,
}

/// Every cell of a sweep, with the checksum they had to match.
#[derive(Debug, Clone, Serialize)]
pub struct CoreSweepResult {
    pub job: Job,
    pub workers: usize,
    pub expected_checksum: u64,
    pub cells: Vec<CoreCell>,
}

impl CoreSweepResult {
    pub fn cell(&self, backend: &str, cores: usize) -> Option<&CoreCell> {
        self.cells
            .iter()
            .find(|c| c.backend == backend && c.cores == cores)
    }

    /// Each backend's times by core count, for the explanations and charts.
    pub fn lines(&self) -> Vec<Line> {
        let mut lines: Vec<Line> = Vec::new();
        for cell in &self.cells {
            let point = (cell.cores, cell.median.as_secs_f64());
            match lines.iter_mut().find(|l| l.backend == cell.backend) {
                Some(line) => line.points.push(point),
                None => lines.push(Line {
                    backend: cell.backend.clone(),
                    workers: cell.workers,
                    points: vec![point],
                }),
            }
        }
        for line in &mut lines {
            line.points.sort_by_key(|&(cores, _)| cores);
        }
        lines
    }
}

/// Runs the sweep; `progress` is told about each cell as it finishes.
pub fn run_core_sweep(
    sweep: &CoreSweep,
    config: &Config,
    mut progress: impl FnMut(&CoreCell),
) -> Result<CoreSweepResult> {
    let fixture = sweep.job.setup()?;
    let job = &fixture.job;
    let (expected, config) = {
        let mut sequential = backends::create("sequential", config)?;
        sequential.prepare(1)?;
        let start = std::time::Instant::now();
        let expected = sequential.execute(job)?;
        // Children wait as long as the job's time warrants: at one core,
        // every worker takes turns, so the same scaled deadline holds.
        (expected, config.scaled_to(start.elapsed()))
    };
    let config = &config;
    let mut cells = Vec::with_capacity(sweep.cell_count());
    for &k in &sweep.cores {
        confined(k, |cpus| {
            for name in sweep.backends() {
                let workers = if name == "sequential" {
                    1
                } else {
                    sweep.workers
                };
                let mut backend = backends::create(&name, config)?;
                backend.prepare(workers)?;
                let crate::sweep::Timed {
                    median, checksum, ..
                } = time_backend(backend.as_mut(), job, sweep.repeat)?;
                let cell = CoreCell {
                    workload: job.workload.clone(),
                    backend: name,
                    workers,
                    cores: k,
                    cpus: cpus.to_string(),
                    median,
                    checksum,
                    checksum_ok: checksum == expected,
                };
                progress(&cell);
                cells.push(cell);
            }
            Ok(())
        })?;
    }
    Ok(CoreSweepResult {
        job: sweep.job.clone(),
        workers: sweep.workers,
        expected_checksum: expected,
        cells,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_counts_list_every_count_up_to_8_then_powers_of_two() {
        assert_eq!(core_counts(1), vec![1]);
        assert_eq!(core_counts(2), vec![1, 2]);
        assert_eq!(core_counts(8), (1..=8).collect::<Vec<_>>());
        assert_eq!(core_counts(12), vec![1, 2, 4, 8, 12]);
        assert_eq!(core_counts(64), vec![1, 2, 4, 8, 16, 32, 64]);
    }

    #[test]
    fn sequential_is_always_the_first_backend() {
        let sweep = CoreSweep {
            job: Job::new("primes").unwrap(),
            backends: vec!["threads".into(), "sequential".into(), "gil".into()],
            workers: 4,
            cores: vec![1, 2],
            repeat: 1,
        };
        assert_eq!(sweep.backends(), ["sequential", "threads", "gil"]);
        assert_eq!(sweep.cell_count(), 6);
    }
}
