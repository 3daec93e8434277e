//! Python beside Rust: the Rust sweep at the scaling bench's sizes and the
//! Python run at its smaller sizes, both turned into speedup series per
//! workload. Each language's sequential run takes tens to hundreds of ms, so the
//! fixed costs of threads and processes weigh alike on both sides; at the
//! Python sizes Rust's work would take about a millisecond and measure little
//! but spawn costs. (`tests/python.rs` checks the checksums at equal sizes.)

use serde::{Deserialize, Serialize};

use super::script::PythonReport;
use crate::backends::Config;
use crate::error::Result;
use crate::sweep::{Measurement, Sweep, SweepResult, run_sweep};
use crate::workloads::{self, Job};

/// The version of `python_vs_rust.json`.
pub const SCHEMA: u32 = 1;

/// The Python backends, in the order tables and charts show them
/// (`python-asyncio` only for the workloads that wait).
pub const PYTHON_BACKENDS: &[&str] = &[
    "python-threads",
    "python-pool",
    "python-executor",
    "python-asyncio",
];

/// The Rust backends swept beside them.
pub const RUST_BACKENDS: &[&str] = &["threads", "process", "pool", "gil"];

/// Swept too for IO workloads, beside Python's asyncio.
pub const RUST_ASYNC: &str = "async";

/// Rust sizes smaller than the default for the comparison: `tcp`'s
/// default takes a few hundred ms a run, and the comparison runs it on five
/// backends at every worker count.
pub const RUST_SIZES: &[(&str, u64)] = &[("tcp", 5_000)];

/// Which side a series comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Python,
    Rust,
}

/// `python_vs_rust.json`: every workload, Python and Rust side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub schema: u32,
    /// e.g. "CPython 3.11.7", with " (free-threaded)" for such a build.
    pub python: String,
    /// Threads ran without a GIL (a free-threaded build with the GIL off).
    #[serde(default)]
    pub free_threaded: bool,
    /// `sys._is_gil_enabled()`, where the interpreter has it.
    #[serde(default)]
    pub gil_enabled: Option<bool>,
    pub cores: usize,
    pub quick: bool,
    pub workers: Vec<usize>,
    /// The worker count the explanations quote: the most workers that still
    /// fit on the cores.
    pub explained_at: usize,
    pub size_reason: String,
    pub workloads: Vec<WorkloadComparison>,
}

impl Comparison {
    /// Whether Python's threads ran without a GIL: a free-threaded build
    /// with the GIL off. The explanations expect parallel threads then.
    pub fn without_gil(&self) -> bool {
        self.free_threaded && self.gil_enabled == Some(false)
    }
}

/// One workload at one size, in both languages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadComparison {
    pub workload: String,
    /// "cpu" or "io".
    pub kind: String,
    pub size: u64,
    pub python_sequential_s: f64,
    /// `None` when this build of tvp has no such workload.
    pub rust_sequential_s: Option<f64>,
    pub python_checksum: u64,
    pub rust_checksum: Option<u64>,
    /// Rust's size: its default, larger than Python's.
    #[serde(default)]
    pub rust_size: Option<u64>,
    /// Every backend agreed with its sequential run, and Python with Rust.
    pub checksums_ok: bool,
    pub series: Vec<Series>,
}

/// One backend's speedups over worker counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// As in python.json (`python-threads`) or `tvp list` (`threads`).
    pub backend: String,
    /// For legends and sentences: "Python threads".
    pub label: String,
    pub language: Language,
    pub points: Vec<Point>,
}

/// A backend at one worker count.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub workers: usize,
    pub median_s: f64,
    /// The same language's sequential time / this time.
    pub speedup: f64,
}

impl WorkloadComparison {
    /// The series for `backend`.
    pub fn series(&self, backend: &str) -> Option<&Series> {
        self.series.iter().find(|s| s.backend == backend)
    }

    /// The speedup of `backend` at `workers`.
    pub fn speedup(&self, backend: &str, workers: usize) -> Option<f64> {
        self.series(backend)?
            .points
            .iter()
            .find(|p| p.workers == workers)
            .map(|p| p.speedup)
    }
}

/// The label of a backend in legends and sentences.
pub fn label(backend: &str) -> &'static str {
    match backend {
        "python-threads" => "Python threads",
        "python-pool" => "Python multiprocessing.Pool",
        "python-executor" => "Python ProcessPoolExecutor",
        "python-asyncio" => "Python asyncio",
        "async" => "Rust async (tokio, one thread)",
        "threads" => "Rust threads",
        "process" => "Rust processes",
        "pool" => "Rust process pool",
        "gil" => "Rust gil model",
        _ => "other",
    }
}

