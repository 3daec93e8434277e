//! Many waits: `latency` at 1, 10, 100, 1,000 and 10,000 concurrent waits,
//! on async tasks, on threads (with Rust's default stack and with a small
//! one set explicitly) and on processes, timed and then measured in memory
//! from the kernel's view. `cargo bench --bench waits` runs it and writes
//! `reports/data/waits.json` ([`WaitsReport`]), which the report's "Many
//! waits" page draws.
//!
//! # What is measured
//! At concurrency N the job is `latency` with N x [`WAITS_PER_TASK`]
//! items, so each of the N workers waits [`WAITS_PER_TASK`] times 2 ms in a
//! row. If waiting cost nothing, every run would take the same time,
//! [`WAITS_PER_TASK`] x 2 ms, whatever N: one wait per item divided by the
//! concurrency. What a run takes beyond that is what N concurrent waits cost
//! on this backend: starting N threads or processes, or scheduling N tasks.
//! Each cell is timed after an untimed warm-up that also checks the
//! checksum; the median of up to [`MAX_RUNS`] runs is kept, fewer when a run
//! is slow (at least one). A warm-up longer than [`CELL_BUDGET`] (ten
//! thousand threads take seconds to start) is the cell's one timed run:
//! a second run would double the cell's time for no more certainty.
//!
//! # Where a line stops
//! A backend's line stops, with the reason recorded ([`Cap`]), at the first
//! concurrency that would cross one of the machine's limits (open files,
//! threads: the backends refuse before they start anything, see
//! [`crate::backends::limits`]) or whose single run would take longer than
//! the time cap, predicted from the points measured: for threads and
//! processes, started one by one, the last point's time grown in proportion
//! to the workers (at small counts their start-up hides behind the waits,
//! so the slope between two points would promise too little); for tasks,
//! the time each task added between the last two points. Nothing is
//! silently missing: the page says where each line stopped and why.
//!
//! # Memory per wait
//! Then, for each backend, at 1, 100 (not in quick mode) and its last
//! concurrency, one run in a
//! fresh `tvp memory-cell` process measures the kernel's view
//! ([`super::memory::Detail`]): PSS, USS and RSS of the parent and its
//! children at the run's peak, the threads alive, the thread stacks
//! (reserved vs resident) and the kernel's own memory for threads. There
//! each worker waits once, long enough that all N are alive together
//! (threads start one by one: their wait is twice the time N took to run).
//! The memory per wait is the slope from 1 to the last point.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::memory::{self, CellMemory, CellRequest};
use super::smaps;
use crate::backends::{self, Config, limits::Limits};
use crate::error::{Error, Result};
use crate::workloads::Job;
use crate::workloads::latency::{self, LATENCY_MS, OPT_WAIT_MS};

/// The workload swept.
pub const WORKLOAD: &str = "latency";

/// Waits in a row per worker, in a timed run.
pub const WAITS_PER_TASK: u64 = 10;

/// The concurrencies swept.
pub const CONCURRENCY: &[usize] = &[1, 10, 100, 1_000, 10_000];

/// Quick mode's: a first look at both ends.
pub const QUICK_CONCURRENCY: &[usize] = &[1, 100, 10_000];

/// The small stack set explicitly for the second `threads` line, in bytes.
pub const SMALL_STACK: usize = 64 * 1024;

/// Timed runs per cell at most, after the warm-up.
pub const MAX_RUNS: usize = 5;

/// The timed runs of a cell together stay under this (at least one run).
pub const CELL_BUDGET: Duration = Duration::from_millis(1500);

/// A line stops before a concurrency whose single run is predicted past
/// this (quick mode: [`QUICK_TIME_CAP`]).
pub const TIME_CAP: Duration = Duration::from_secs(4);
pub const QUICK_TIME_CAP: Duration = Duration::from_millis(500);

/// The wait of a memory cell at least, and the waits at the other points
/// (quick mode: [`QUICK_MEMORY_WAIT`]).
pub const MEMORY_WAIT: Duration = Duration::from_millis(300);
pub const QUICK_MEMORY_WAIT: Duration = Duration::from_millis(100);

/// The version of `waits.json`.
pub const SCHEMA: u32 = 1;

