//! Fault injection through the test-only `fault` workload: every failure
//! gives an error that says what happened and where, nothing hangs, and no
//! child or zombie is left behind.
//!
//! The tests in this file run one at a time (see `serial`), so that after
//! each one this process must have no child at all, zombie or not.

mod common;

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use common::*;
use tvp::backends::{self, Config};
use tvp::workloads::{Job, run_sequential};
use tvp::{Backend, Error};

/// Short, so a hang costs a test a few seconds, not ten minutes.
const DEADLINE: Duration = Duration::from_secs(2);

fn config() -> Config {
    Config::new(exe()).with_task_deadline(DEADLINE)
}

/// One test at a time, and none leaves a child behind.
struct Serial(#[allow(dead_code)] MutexGuard<'static, ()>);

fn serial() -> Serial {
    static LOCK: Mutex<()> = Mutex::new(());
    Serial(LOCK.lock().unwrap_or_else(PoisonError::into_inner))
}

impl Drop for Serial {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let left = children_of(std::process::id());
        assert!(
            left.is_empty(),
            "children left behind (pid, state): {left:?}"
        );
    }
}

fn prepared(name: &str, workers: usize) -> Box<dyn Backend> {
    let mut backend = backends::create(name, &config()).unwrap();
    backend.prepare(workers).unwrap();
    backend
}

// 1. A chunk panics in a thread backend.

/// Items sleep 5 ms, so a chunk that is not stopped runs for 20_000 * 5 ms /
/// 2 workers = 50 s; a stopped one ends at its next tick.
#[test]
fn a_panicking_chunk_is_named_and_stops_its_siblings() {
    let _serial = serial();
    for name in ["threads", "rayon", "gil", "sequential", "async", "async-mt"] {
        let mut job = fault_job(20_000, "panic", 0);
        job.options.insert("item_ms".into(), "5".into());
        let start = Instant::now();
        let err = prepared(name, 2).execute(&job).unwrap_err();
        let took = start.elapsed();
        let text = err.to_string();
        assert!(
            matches!(err, Error::ChunkPanicked { .. }),
            "{name}: expected the panic, got {text}"
        );
        assert!(
            text.contains("workload `fault` panicked in chunk 0 (items 0..")
                && text.contains("fault injected at item 0"),
            "{name}: {text}"
        );
        // Bounds a hang (50 s if the other chunk ran on), not a speed.
        assert!(took < Duration::from_secs(20), "{name} took {took:?}");
    }
}

#[test]
fn the_panic_is_reported_not_the_cancellations_it_caused() {
    let _serial = serial();
    // 3 static chunks of 30 items: 0..10, 10..20, 20..30. Chunk 1 panics;
    // chunks 0 and 2 hang until cancelled.
    let mut job = fault_job(30, "panic", 10);
    job.options.insert("item_ms".into(), "200".into());
    for name in ["threads", "gil", "async-mt"] {
        let err = prepared(name, 3).execute(&job).unwrap_err().to_string();
        assert!(
            err.contains("panicked in chunk 1 (items 10..20)"),
            "{name}: {err}"
        );
    }
}

/// A panic inside a task's future (an awaited chunk, not one run inline)
/// is named like any other; the waiting tasks are dropped at once, not
/// after their 2,000 waits of 20 ms.
#[test]
fn a_panicking_future_is_named_and_the_waiting_tasks_are_dropped() {
    let _serial = serial();
    let mut job = fault_job(8_000, "panic", 6_001);
    job.options.insert("where".into(), "async".into());
    job.options.insert("item_ms".into(), "20".into());
    for name in ["async", "async-mt"] {
        let start = Instant::now();
        let err = prepared(name, 4).execute(&job).unwrap_err().to_string();
        assert!(
            err.contains("panicked in chunk 3 (items 6000..8000)")
                && err.contains("fault injected at item 6001"),
            "{name}: {err}"
        );
        // Bounds a hang (40 s if the others waited on), not a speed.
        assert!(start.elapsed() < Duration::from_secs(20), "{name}");
    }
}

#[test]
fn a_backend_runs_again_after_a_panicking_job() {
    let _serial = serial();
    let good = fault_job(1_000, "none", 0);
    for name in ["threads", "rayon", "gil", "async", "async-mt"] {
        let mut backend = prepared(name, 2);
        assert!(backend.execute(&fault_job(1_000, "panic", 700)).is_err());
        assert_eq!(
            backend.execute(&good).unwrap(),
            run_sequential(&good).unwrap(),
            "{name}"
        );
    }
}

// 2. A child process fails.

/// Each fault a child can have, and words its error must contain.
const CHILD_FAULTS: &[(&str, &[&str])] = &[
    ("panic", &["task failed", "fault injected at item 25"]),
    ("abort", &["SIGABRT"]),
    ("kill", &["SIGKILL"]),
    ("exit", &["exited with code 3"]),
    ("garbage", &["protocol error", "not a reply"]),
    ("truncate", &["truncated line", "{\\\"checksum\\\":"]),
    ("hang", &["hung past the deadline", "2s"]),
];

