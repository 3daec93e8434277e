//! Timing a sweep, as `tvp run` does: every backend at every worker count,
//! each run checked against the sequential checksum.
//!
//! This is the quick, criterion-free view; `cargo bench` measures the same
//! sweep with criterion's statistics.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::backends::{self, Config};
use crate::error::Result;
use crate::workloads::Job;

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
    pub checksum: u64,
    pub checksum_ok: bool,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timed {
    pub median: Duration,
    /// For backends that report [`backends::Backend::last_launch_cost`]:
    /// the median time minus the median computing time (time minus launch
    /// cost) of the runs.
    pub launch: Option<Duration>,
    pub checksum: u64,
}

fn median(mut times: Vec<Duration>) -> Option<Duration> {
    times.sort_unstable();
    times.get(times.len() / 2).copied()
}

/// Times `repeat` runs (after one untimed warm-up that also checks the
/// checksum) and returns the medians and the checksum.
pub fn time_backend(
    backend: &mut dyn backends::Backend,
    job: &Job,
    repeat: usize,
) -> Result<Timed> {
    let checksum = backend.execute(job)?;
    let mut times = Vec::with_capacity(repeat.max(1));
    let mut computing = Vec::new();
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        let sum = std::hint::black_box(backend.execute(job)?);
        let time = start.elapsed();
        times.push(time);
        if let Some(launch) = backend.last_launch_cost() {
            computing.push(time.saturating_sub(launch));
        }
        debug_assert_eq!(sum, checksum);
    }
    let median_time = median(times).expect("at least one timed run");
    Ok(Timed {
        median: median_time,
        // So that `median - launch` is the median computing time.
        launch: median(computing).map(|c| median_time.saturating_sub(c)),
        checksum,
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
            let m = Measurement {
                workload: sweep.job.workload.clone(),
                backend: name.clone(),
                workers,
                median: timed.median,
                launch: timed.launch,
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
        cells,
    })
}
