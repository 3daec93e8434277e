//! Running a plan: every backend at every worker count (this file, as
//! `tvp run` does), each run checked against the sequential checksum.
//!
//! - this file: [`RunRequest`] -> [`RunPlan`] (defaults filled in), and
//!   [`run_sweep`], the quick, criterion-free timing; `cargo bench` measures
//!   the same cells with criterion's statistics.
//! - [`workers`]: which worker counts for which kind of workload, and quick
//!   mode's smaller plan.
//! - [`cores`] and [`affinity`]: workers and cores are different knobs;
//!   confine a run to K cores and time every backend at 1..N cores
//!   (`tvp cores`).
//! - [`memory`]: the peak memory of one cell, parent plus children, in a
//!   fresh process, and with `detail` the kernel's view ([`smaps`]: RSS,
//!   PSS, USS, thread stacks); [`mpi_launch`]: the MPI launch costs the
//!   `mpi` bench keeps beside criterion.
//! - [`balance`]: speedup against chunks per worker, with every worker's
//!   busy time (`cargo bench --bench balance`).
//! - [`core_sharing`]: whether something else shares this core's
//!   execution units (a hyperthread sibling, another guest of a VM's host),
//!   the noise that slows some workloads and not others.
//! - [`waits`]: many waits, `latency` at 1 to 10,000 concurrent waits on
//!   async tasks, threads and processes, timed and measured in memory.
//!
//! A sweep knows backends and workloads by name, through their registries:
//! a new backend or workload is swept without a change here.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::backends::{self, Config};
use crate::error::Result;
use crate::workloads::{self, Job};

pub mod affinity;
pub mod balance;
pub mod budget;
pub mod core_sharing;
pub mod cores;
pub mod memory;
pub mod mpi_launch;
pub mod smaps;
pub mod waits;
pub mod workers;

pub use workers::*;

/// What `tvp run` asks for; an empty list means "the default".
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    /// Workload names [default: every registered one].
    pub workloads: Vec<String>,
    /// Backend names [default: every one that can run here].
    pub backends: Vec<String>,
    /// Worker counts [default: [`workers_for_max`] per workload kind].
    pub workers: Vec<usize>,
    /// The largest IO worker count [default: `TVP_IO_MAX_WORKERS`, else
    /// [`workers::DEFAULT_IO_MAX_WORKERS`]], read only when an IO workload
    /// takes the default worker counts.
    pub io_max_workers: Option<usize>,
    /// Items per workload [default: each workload's own].
    pub size: Option<u64>,
    /// Timed runs per cell.
    pub repeat: usize,
    /// Workload options KEY=VALUE set in every job.
    pub options: Vec<(String, String)>,
}

/// A [`RunRequest`] with every default filled in.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// One sweep per workload, in the order asked.
    pub sweeps: Vec<Sweep>,
    /// Backends a default run leaves out, with the reason (`mpi` without
    /// `mpirun`).
    pub skipped: Vec<(String, String)>,
}

impl RunRequest {
    /// Fills in the defaults for a machine with `cores` cores.
    pub fn plan(&self, cores: usize) -> Result<RunPlan> {
        let workload_names: Vec<String> = if self.workloads.is_empty() {
            workloads::names().into_iter().map(String::from).collect()
        } else {
            self.workloads.clone()
        };
        let mut skipped = Vec::new();
        let backends = if self.backends.is_empty() {
            let mut names = Vec::new();
            for name in backends::names() {
                match backends::unavailable(name) {
                    None => names.push(name.to_string()),
                    Some(reason) => skipped.push((name.to_string(), reason)),
                }
            }
            names
        } else {
            self.backends.clone()
        };
        let mut chosen = self.workers.clone();
        chosen.sort_unstable();
        chosen.dedup();
        let mut sweeps = Vec::new();
        for name in &workload_names {
            let mut job = Job::new(name)?;
            if let Some(size) = self.size {
                job = job.with_size(size);
            }
            job.options.extend(self.options.iter().cloned());
            let kind = workloads::entry(name)?.kind;
            let workers = if !chosen.is_empty() {
                chosen.clone()
            } else if kind == workloads::Kind::Io {
                let io_max = match self.io_max_workers {
                    Some(max) => max,
                    None => io_max_workers_from_env()?,
                };
                workers_for_max(kind, cores, io_max)
            } else {
                workers_for(kind, cores)
            };
            sweeps.push(Sweep {
                job,
                backends: backends.clone(),
                workers,
                repeat: self.repeat,
            });
        }
        Ok(RunPlan { sweeps, skipped })
    }
}

