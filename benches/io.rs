//! IO-bound workloads swept past the core count: `latency`, `files`,
//! `files_fsync` and `tcp` on every backend at 1, 4, 16, 64 workers and the
//! core count (`TVP_IO_MAX_WORKERS` changes the top), then the peak memory of each
//! backend at each worker count on `latency`, written to
//! `reports/data/memory.json` (schema in `tvp::sweep::memory`).
//!
//! Groups are named by workload, ids are `backend/workers`. Temp dirs,
//! servers and pools are made outside the timing; `process` spawns its
//! children inside it, because that cost is its lesson. Each cell's checksum
//! is checked once, before timing.
//!
//! Sizes are smaller than `tvp run`'s defaults so the sweep (with 64-process
//! cells) took 67 s on the quiet 2-core reference VM with tcp at 2,000
//! requests, 58 s at 1,000; quick mode
//! (`cargo bench -- --quick` or `TVP_QUICK=1`) sweeps 1, 4, 16, 64 workers
//! on latency (64 items, so 64 workers get one each) and only 1 and 64 on
//! the others, at a quarter of their size.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode};
use tvp::backends::{self, Config};
use tvp::report::explain::io as explain_io;
use tvp::sweep;
use tvp::sweep::memory::{self, MemoryReport};
use tvp::workloads::{self, Fixture, Job, Kind, run_sequential};

/// Bench sizes smaller than a workload's default, so that each sequential
/// run takes tens of milliseconds; every other IO workload in the registry
/// is benched at its default size. tcp's 1,000 requests (2,000 until
/// 2026-11-29) still give 64 clients about 16 each; its 1-worker cells
/// took 2.4 s each at 2,000.
const SIZES: &[(&str, u64)] = &[
    ("latency", 64),
    ("files", 500),
    ("files_fsync", 16),
    ("tcp", 1_000),
];

/// The workload whose memory per worker goes to the report: it allocates
/// nothing, so the figure is the backend's own cost.
const MEMORY_WORKLOAD: &str = "latency";

fn main() {
    tvp::interrupt::install_for_bench("io");
    tvp::sweep::budget::print_announcement("io");
    let args: Vec<String> = std::env::args().collect();
    let quick = sweep::quick_requested(args.iter().cloned());
    let listing_or_testing = args.iter().any(|a| a == "--list" || a == "--test");
    let filter = filter(&args);
    let io_max = sweep::io_max_workers_from_env().unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let workers = if quick {
        sweep::quick_io_workers(io_max)
    } else {
        sweep::io_bench_workers(io_max, tvp::cores())
    };
    let config = Config::new(env!("CARGO_BIN_EXE_tvp"));
    // Criterion's HTML plots cost seconds per benchmark on a busy 2-core
    // machine, more than the measuring, and its default 100,000 bootstrap
    // resamples most of a second: the report reads only the estimates.
    let mut criterion = Criterion::default()
        .without_plots()
        .nresamples(10_000)
        .configure_from_args();

    let plan: Vec<(&str, u64)> = workloads::REGISTRY
        .iter()
        .filter(|e| e.kind == Kind::Io)
        .map(|e| {
            let size = SIZES
                .iter()
                .find(|(name, _)| *name == e.name)
                .map_or(e.default_size, |&(_, size)| size);
            (e.name, size)
        })
        .map(|(w, size)| {
            (
                w,
                if quick && w != "latency" {
                    (size / 4).max(1)
                } else {
                    size
                },
            )
        })
        .collect();
    // Quick mode sweeps every count on latency, the lesson's curve, and
    // only the fewest and the most workers on the others.
    let ends = [workers[0], workers[workers.len() - 1]];
    let mut cells: Vec<(&str, u64, &str, usize)> = Vec::new();
    for &(w, size) in &plan {
        for b in backends::swept() {
            let counts = if b == "sequential" {
                &[1][..]
            } else if quick && w != "latency" {
                &ends[..]
            } else {
                &workers
            };
            for &n in counts {
                let id = format!("{w}/{b}/{n}");
                let wanted = match filter.as_deref() {
                    None => true,
                    Some("memory") => false,
                    Some(f) => id.contains(f),
                };
                if wanted {
                    cells.push((w, size, b, n));
                }
            }
        }
    }
    eprintln!(
        "io bench plan{}: {} cells; workers {workers:?}; sizes {plan:?}; then memory per worker on {MEMORY_WORKLOAD}",
        if quick { " (quick)" } else { "" },
        cells.len()
    );
    let start = Instant::now();
    let mut fixture: Option<(Fixture, u64)> = None;
    for (index, &(workload, size, backend, n)) in cells.iter().enumerate() {
        if index == 0 || cells[index - 1].0 != workload {
            eprintln!(
                "io bench: {workload} (size {size}) at {:.1?}",
                start.elapsed()
            );
            // One temp dir or server per workload, made before any timing;
            // the previous one is removed first.
            drop(fixture.take());
            let f = Job::new(workload)
                .and_then(|j| j.with_size(size).setup())
                .unwrap_or_else(|e| panic!("setting up {workload}: {e}"));
            let expected =
                run_sequential(&f.job).unwrap_or_else(|e| panic!("{workload} sequential: {e}"));
            fixture = Some((f, expected));
        }
        eprintln!(
            "io bench [{}/{}] {workload}/{backend}/{n} at {:.1?}",
            index + 1,
            cells.len(),
            start.elapsed()
        );
        let (f, expected) = fixture.as_ref().expect("set up above");
        bench_cell(
            &mut criterion,
            &config,
            &f.job,
            *expected,
            backend,
            n,
            quick,
        );
    }
    drop(fixture);
    // The memory sweep runs unfiltered, or alone with the filter `memory`.
    let memory_wanted = filter.as_deref().is_none_or(|f| f == "memory");
    if !listing_or_testing && memory_wanted {
        let size = plan
            .iter()
            .find(|p| p.0 == MEMORY_WORKLOAD)
            .map_or(64, |p| p.1);
        memory_sweep(&config, size, &workers);
    }
    eprintln!("io bench done in {:.1?}", start.elapsed());
    criterion.final_summary();
}