/// Where the bench writes the report, relative to the report directory.
pub const FILE: &str = "data/waits.json";

/// One line of the sweep: a backend, and for threads a stack size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    /// The line's label: "async", "threads (64 KiB stack)".
    pub label: String,
    pub backend: String,
    /// Stack per thread in bytes; `None`: Rust's default.
    pub thread_stack: Option<usize>,
}

/// The lines swept, in the order the charts draw them: both async
/// backends, `threads` with Rust's default stack and with
/// [`SMALL_STACK`], `process` and `pool`.
pub fn variants() -> Vec<Variant> {
    let kib = |bytes: usize| bytes / 1024;
    let line = |label: String, backend: &str, thread_stack| Variant {
        label,
        backend: backend.into(),
        thread_stack,
    };
    vec![
        line("async".into(), "async", None),
        line("async-mt".into(), "async-mt", None),
        line(
            format!(
                "threads ({} KiB stack, the default)",
                kib(smaps::rust_default_stack())
            ),
            "threads",
            None,
        ),
        line(
            format!("threads ({} KiB stack)", kib(SMALL_STACK)),
            "threads",
            Some(SMALL_STACK),
        ),
        line("process".into(), "process", None),
        line("pool".into(), "pool", None),
    ]
}

/// One timed cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeCell {
    pub variant: String,
    pub concurrency: usize,
    /// Items in the job: concurrency x [`WAITS_PER_TASK`].
    pub items: u64,
    /// Untimed `prepare` (a pool's spawns), in ms.
    pub prepare_ms: f64,
    /// The timed runs, in ms, and their median.
    pub runs_ms: Vec<f64>,
    pub median_ms: f64,
    pub checksum_ok: bool,
}

/// Why a line stops before `concurrency`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cap {
    pub variant: String,
    /// The first concurrency not measured.
    pub concurrency: usize,
    /// The machine's limit it would cross: the backend's error, which names
    /// the limit and how to raise it.
    pub limit: Option<String>,
    /// The predicted time of one run (prepare included), in s, when past
    /// the cap, from the last point measured (`from`, `from_s`: its
    /// concurrency and its prepare + run time) and the one before.
    pub predicted_s: Option<f64>,
    pub from: Option<usize>,
    pub from_s: Option<f64>,
    /// The time cap it was held to, in s.
    pub cap_s: f64,
}

/// One memory cell: a backend at a concurrency, each worker waiting once
/// for `wait_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryCell {
    pub variant: String,
    pub concurrency: usize,
    pub wait_ms: u64,
    pub memory: CellMemory,
}

/// `reports/data/waits.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaitsReport {
    pub schema: u32,
    pub workload: String,
    /// Milliseconds per wait.
    pub wait_ms: u64,
    pub waits_per_task: u64,
    pub cores: usize,
    pub quick: bool,
    pub variants: Vec<Variant>,
    pub times: Vec<TimeCell>,
    pub caps: Vec<Cap>,
    pub memory: Vec<MemoryCell>,
    /// `RLIMIT_NOFILE` (soft) and `kernel.threads-max` when the sweep ran.
    pub open_files: Option<u64>,
    pub threads_max: Option<u64>,
    /// The machine's memory, in kB.
    pub memory_total_kb: u64,
    pub elapsed_s: f64,
}

impl WaitsReport {
    /// The timed cell of `variant` at `concurrency`.
    pub fn time(&self, variant: &str, concurrency: usize) -> Option<&TimeCell> {
        self.times
            .iter()
            .find(|c| c.variant == variant && c.concurrency == concurrency)
    }

    /// `variant`'s timed cells, by concurrency.
    pub fn line(&self, variant: &str) -> Vec<&TimeCell> {
        self.times.iter().filter(|c| c.variant == variant).collect()
    }

    /// Where `variant`'s line stopped, if it did.
    pub fn cap(&self, variant: &str) -> Option<&Cap> {
        self.caps.iter().find(|c| c.variant == variant)
    }

    /// `variant`'s memory cells, by concurrency.
    pub fn memory_line(&self, variant: &str) -> Vec<&MemoryCell> {
        self.memory
            .iter()
            .filter(|c| c.variant == variant)
            .collect()
    }

