//! The CPython workloads in `scripts/python` agree with the Rust ones, and a
//! machine without python3 gets a skip message, not a failure. No timing
//! assertions: only checksums and messages.

use std::process::Command;
use std::time::Duration;

use tvp::python::script::{CheckRow, PythonReport, Script};
use tvp::workloads::monte_carlo::splitmix64;
use tvp::workloads::{Job, run_sequential};

const LIMIT: Duration = Duration::from_secs(120);

/// The interpreter and script, or `None` after saying why the test skips.
fn script() -> Option<Script> {
    match Script::locate() {
        Ok(script) => Some(script),
        Err(missing) => {
            eprintln!("test skipped: {missing}");
            None
        }
    }
}

/// The latency workload as the script defines it: item i waits 2 ms, then
/// yields splitmix64(i) & 0xFFFF; the checksum is the wrapping sum.
fn latency_checksum(size: u64) -> u64 {
    (0..size).fold(0u64, |sum, i| sum.wrapping_add(splitmix64(i) & 0xFFFF))
}

/// Sizes 0, 1, 2 and 7 (fewer items than some worker counts), and one that
/// 2 and 3 workers do not divide.
fn sizes(workload: &str) -> Vec<u64> {
    let larger = match workload {
        "primes" => 10_007,
        "mandelbrot" => 61,
        "monte_carlo" => 20_011,
        "latency" => 23,
        "tcp" => 101,
        other => panic!("add sizes for `{other}`"),
    };
    vec![0, 1, 2, 7, larger]
}

fn rust_checksum(workload: &str, size: u64) -> u64 {
    run_sequential(&Job::new(workload).unwrap().with_size(size)).unwrap()
}

#[test]
fn python_checksums_equal_rust_for_every_backend() {
    let Some(mut script) = script() else { return };
    // Python's tcp talks to a Rust server, as under `tvp python`.
    let server = Job::new("tcp").unwrap().setup().unwrap();
    script.tcp_addr = server
        .job
        .options
        .get(tvp::workloads::tcp::OPT_ADDR)
        .cloned();
    for workload in ["primes", "mandelbrot", "monte_carlo", "latency", "tcp"] {
        let sizes = sizes(workload);
        let rows: Vec<CheckRow> = script
            .check(&[workload], &sizes, &[1, 2, 3], LIMIT)
            .unwrap();
        // python-seq once, three worker counts for each of the other three,
        // python-pool also at 1 and 3 chunks per worker, and for the
        // workloads that wait, asyncio at the three worker counts too.
        let backends = if ["latency", "tcp"].contains(&workload) {
            19
        } else {
            16
        };
        assert_eq!(rows.len(), sizes.len() * backends, "{rows:?}");
        if backends == 19 {
            assert!(
                rows.iter().any(|r| r.backend == "python-asyncio"),
                "{rows:?}"
            );
        }
        let chunked: Vec<Option<usize>> = rows
            .iter()
            .filter(|r| r.backend == "python-pool")
            .map(|r| r.chunks_per_worker)
            .collect();
        assert!(chunked.contains(&Some(1)) && chunked.contains(&Some(3)));
        for row in rows {
            assert_eq!(
                row.checksum,
                rust_checksum(workload, row.size),
                "{} x {workload} (size {}, {} workers)",
                row.backend,
                row.size,
                row.workers
            );
        }
    }
}

#[test]
fn latency_follows_the_definition_both_sides_document() {
    for size in [0, 1, 7] {
        assert_eq!(rust_checksum("latency", size), latency_checksum(size));
    }
}