/// A cell whose [`spread`] is above this is marked noisy: its middle half
/// of runs spans more than a tenth of its median, so differences of that
/// size between cells may be noise.
pub const NOISY_SPREAD: f64 = 0.10;

/// Whether a [`spread`] is above [`NOISY_SPREAD`]; `None` (one run) is not.
pub fn is_noisy(spread: Option<f64>) -> bool {
    spread.is_some_and(|s| s > NOISY_SPREAD)
}

/// The interquartile range of `samples` relative to their median: how far
/// apart the middle half of the runs lie, e.g. 0.04 when it spans 4% of the
/// median. Robust to one slow outlier, unlike the range. `None` for fewer
/// than two samples or a zero median.
pub fn spread(samples: &[f64]) -> Option<f64> {
    if samples.len() < 2 || samples.iter().any(|s| !s.is_finite()) {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| {
        // Linear interpolation between the closest ranks.
        let pos = q * (sorted.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
    };
    let median = at(0.5);
    (median > 0.0).then(|| (at(0.75) - at(0.25)) / median)
}

/// One (backend, workers) cell of a sweep.
#[derive(Debug, Clone, Serialize)]
pub struct Measurement {
    pub workload: String,
    pub backend: String,
    pub workers: usize,
    /// Median of the timed repeats.
    pub median: Duration,
    /// The launch cost included in `median`, for backends that measure it
    /// apart from the computation (`mpi`): `median - launch` is the median
    /// computing time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch: Option<Duration>,
    /// Where each worker of the last timed run ran, for backends that
    /// report it (`mpi`: every rank's host, in rank order).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hosts: Option<Vec<String>>,
    /// Each worker's time running chunks in the median run, for backends
    /// that record it ([`backends::Backend::last_busy`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub busy: Option<Vec<Duration>>,
    /// The chunks per worker the backend cut the job into, for backends
    /// that cut by workers ([`backends::Backend::chunks_per_worker`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chunks_per_worker: Option<usize>,
    /// The [`spread`] of the timed repeats; `None` with one repeat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spread: Option<f64>,
    pub checksum: u64,
    pub checksum_ok: bool,
}

impl Measurement {
    /// The busiest and the idlest worker's busy time as shares of the
    /// median run's wall time: `(idlest, busiest)`, each from 0 to 1.
    pub fn busy_range(&self) -> Option<(f64, f64)> {
        busy_shares(self.busy.as_deref()?, self.median)
    }
}

/// The smallest and the largest of `busy` as shares of `wall`; `None` with
/// no workers or no time.
pub fn busy_shares(busy: &[Duration], wall: Duration) -> Option<(f64, f64)> {
    let wall = wall.as_secs_f64();
    if busy.is_empty() || wall <= 0.0 {
        return None;
    }
    let shares = busy.iter().map(|b| b.as_secs_f64() / wall);
    let lo = shares.clone().fold(f64::INFINITY, f64::min);
    let hi = shares.fold(0.0, f64::max);
    Some((lo, hi))
}

/// What to sweep.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub job: Job,
    pub backends: Vec<String>,
    pub workers: Vec<usize>,
    /// Timed runs per cell; the median is kept.
    pub repeat: usize,
}

/// The result of a sweep: the sequential reference, then every cell.
#[derive(Debug, Clone, Serialize)]
pub struct SweepResult {
    pub job: Job,
    pub expected_checksum: u64,
    pub sequential: Duration,
    /// The [`spread`] of the sequential reference's repeats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequential_spread: Option<f64>,
    pub cells: Vec<Measurement>,
}

impl SweepResult {
    /// The cell for `backend` at `workers`.
    pub fn cell(&self, backend: &str, workers: usize) -> Option<&Measurement> {
        self.cells
            .iter()
            .find(|m| m.backend == backend && m.workers == workers)
    }

    /// Sequential time / this cell's time.
    pub fn speedup_vs_sequential(&self, m: &Measurement) -> f64 {
        self.sequential.as_secs_f64() / m.median.as_secs_f64()
    }

    /// The same backend at 1 worker / this cell's time, if 1 was measured.
    pub fn speedup_vs_one_worker(&self, m: &Measurement) -> Option<f64> {
        self.cell(&m.backend, 1)
            .map(|one| one.median.as_secs_f64() / m.median.as_secs_f64())
    }
}

/// What [`time_backend`] measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timed {
    pub median: Duration,
    /// For backends that report [`backends::Backend::last_launch_cost`]:
    /// the median time minus the median computing time (time minus launch
    /// cost) of the runs.
    pub launch: Option<Duration>,
    /// [`backends::Backend::last_placement`] after the last run.
    pub hosts: Option<Vec<String>>,
    /// For backends that report [`backends::Backend::last_busy`]: each
    /// worker's busy time in the run whose time is the median.
    pub busy: Option<Vec<Duration>>,
    /// Every timed run, in order: their spread is the run-to-run noise.
    pub times: Vec<Duration>,
    pub checksum: u64,
}