    /// The ideal time of a run: one wait per item divided by the
    /// concurrency, `waits_per_task x wait_ms`, in ms.
    pub fn ideal_ms(&self) -> f64 {
        (self.waits_per_task * self.wait_ms) as f64
    }

    /// Writes the report as pretty JSON through a temp file (see
    /// [`super::write_json`]).
    pub fn write(&self, path: &Path) -> Result<()> {
        super::write_json(path, self)
    }

    /// Reads a report written by [`WaitsReport::write`].
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        let report: WaitsReport = serde_json::from_str(&text).map_err(|e| {
            Error::Data(format!(
                "{} is not a waits report of this version ({e}): rerun `cargo bench --bench \
                 waits`",
                path.display()
            ))
        })?;
        if report.schema != SCHEMA {
            return Err(Error::Data(format!(
                "{} has schema {}, not {SCHEMA}: rerun `cargo bench --bench waits`",
                path.display(),
                report.schema
            )));
        }
        Ok(report)
    }
}

/// How to run the sweep.
#[derive(Debug, Clone)]
pub struct Plan {
    pub concurrency: Vec<usize>,
    pub waits_per_task: u64,
    pub variants: Vec<Variant>,
    pub time_cap: Duration,
    /// The shortest wait of a memory cell.
    pub memory_wait: Duration,
    pub quick: bool,
}

impl Plan {
    /// The full sweep, or quick mode's.
    pub fn new(quick: bool) -> Self {
        Plan {
            concurrency: if quick {
                QUICK_CONCURRENCY
            } else {
                CONCURRENCY
            }
            .to_vec(),
            waits_per_task: if quick { 4 } else { WAITS_PER_TASK },
            variants: variants(),
            time_cap: if quick { QUICK_TIME_CAP } else { TIME_CAP },
            memory_wait: if quick {
                QUICK_MEMORY_WAIT
            } else {
                MEMORY_WAIT
            },
            quick,
        }
    }
}

/// A latency job of `items` waits of `wait`.
fn job(items: u64, wait: Duration) -> Job {
    let mut job = Job::new(WORKLOAD)
        .expect("latency is registered")
        .with_size(items);
    job.options
        .insert(OPT_WAIT_MS.into(), wait.as_millis().to_string());
    job
}

/// Runs the plan: the timed sweep, then the memory cells. `progress` gets
/// a line per cell.
pub fn run(plan: &Plan, config: &Config, mut progress: impl FnMut(&str)) -> Result<WaitsReport> {
    let start = Instant::now();
    let limits = Limits::read();
    let mut times = Vec::new();
    let mut caps = Vec::new();
    for variant in &plan.variants {
        let (cells, cap) = time_line(plan, config, variant, &mut progress)?;
        times.extend(cells);
        caps.extend(cap);
    }
    let mut memory = Vec::new();
    for variant in &plan.variants {
        let line: Vec<&TimeCell> = times
            .iter()
            .filter(|c| c.variant == variant.label)
            .collect();
        for cell in memory_points(&line, plan.quick) {
            let wait = memory_wait(variant, cell, plan.memory_wait);
            let request = CellRequest {
                job: job(cell.concurrency as u64, wait),
                backend: variant.backend.clone(),
                workers: cell.concurrency,
                thread_stack: variant.thread_stack,
                detail: true,
            };
            let measured = memory::measure(config, &request)?;
            if measured.checksum != latency::checksum(0..cell.concurrency as u64) {
                return Err(Error::WrongChecksum {
                    backend: variant.label.clone(),
                    workers: cell.concurrency,
                    got: measured.checksum,
                    expected: latency::checksum(0..cell.concurrency as u64),
                });
            }
            let pss = measured.detail.as_ref().map_or(0, |d| d.peak.pss_kb);
            progress(&format!(
                "memory {} x {}: PSS {:.1} MB at the peak, {} threads, {} children",
                variant.label,
                cell.concurrency,
                pss as f64 / 1024.0,
                measured.detail.as_ref().map_or(0, |d| d.max_threads),
                measured.detail.as_ref().map_or(0, |d| d.max_children),
            ));
            memory.push(MemoryCell {
                variant: variant.label.clone(),
                concurrency: cell.concurrency,
                wait_ms: wait.as_millis() as u64,
                memory: measured,
            });
        }
    }
    Ok(WaitsReport {
        schema: SCHEMA,
        workload: WORKLOAD.into(),
        wait_ms: LATENCY_MS,
        waits_per_task: plan.waits_per_task,
        cores: crate::cores(),
        quick: plan.quick,
        variants: plan.variants.clone(),
        times,
        caps,
        memory,
        open_files: limits.open_files.map(|(soft, _)| soft),
        threads_max: limits.threads_max,
        memory_total_kb: smaps::mem_total_kb().unwrap_or(0),
        elapsed_s: start.elapsed().as_secs_f64(),
    })
}

