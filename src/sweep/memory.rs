//! Memory per worker: the peak resident memory of one run, parent plus
//! children.
//!
//! Each (backend, workers) cell is measured in a fresh `tvp memory-cell`
//! process, so one cell's allocations never count toward another's. That
//! process builds the backend, prepares it for `workers`, runs the job once
//! and reports:
//!
//! - `parent_kb`: its own VmHWM from /proc/self/status, the peak resident
//!   set of the process and all its threads. A thread adds its touched stack
//!   pages and little else, so the threaded backends grow this slowly.
//! - `children_kb`: the sum, over its child processes, of each child's peak
//!   resident set (VmHWM), read from /proc every millisecond while the run
//!   lasts. getrusage(RUSAGE_CHILDREN).ru_maxrss alone is not enough: it is
//!   the *largest* child's peak, not the sum. Both process backends keep all
//!   their children alive at once during the single run (process: one per
//!   chunk, started together; pool: all spawned in prepare), so the sum of
//!   the children's peaks is the peak of their total. A child that lived less
//!   than a sampling period may be missed: `children` says how many were seen.
//! - `child_max_kb`: ru_maxrss of the children, the exact peak of the largest
//!   one, as a check on the sampled figures.
//! - `peak_kb` = `parent_kb` + `children_kb`. The parent and its children
//!   reach their peaks at about the same time (during the run), so this is
//!   the peak of the whole run, slightly high if they do not.
//!
//! Memory per worker is `(peak(N) - peak(1)) / (N - 1)` for one backend:
//! what each worker beyond the first costs. Expect a few kB to tens of kB
//! for a thread, and a whole process (a few MB: the binary's mapped pages,
//! its heap and the C library) for `process` and `pool`. A process's peak
//! varies by a few hundred kB from run to run, so at small worker counts the
//! threads' figure is within that noise (it can even come out negative);
//! read it at the largest worker count.
//!
//! # `reports/data/memory.json`
//!
//! `cargo bench --bench io` writes a [`MemoryReport`]:
//!
//! ```json
//! { "schema": 1, "workload": "latency", "size": 64, "cores": 2,
//!   "cells": [ { "backend": "threads", "workers": 4, "parent_kb": 3100,
//!                "children_kb": 0, "children": 0, "child_max_kb": 0,
//!                "peak_kb": 3100, "checksum": 2126520 }, ... ] }
//! ```
//!
//! Sizes are in kB (1024 bytes). `cells` holds every backend at every worker
//! count measured, `sequential` at 1.
//!
//! # The kernel's view: PSS, USS, stacks
//! A cell asked with `detail` (the concurrency sweep of [`super::waits`]
//! asks) also samples `/proc/<pid>/smaps_rollup` of the parent and every
//! child through [`super::smaps`], keeps the sample where their PSS summed
//! highest ([`Detail::peak`]: RSS, PSS, USS, address space, threads), the
//! parent's thread stacks once its thread count stopped growing (reserved
//! vs resident), and how much the kernel's own memory for thread stacks and
//! page tables grew. PSS is the figure to add across processes: RSS counts
//! every shared page (the binary, the C library) once per process.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::smaps::{self, Pid, Stacks, Usage};
use crate::backends::{self, Config};
use crate::error::{Error, Result};
use crate::process::child::WorkerChild;
use crate::workloads::Job;

/// How often the children's memory is read while a cell runs.
pub const SAMPLE_PERIOD: Duration = Duration::from_millis(1);

/// The pause between two detailed samples (one detailed sample reads a
/// file per process, so it takes longer than [`SAMPLE_PERIOD`] itself).
pub const DETAIL_PERIOD: Duration = Duration::from_millis(5);

/// What `tvp memory-cell` reads on stdin: one JSON line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CellRequest {
    /// The job to run; for IO workloads the fixture's job, so the cell uses
    /// the caller's temp dir or server.
    pub job: Job,
    pub backend: String,
    pub workers: usize,
    /// Stack per thread for `threads` and `gil`, in bytes (`None`: Rust's
    /// default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_stack: Option<usize>,
    /// Also sample PSS, USS, stacks and the kernel's memory ([`Detail`]).
    #[serde(default)]
    pub detail: bool,
}

