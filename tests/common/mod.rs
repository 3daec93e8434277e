//! Helpers shared by the fault, pool and interrupt tests: jobs for the
//! test-only `fault` workload, and checks that no process is left behind;
//! [`report`]: the report tests' fixture and link checker.

#![allow(dead_code)]

pub mod report;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tvp::workloads::Job;

pub fn exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_tvp"))
}

/// A `fault` job of `size` items whose item `at` does `fault`.
pub fn fault_job(size: u64, fault: &str, at: u64) -> Job {
    let mut job = Job::new("fault").unwrap().with_size(size);
    job.options.insert("fault".into(), fault.into());
    job.options.insert("at".into(), at.to_string());
    job
}

/// The state letter in /proc/<pid>/stat (R, S, Z, ...), or None if the
/// process is gone (reaped).
pub fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ppid ...": comm may hold spaces and parentheses.
    let after = &stat[stat.rfind(')')? + 1..];
    after.trim_start().chars().next()
}

/// The parent pid in /proc/<pid>/stat.
fn proc_ppid(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

/// Every live or zombie process whose parent is `parent`, with its state.
pub fn children_of(parent: u32) -> Vec<(u32, char)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| proc_ppid(pid) == Some(parent))
        .filter_map(|pid| Some((pid, proc_state(pid)?)))
        .collect()
}

/// Asserts the process is reaped: no /proc entry, so neither running nor a
/// zombie.
pub fn assert_reaped(pid: u32, what: &str) {
    if let Some(state) = proc_state(pid) {
        panic!("{what}: worker {pid} is still there in state {state} (Z is a zombie)");
    }
}

/// Waits up to `limit` for `child` to exit; kills it and fails the test
/// past it.
pub fn wait_exit(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let mut status = None;
    wait_for(limit, || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    status.unwrap_or_else(|| {
        let _ = child.kill();
        let _ = child.wait();
        panic!("tvp did not exit within {limit:?}");
    })
}

/// The names of the entries in `dir`.
pub fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Waits up to `limit` for `done`, polling.
pub fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

/// A fresh empty directory for pid files, removed on drop.
pub fn pid_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("tvp-pids-")
        .tempdir()
        .unwrap()
}

/// Pids that wrote to `dir` (see the `pid_dir` option of `fault`), with the
/// item ranges each one ran.
pub fn pids_in(dir: &Path) -> Vec<(u32, Vec<std::ops::Range<u64>>)> {
    let mut pids: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let pid = e.file_name().to_str()?.parse().ok()?;
            let text = std::fs::read_to_string(e.path()).ok()?;
            let ranges = text
                .lines()
                .filter_map(|l| {
                    let (a, b) = l.split_once("..")?;
                    Some(a.parse().ok()?..b.parse().ok()?)
                })
                .collect();
            Some((pid, ranges))
        })
        .collect();
    pids.sort_unstable_by_key(|(pid, _)| *pid);
    pids
}

/// The directory path as an option value.
pub fn path_option(dir: &Path) -> String {
    PathBuf::from(dir).display().to_string()
}