/// Times `variant` at each concurrency until a limit or the time cap.
fn time_line(
    plan: &Plan,
    config: &Config,
    variant: &Variant,
    progress: &mut impl FnMut(&str),
) -> Result<(Vec<TimeCell>, Option<Cap>)> {
    let config = config.clone().with_thread_stack(variant.thread_stack);
    let mut cells: Vec<TimeCell> = Vec::new();
    let cap = |concurrency, limit, predicted_s, from: Option<&TimeCell>| Cap {
        variant: variant.label.clone(),
        concurrency,
        limit,
        predicted_s,
        from: from.map(|c| c.concurrency),
        from_s: from.map(one_run_s),
        cap_s: plan.time_cap.as_secs_f64(),
    };
    for &n in &plan.concurrency {
        let limit = backends::limits::check(
            &backends::limits::describe(&variant.backend, n, Some(WORKLOAD)),
            backends::limits::worker_needs(&variant.backend, n),
        )
        .err()
        .map(|e| e.to_string());
        let predicted = predict_s(&cells, n, starts_one_by_one(variant))
            .filter(|&p| p > plan.time_cap.as_secs_f64());
        if limit.is_some() || predicted.is_some() {
            let cap = cap(n, limit, predicted, cells.last());
            progress(&format!(
                "{} stops before {n}: {}",
                variant.label,
                cap.limit.clone().unwrap_or_else(|| format!(
                    "a run would take about {:.1} s",
                    predicted.unwrap_or_default()
                ))
            ));
            return Ok((cells, Some(cap)));
        }
        match time_cell(plan, &config, variant, n) {
            Ok(cell) => {
                progress(&format!(
                    "{} x {n}: {:.1} ms (median of {}; ideal {} ms)",
                    variant.label,
                    cell.median_ms,
                    cell.runs_ms.len(),
                    plan.waits_per_task * LATENCY_MS
                ));
                cells.push(cell);
            }
            Err(e @ Error::Limit { .. }) => {
                progress(&format!("{} stops before {n}: {e}", variant.label));
                let cap = cap(n, Some(e.to_string()), None, cells.last());
                return Ok((cells, Some(cap)));
            }
            Err(e) => return Err(e),
        }
    }
    Ok((cells, None))
}

/// A cell's prepare plus one run, in s: what one more run costs.
fn one_run_s(cell: &TimeCell) -> f64 {
    (cell.prepare_ms + cell.median_ms) / 1e3
}

/// The time of one run (prepare included) at `n`, in s: for workers
/// started one by one, the last cell's time times `n` over its count; for
/// tasks, the last cell's time plus what each task added between the last
/// two cells, times the tasks to add (`None` before two cells).
fn predict_s(cells: &[TimeCell], n: usize, one_by_one: bool) -> Option<f64> {
    if one_by_one {
        let last = cells.last()?;
        return Some(one_run_s(last) * n as f64 / last.concurrency as f64);
    }
    let [.., before, last] = cells else {
        return None;
    };
    let per_worker = (one_run_s(last) - one_run_s(before)).max(0.0)
        / (last.concurrency - before.concurrency) as f64;
    Some(one_run_s(last) + per_worker * n.saturating_sub(last.concurrency) as f64)
}