impl Timed {
    /// The [`spread`] of [`Timed::times`].
    pub fn spread(&self) -> Option<f64> {
        let secs: Vec<f64> = self.times.iter().map(Duration::as_secs_f64).collect();
        spread(&secs)
    }
}

fn median(mut times: Vec<Duration>) -> Option<Duration> {
    times.sort_unstable();
    times.get(times.len() / 2).copied()
}

/// The index of the median of `times` (the upper one of an even count), as
/// [`median`] picks it.
fn median_index(times: &[Duration]) -> Option<usize> {
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by_key(|&i| times[i]);
    order.get(times.len() / 2).copied()
}

/// Times `repeat` runs (after one untimed warm-up that also checks the
/// checksum) and returns the medians, the busy times of the median run and
/// the checksum.
pub fn time_backend(
    backend: &mut dyn backends::Backend,
    job: &Job,
    repeat: usize,
) -> Result<Timed> {
    let checksum = backend.execute(job)?;
    let mut times = Vec::with_capacity(repeat.max(1));
    let mut computing = Vec::new();
    let mut busy = Vec::with_capacity(repeat.max(1));
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        let sum = std::hint::black_box(backend.execute(job)?);
        let time = start.elapsed();
        times.push(time);
        busy.push(backend.last_busy());
        if let Some(launch) = backend.last_launch_cost() {
            computing.push(time.saturating_sub(launch));
        }
        debug_assert_eq!(sum, checksum);
    }
    let at = median_index(&times).expect("at least one timed run");
    let median_time = times[at];
    Ok(Timed {
        median: median_time,
        // So that `median - launch` is the median computing time.
        launch: median(computing).map(|c| median_time.saturating_sub(c)),
        hosts: backend.last_placement(),
        busy: busy.swap_remove(at),
        times,
        checksum,
    })
}

/// Writes `value` as JSON through a temp file, so readers never see half;
/// makes the folder first when it is missing.
pub fn write_json(path: &std::path::Path, value: &impl Serialize) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| crate::error::Error::io(format!("creating {}", dir.display()), e))?;
    }
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| crate::error::Error::Data(format!("cannot encode {}: {e}", path.display())))?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text + "\n")
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            crate::error::Error::io(format!("writing {}", path.display()), e)
        })
}