/// What a cell asked with `detail` measured: the kernel's view at the peak
/// of the run (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    /// Parent and children together, in the sample where their PSS summed
    /// highest.
    pub peak: Usage,
    /// The parent alone, in that sample.
    pub parent: Usage,
    /// The most threads seen alive in the parent, and children at once.
    pub max_threads: u64,
    pub max_children: u64,
    /// The size of stack mapping looked for, in kB.
    pub stack_kb: u64,
    /// The parent's thread stacks, read once its thread count stopped
    /// growing at its highest.
    pub stacks: Option<Stacks>,
    /// How much the kernel's thread stacks and page tables grew on the whole
    /// machine, from before `prepare` to the peak sample, in kB (other
    /// programs' threads move it too).
    pub kernel_kb: Option<i64>,
    /// Detailed samples taken.
    pub samples: u64,
}

/// The memory of one (backend, workers) run. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellMemory {
    pub backend: String,
    pub workers: usize,
    pub parent_kb: u64,
    pub children_kb: u64,
    pub children: usize,
    pub child_max_kb: u64,
    pub peak_kb: u64,
    pub checksum: u64,
    /// Present when the cell was asked with `detail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<Detail>,
}

impl CellMemory {
    pub fn peak_mb(&self) -> f64 {
        self.peak_kb as f64 / 1024.0
    }

    /// Parent and children's PSS at the peak, in kB, when the cell was
    /// measured with `detail`: the fair sum across processes (see the
    /// module docs), where [`CellMemory::peak_kb`] sums RSS.
    pub fn pss_kb(&self) -> Option<u64> {
        self.detail.as_ref().map(|d| d.peak.pss_kb)
    }

    /// A cell with only a backend, a worker count and a peak, for tests of
    /// what reads cells (the report's tests too).
    pub fn with_peak(backend: &str, workers: usize, peak_kb: u64) -> Self {
        CellMemory {
            backend: backend.into(),
            workers,
            parent_kb: peak_kb,
            children_kb: 0,
            children: 0,
            child_max_kb: 0,
            peak_kb,
            checksum: 0,
            detail: None,
        }
    }
}

/// What a memory sweep writes for the report (`reports/data/memory.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryReport {
    /// Bumped when a field changes meaning.
    pub schema: u32,
    pub workload: String,
    pub size: u64,
    pub cores: usize,
    pub cells: Vec<CellMemory>,
}

/// The schema version [`MemoryReport`] writes.
pub const SCHEMA: u32 = 1;

impl MemoryReport {
    pub fn new(job: &Job, cells: Vec<CellMemory>) -> Self {
        MemoryReport {
            schema: SCHEMA,
            workload: job.workload.clone(),
            size: job.size,
            cores: crate::cores(),
            cells,
        }
    }

    /// Writes the report as pretty JSON, making the parent dirs.
    pub fn write(&self, path: &Path) -> Result<()> {
        super::write_json(path, self)
    }

    /// Reads a report written by [`MemoryReport::write`].
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        serde_json::from_str(&text).map_err(|e| {
            Error::InvalidJob(format!(
                "{} is not a memory report ({e}): rerun `cargo bench --bench io`",
                path.display()
            ))
        })
    }
}

/// Memory each worker beyond the first costs, in MB: `(peak(N) - peak(1)) /
/// (N - 1)`, from summed RSS. None at 1 worker or without a 1-worker cell.
pub fn mb_per_worker(one: &CellMemory, cell: &CellMemory) -> Option<f64> {
    slope_mb(one, cell, |c| Some(c.peak_kb))
}

/// [`mb_per_worker`] from PSS ([`CellMemory::pss_kb`]): None unless both
/// cells were measured with `detail`.
pub fn pss_mb_per_worker(one: &CellMemory, cell: &CellMemory) -> Option<f64> {
    slope_mb(one, cell, CellMemory::pss_kb)
}

fn slope_mb(
    one: &CellMemory,
    cell: &CellMemory,
    kb: impl Fn(&CellMemory) -> Option<u64>,
) -> Option<f64> {
    let (a, b) = (kb(one)?, kb(cell)?);
    (cell.workers > 1 && one.workers == 1)
        .then(|| (b as f64 - a as f64) / 1024.0 / (cell.workers - 1) as f64)
}

/// What a `tvp memory-cell` child is called in errors.
pub const CELL_ROLE: &str = "memory-cell process";

/// Measures one cell in a fresh `tvp memory-cell` child of `config`'s
/// binary. Its reply is read, and its exit awaited, within `config`'s
/// deadline; the child is killed and reaped if anything fails.
pub fn measure_cell(
    config: &Config,
    job: &Job,
    backend: &str,
    workers: usize,
) -> Result<CellMemory> {
    measure(config, &CellRequest::new(job, backend, workers))
}