/// One timed cell: prepare (timed apart), a warm-up that checks the
/// checksum, then runs within [`CELL_BUDGET`].
fn time_cell(plan: &Plan, config: &Config, variant: &Variant, n: usize) -> Result<TimeCell> {
    let items = plan.waits_per_task * n as u64;
    let job = job(items, Duration::from_millis(LATENCY_MS));
    let expected = latency::checksum(0..items);
    let mut backend = backends::create(&variant.backend, config)?;
    let prepared = Instant::now();
    backend.prepare(n)?;
    let prepare_ms = prepared.elapsed().as_secs_f64() * 1e3;
    let warm = Instant::now();
    let got = backend.execute(&job)?;
    let warm_s = warm.elapsed().as_secs_f64();
    if got != expected {
        return Err(Error::WrongChecksum {
            backend: variant.label.clone(),
            workers: n,
            got,
            expected,
        });
    }
    let mut runs_ms = Vec::with_capacity(MAX_RUNS);
    let runs = if warm_s > CELL_BUDGET.as_secs_f64() {
        // The checked warm-up is the cell's one timed run.
        runs_ms.push(warm_s * 1e3);
        0
    } else {
        ((CELL_BUDGET.as_secs_f64() / warm_s) as usize).clamp(1, MAX_RUNS)
    };
    let mut checksum_ok = true;
    for _ in 0..runs {
        let start = Instant::now();
        let sum = std::hint::black_box(backend.execute(&job)?);
        runs_ms.push(start.elapsed().as_secs_f64() * 1e3);
        checksum_ok &= sum == expected;
    }
    let mut sorted = runs_ms.clone();
    sorted.sort_by(f64::total_cmp);
    Ok(TimeCell {
        variant: variant.label.clone(),
        concurrency: n,
        items,
        prepare_ms,
        median_ms: sorted[sorted.len() / 2],
        runs_ms,
        checksum_ok,
    })
}

/// Whether `variant` starts a thread or a process per wait, one after
/// another (every kind of worker but tasks).
fn starts_one_by_one(variant: &Variant) -> bool {
    backends::entry(&variant.backend).is_ok_and(|e| e.worker != backends::Worker::Task)
}

/// The memory cells of a line: at 1, 100 (not in quick mode) and its last
/// concurrency.
fn memory_points<'a>(line: &[&'a TimeCell], quick: bool) -> Vec<&'a TimeCell> {
    let last = line.last().map(|c| c.concurrency);
    line.iter()
        .copied()
        .filter(|c| {
            c.concurrency == 1 || c.concurrency == 100 && !quick || Some(c.concurrency) == last
        })
        .collect()
}

