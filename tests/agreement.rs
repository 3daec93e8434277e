//! Every backend returns the sequential checksum, for every workload, at
//! worker counts that do and do not divide the size, including sizes smaller
//! than the worker count and the empty job.

use tvp::backends::{self, Config};
use tvp::workloads::{self, Job, run_sequential};

fn config() -> Config {
    Config::new(env!("CARGO_BIN_EXE_tvp"))
}

/// Small sizes per workload: 0, 1, 2, fewer than 7 workers, and a few
/// hundred items' worth that no worker count here divides evenly.
fn sizes(workload: &str) -> Vec<u64> {
    let larger = match workload {
        "primes" => 10_007,
        "mandelbrot" => 61,
        "monte_carlo" => 100_003,
        "stream" => 5_003,
        "latency" => 23,
        "files" => 101,
        "files_fsync" => 13,
        "tcp" => 1_003,
        other => panic!("add sizes for the new workload `{other}`"),
    };
    vec![0, 1, 2, 5, larger]
}

#[test]
fn every_backend_agrees_with_sequential() {
    let config = config();
    for workload in workloads::names() {
        for size in sizes(workload) {
            // IO workloads need their temp dir or server for the whole loop.
            let fixture = Job::new(workload).unwrap().with_size(size).setup().unwrap();
            let job = &fixture.job;
            let expected = run_sequential(job).unwrap();
            for name in backends::names() {
                let mut backend = backends::create(name, &config).unwrap();
                for workers in [1, 2, 3, 7] {
                    backend.prepare(workers).unwrap();
                    let got = backend.execute(job).unwrap_or_else(|e| {
                        panic!("{name} x {workload} (size {size}, {workers} workers): {e}")
                    });
                    assert_eq!(
                        got, expected,
                        "{name} x {workload} (size {size}, {workers} workers)"
                    );
                }
            }
        }
    }
}

/// The async backends at 1, 2, 3, 7 and 1,000 concurrent tasks: a size past
/// 1,000 so that 1,000 tasks each get items (`latency` waits 2 ms per item,
/// `tcp` opens a connection per task, `files` hops to the blocking threads).
#[test]
fn async_backends_agree_at_up_to_a_thousand_tasks() {
    let config = config();
    let tasks = backends::with_worker(backends::Worker::Task);
    assert_eq!(tasks, ["async", "async-mt"]);
    for workload in workloads::names() {
        let size = match workload {
            // Items are heavier here: a thousand tasks of a few items each.
            "files_fsync" => 1_000,
            "mandelbrot" => 1_001,
            _ => sizes(workload)[4].max(1_003),
        };
        let fixture = Job::new(workload).unwrap().with_size(size).setup().unwrap();
        let job = &fixture.job;
        let expected = run_sequential(job).unwrap();
        for name in &tasks {
            let mut backend = backends::create(name, &config).unwrap();
            for workers in [1, 2, 3, 7, 1_000] {
                backend.prepare(workers).unwrap();
                let got = backend.execute(job).unwrap_or_else(|e| {
                    panic!("{name} x {workload} (size {size}, {workers} tasks): {e}")
                });
                assert_eq!(
                    got, expected,
                    "{name} x {workload} (size {size}, {workers} tasks)"
                );
            }
        }
    }
}

#[test]
fn stream_agrees_across_several_array_fills() {
    // Past one array-full, so a chunk spans several fills of the arrays.
    let job = Job::new("stream")
        .unwrap()
        .with_size(workloads::stream::ARRAY_LEN as u64 * 2 + 3);
    let expected = run_sequential(&job).unwrap();
    for name in ["threads", "rayon", "pool"] {
        let mut backend = backends::create(name, &config()).unwrap();
        for workers in [2, 3] {
            backend.prepare(workers).unwrap();
            assert_eq!(
                backend.execute(&job).unwrap(),
                expected,
                "{name} x {workers}"
            );
        }
    }
}

#[test]
fn a_backend_can_run_many_jobs_after_one_prepare() {
    let config = config();
    for name in backends::names() {
        let mut backend = backends::create(name, &config).unwrap();
        backend.prepare(3).unwrap();
        for workload in workloads::names() {
            let fixture = Job::new(workload)
                .unwrap()
                .with_size(sizes(workload)[4])
                .setup()
                .unwrap();
            assert_eq!(
                backend.execute(&fixture.job).unwrap(),
                run_sequential(&fixture.job).unwrap()
            );
        }
    }
}