/// 40 items of 20 ms; item 25 fails. The other children are mid-task.
fn child_fault_job(fault: &str, pids: &std::path::Path) -> Job {
    let mut job = fault_job(40, fault, 25);
    job.options.insert("item_ms".into(), "20".into());
    job.options.insert("pid_dir".into(), path_option(pids));
    job
}

#[test]
fn every_child_fault_is_explained_reaped_and_recoverable() {
    let _serial = serial();
    for name in ["process", "pool"] {
        let mut backend = prepared(name, 2);
        for &(fault, words) in CHILD_FAULTS {
            let case = format!("{name} x {fault}");
            let pids = pid_dir();
            let start = Instant::now();
            let err = backend
                .execute(&child_fault_job(fault, pids.path()))
                .unwrap_err()
                .to_string();
            // Bounds a hang: the deadline is 2 s, the job 0.5 s.
            assert!(start.elapsed() < Duration::from_secs(30), "{case}: slow");
            let spawned = pids_in(pids.path());
            assert!(spawned.len() >= 2, "{case}: children {spawned:?}");
            // The child that ran item 25 is the one named.
            let culprit = spawned
                .iter()
                .find(|(_, ranges)| ranges.iter().any(|r| r.contains(&25)))
                .map(|(pid, _)| *pid)
                .unwrap_or_else(|| panic!("{case}: nobody ran item 25: {spawned:?}"));
            assert!(
                err.contains(&format!("worker process {culprit} ")),
                "{case}: error does not name {culprit}: {err}"
            );
            for word in words {
                assert!(err.contains(word), "{case}: no {word:?} in: {err}");
            }
            for (pid, _) in &spawned {
                assert_reaped(*pid, &case);
            }
            if name == "pool" {
                let again = backend.execute(&fault_job(10, "none", 0)).unwrap_err();
                assert!(
                    again.to_string().contains("prepare"),
                    "{case}: a broken pool must say to rebuild it: {again}"
                );
                backend.prepare(2).unwrap();
            }
            let good = fault_job(100, "none", 0);
            assert_eq!(
                backend.execute(&good).unwrap(),
                run_sequential(&good).unwrap(),
                "{case}: the backend works again"
            );
        }
    }
}

#[test]
fn a_child_killed_from_outside_mid_task_is_named() {
    let _serial = serial();
    let mut pool = tvp::process::pool::Pool::new(exe(), 2).unwrap();
    let pids = pool.pids();
    let mut slow = fault_job(1_000, "none", 0);
    slow.options.insert("item_ms".into(), "100".into());
    pool.submit(&slow, 0..500).unwrap();
    pool.submit(&slow, 500..1_000).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: kill touches no memory; the pid is our unreaped child.
    unsafe { libc::kill(pids[1] as libc::pid_t, libc::SIGKILL) };
    let err = pool.recv().unwrap_err().to_string();
    assert!(
        err.contains(&format!("worker process {} (exited early)", pids[1]))
            && err.contains("SIGKILL"),
        "{err}"
    );
    assert!(pool.is_broken());
    for pid in pids {
        assert_reaped(pid, "after a worker was killed");
    }
    let err = pool.submit(&slow, 0..1).unwrap_err().to_string();
    assert!(err.contains("broken"), "{err}");
}

#[test]
fn a_child_that_exits_between_tasks_breaks_the_pool() {
    let _serial = serial();
    let mut pool = tvp::process::pool::Pool::new(exe(), 1).unwrap();
    let pid = pool.pids()[0];
    // SAFETY: as above.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    std::thread::sleep(Duration::from_millis(100));
    // The request may or may not reach the pipe before the death is seen:
    // either submit or recv says so.
    let err = match pool.submit(&fault_job(10, "none", 0), 0..10) {
        Err(e) => e,
        Ok(_) => pool.recv().unwrap_err(),
    }
    .to_string();
    assert!(err.contains(&format!("worker process {pid}")), "{err}");
    assert_reaped(pid, "a dead idle worker");
}

#[test]
fn a_process_backend_child_error_stops_the_others_at_once() {
    let _serial = serial();
    // 4 children; the last chunk's first item exits. The others would run
    // 25 items of 400 ms (10 s) each.
    let pids = pid_dir();
    let mut job = fault_job(100, "exit", 75);
    job.options.insert("item_ms".into(), "400".into());
    job.options
        .insert("pid_dir".into(), path_option(pids.path()));
    let start = Instant::now();
    let err = prepared("process", 4)
        .execute(&job)
        .unwrap_err()
        .to_string();
    assert!(err.contains("exited with code 3"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "waited for the healthy children: {:?}",
        start.elapsed()
    );
    for (pid, _) in pids_in(pids.path()) {
        assert_reaped(pid, "process backend");
    }
}

#[test]
fn faults_that_end_a_process_are_ignored_outside_a_worker() {
    let _serial = serial();
    // So the sequential reference of `tvp run` is never killed by them.
    for fault in ["abort", "kill", "exit", "garbage", "truncate"] {
        let job = fault_job(50, fault, 10);
        assert_eq!(
            prepared("threads", 2).execute(&job).unwrap(),
            (0..50).sum::<u64>()
        );
    }
}
