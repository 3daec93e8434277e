//! The load-balancing sweep: speedup at the core count against chunks per
//! worker, with every worker's busy time (`cargo bench --bench balance`).
//!
//! One static chunk per worker (`K = 1`) leaves workers idle when items
//! cost different amounts (primes: later numbers cost more; mandelbrot:
//! rows through the set cost the most); more chunks per worker let a worker
//! that finishes early take more, and each chunk pays a dispatch (an atomic
//! increment for `threads`, a steal for `rayon`, a pipe round trip for the
//! `pool`). The sweep times `threads` (dynamic past `K = 1`), `rayon` and
//! `pool` at `K = 1, 4, 16, 64, 256` on primes, mandelbrot and monte_carlo
//! (even items: the control), plus `process` at its only chunking (one
//! static chunk per child), and keeps each cell's busy times: the report
//! splits every run into computing, waiting for the slowest worker (load
//! imbalance) and time outside the chunks (dispatch, spawning, pipes).
//!
//! Cells are timed with [`super::time_backend`] (the median of
//! [`REPEAT`] runs after one warm-up), not criterion: 48 cells with
//! criterion's minimum of 10 samples and its analysis would not fit the
//! bench's budget of about a minute. The jobs are smaller than the scaling
//! bench's ([`bench_size`]) for the same reason. The result is written to
//! `reports/data/balance.json` ([`FILE`]), which the report's balance page
//! reads.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::backends::{self, Config};
use crate::error::{Error, Result};
use crate::sweep::{busy_shares, size_for, time_backend};
use crate::workloads::Job;

/// The version of [`FILE`] this code writes and reads.
pub const SCHEMA: u32 = 1;

/// The data file, in the report's data folder.
pub const FILE: &str = "balance.json";

/// Uneven, very uneven, and even (the control).
pub const WORKLOADS: &[&str] = &["primes", "mandelbrot", "monte_carlo"];

/// The backends swept over chunks per worker.
pub const BACKENDS: &[&str] = &["threads", "rayon", "pool"];

/// Measured at its one chunking only (one static chunk per child), as the
/// reference lesson 3 compares the pool with.
pub const STATIC_ONLY: &[&str] = &["process"];

/// Chunks per worker in a full run: 1 (static) to 256, in powers of four
/// (as `scripts/python/bench.py`'s balance sweep): all nine powers of two
/// took 44 s of the 10-minute `cargo bench` on the 2-core VM, these 25 s.
pub const CHUNKS: &[usize] = &[1, 4, 16, 64, 256];

/// Chunks per worker in quick mode.
pub const QUICK_CHUNKS: &[usize] = &[1, 8, 64];

/// Timed runs per cell (the median is kept), after one warm-up.
pub const REPEAT: usize = 5;
/// Timed runs per cell in quick mode.
pub const QUICK_REPEAT: usize = 3;