/// Sweeps the Rust backends at the worker counts the script used, each
/// workload this build has at the scaling bench's size for CPU and memory
/// workloads ([`crate::sweep::bench_size`], so the two pages measure the
/// same runs) and its default size for IO ones (a quarter in `quick` mode),
/// with `repeat` timed runs per cell (`io_repeat` for IO workloads, whose
/// runs wait as long as Python's). `progress` sees each cell.
pub fn rust_sweeps(
    report: &PythonReport,
    config: &Config,
    (repeat, io_repeat): (usize, usize),
    quick: bool,
    mut progress: impl FnMut(&Measurement),
) -> Result<Vec<SweepResult>> {
    let mut out = Vec::new();
    for name in report.workload_order() {
        if !report.sizes.contains_key(name) {
            continue;
        }
        let Ok(entry) = workloads::entry(name) else {
            continue;
        };
        let job = Job::new(name)?;
        let size = RUST_SIZES
            .iter()
            .find(|(w, _)| *w == name)
            .map_or(job.size, |&(_, size)| size);
        let size = match entry.kind {
            workloads::Kind::Cpu | workloads::Kind::Memory => crate::sweep::bench_size(size, quick),
            workloads::Kind::Io => crate::sweep::size_for(size, quick),
        };
        let mut backends: Vec<String> = RUST_BACKENDS.iter().map(|b| (*b).to_string()).collect();
        if entry.kind == workloads::Kind::Io {
            backends.push(RUST_ASYNC.into());
        }
        let sweep = Sweep {
            job: job.with_size(size),
            backends,
            workers: report.workers.clone(),
            repeat: if entry.kind == workloads::Kind::Io {
                io_repeat
            } else {
                repeat
            },
        };
        out.push(run_sweep(&sweep, config, &mut progress)?);
    }
    Ok(out)
}

/// The worker count explanations quote: the most measured workers that
/// still fit on `cores`, or the fewest measured.
pub fn explained_at(workers: &[usize], cores: usize) -> usize {
    workers
        .iter()
        .copied()
        .filter(|&w| w <= cores)
        .max()
        .or_else(|| workers.iter().copied().min())
        .unwrap_or(1)
}

/// Puts the Python report and the Rust sweeps side by side. Pure: no
/// running, no files.
pub fn compare(report: &PythonReport, rust: &[SweepResult]) -> Comparison {
    let at = explained_at(&report.workers, report.machine.cores);
    let workloads = report
        .workload_order()
        .into_iter()
        .filter_map(|name| {
            let size = *report.sizes.get(name)?;
            let rust = rust.iter().find(|r| r.job.workload == name);
            compare_workload(report, name, size, rust)
        })
        .collect();
    let free_threaded = report.interpreter.as_ref().is_some_and(|i| i.without_gil());
    Comparison {
        schema: SCHEMA,
        python: format!(
            "{} {}{}",
            report.implementation,
            report.python,
            if free_threaded {
                " (free-threaded)"
            } else {
                ""
            }
        ),
        free_threaded,
        gil_enabled: report.interpreter.as_ref().and_then(|i| i.gil_enabled),
        cores: report.machine.cores,
        quick: report.quick,
        workers: report.workers.clone(),
        explained_at: at,
        size_reason: report.size_reason.clone(),
        workloads,
    }
}

