//! The machine's limits on workers, checked before a run starts.
//!
//! A thread, a child process and a socket each take something the kernel
//! counts: an entry in the process's file table (`RLIMIT_NOFILE`, `ulimit
//! -n`), a thread and a pid (`kernel.threads-max`, `kernel.pid_max`, the
//! cgroup's `pids.max`, and for users other than root `RLIMIT_NPROC`, `ulimit
//! -u`). Past a limit, `pthread_create`, `fork` or `accept` fail halfway
//! through a run, and a server that cannot accept leaves its client waiting
//! forever. So every backend asks here first, with what its workers and the
//! workload's chunks will hold ([`crate::workloads::Resources`]), and a run
//! that would not fit is an [`Error::Limit`] naming the limit and how to
//! raise it, before anything starts.
//!
//! The limits are read, not guessed: `getrlimit`, `/proc/sys/kernel`,
//! `/proc/loadavg` (threads running on the whole machine), `/proc/self/fd`
//! and the cgroup's `pids.max`. An async task needs none of them: that is
//! the point of the `async` backends.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::workloads::Resources;

/// File descriptors kept free for what a run opens besides its workers
/// (stdio, the report, a listening socket, criterion's files).
pub const SPARE_FDS: u64 = 64;

/// Threads kept free for the rest of the machine.
pub const SPARE_THREADS: u64 = 256;

/// What a worker thread costs the kernel's counts.
pub const THREAD: Resources = Resources {
    fds: 0,
    threads: 1,
    processes: 0,
};

/// What a `tvp worker` child costs this process: a process and the two
/// pipes to its stdin and stdout.
pub const CHILD: Resources = Resources {
    fds: 2,
    threads: 0,
    processes: 1,
};

/// What the kernel allows and what is in use, read at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// `RLIMIT_NOFILE`: soft and hard limit on this process's open files.
    pub open_files: Option<(u64, u64)>,
    /// Files this process has open now.
    pub open_now: u64,
    /// `kernel.threads-max`: threads on the whole machine.
    pub threads_max: Option<u64>,
    /// `kernel.pid_max`: every thread takes a pid.
    pub pid_max: Option<u64>,
    /// Threads running on the whole machine now.
    pub threads_now: Option<u64>,
    /// `RLIMIT_NPROC` and the threads this user runs now; `None` when it
    /// does not apply (unlimited, or root, whom the kernel exempts).
    pub user_threads: Option<(u64, u64)>,
    /// This process's cgroup: its `pids.max` file, the limit and the tasks
    /// in it now; `None` without a limit.
    pub cgroup_pids: Option<(PathBuf, u64, u64)>,
}