impl CellRequest {
    /// A request for `backend` at `workers` on `job`, Rust's default thread
    /// stack, peak RSS only; see [`CellRequest::with_detail`].
    pub fn new(job: &Job, backend: &str, workers: usize) -> Self {
        CellRequest {
            job: job.clone(),
            backend: backend.to_string(),
            workers,
            thread_stack: None,
            detail: false,
        }
    }

    /// The same request, also sampling PSS, USS and stacks ([`Detail`]).
    pub fn with_detail(mut self) -> Self {
        self.detail = true;
        self
    }
}

/// Measures the cell `request` asks for in a fresh `tvp memory-cell` child
/// of `config`'s binary, as [`measure_cell`] does.
pub fn measure(config: &Config, request: &CellRequest) -> Result<CellMemory> {
    let mut child = WorkerChild::spawn_subcommand(&config.worker_exe, "memory-cell", CELL_ROLE)?;
    let mut line = serde_json::to_string(request).expect("a cell request serialises");
    line.push('\n');
    child.send_line(&line)?;
    child.close_stdin();
    // On an error the child is killed and reaped, and the error says how
    // it ended.
    let reply = child.recv_line_within(config.task_deadline)?;
    let status = child.wait_within(config.task_deadline)?;
    let reply: std::result::Result<CellMemory, String> =
        serde_json::from_str(&reply).map_err(|e| {
            child.error(
                "gave no figure",
                format!("{e}; {}", crate::process::child::describe(status)),
            )
        })?;
    reply.map_err(|message| child.error("failed", message))
}

/// `tvp memory-cell`: reads one [`CellRequest`] line on stdin, runs it here
/// and prints the result as one JSON line (`{"Ok": ...}` or `{"Err": ...}`).
pub fn serve_cell() -> std::io::Result<()> {
    crate::interrupt::die_with_parent();
    use crate::process::lines::{LineReader, Next};
    let line = match LineReader::new(std::io::stdin().lock()).next_line()? {
        Next::Line(line) => Ok(line),
        Next::Truncated(shown) => Err(format!("a request with no newline: {shown:?}")),
        Next::TooLong(shown) => Err(format!("a request line too long: {shown:?}...")),
        Next::Eof => Err("no request: stdin was empty".to_string()),
    };
    let result = line
        .and_then(|line| {
            serde_json::from_str::<CellRequest>(&line)
                .map_err(|e| format!("bad memory-cell request: {e}"))
        })
        .and_then(|request| {
            let config = Config::from_current_exe()
                .map_err(|e| e.to_string())?
                .with_thread_stack(request.thread_stack);
            run_cell(&config, &request).map_err(|e| e.to_string())
        });
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &result)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Runs one cell in this process while a thread samples the children. Call
/// it in a fresh process: `parent_kb` is this process's lifetime peak.
pub fn run_cell(config: &Config, request: &CellRequest) -> Result<CellMemory> {
    let done = AtomicBool::new(false);
    let stack_kb = smaps::stack_kb(
        config
            .thread_stack
            .unwrap_or_else(smaps::rust_default_stack),
    );
    let ((checksum, peaks), detail) = std::thread::scope(|s| {
        let sampler = backends::chunks::spawn_scoped(s, None, || {
            let mut peaks = BTreeMap::new();
            while !done.load(Ordering::Acquire) {
                sample_children(&mut peaks);
                std::thread::sleep(SAMPLE_PERIOD);
            }
            peaks
        })
        .map_err(|e| Error::thread_start("the memory sampler", 1, Some(0), e))?;
        let detailed = request
            .detail
            .then(|| backends::chunks::spawn_scoped(s, None, || sample_detail(&done, stack_kb)))
            .transpose()
            .map_err(|e| {
                // The first sampler stops, and the scope joins it.
                done.store(true, Ordering::Release);
                Error::thread_start("the memory sampler", 2, Some(1), e)
            })?;
        let run = || -> Result<u64> {
            let mut backend = backends::create(&request.backend, config)?;
            backend.prepare(request.workers)?;
            let checksum = backend.execute(&request.job)?;
            // Pool children are still alive here: one last look before the
            // backend is dropped and they exit.
            std::thread::sleep(2 * SAMPLE_PERIOD);
            Ok(checksum)
        };
        let checksum = run();
        done.store(true, Ordering::Release);
        Ok((
            (
                checksum,
                sampler.join().expect("the sampler does not panic"),
            ),
            detailed.map(|d| d.join().expect("the sampler does not panic")),
        ))
    })?;
    let checksum = checksum?;
    let parent_kb = vm_hwm_kb("self").ok_or_else(|| {
        Error::InvalidJob("cannot read VmHWM in /proc/self/status: memory needs Linux /proc".into())
    })?;
    let children_kb = peaks.values().sum();
    Ok(CellMemory {
        backend: request.backend.clone(),
        workers: request.workers,
        parent_kb,
        children_kb,
        children: peaks.len(),
        child_max_kb: children_max_rss_kb(),
        peak_kb: parent_kb + children_kb,
        checksum,
        detail,
    })
}