/// Items per workload in the balance bench, smaller than the scaling
/// bench's: about 120-130 ms sequentially on the quiet 2-core reference
/// machine (scaled from the timings in each workload's docs), so that 84
/// cells of six runs each take about 40 s there, inside the bench's budget
/// of 70 s. Quick mode takes a quarter of these.
pub fn bench_size(workload: &str) -> Option<u64> {
    match workload {
        "primes" => Some(2_000_000),
        "mandelbrot" => Some(900),
        "monte_carlo" => Some(20_000_000),
        _ => None,
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct BalancePlan {
    /// The worker count: this machine's cores (at least 2: one worker has
    /// nobody to balance with).
    pub workers: usize,
    pub cores: usize,
    pub quick: bool,
    pub repeat: usize,
    pub chunks: Vec<usize>,
    /// One job per workload, at its bench size.
    pub jobs: Vec<Job>,
}

impl BalancePlan {
    /// The default plan for a machine with `cores` cores.
    pub fn new(quick: bool, cores: usize) -> Result<Self> {
        let jobs = WORKLOADS
            .iter()
            .map(|&name| {
                let job = Job::new(name)?;
                let size = bench_size(name).unwrap_or(job.size);
                Ok(job.with_size(size_for(size, quick)))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(BalancePlan {
            workers: cores.max(2),
            cores,
            quick,
            repeat: if quick { QUICK_REPEAT } else { REPEAT },
            chunks: if quick { QUICK_CHUNKS } else { CHUNKS }.to_vec(),
            jobs,
        })
    }

    /// The (backend, chunks per worker) cells of one workload, in order.
    pub fn cells(&self) -> Vec<(&'static str, usize)> {
        let mut cells: Vec<(&'static str, usize)> = BACKENDS
            .iter()
            .flat_map(|&b| self.chunks.iter().map(move |&k| (b, k)))
            .collect();
        cells.extend(STATIC_ONLY.iter().map(|&b| (b, 1)));
        cells
    }

    /// Cells in the whole run, sequential references not counted.
    pub fn cell_count(&self) -> usize {
        self.jobs.len() * self.cells().len()
    }

    /// About how long the run takes, from one sequential run of each job
    /// (`sequential`, in the order of `jobs`): every cell runs `repeat + 1`
    /// times at about `workers` times the sequential speed, and a pool cell
    /// also starts its children.
    pub fn estimate(&self, sequential: &[Duration]) -> Duration {
        let per_cell_runs = (self.repeat + 1) as u32;
        let cells = self.cells();
        let pools = cells.iter().filter(|(b, _)| *b == "pool").count() as u32;
        sequential
            .iter()
            .map(|&seq| {
                seq * per_cell_runs
                    + seq * per_cell_runs * cells.len() as u32 / self.workers as u32
                    + POOL_START * pools
            })
            .sum()
    }
}

/// About how long a pool cell takes to start its children and stop them,
/// for [`BalancePlan::estimate`] only (a few ms per child on the 2-core
/// machine, and a busy machine is slower).
const POOL_START: Duration = Duration::from_millis(30);

/// `balance.json`: the whole sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BalanceRun {
    pub schema: u32,
    pub cores: usize,
    pub workers: usize,
    pub quick: bool,
    /// Timed runs per cell; the median is kept.
    pub repeat: usize,
    pub chunks: Vec<usize>,
    /// The load average over the last minute when the run ended, in files
    /// written before [`Self::others_share`]. It lags: ten thousand threads
    /// of the waits bench just before left it at 10.5 on the quiet 2-core
    /// VM, so runs no longer record it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_average: Option<f64>,
    /// The share of the machine's CPU time other programs used while the
    /// sweep ran ([`crate::machine::OthersMeter`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub others_share: Option<f64>,
    pub elapsed_s: f64,
    pub workloads: Vec<BalanceWorkload>,
}

/// One workload's sequential reference and cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BalanceWorkload {
    pub workload: String,
    pub size: u64,
    /// The median sequential time, the speedups' reference.
    pub sequential_s: f64,
    pub checksum: u64,
    pub cells: Vec<BalanceCell>,
}

/// One backend at one chunking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BalanceCell {
    pub backend: String,
    /// As asked (and as the backend reports it).
    pub chunks_per_worker: usize,
    /// The chunks the job was actually cut into (fewer when the job has
    /// fewer items than `workers * chunks_per_worker`).
    pub chunks: usize,
    /// The median time.
    pub median_s: f64,
    /// Every timed run, in order.
    pub times_s: Vec<f64>,
    /// Each worker's time running chunks, in the median run.
    pub busy_s: Vec<f64>,
    pub checksum_ok: bool,
}

impl BalanceCell {
    /// Sequential time / this cell's median time.
    pub fn speedup(&self, sequential_s: f64) -> f64 {
        sequential_s / self.median_s
    }

    /// How the median run's wall time divides, per worker on average:
    /// computing, waiting for the slowest worker, and outside any chunk.
    pub fn split(&self) -> Option<TimeSplit> {
        TimeSplit::new(&self.busy_s, self.median_s)
    }

    /// The spread of the timed runs, (max - min) / median.
    pub fn spread(&self) -> f64 {
        let (lo, hi) = self
            .times_s
            .iter()
            .fold((f64::INFINITY, 0.0_f64), |(lo, hi), &t| {
                (lo.min(t), hi.max(t))
            });
        if self.times_s.is_empty() || self.median_s <= 0.0 {
            0.0
        } else {
            (hi - lo) / self.median_s
        }
    }

    /// The idlest and busiest worker's busy share of the median run.
    pub fn busy_range(&self) -> Option<(f64, f64)> {
        let busy: Vec<Duration> = self
            .busy_s
            .iter()
            .map(|&s| Duration::from_secs_f64(s.max(0.0)))
            .collect();
        busy_shares(&busy, Duration::from_secs_f64(self.median_s.max(0.0)))
    }
}

/// A run's wall time, per worker on average, in three shares that add up
/// to 1: computing (mean busy / wall), waiting for the slowest worker
/// ((max busy - mean busy) / wall: load imbalance) and outside any chunk
/// ((wall - max busy) / wall: starting workers, handing out chunks, pipes,
/// combining).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeSplit {
    pub computing: f64,
    pub waiting: f64,
    pub outside: f64,
}

impl TimeSplit {
    /// The split of a run of `wall` seconds whose workers were busy `busy`
    /// seconds each; `None` with no workers or no time.
    pub fn new(busy: &[f64], wall: f64) -> Option<TimeSplit> {
        if busy.is_empty() || wall <= 0.0 {
            return None;
        }
        let mean = busy.iter().sum::<f64>() / busy.len() as f64;
        let max = busy.iter().copied().fold(0.0, f64::max).min(wall);
        let mean = mean.min(max);
        Some(TimeSplit {
            computing: mean / wall,
            waiting: (max - mean) / wall,
            outside: (wall - max) / wall,
        })
    }
}

impl BalanceWorkload {
    /// The cell of `backend` at `k` chunks per worker.
    pub fn cell(&self, backend: &str, k: usize) -> Option<&BalanceCell> {
        self.cells
            .iter()
            .find(|c| c.backend == backend && c.chunks_per_worker == k)
    }

    /// `backend`'s cells, by chunks per worker.
    pub fn line(&self, backend: &str) -> Vec<&BalanceCell> {
        let mut cells: Vec<&BalanceCell> =
            self.cells.iter().filter(|c| c.backend == backend).collect();
        cells.sort_by_key(|c| c.chunks_per_worker);
        cells
    }
}

/// What [`run`] tells its caller after each cell.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    /// Cells done, out of `total`.
    pub done: usize,
    pub total: usize,
    pub workload: &'a str,
    pub cell: &'a BalanceCell,
    pub sequential_s: f64,
}