impl Limits {
    /// Reads the limits of this process and machine now.
    pub fn read() -> Limits {
        let threads_now = loadavg_threads();
        Limits {
            open_files: rlimit(libc::RLIMIT_NOFILE),
            open_now: std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64),
            threads_max: read_number(Path::new("/proc/sys/kernel/threads-max")),
            pid_max: read_number(Path::new("/proc/sys/kernel/pid_max")),
            threads_now,
            user_threads: user_threads(),
            cgroup_pids: cgroup_pids(),
        }
    }

    /// Checks that `need` more fits; `what` names the run, e.g. "`threads`
    /// at 20,000 workers on `latency`". The error names the first limit it
    /// would cross and how to raise it.
    pub fn check(&self, what: &str, need: Resources) -> Result<()> {
        let tasks = (need.threads as u64).saturating_add(need.processes as u64);
        if need.fds > 0 {
            if let Some((soft, hard)) = self.open_files {
                let room = soft.saturating_sub(self.open_now + SPARE_FDS);
                if need.fds as u64 > room {
                    let wanted = (self.open_now + SPARE_FDS).saturating_add(need.fds as u64);
                    let how = if wanted <= hard {
                        format!("raise it with `ulimit -n {wanted}` in the shell that starts tvp")
                    } else {
                        format!(
                            "raise the hard limit ({hard}) first, as root (`ulimit -Hn \
                             {wanted}`, or `nofile` in /etc/security/limits.conf), then \
                             `ulimit -n {wanted}`"
                        )
                    };
                    return Err(limit(
                        what,
                        format!("{} open files", need.fds),
                        format!(
                            "this process may have {soft} (RLIMIT_NOFILE, `ulimit -n`), {} of \
                             them open already and {SPARE_FDS} kept for the rest",
                            self.open_now
                        ),
                        how,
                    ));
                }
            }
        }
        if tasks == 0 {
            return Ok(());
        }
        let now = self.threads_now.unwrap_or(0);
        for (max, name) in [
            (self.threads_max, "kernel.threads-max"),
            (self.pid_max, "kernel.pid_max"),
        ] {
            let Some(max) = max else { continue };
            if tasks > max.saturating_sub(now + SPARE_THREADS) {
                let wanted = (now + SPARE_THREADS).saturating_add(tasks);
                return Err(limit(
                    what,
                    threads_and_processes(need),
                    format!(
                        "the kernel allows {max} threads in all ({name}) and {now} are running \
                         on this machine, {SPARE_THREADS} kept for the rest"
                    ),
                    format!("raise it as root: `sysctl -w {name}={wanted}`"),
                ));
            }
        }
        if let Some((max, used)) = self.user_threads {
            if tasks > max.saturating_sub(used) {
                return Err(limit(
                    what,
                    threads_and_processes(need),
                    format!(
                        "this user may run {max} threads and processes (RLIMIT_NPROC, `ulimit \
                         -u`) and runs {used}"
                    ),
                    format!(
                        "raise it with `ulimit -u {}` in the shell that starts tvp",
                        used.saturating_add(tasks)
                    ),
                ));
            }
        }
        if let Some((file, max, used)) = &self.cgroup_pids {
            if tasks > max.saturating_sub(*used) {
                return Err(limit(
                    what,
                    threads_and_processes(need),
                    format!(
                        "this process's cgroup allows {max} threads and processes ({}) and \
                         holds {used}",
                        file.display()
                    ),
                    format!(
                        "raise it as root: write {} to {}",
                        used.saturating_add(tasks),
                        file.display()
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// What backend `name`'s `workers` hold while it runs, before any workload
/// adds its own: a thread each (`threads`, `gil`, `rayon`), a child and its
/// pipes each (`process`; `pool` also a reader thread each), nothing for
/// tasks (the async runtimes' few threads are the cores').
pub fn worker_needs(name: &str, workers: usize) -> Resources {
    let Ok(entry) = super::entry(name) else {
        return Resources::default();
    };
    match entry.worker {
        super::Worker::Thread => THREAD.times(workers),
        super::Worker::Process if name == "pool" => CHILD.plus(THREAD).times(workers),
        super::Worker::Process => CHILD.times(workers),
        _ => Resources::default(),
    }
}

/// Reads the limits and checks `need` (see [`Limits::check`]).
pub fn check(what: &str, need: Resources) -> Result<()> {
    if need == Resources::default() {
        return Ok(());
    }
    Limits::read().check(what, need)
}

/// "`backend` at 1,000 workers on `workload`", for [`check`]'s `what`.
pub fn describe(backend: &str, workers: usize, workload: Option<&str>) -> String {
    let mut s = format!("`{backend}` at {workers} workers");
    if let Some(w) = workload {
        s += &format!(" on `{w}`");
    }
    s
}

/// Remembers the last (workload, chunks) a backend checked, so a backend
/// timed in a loop reads the limits once, not on every run.
#[derive(Debug, Default)]
pub struct Checked(Option<(String, usize)>);

impl Checked {
    /// Checks `need()` unless `workload` at `chunks` passed last time.
    pub fn ensure(
        &mut self,
        what: impl FnOnce() -> String,
        workload: &str,
        chunks: usize,
        need: impl FnOnce() -> Resources,
    ) -> Result<()> {
        if self
            .0
            .as_ref()
            .is_some_and(|(w, c)| w == workload && *c == chunks)
        {
            return Ok(());
        }
        check(&what(), need())?;
        self.0 = Some((workload.to_string(), chunks));
        Ok(())
    }

    /// Forgets: the next run checks again (after a new `prepare`).
    pub fn reset(&mut self) {
        self.0 = None;
    }
}

fn threads_and_processes(need: Resources) -> String {
    match (need.threads, need.processes) {
        (t, 0) => format!("{t} more threads"),
        (0, p) => format!("{p} more processes"),
        (t, p) => format!("{t} more threads and {p} more processes"),
    }
}

fn limit(what: &str, needs: String, limit: String, raise: String) -> Error {
    Error::Limit {
        what: what.to_string(),
        needs,
        limit,
        raise,
    }
}

/// The soft and hard value of a resource limit; `None` when unlimited.
fn rlimit(resource: libc::__rlimit_resource_t) -> Option<(u64, u64)> {
    // SAFETY: getrlimit writes one rlimit into the struct we own.
    let limit = unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(resource, &mut limit) != 0 {
            return None;
        }
        limit
    };
    (limit.rlim_cur != libc::RLIM_INFINITY).then_some((limit.rlim_cur, limit.rlim_max))
}

fn read_number(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Threads on the whole machine: the total in `/proc/loadavg`'s
/// "running/total" field.
fn loadavg_threads() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace()
        .nth(3)?
        .split_once('/')?
        .1
        .parse()
        .ok()
}

/// `RLIMIT_NPROC` and the threads of this user, unless the user is root,
/// whom the kernel does not hold to it.
fn user_threads() -> Option<(u64, u64)> {
    // SAFETY: getuid has no failure mode and touches no memory.
    let uid = unsafe { libc::getuid() };
    if uid == 0 {
        return None;
    }
    let (max, _) = rlimit(libc::RLIMIT_NPROC)?;
    let mut used = 0;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        };
        if field("Uid:") == Some(u64::from(uid)) {
            used += field("Threads:").unwrap_or(1);
        }
    }
    Some((max, used))
}

/// The `pids.max` of this process's cgroup (v2), with its current count,
/// when it is a number.
fn cgroup_pids() -> Option<(PathBuf, u64, u64)> {
    let text = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let path = text.lines().find_map(|l| l.strip_prefix("0::"))?;
    let dir = Path::new("/sys/fs/cgroup").join(path.trim_start_matches('/'));
    let file = dir.join("pids.max");
    let max = read_number(&file)?;
    let current = read_number(&dir.join("pids.current"))?;
    Some((file, max, current))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> Limits {
        Limits {
            open_files: Some((1024, 4096)),
            open_now: 10,
            threads_max: Some(10_000),
            pid_max: Some(4_194_304),
            threads_now: Some(500),
            user_threads: None,
            cgroup_pids: None,
        }
    }

    fn need(fds: usize, threads: usize, processes: usize) -> Resources {
        Resources {
            fds,
            threads,
            processes,
        }
    }

    #[test]
    fn what_fits_passes() {
        machine().check("x", need(900, 9_000, 0)).unwrap();
        machine().check("x", Resources::default()).unwrap();
    }

    #[test]
    fn too_many_files_names_the_limit_and_the_ulimit_to_raise() {
        let err = machine()
            .check("`async` at 1000 workers on `tcp`", need(2_000, 0, 0))
            .unwrap_err()
            .to_string();
        for part in [
            "`async` at 1000 workers on `tcp` needs 2000 open files",
            "RLIMIT_NOFILE",
            "1024",
            "ulimit -n 2074",
        ] {
            assert!(err.contains(part), "{part:?} not in {err}");
        }
        let err = machine()
            .check("x", need(5_000, 0, 0))
            .unwrap_err()
            .to_string();
        assert!(err.contains("hard limit (4096)"), "{err}");
    }

    #[test]
    fn too_many_threads_names_threads_max_and_the_sysctl() {
        let err = machine()
            .check("`threads` at 10000 workers", need(0, 10_000, 0))
            .unwrap_err()
            .to_string();
        for part in [
            "10000 more threads",
            "kernel.threads-max",
            "500 are running",
            "sysctl -w kernel.threads-max=10756",
        ] {
            assert!(err.contains(part), "{part:?} not in {err}");
        }
    }

    #[test]
    fn a_users_process_limit_and_a_cgroup_are_named() {
        let mut m = machine();
        m.user_threads = Some((100, 40));
        let err = m.check("x", need(0, 30, 40)).unwrap_err().to_string();
        assert!(
            err.contains("RLIMIT_NPROC") && err.contains("ulimit -u 110"),
            "{err}"
        );
        let mut m = machine();
        m.cgroup_pids = Some(("/sys/fs/cgroup/a/pids.max".into(), 50, 45));
        let err = m.check("x", need(0, 0, 6)).unwrap_err().to_string();
        assert!(
            err.contains("6 more processes") && err.contains("a/pids.max"),
            "{err}"
        );
    }

    #[test]
    fn this_machines_limits_are_read() {
        let limits = Limits::read();
        assert!(limits.open_now > 0, "{limits:?}");
        assert!(limits.threads_now.is_some_and(|n| n > 0), "{limits:?}");
        // An impossible need fails on some limit, whatever the machine.
        assert!(limits.check("x", need(usize::MAX, 0, 0)).is_err() || limits.open_files.is_none());
        assert!(limits.check("x", need(0, usize::MAX, 0)).is_err());
    }
}