/// Samples the parent and its children every [`DETAIL_PERIOD`] until
/// `done`, keeping the sample whose PSS summed highest; see [`Detail`].
fn sample_detail(done: &AtomicBool, stack_kb: u64) -> Detail {
    let kernel_before = smaps::kernel_kb();
    let mut detail = Detail {
        peak: Usage::default(),
        parent: Usage::default(),
        max_threads: 0,
        max_children: 0,
        stack_kb,
        stacks: None,
        kernel_kb: None,
        samples: 0,
    };
    // Samples in a row at the highest thread count seen so far, and the
    // thread count when the stacks were last read.
    let mut steady = 0;
    let mut stacks_at = 0;
    loop {
        // One last sample after `done`: the pool's children are still there.
        let last = done.load(Ordering::Acquire);
        let Some(parent) = Usage::read(Pid::This) else {
            break;
        };
        let children = child_pids();
        let mut all = parent;
        for pid in &children {
            if let Some(child) = Usage::read(Pid::Other(*pid)) {
                all = all.plus(child);
            }
        }
        detail.samples += 1;
        detail.max_children = detail.max_children.max(children.len() as u64);
        if all.pss_kb > detail.peak.pss_kb {
            detail.peak = all;
            detail.parent = parent;
            detail.kernel_kb = kernel_before
                .zip(smaps::kernel_kb())
                .map(|(before, now)| now as i64 - before as i64);
        }
        if parent.threads > detail.max_threads {
            (detail.max_threads, steady) = (parent.threads, 0);
        } else if parent.threads == detail.max_threads {
            steady += 1;
            // The threads stopped coming (or each sample starved their
            // start): read their stacks, again if more came since. With
            // ten thousand threads this read takes most of a second.
            if steady >= 2 && parent.threads > stacks_at {
                detail.stacks = smaps::thread_stacks(Pid::This, stack_kb);
                stacks_at = parent.threads;
            }
        }
        if last {
            break;
        }
        std::thread::sleep(DETAIL_PERIOD);
    }
    detail
}

/// Records each live child's VmHWM, keeping the largest seen per pid.
fn sample_children(peaks: &mut BTreeMap<u32, u64>) {
    for pid in child_pids() {
        if let Some(kb) = vm_hwm_kb(&pid.to_string()) {
            let peak = peaks.entry(pid).or_insert(0);
            *peak = (*peak).max(kb);
        }
    }
}

/// This process's children: /proc/self/task/*/children lists each thread's.
fn child_pids() -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|list| {
            list.split_whitespace()
                .filter_map(|pid| pid.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

/// VmHWM (peak resident set) of `/proc/<pid>` in kB; None once it exited.
fn vm_hwm_kb(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// getrusage(RUSAGE_CHILDREN).ru_maxrss: the largest peak of any waited-for
/// child, in kB on Linux.
fn children_max_rss_kb() -> u64 {
    // SAFETY: getrusage writes one rusage into the zeroed struct we own.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) != 0 {
            return 0;
        }
        usage
    };
    u64::try_from(usage.ru_maxrss).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(workers: usize, peak_kb: u64) -> CellMemory {
        CellMemory::with_peak("pool", workers, peak_kb)
    }

    #[test]
    fn mb_per_worker_is_the_slope_above_one_worker() {
        let one = cell(1, 4 * 1024);
        assert_eq!(mb_per_worker(&one, &cell(5, 12 * 1024)), Some(2.0));
        assert_eq!(mb_per_worker(&one, &one), None);
        assert_eq!(mb_per_worker(&cell(2, 1), &cell(4, 2)), None);
    }

    #[test]
    fn own_peak_is_readable() {
        assert!(vm_hwm_kb("self").unwrap() > 0);
    }

    #[test]
    fn report_round_trips_through_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/memory.json");
        let job = Job::new("latency").unwrap();
        let report = MemoryReport::new(&job, vec![cell(1, 10)]);
        report.write(&path).unwrap();
        assert_eq!(MemoryReport::read(&path).unwrap(), report);
    }
}
