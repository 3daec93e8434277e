//! The `mpi` backends on a real `mpirun`: checksums agree with sequential,
//! and every failure (a rank that panics, exits, is killed or hangs, a
//! missing mpirun or a wrong binary, a world of the wrong size) ends in an
//! error that says so, never a hang. Faults come from the test-only `fault`
//! workload.
//!
//! Run with `cargo test --features mpi --test mpi`; needs Open MPI's
//! `mpirun` on the PATH (see the README).
#![cfg(feature = "mpi")]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tvp::backends::mpi::{MpiBackend, Transport};
use tvp::backends::{self, Backend, Config};
use tvp::workloads::{self, Job, Kind, run_sequential};

fn config() -> Config {
    Config::new(env!("CARGO_BIN_EXE_tvp"))
}

fn backend(transport: Transport) -> MpiBackend {
    MpiBackend::new(&config(), transport).with_timeout(Duration::from_secs(120))
}

/// Small sizes per CPU workload: fewer items than ranks, and a size no rank
/// count here divides evenly.
fn sizes(workload: &str) -> [u64; 2] {
    match workload {
        "primes" => [2, 10_007],
        "mandelbrot" => [2, 61],
        "monte_carlo" => [2, 100_003],
        other => panic!("add sizes for the new CPU workload `{other}`"),
    }
}

fn cpu_workloads() -> Vec<&'static str> {
    workloads::REGISTRY
        .iter()
        .filter(|w| w.kind == Kind::Cpu)
        .map(|w| w.name)
        .collect()
}

#[test]
fn ranks_agree_with_sequential_on_every_cpu_workload() {
    for workload in cpu_workloads() {
        for size in sizes(workload) {
            let job = Job::new(workload).unwrap().with_size(size);
            let expected = run_sequential(&job).unwrap();
            for (transport, ranks) in [
                (Transport::SharedMemory, 1),
                (Transport::SharedMemory, 2),
                (Transport::SharedMemory, 3),
                (Transport::Tcp, 2),
                (Transport::Tcp, 3),
            ] {
                let mut mpi = backend(transport);
                mpi.prepare(ranks).unwrap();
                let got = mpi.execute(&job).unwrap_or_else(|e| {
                    panic!("{transport:?} x {workload} (size {size}, {ranks} ranks): {e}")
                });
                assert_eq!(
                    got, expected,
                    "{transport:?} x {workload} (size {size}, {ranks} ranks)"
                );
            }
        }
    }
}

#[test]
fn the_launch_cost_is_kept_apart_from_the_computation() {
    let job = Job::new("primes").unwrap().with_size(20_000);
    let mut mpi = backend(Transport::SharedMemory);
    mpi.prepare(2).unwrap();
    assert!(mpi.last_timing().is_none());
    mpi.execute(&job).unwrap();
    let timing = mpi.last_timing().expect("a timing after a run");
    assert!(timing.compute <= timing.total, "{timing:?}");
    assert_eq!(mpi.last_launch_cost(), Some(timing.launch()));
}

#[test]
fn both_transports_are_in_the_registry() {
    for name in ["mpi", "mpi-tcp"] {
        let mut b = backends::create(name, &config()).unwrap();
        assert_eq!(b.name(), name);
        b.prepare(2).unwrap();
        let job = Job::new("primes").unwrap().with_size(1000);
        assert_eq!(b.execute(&job).unwrap(), 168, "{name}");
    }
}

/// A job of the test-only `fault` workload whose item `at` does `fault`.
fn fault_job(size: u64, fault: &str, at: u64) -> Job {
    let mut job = Job::new("fault").unwrap().with_size(size);
    job.options.insert("fault".into(), fault.into());
    job.options.insert("at".into(), at.to_string());
    job
}

#[test]
fn a_panicking_rank_aborts_the_job() {
    let mut mpi = backend(Transport::SharedMemory);
    mpi.prepare(3).unwrap();
    let err = mpi
        .execute(&fault_job(300, "panic", 150))
        .unwrap_err()
        .to_string();
    assert!(err.contains("a rank failed"), "{err}");
    assert!(err.contains("fault injected at item 150"), "{err}");
}

#[test]
fn a_rank_that_exits_or_is_killed_ends_the_job() {
    for fault in ["exit", "kill", "abort"] {
        let mut mpi = backend(Transport::SharedMemory);
        mpi.prepare(2).unwrap();
        let err = mpi.execute(&fault_job(300, fault, 299)).unwrap_err();
        assert!(err.to_string().contains("mpi"), "{fault}: {err}");
    }
}

#[test]
fn a_hang_past_the_timeout_is_an_error() {
    let mut mpi = backend(Transport::SharedMemory).with_timeout(Duration::from_secs(1));
    mpi.prepare(2).unwrap();
    let err = mpi
        .execute(&fault_job(300, "hang", 0))
        .unwrap_err()
        .to_string();
    assert!(err.contains("--timeout 1"), "{err}");
}

/// Writes an executable shell script.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Runs a primes job with a fake `mpirun` that prints `stderr` and then
/// never exits, on `mpi` (as set up by `configure`). Returns the error and
/// checks that the fake is gone.
fn run_with_stuck_mpirun(stderr: &str, configure: impl Fn(MpiBackend) -> MpiBackend) -> String {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let stuck = script(
        dir.path(),
        "mpirun",
        &format!(
            "echo $$ > '{}'\nprintf '{stderr}' >&2\nexec sleep 600",
            pid_file.display()
        ),
    );
    let mut mpi = configure(backend(Transport::SharedMemory).with_mpirun(&stuck));
    mpi.prepare(2).unwrap();
    let err = mpi
        .execute(&Job::new("primes").unwrap().with_size(10))
        .unwrap_err()
        .to_string();
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    assert!(
        !Path::new(&format!("/proc/{}", pid.trim())).exists(),
        "the stuck mpirun {pid} is still there"
    );
    err
}