/// Times one (backend, workers) cell of `job` in the group named by its
/// workload, after checking its checksum once against `expected`.
fn bench_cell(
    criterion: &mut Criterion,
    config: &Config,
    job: &Job,
    expected: u64,
    backend_name: &str,
    workers: usize,
    quick: bool,
) {
    let workload = job.workload.as_str();
    let mut backend = backends::create(backend_name, config).unwrap();
    backend
        .prepare(workers)
        .unwrap_or_else(|e| panic!("{backend_name} x {workers}: {e}"));
    let got = backend
        .execute(job)
        .unwrap_or_else(|e| panic!("{workload}/{backend_name}/{workers}: {e}"));
    assert_eq!(
        got, expected,
        "{workload}/{backend_name}/{workers}: wrong checksum"
    );

    let mut group = criterion.benchmark_group(workload);
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(if quick { 10 } else { 20 }))
        .measurement_time(Duration::from_millis(if quick { 100 } else { 200 }));
    group.bench_with_input(BenchmarkId::new(backend_name, workers), &workers, |b, _| {
        b.iter(|| std::hint::black_box(backend.execute(job).unwrap_or_else(|e| panic!("{e}"))))
    });
    group.finish();
}

/// Peak memory of each backend at each worker count, one fresh process per
/// cell, written to `reports/data/memory.json`.
fn memory_sweep(config: &Config, size: u64, workers: &[usize]) {
    let job = Job::new(MEMORY_WORKLOAD).unwrap().with_size(size);
    let mut cells = Vec::new();
    for backend in backends::swept() {
        let counts = if backend == "sequential" {
            &[1][..]
        } else {
            workers
        };
        for &n in counts {
            // With PSS: RSS summed over children counts the shared binary
            // and libraries once per child.
            let request = memory::CellRequest::new(&job, backend, n).with_detail();
            let cell = memory::measure(config, &request)
                .unwrap_or_else(|e| panic!("memory of {backend} x {n}: {e}"));
            eprintln!(
                "io bench memory {backend}/{n}: peak RSS {:.1} MB, PSS {} ({} children)",
                cell.peak_mb(),
                cell.pss_kb()
                    .map_or_else(|| "-".into(), |kb| format!("{:.1} MB", kb as f64 / 1024.0)),
                cell.children
            );
            cells.push(cell);
        }
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reports/data/memory.json");
    eprintln!("io bench memory: {}", explain_io::explain_memory(&cells));
    MemoryReport::new(&job, cells)
        .write(&path)
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("io bench: wrote {}", path.display());
}

/// Criterion's filter argument, when it is a plain substring, so cells it
/// would skip are not set up either. A regex filter sets up everything and
/// leaves the choice to criterion.
fn filter(args: &[String]) -> Option<String> {
    const WITH_VALUE: &[&str] = &[
        "--color",
        "-c",
        "--save-baseline",
        "-s",
        "--baseline",
        "--baseline-lenient",
        "--format",
        "--profile-time",
        "--load-baseline",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--plotting-backend",
        "--output-format",
    ];
    let mut previous = "";
    for arg in args.iter().skip(1) {
        if !arg.starts_with('-') && !WITH_VALUE.contains(&previous) {
            let plain = arg.chars().all(|c| c.is_alphanumeric() || "_/".contains(c));
            return plain.then(|| arg.clone());
        }
        previous = arg;
    }
    None
}