#[test]
fn a_quick_run_writes_a_report_of_schema_1() {
    let Some(script) = script() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("python.json");
    let run = Command::new(&script.python)
        .arg(&script.script)
        .args(["--quick", "--repeat", "1", "--workers", "1,2"])
        .args(["--workload", "mandelbrot,latency", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let progress = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{progress}");
    assert!(progress.contains("sizes reduced"), "{progress}");
    let report = PythonReport::load(&out).unwrap();
    assert_eq!(report.schema, 1);
    assert!(report.quick);
    assert_eq!(report.workers, vec![1, 2]);
    assert_eq!(report.workload_order(), vec!["mandelbrot", "latency"]);
    assert!(!report.size_reason.is_empty());
    // python-seq once, then 3 backends x 2 worker counts, per workload, and
    // asyncio at 2 worker counts for latency, which waits.
    assert_eq!(report.results.len(), 2 * 7 + 2);
    let interpreter = report
        .interpreter
        .as_ref()
        .expect("the interpreter is recorded");
    assert!(
        interpreter.version.starts_with(&report.python),
        "{interpreter:?}"
    );
    assert_eq!(interpreter.gil_enabled.is_some(), {
        let v: Vec<u32> = report
            .python
            .split('.')
            .filter_map(|p| p.parse().ok())
            .collect();
        v >= vec![3, 13]
    });
    for r in &report.results {
        assert!(r.checksum_ok, "{r:?}");
        assert_eq!(r.checksum, rust_checksum(&r.workload, r.size), "{r:?}");
        assert_eq!(r.times_s.len(), 1);
    }
    // The balance sweep: the CPU workload at every quick chunking, none for
    // latency, each agreeing with Rust.
    let balance = report.balance.expect("a balance sweep");
    assert_eq!(balance.chunks, vec![1, 8, 64]);
    assert_eq!(balance.results.len(), 3, "{:?}", balance.results);
    for r in &balance.results {
        assert_eq!(r.workload, "mandelbrot");
        assert!(r.checksum_ok, "{r:?}");
        assert_eq!(r.checksum, rust_checksum(&r.workload, r.size), "{r:?}");
        assert!(r.chunks <= balance.workers * r.chunks_per_worker, "{r:?}");
    }
}

#[test]
fn without_python_tvp_python_says_so_and_skips() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A PATH with no python3 on it, and no TVP_PYTHON: nothing to run.
    let out = Command::new(env!("CARGO_BIN_EXE_tvp"))
        .args(["python", "--quick", "--data-dir"])
        .arg(&data)
        .env("PATH", dir.path())
        .env_remove("TVP_PYTHON")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("skipping the Python comparison"), "{err}");
    assert!(err.contains("no `python3` on PATH"), "{err}");
    assert!(err.contains("TVP_PYTHON"), "{err}");
    assert!(!data.exists(), "a skipped run wrote {}", data.display());
}

#[test]
fn a_bad_report_file_is_refused_with_what_to_do() {
    let err = PythonReport::parse(r#"{"schema": 2}"#).unwrap_err();
    assert!(err.contains("schema 2") && err.contains("rerun"), "{err}");
    let err = PythonReport::parse("not json").unwrap_err();
    assert!(err.contains("rerun"), "{err}");
}

/// Processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| {
        let cmdline = std::fs::read(e.ok()?.path().join("cmdline")).ok()?;
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        cmdline.contains(needle).then_some(cmdline)
    })
    .collect()
}

/// Starts `tvp python` writing into a fresh temp dir, waits until its
/// script runs, sends `signal`, and checks that no process is left behind.
fn stop_tvp_python_with(signal: i32) -> Option<std::process::ExitStatus> {
    script()?;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let needle = data.to_string_lossy().into_owned();
    let mut tvp = Command::new(env!("CARGO_BIN_EXE_tvp"))
        .args(["python", "--data-dir"])
        .arg(&data)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while processes_mentioning(&needle).is_empty() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !processes_mentioning(&needle).is_empty(),
        "the script never started"
    );
    // Let it start its pools.
    std::thread::sleep(Duration::from_secs(1));
    let pid = libc::pid_t::try_from(tvp.id()).unwrap();
    // SAFETY: kill touches no memory; `pid` is our unreaped child.
    unsafe { libc::kill(pid, signal) };
    let status = tvp.wait().unwrap();
    let start = std::time::Instant::now();
    while !processes_mentioning(&needle).is_empty() && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(processes_mentioning(&needle), Vec::<String>::new());
    Some(status)
}

#[test]
fn ctrl_c_stops_the_script_and_its_workers() {
    if let Some(status) = stop_tvp_python_with(libc::SIGINT) {
        assert_eq!(status.code(), Some(130), "{status}");
    }
}

#[test]
fn the_script_dies_with_a_killed_tvp() {
    stop_tvp_python_with(libc::SIGKILL);
}

/// The lost-update script runs on this machine's Python and its numbers add
/// up: nothing is lost under the Lock, and no case counts more than it added.
#[test]
fn the_lost_update_script_measures_every_case_and_the_lock_loses_nothing() {
    let Some(script) = script() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(tvp::python::lost_update::FILE);
    let l = tvp::python::lost_update::run(&script.python, true, &out).unwrap();
    let names: Vec<&str> = l.cases.iter().map(|c| c.case.as_str()).collect();
    assert_eq!(names, ["plain", "call", "sleep0", "lock"]);
    for c in &l.cases {
        assert_eq!(c.expected, l.threads * c.per_thread, "{c:?}");
        assert_eq!(c.got + c.lost, c.expected, "{c:?}");
    }
    assert_eq!(l.case("lock").unwrap().lost, 0);
    assert!(l.quick);
}