/// Runs `plan`: each workload's sequential reference, then every cell.
/// A checksum that differs from sequential stops the run with an error.
pub fn run(
    plan: &BalancePlan,
    config: &Config,
    mut progress: impl FnMut(&Progress),
) -> Result<BalanceRun> {
    let started = Instant::now();
    let others = crate::machine::OthersMeter::start();
    let total = plan.cell_count();
    let mut done = 0;
    let mut workloads = Vec::new();
    for job in &plan.jobs {
        let fixture = job.setup()?;
        let job = &fixture.job;
        let mut sequential = backends::create("sequential", config)?;
        sequential.prepare(1)?;
        let reference = time_backend(sequential.as_mut(), job, plan.repeat)?;
        let sequential_s = reference.median.as_secs_f64();
        let workload = job.build()?;
        let mut cells = Vec::new();
        for (backend, k) in plan.cells() {
            let config = config.clone().with_chunks_per_worker(Some(k));
            let mut b = backends::create(backend, &config)?;
            b.prepare(plan.workers)?;
            let timed = time_backend(b.as_mut(), job, plan.repeat)?;
            if timed.checksum != reference.checksum {
                return Err(Error::WrongChecksum {
                    backend: format!("{backend} at {k} chunks per worker"),
                    workers: plan.workers,
                    got: timed.checksum,
                    expected: reference.checksum,
                });
            }
            let chunks = if backend == "threads" && k == 1 || STATIC_ONLY.contains(&backend) {
                crate::workloads::split(0..workload.size(), plan.workers).len()
            } else {
                backends::chunks_per_worker(workload.as_ref(), plan.workers, k).len()
            };
            let cell = BalanceCell {
                backend: backend.to_string(),
                chunks_per_worker: b.chunks_per_worker().unwrap_or(k),
                chunks,
                median_s: timed.median.as_secs_f64(),
                times_s: timed.times.iter().map(Duration::as_secs_f64).collect(),
                busy_s: timed
                    .busy
                    .unwrap_or_default()
                    .iter()
                    .map(Duration::as_secs_f64)
                    .collect(),
                checksum_ok: true,
            };
            done += 1;
            progress(&Progress {
                done,
                total,
                workload: &job.workload,
                cell: &cell,
                sequential_s,
            });
            cells.push(cell);
        }
        workloads.push(BalanceWorkload {
            workload: job.workload.clone(),
            size: job.size,
            sequential_s,
            checksum: reference.checksum,
            cells,
        });
    }
    Ok(BalanceRun {
        schema: SCHEMA,
        cores: plan.cores,
        workers: plan.workers,
        quick: plan.quick,
        repeat: plan.repeat,
        chunks: plan.chunks.clone(),
        load_average: None,
        others_share: others.share(),
        elapsed_s: started.elapsed().as_secs_f64(),
        workloads,
    })
}