/// How long each worker waits in a memory cell: threads start one by one,
/// each waiting as soon as it starts, so they wait twice the time a timed
/// run took (nearly all of it starting threads) to be alive all at once;
/// tasks and processes are all started before any result is read.
fn memory_wait(variant: &Variant, cell: &TimeCell, least: Duration) -> Duration {
    let threads =
        backends::entry(&variant.backend).is_ok_and(|e| e.worker == backends::Worker::Thread);
    let wait = if threads {
        Duration::from_secs_f64(2.0 * cell.median_ms / 1e3).max(least)
    } else {
        least
    };
    wait.min(Duration::from_secs(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(variant: &str, concurrency: usize, median_ms: f64) -> TimeCell {
        TimeCell {
            variant: variant.into(),
            concurrency,
            items: concurrency as u64 * WAITS_PER_TASK,
            prepare_ms: 0.0,
            runs_ms: vec![median_ms],
            median_ms,
            checksum_ok: true,
        }
    }

    #[test]
    fn the_plan_sweeps_every_line_to_ten_thousand() {
        let plan = Plan::new(false);
        assert_eq!(plan.concurrency.last(), Some(&10_000));
        let labels: Vec<String> = plan.variants.iter().map(|v| v.label.clone()).collect();
        assert_eq!(labels.len(), 6, "{labels:?}");
        assert!(labels.iter().any(|l| l.contains("64 KiB stack")));
        assert!(labels.iter().any(|l| l.contains("the default")));
        for v in &plan.variants {
            backends::entry(&v.backend).unwrap();
        }
        assert!(Plan::new(true).concurrency.len() < plan.concurrency.len());
    }

    #[test]
    fn memory_is_measured_at_one_a_hundred_and_the_last_point() {
        let line = [
            cell("a", 1, 1.0),
            cell("a", 10, 1.0),
            cell("a", 100, 1.0),
            cell("a", 1_000, 1.0),
        ];
        let refs: Vec<&TimeCell> = line.iter().collect();
        let at: Vec<usize> = memory_points(&refs, false)
            .iter()
            .map(|c| c.concurrency)
            .collect();
        assert_eq!(at, [1, 100, 1_000]);
        let quick: Vec<usize> = memory_points(&refs, true)
            .iter()
            .map(|c| c.concurrency)
            .collect();
        assert_eq!(quick, [1, 1_000]);
    }

    #[test]
    fn threads_wait_long_enough_to_be_alive_together() {
        let v = variants();
        let threads = v.iter().find(|v| v.backend == "threads").unwrap();
        let tasks = v.iter().find(|v| v.backend == "async").unwrap();
        let slow = cell("t", 10_000, 1_500.0);
        assert_eq!(
            memory_wait(threads, &slow, MEMORY_WAIT),
            Duration::from_secs(3)
        );
        assert_eq!(memory_wait(tasks, &slow, MEMORY_WAIT), MEMORY_WAIT);
        assert_eq!(
            memory_wait(threads, &cell("t", 1, 20.0), MEMORY_WAIT),
            MEMORY_WAIT
        );
    }

    #[test]
    fn a_tiny_sweep_runs_checks_and_caps() {
        let plan = Plan {
            concurrency: vec![1, 4, 64],
            waits_per_task: 1,
            variants: variants()
                .into_iter()
                .filter(|v| v.backend == "async" || v.label.contains("64 KiB"))
                .collect(),
            // A cap no run can meet: tasks stop after two points (their
            // prediction needs two), threads after one.
            time_cap: Duration::from_micros(1),
            memory_wait: QUICK_MEMORY_WAIT,
            quick: true,
        };
        let config = Config::new("tvp-not-needed-in-process");
        let mut lines = Vec::new();
        for v in &plan.variants {
            let (cells, cap) =
                time_line(&plan, &config, v, &mut |l: &str| lines.push(l.to_string())).unwrap();
            let (measured, stop) = if v.backend == "async" {
                (2, 64)
            } else {
                (1, 4)
            };
            assert_eq!(cells.len(), measured, "{lines:?}");
            assert!(cells.iter().all(|c| c.checksum_ok));
            let cap = cap.unwrap();
            assert_eq!(cap.concurrency, stop, "{lines:?}");
            assert_eq!(cap.from, cells.last().map(|c| c.concurrency));
            assert!(cap.predicted_s.unwrap() > cap.cap_s && cap.limit.is_none());
        }
    }

    #[test]
    fn a_run_is_predicted_from_what_each_worker_added() {
        assert_eq!(predict_s(&[cell("t", 1, 10.0)], 100, false), None);
        let line = [cell("t", 10, 10.0), cell("t", 100, 100.0)];
        // 1 ms per worker from 10 to 100: 9.9 s more at 10,000.
        assert!((predict_s(&line, 10_000, false).unwrap() - 10.0).abs() < 1e-9);
        let flat = [cell("a", 1, 31.0), cell("a", 100, 30.0)];
        assert!((predict_s(&flat, 10_000, false).unwrap() - 0.030).abs() < 1e-9);
        // Started one by one: in proportion, from one point.
        let one = [cell("t", 100, 22.0)];
        assert!((predict_s(&one, 10_000, true).unwrap() - 2.2).abs() < 1e-9);
    }

    #[test]
    fn the_report_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let report = WaitsReport {
            schema: SCHEMA,
            workload: WORKLOAD.into(),
            wait_ms: LATENCY_MS,
            waits_per_task: WAITS_PER_TASK,
            cores: 2,
            quick: false,
            variants: variants(),
            times: vec![cell("async", 1, 31.0)],
            caps: Vec::new(),
            memory: Vec::new(),
            open_files: Some(1024),
            threads_max: None,
            memory_total_kb: 1 << 20,
            elapsed_s: 1.0,
        };
        report.write(&path).unwrap();
        assert_eq!(WaitsReport::read(&path).unwrap(), report);
        assert_eq!(report.ideal_ms(), 20.0);
        assert!(report.time("async", 1).is_some() && report.cap("async").is_none());
    }
}
