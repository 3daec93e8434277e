//! IO workloads past the core count: every backend agrees with sequential
//! at many workers, and the memory figures are present and sensible. No
//! timing assertions: the machine is shared.

use std::process::Command;

use tvp::backends::{self, Config};
use tvp::sweep::memory::{self, CellMemory};
use tvp::workloads::{Job, run_sequential};

fn config() -> Config {
    Config::new(env!("CARGO_BIN_EXE_tvp"))
}

#[test]
fn io_workloads_agree_at_many_workers() {
    for (workload, size, workers) in [
        ("latency", 64, 64),
        ("tcp", 300, 64),
        ("files", 100, 16),
        ("files_fsync", 8, 8),
    ] {
        let fixture = Job::new(workload).unwrap().with_size(size).setup().unwrap();
        let expected = run_sequential(&fixture.job).unwrap();
        for name in backends::names() {
            let mut backend = backends::create(name, &config()).unwrap();
            backend.prepare(workers).unwrap();
            assert_eq!(
                backend.execute(&fixture.job).unwrap(),
                expected,
                "{name} x {workload} at {workers} workers"
            );
        }
    }
}

#[test]
fn files_and_files_fsync_write_the_same_data() {
    let sum = |w| {
        let fixture = Job::new(w).unwrap().with_size(5).setup().unwrap();
        run_sequential(&fixture.job).unwrap()
    };
    assert_eq!(sum("files"), sum("files_fsync"));
}

fn cell(backend: &str, workers: usize) -> CellMemory {
    let job = Job::new("latency").unwrap().with_size(8);
    memory::measure_cell(&config(), &job, backend, workers)
        .unwrap_or_else(|e| panic!("{backend} x {workers}: {e}"))
}

#[test]
fn memory_figures_are_present_and_positive() {
    let expected = run_sequential(&Job::new("latency").unwrap().with_size(8)).unwrap();
    let threads = cell("threads", 4);
    let pool = cell("pool", 4);
    for c in [&threads, &pool] {
        assert!(c.parent_kb > 0 && c.peak_kb >= c.parent_kb, "{c:?}");
        assert_eq!(c.checksum, expected, "{c:?}");
    }
    assert_eq!(threads.children, 0, "{threads:?}");
    assert_eq!(pool.children, 4, "every pool worker was seen: {pool:?}");
    assert!(pool.children_kb > 0 && pool.child_max_kb > 0, "{pool:?}");
    assert_eq!(pool.peak_kb, pool.parent_kb + pool.children_kb);
    // Four whole processes weigh more than four threads.
    assert!(pool.peak_kb > threads.peak_kb, "{pool:?} vs {threads:?}");
    let one = cell("pool", 1);
    assert!(memory::mb_per_worker(&one, &pool).unwrap() > 0.0);
}

#[test]
fn a_memory_cell_that_fails_says_why() {
    let job = Job::new("files").unwrap().with_size(3);
    let err = memory::measure_cell(&config(), &job, "threads", 2).unwrap_err();
    assert!(err.to_string().contains("Job::setup"), "{err}");
}

fn tvp(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tvp"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn run_sweeps_io_past_the_cores_and_shows_memory() {
    let args = [
        "run",
        "-w",
        "latency",
        "-b",
        "threads,pool",
        "-s",
        "8",
        "-r",
        "1",
    ];
    let (ok, out, err) = tvp(&args, &[("TVP_IO_MAX_WORKERS", "8")]);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("workers [1, 2, 4, 8]"), "{out}");
    assert!(
        out.contains("peak MB") && out.contains("MB/worker"),
        "{out}"
    );
    let row = out
        .lines()
        .find(|l| l.split_whitespace().take(2).eq(["pool", "8"]))
        .unwrap_or_else(|| panic!("no pool row at 8 workers in\n{out}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    let peak: f64 = cols[cols.len() - 3].parse().unwrap();
    let per_worker: f64 = cols[cols.len() - 2].parse().unwrap();
    assert!(peak > 0.0 && per_worker > 0.0, "{row}");
    // The flag wins over the environment.
    let (ok, out, _) = tvp(
        &[&args[..], &["--max-io-workers", "2", "--no-memory"]].concat(),
        &[("TVP_IO_MAX_WORKERS", "8")],
    );
    assert!(ok && out.contains("workers [1, 2]"), "{out}");
}

#[test]
fn a_bad_io_maximum_is_explained() {
    let (ok, _, err) = tvp(&["run", "-w", "latency"], &[("TVP_IO_MAX_WORKERS", "lots")]);
    assert!(
        !ok && err.contains("lots") && err.contains("TVP_IO_MAX_WORKERS"),
        "{err}"
    );
    let (ok, _, err) = tvp(&["run", "--max-io-workers", "0"], &[]);
    assert!(!ok && err.contains("1 to 1024"), "{err}");
}