/// Writes `run` as JSON (through a temp file, so readers never see half).
pub fn write(path: &Path, run: &BalanceRun) -> Result<()> {
    super::write_json(path, run)
}

/// Reads a `balance.json`; one of another schema is an error that says to
/// rerun the bench.
pub fn load(path: &Path) -> Result<BalanceRun> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    let stale = |why: String| {
        Error::Data(format!(
            "{} is not a balance run this version reads ({why}): rerun `cargo bench --bench \
             balance`",
            path.display()
        ))
    };
    let run: BalanceRun = serde_json::from_str(&text).map_err(|e| stale(e.to_string()))?;
    if run.schema != SCHEMA {
        return Err(stale(format!("schema {}, not {SCHEMA}", run.schema)));
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_shares_add_up_and_name_the_imbalance() {
        // Two workers of a 100 ms run, busy 90 and 50 ms.
        let s = TimeSplit::new(&[0.09, 0.05], 0.1).unwrap();
        assert!((s.computing - 0.7).abs() < 1e-9, "{s:?}");
        assert!((s.waiting - 0.2).abs() < 1e-9, "{s:?}");
        assert!((s.outside - 0.1).abs() < 1e-9, "{s:?}");
        assert!(TimeSplit::new(&[], 0.1).is_none());
        assert!(TimeSplit::new(&[0.1], 0.0).is_none());
        // A busy time past the wall time (clock skew) is held to it.
        let s = TimeSplit::new(&[0.2, 0.1], 0.1).unwrap();
        assert!(s.outside >= 0.0 && s.waiting >= 0.0 && s.computing <= 1.0);
    }

    #[test]
    fn a_plan_sweeps_every_backend_at_every_chunking_plus_the_static_process() {
        let plan = BalancePlan::new(false, 2).unwrap();
        assert_eq!(plan.workers, 2);
        assert_eq!(
            plan.cells().len(),
            BACKENDS.len() * CHUNKS.len() + STATIC_ONLY.len()
        );
        assert!(plan.cells().contains(&("process", 1)));
        assert_eq!(plan.cell_count(), 3 * plan.cells().len());
        let quick = BalancePlan::new(true, 1).unwrap();
        assert_eq!(quick.workers, 2, "one worker has nobody to balance with");
        assert_eq!(quick.chunks, QUICK_CHUNKS);
        assert_eq!(
            quick.jobs[0].size,
            bench_size("primes").unwrap() / crate::sweep::QUICK_SIZE_DIVISOR
        );
    }

    #[test]
    fn a_run_round_trips_through_its_file_and_another_schema_is_refused() {
        let cell = BalanceCell {
            backend: "pool".into(),
            chunks_per_worker: 8,
            chunks: 16,
            median_s: 0.05,
            times_s: vec![0.05, 0.06, 0.045],
            busy_s: vec![0.048, 0.047],
            checksum_ok: true,
        };
        assert!((cell.speedup(0.1) - 2.0).abs() < 1e-9);
        assert!((cell.spread() - 0.3).abs() < 1e-9, "{}", cell.spread());
        let (lo, hi) = cell.busy_range().unwrap();
        assert!((lo - 0.94).abs() < 1e-6 && (hi - 0.96).abs() < 1e-6);
        let run = BalanceRun {
            schema: SCHEMA,
            cores: 2,
            workers: 2,
            quick: false,
            repeat: 5,
            chunks: vec![8],
            load_average: Some(1.5),
            others_share: None,
            elapsed_s: 1.0,
            workloads: vec![BalanceWorkload {
                workload: "primes".into(),
                size: 100,
                sequential_s: 0.1,
                checksum: 25,
                cells: vec![cell],
            }],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data").join(FILE);
        write(&path, &run).unwrap();
        assert_eq!(load(&path).unwrap(), run);
        assert!(run.workloads[0].cell("pool", 8).is_some());
        let other = BalanceRun { schema: 99, ..run };
        write(&path, &other).unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(
            err.contains("schema 99") && err.contains("cargo bench --bench balance"),
            "{err}"
        );
    }
}