#[test]
fn an_mpirun_that_ignores_its_timeout_is_killed_by_the_outer_deadline() {
    let err = run_with_stuck_mpirun("", |mpi| mpi.with_timeout(Duration::from_secs(1)));
    assert!(err.contains("killed its process group"), "{err}");
    assert!(err.contains("--timeout 1"), "{err}");
}

#[test]
fn an_mpirun_that_hangs_after_a_rank_failed_is_killed_soon_after() {
    // Open MPI 4.1.4 (Debian 12) sometimes hangs in its shutdown after a
    // rank died, ignoring its --timeout: killed well before the deadline.
    let line = "tvp mpi-worker: rank 1 panicked at src/x.rs:1: boom; aborting";
    let err = run_with_stuck_mpirun(&format!("{line}\\n"), |mpi| mpi);
    assert!(err.contains("a rank failed"), "{err}");
    assert!(err.contains("so tvp killed it"), "{err}");
    assert!(err.contains(line), "{err}");
}

#[test]
fn ranks_that_never_start_are_killed_at_the_start_deadline() {
    // What a host that cannot call back does: mpirun waits, no rank starts.
    let err = run_with_stuck_mpirun("", |mpi| mpi.with_start_timeout(Duration::from_secs(1)));
    assert!(err.contains("had not all started 1 s after"), "{err}");
}

#[test]
fn a_missing_mpirun_is_a_clear_error() {
    let mut mpi = backend(Transport::SharedMemory).with_mpirun("/nonexistent/bin/mpirun");
    let err = mpi.prepare(2).unwrap_err().to_string();
    assert!(
        err.contains("not found") && err.contains("openmpi-bin"),
        "{err}"
    );
}

#[test]
fn a_binary_without_the_feature_is_named_as_such() {
    // What a tvp built without `--features mpi` answers to `mpi-worker`.
    let dir = tempfile::tempdir().unwrap();
    let old = script(
        dir.path(),
        "tvp",
        "echo \"error: unrecognized subcommand 'mpi-worker'\" >&2\nexit 2",
    );
    let mut mpi = MpiBackend::new(&Config::new(&old), Transport::SharedMemory)
        .with_timeout(Duration::from_secs(60));
    mpi.prepare(2).unwrap();
    let err = mpi
        .execute(&Job::new("primes").unwrap().with_size(10))
        .unwrap_err()
        .to_string();
    assert!(err.contains("built without the `mpi` feature"), "{err}");
}

#[test]
fn a_worker_outside_an_n_rank_world_refuses_to_run() {
    // Started without mpirun, a rank is a world of one: it must not compute
    // the whole job as if it were one of two.
    // Open MPI leaves its session dir behind when a rank exits early.
    let session = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tvp"))
        .env("TMPDIR", session.path())
        .args(["mpi-worker", "--ranks", "2", "--job"])
        .arg(r#"{"workload":"primes","size":100}"#)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(out.stdout.is_empty(), "it printed a result");
    assert!(stderr.contains("the MPI world has 1"), "{stderr}");
}

#[test]
fn tvp_run_shows_the_launch_cost_of_both_transports() {
    let out = Command::new(env!("CARGO_BIN_EXE_tvp"))
        .args(["run", "-w", "primes", "-b", "mpi,mpi-tcp", "-n", "1,2"])
        .args(["-s", "5000", "-r", "1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("launch"), "{stdout}");
    for backend in ["mpi", "mpi-tcp"] {
        let rows: Vec<&str> = stdout
            .lines()
            .filter(|l| l.split_whitespace().next() == Some(backend))
            .collect();
        assert_eq!(rows.len(), 2, "{stdout}");
        assert!(
            rows.iter()
                .all(|r| r.contains("  ok  on ") && r.contains(" ms ")),
            "{stdout}"
        );
    }
}

/// The exchange measurement with a small array: every size the bench
/// measures, in one mpirun per transport and rank count.
fn exchange_job() -> tvp::costs::exchange::mpi::RankJob {
    use tvp::costs::exchange::{Policy, SIZES, Spec};
    tvp::costs::exchange::mpi::RankJob {
        specs: SIZES
            .iter()
            .map(|&bytes| Spec {
                elements: 4_001,
                bytes,
                rounds: 1,
            })
            .collect(),
        policy: Policy::QUICK,
    }
}

#[test]
fn the_exchange_agrees_with_sequential_over_shared_memory_and_tcp() {
    use tvp::backends::mpi::Launcher;
    use tvp::costs::exchange::{CHECK_STEPS, reference};
    let job = exchange_job();
    for transport in [Transport::SharedMemory, Transport::Tcp] {
        for ranks in [2, 3] {
            let mut launcher = Launcher::new(&config(), transport);
            launcher.timeout = Duration::from_secs(300);
            let result = tvp::costs::exchange::mpi::run(&launcher, ranks, &job)
                .unwrap_or_else(|e| panic!("{transport:?} x {ranks}: {e}"));
            assert_eq!(result.hosts.len(), ranks);
            for (spec, cell) in job.specs.iter().zip(&result.cells) {
                assert_eq!(cell.bytes, spec.bytes);
                assert_eq!(
                    cell.digest,
                    reference(spec, CHECK_STEPS),
                    "{transport:?} x {ranks} ranks at {} B",
                    spec.bytes
                );
            }
        }
    }
}