#[test]
fn execute_before_prepare_is_an_error_not_a_panic() {
    let job = Job::new("primes").unwrap().with_size(10);
    for name in [
        "threads", "rayon", "gil", "process", "pool", "async", "async-mt",
    ] {
        let mut backend = backends::create(name, &config()).unwrap();
        let err = backend.execute(&job).unwrap_err().to_string();
        assert!(err.contains("prepare"), "{name}: {err}");
    }
}

/// Chunks per worker the agreement tests try: static, a few, one that no
/// size divides, the default of the balancing backends, and many.
const CHUNKINGS: [usize; 5] = [1, 2, 3, 8, 64];

#[test]
fn every_backend_agrees_with_sequential_at_every_chunking() {
    for entry in workloads::REGISTRY
        .iter()
        .filter(|e| e.kind != workloads::Kind::Io)
    {
        let workload = entry.name;
        for size in sizes(workload) {
            let job = Job::new(workload).unwrap().with_size(size);
            let expected = run_sequential(&job).unwrap();
            for k in CHUNKINGS {
                let config = config().with_chunks_per_worker(Some(k));
                for name in backends::names() {
                    let mut backend = backends::create(name, &config).unwrap();
                    for workers in [1, 2, 7] {
                        backend.prepare(workers).unwrap();
                        let got = backend.execute(&job).unwrap_or_else(|e| {
                            panic!(
                                "{name} x {workload} (size {size}, {workers} workers, K={k}): {e}"
                            )
                        });
                        assert_eq!(
                            got, expected,
                            "{name} x {workload} (size {size}, {workers} workers, K={k})"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn the_backends_that_cut_by_workers_say_how_many_chunks_they_cut() {
    let defaults = [
        ("threads", 1),
        ("gil", 1),
        ("rayon", 8),
        ("pool", 8),
        ("process", 1),
    ];
    for (name, k) in defaults {
        let backend = backends::create(name, &config()).unwrap();
        assert_eq!(backend.chunks_per_worker(), Some(k), "{name}");
    }
    let asked = config().with_chunks_per_worker(Some(5));
    for name in ["threads", "gil", "rayon", "pool"] {
        let backend = backends::create(name, &asked).unwrap();
        assert_eq!(backend.chunks_per_worker(), Some(5), "{name}");
    }
    // One child per chunk: the process backend has one chunking only.
    let process = backends::create("process", &asked).unwrap();
    assert_eq!(process.chunks_per_worker(), Some(1));
    let sequential = backends::create("sequential", &asked).unwrap();
    assert_eq!(sequential.chunks_per_worker(), None);
}

#[test]
fn every_worker_reports_its_busy_time_within_the_run() {
    let job = Job::new("primes").unwrap().with_size(30_000);
    let expected = run_sequential(&job).unwrap();
    for k in [None, Some(1), Some(4)] {
        let config = config().with_chunks_per_worker(k);
        for name in ["threads", "gil", "rayon", "pool", "process"] {
            let mut backend = backends::create(name, &config).unwrap();
            for workers in [1, 2, 3] {
                backend.prepare(workers).unwrap();
                let start = std::time::Instant::now();
                assert_eq!(backend.execute(&job).unwrap(), expected);
                let wall = start.elapsed();
                let busy = backend
                    .last_busy()
                    .unwrap_or_else(|| panic!("{name} recorded no busy times"));
                let id = format!("{name}, {workers} workers, K={k:?}: {busy:?} in {wall:?}");
                assert_eq!(busy.len(), workers, "one per worker: {id}");
                assert!(busy.iter().all(|b| *b <= wall), "{id}");
                // Every item was computed by some worker.
                assert!(busy.iter().any(|b| !b.is_zero()), "{id}");
            }
        }
    }
    let mut sequential = backends::create("sequential", &config()).unwrap();
    sequential.prepare(1).unwrap();
    sequential.execute(&job).unwrap();
    assert_eq!(sequential.last_busy(), None);
}

#[test]
fn a_worker_with_no_chunk_has_zero_busy_time() {
    // Two items, five workers: three get nothing to do.
    let job = Job::new("primes").unwrap().with_size(2);
    for name in ["threads", "rayon", "pool", "process"] {
        let mut backend = backends::create(name, &config()).unwrap();
        backend.prepare(5).unwrap();
        backend.execute(&job).unwrap();
        let busy = backend.last_busy().unwrap();
        assert_eq!(busy.len(), 5, "{name}: {busy:?}");
        assert!(
            busy.iter().filter(|b| b.is_zero()).count() >= 3,
            "{name}: {busy:?}"
        );
    }
}