fn compare_workload(
    report: &PythonReport,
    name: &str,
    size: u64,
    rust: Option<&SweepResult>,
) -> Option<WorkloadComparison> {
    let seq = report.cell(name, "python-seq", 1)?;
    let free_threaded = report.interpreter.as_ref().is_some_and(|i| i.without_gil());
    let mut series: Vec<Series> = PYTHON_BACKENDS
        .iter()
        .filter(|&&backend| {
            report
                .results
                .iter()
                .any(|r| r.workload == name && r.backend == backend)
        })
        .map(|&backend| Series {
            backend: backend.to_string(),
            label: if free_threaded && backend == "python-threads" {
                "Python threads (free-threaded)".to_string()
            } else {
                label(backend).to_string()
            },
            language: Language::Python,
            points: report
                .results
                .iter()
                .filter(|r| r.workload == name && r.backend == backend)
                .map(|r| Point {
                    workers: r.workers,
                    median_s: r.median_s,
                    speedup: seq.median_s / r.median_s,
                })
                .collect(),
        })
        .collect();
    let mut checksums_ok = report
        .results
        .iter()
        .filter(|r| r.workload == name)
        .all(|r| r.checksum_ok);
    if let Some(rust) = rust {
        let rust_seq = rust.sequential.as_secs_f64();
        let ran = |b: &&&str| rust.cells.iter().any(|m| m.backend == **b);
        series.extend(
            RUST_BACKENDS
                .iter()
                .chain([&RUST_ASYNC])
                .filter(ran)
                .map(|&backend| Series {
                    backend: backend.to_string(),
                    label: label(backend).to_string(),
                    language: Language::Rust,
                    points: rust
                        .cells
                        .iter()
                        .filter(|m| m.backend == backend)
                        .map(|m| Point {
                            workers: m.workers,
                            median_s: m.median.as_secs_f64(),
                            speedup: rust_seq / m.median.as_secs_f64(),
                        })
                        .collect(),
                }),
        );
        // Each language against its own sequential run; that both languages
        // compute the same checksums at equal sizes is tests/python.rs's job.
        checksums_ok &= rust.cells.iter().all(|m| m.checksum_ok);
    }
    let w = WorkloadComparison {
        workload: name.to_string(),
        kind: report
            .kinds
            .get(name)
            .cloned()
            .unwrap_or_else(|| "cpu".into()),
        size,
        python_sequential_s: seq.median_s,
        rust_sequential_s: rust.map(|r| r.sequential.as_secs_f64()),
        python_checksum: seq.checksum,
        rust_checksum: rust.map(|r| r.expected_checksum),
        rust_size: rust.map(|r| r.job.size),
        checksums_ok,
        series,
    };
    Some(w)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::*;
    use crate::python::script::{PythonMachine, PythonResult};

    fn py(backend: &str, workers: usize, median_s: f64) -> PythonResult {
        PythonResult {
            workload: "primes".into(),
            backend: backend.into(),
            workers,
            size: 100,
            median_s,
            times_s: vec![median_s],
            checksum: 25,
            checksum_ok: true,
        }
    }

    fn report() -> PythonReport {
        PythonReport {
            schema: 1,
            python: "3.11.7".into(),
            implementation: "CPython".into(),
            interpreter: None,
            machine: PythonMachine {
                cores: 2,
                cpu_count: Some(2),
                system: "Linux".into(),
                arch: "x86_64".into(),
                start_method: "fork".into(),
            },
            quick: false,
            repeat: 3,
            workers: vec![1, 2, 4],
            sizes: BTreeMap::from([("primes".to_string(), 100)]),
            kinds: BTreeMap::from([("primes".to_string(), "cpu".to_string())]),
            size_reason: "slow".into(),
            elapsed_s: 1.0,
            results: vec![
                py("python-seq", 1, 1.0),
                py("python-threads", 2, 1.0),
                py("python-pool", 2, 0.5),
                py("python-executor", 2, 0.625),
            ],
            balance: None,
        }
    }

    fn rust(checksum: u64) -> SweepResult {
        let cell = |backend: &str, ms: u64| Measurement {
            workload: "primes".into(),
            backend: backend.into(),
            workers: 2,
            median: Duration::from_millis(ms),
            checksum,
            checksum_ok: true,
            launch: None,
            hosts: None,
            busy: None,
            chunks_per_worker: None,
            spread: None,
        };
        SweepResult {
            job: Job::new("primes").unwrap().with_size(100),
            expected_checksum: checksum,
            sequential: Duration::from_millis(10),
            sequential_spread: None,
            cells: vec![cell("threads", 5), cell("gil", 10)],
        }
    }

    #[test]
    fn speedups_are_against_the_same_languages_sequential_run() {
        let c = compare(&report(), &[rust(25)]);
        assert_eq!(c.explained_at, 2);
        let w = &c.workloads[0];
        assert!(w.checksums_ok);
        assert_eq!(w.speedup("python-threads", 2), Some(1.0));
        assert_eq!(w.speedup("python-pool", 2), Some(2.0));
        assert_eq!(w.speedup("python-executor", 2), Some(1.6));
        assert_eq!(w.speedup("threads", 2), Some(2.0));
        assert_eq!(w.speedup("gil", 2), Some(1.0));
    }

    #[test]
    fn a_wrong_rust_checksum_is_flagged() {
        let mut wrong = rust(25);
        wrong.cells[0].checksum_ok = false;
        let c = compare(&report(), &[wrong]);
        assert!(!c.workloads[0].checksums_ok);
    }

    #[test]
    fn explanations_quote_the_most_workers_that_fit_the_cores() {
        assert_eq!(explained_at(&[1, 2, 4], 2), 2);
        assert_eq!(explained_at(&[1, 2, 4, 6, 8, 12], 6), 6);
        assert_eq!(explained_at(&[2, 4], 1), 2);
    }
}