/// Reads a JSON data file that [`write_json`] wrote; a missing file is
/// `T::default()`. `what` names the file in errors ("an exchange file"),
/// `rerun` says how to make a new one.
pub fn read_json_or_default<T: serde::de::DeserializeOwned + Default>(
    path: &std::path::Path,
    what: &str,
    rerun: &str,
) -> Result<T> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(T::default()),
        Err(e) => {
            return Err(crate::error::Error::io(
                format!("cannot read {}", path.display()),
                e,
            ));
        }
    };
    serde_json::from_str(&text).map_err(|e| {
        crate::error::Error::Data(format!("{} is not {what} ({e}): {rerun}", path.display()))
    })
}

/// Runs the sweep; `progress` is told about each cell as it finishes.
pub fn run_sweep(
    sweep: &Sweep,
    config: &Config,
    mut progress: impl FnMut(&Measurement),
) -> Result<SweepResult> {
    run_sweep_with(sweep, config, |_, m| {
        progress(m);
        Ok(())
    })
}

/// [`run_sweep`], telling `after_cell` about each cell together with the
/// set-up job (whose temp dir or server is alive while it runs), so it can
/// do more with that cell, such as measuring its memory. An error from it
/// stops the sweep.
pub fn run_sweep_with(
    sweep: &Sweep,
    config: &Config,
    mut after_cell: impl FnMut(&Job, &Measurement) -> Result<()>,
) -> Result<SweepResult> {
    // Temp dirs and servers are made once, untimed, and removed on return,
    // also when a cell fails.
    let fixture = sweep.job.setup()?;
    let job = &fixture.job;
    let mut sequential = backends::create("sequential", config)?;
    sequential.prepare(1)?;
    let reference = time_backend(sequential.as_mut(), job, sweep.repeat)?;
    let expected = reference.checksum;
    // From here on, children wait as long as this job's time warrants (see
    // `process::deadline`), unless the user fixed the deadline.
    let config = &config.scaled_to(reference.median);
    let mut cells = Vec::new();
    for name in &sweep.backends {
        let mut backend = backends::create(name, config)?;
        // Sequential ignores the worker count: measure it once.
        let counts: &[usize] = if name == "sequential" {
            &[1]
        } else {
            &sweep.workers
        };
        for &workers in counts {
            backend.prepare(workers)?;
            let timed = time_backend(backend.as_mut(), job, sweep.repeat)?;
            let spread = timed.spread();
            let m = Measurement {
                workload: sweep.job.workload.clone(),
                backend: name.clone(),
                workers,
                median: timed.median,
                launch: timed.launch,
                hosts: timed.hosts,
                busy: timed.busy,
                chunks_per_worker: backend.chunks_per_worker(),
                spread,
                checksum: timed.checksum,
                checksum_ok: timed.checksum == expected,
            };
            after_cell(job, &m)?;
            cells.push(m);
        }
    }
    Ok(SweepResult {
        job: sweep.job.clone(),
        expected_checksum: expected,
        sequential: reference.median,
        sequential_spread: reference.spread(),
        cells,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_the_middle_half_relative_to_the_median() {
        assert_eq!(spread(&[]), None);
        assert_eq!(spread(&[1.0]), None);
        assert_eq!(spread(&[2.0, 2.0, 2.0]), Some(0.0));
        // Quartiles 1.75 and 3.25 around a median of 2.5.
        assert_eq!(spread(&[1.0, 2.0, 3.0, 4.0]), Some(0.6));
        // One slow outlier moves the range, barely the spread.
        let calm = spread(&[10.0, 10.1, 10.2, 10.1, 10.0]).unwrap();
        let outlier = spread(&[10.0, 10.1, 10.2, 10.1, 99.0]).unwrap();
        assert!(
            calm < NOISY_SPREAD && outlier < NOISY_SPREAD,
            "{calm} {outlier}"
        );
        assert_eq!(spread(&[0.0, 0.0]), None);
        assert_eq!(spread(&[1.0, f64::NAN]), None);
    }
}
