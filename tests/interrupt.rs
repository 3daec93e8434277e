//! Interrupting `tvp run`: SIGINT or SIGTERM stops the children and removes
//! the temp dirs, then exits with 128 + the signal; SIGKILL, which cannot be
//! caught, still takes the children down (PR_SET_PDEATHSIG).

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;

/// Starts `tvp run` on the `fault` workload with `TMPDIR` set to `tmp`, so
/// its temp dir is made there; each worker writes its pid to `pids`.
fn start_run(backend: &str, options: &[&str], tmp: &Path, pids: &Path) -> Child {
    let mut args = vec!["run", "-w", "fault", "-b", backend, "-n", "2", "-s", "8"];
    args.extend(["-r", "1", "-o", "tempdir=1"]);
    let pid_option = format!("pid_dir={}", pids.display());
    args.extend(["-o", &pid_option]);
    for option in options {
        args.extend(["-o", option]);
    }
    Command::new(exe())
        .args(&args)
        .env("TMPDIR", tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn send(child: &Child, signal: i32) {
    // SAFETY: kill touches no memory; the pid is our unreaped child.
    unsafe { libc::kill(child.id() as libc::pid_t, signal) };
}

/// Signals `tvp run` while the case's children (if any) are busy, and checks
/// exit code, message, children and temp dir.
fn interrupt_case(backend: &str, options: &[&str], signal: i32, expect_children: bool) {
    let case = format!("{backend} {options:?} signal {signal}");
    let tmp = pid_dir();
    let pids = pid_dir();
    let mut tvp = start_run(backend, options, tmp.path(), pids.path());
    // Running: the temp dir exists and, for the process backends, both
    // workers are inside a task.
    let busy = wait_for(Duration::from_secs(60), || {
        entries(tmp.path())
            .iter()
            .any(|e| e.starts_with("tvp-fault-"))
            && (!expect_children || pids_in(pids.path()).len() >= 2)
    });
    assert!(busy, "{case}: the run never got going");
    std::thread::sleep(Duration::from_millis(100));
    send(&tvp, signal);
    let status = wait_exit(&mut tvp, Duration::from_secs(60));
    let mut stderr = String::new();
    std::io::Read::read_to_string(tvp.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(128 + signal), "{case}: {stderr}");
    assert!(stderr.contains("interrupted by SIG"), "{case}: {stderr}");
    assert!(!stderr.contains("panicked"), "{case}: {stderr}");
    assert!(
        entries(tmp.path()).is_empty(),
        "{case}: temp files left: {:?}",
        entries(tmp.path())
    );
    for (pid, _) in pids_in(pids.path()) {
        // tvp reaped them, or (had it died first) init did.
        let gone = wait_for(Duration::from_secs(10), || proc_state(pid).is_none());
        assert!(
            gone,
            "{case}: worker {pid} outlived tvp: {:?}",
            proc_state(pid)
        );
    }
}

#[test]
fn sigint_stops_pool_workers_and_removes_the_temp_dir() {
    interrupt_case("pool", &["fault=hang", "where=worker"], libc::SIGINT, true);
}

#[test]
fn sigterm_stops_process_children_and_removes_the_temp_dir() {
    interrupt_case(
        "process",
        &["fault=hang", "where=worker"],
        libc::SIGTERM,
        true,
    );
}

#[test]
fn sigint_stops_in_process_threads() {
    // No children: the sequential reference itself hangs, in tvp's main
    // thread, until the interrupt cancels it at its next tick.
    interrupt_case("threads", &["fault=hang"], libc::SIGINT, false);
}

#[test]
fn sigint_stops_async_tasks_where_they_wait() {
    // The sequential reference completes; the async run's tasks await
    // forever (`where=async`) until the interrupt aborts them.
    interrupt_case("async", &["fault=hang", "where=async"], libc::SIGINT, false);
}

#[test]
fn sigterm_stops_the_multi_thread_runtime() {
    interrupt_case(
        "async-mt",
        &["fault=hang", "where=async"],
        libc::SIGTERM,
        false,
    );
}

#[test]
fn sigkill_of_tvp_takes_its_workers_down() {
    let tmp = pid_dir();
    let pids = pid_dir();
    let mut tvp = start_run(
        "pool",
        &["fault=hang", "where=worker"],
        tmp.path(),
        pids.path(),
    );
    let busy = wait_for(Duration::from_secs(60), || pids_in(pids.path()).len() >= 2);
    assert!(busy, "the pool never got going");
    send(&tvp, libc::SIGKILL);
    tvp.wait().unwrap();
    for (pid, _) in pids_in(pids.path()) {
        // Killed by the kernel with their parent, then reaped by init (or
        // left a zombie of init's if init does not reap: dead either way).
        let dead = wait_for(Duration::from_secs(10), || {
            matches!(proc_state(pid), None | Some('Z'))
        });
        assert!(
            dead,
            "worker {pid} survived its SIGKILLed parent: {:?}",
            proc_state(pid)
        );
    }
    // Nothing can clean up after SIGKILL: the temp dir stays, and `tmp`'s
    // drop removes it here.
}
