//! Finding `python3` and running the script under a time limit.
//!
//! The interpreter is `TVP_PYTHON` when set (a path, or a name looked up on
//! `PATH`), otherwise `python3` on `PATH`. When there is none, callers skip
//! the comparison with [`Missing`]'s message instead of failing. The script
//! runs in its own process group, so a run past its time limit, or
//! interrupted (see [`crate::interrupt`]), is killed together with its pool
//! workers: nothing hangs, nothing is left behind. If this process dies
//! first, `TVP_DIE_WITH_PARENT=1` has the script and its workers die with it
//! (Linux); `TVP_PARENT_PID` tells the script which parent to expect, so one
//! killed before the script started is caught too.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The environment variable that names the interpreter.
pub const PYTHON_ENV: &str = "TVP_PYTHON";

/// Why there is no interpreter to run. Its message says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub reason: String,
    /// The user named the interpreter (`TVP_PYTHON`): its absence is an
    /// error, not a reason to skip.
    pub asked: bool,
}

impl Missing {
    /// The error for an interpreter the user asked for and that is not
    /// there.
    pub fn into_error(self) -> Error {
        Error::Python(format!(
            "{}: set {PYTHON_ENV} to a CPython 3 interpreter, or unset it to use `python3` \
             from PATH",
            self.reason
        ))
    }
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "skipping the Python comparison: {}. Install CPython 3 as `python3` on PATH, \
             or set {PYTHON_ENV} to an interpreter",
            self.reason
        )
    }
}

/// The interpreter to use: `TVP_PYTHON` if set and not empty, else
/// `python3` on `PATH`.
pub fn find_python() -> std::result::Result<PathBuf, Missing> {
    match std::env::var_os(PYTHON_ENV).filter(|v| !v.is_empty()) {
        Some(value) => {
            let wanted = PathBuf::from(&value);
            let found = if wanted.components().count() > 1 {
                is_executable(&wanted).then_some(wanted.clone())
            } else {
                search_path(&wanted)
            };
            found.ok_or_else(|| Missing {
                reason: format!(
                    "{PYTHON_ENV}={} is not an executable file",
                    wanted.display()
                ),
                asked: true,
            })
        }
        None => search_path(Path::new("python3")).ok_or_else(|| Missing {
            reason: "no `python3` on PATH".into(),
            asked: false,
        }),
    }
}

fn search_path(name: &Path) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// How a run under a time limit ended.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    /// Everything the program wrote on stdout.
    pub stdout: Vec<u8>,
}

/// Runs `command` with stdout captured and stderr passed through, and kills
/// its whole process group if it runs past `limit`; the error then ends
/// with `advice` (what to try next) when it is not empty.
pub fn run_with_limit(mut command: Command, limit: Duration, advice: &str) -> Result<Finished> {
    let what = format!("{command:?}");
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .env("TVP_DIE_WITH_PARENT", "1")
        .env("TVP_PARENT_PID", std::process::id().to_string())
        .process_group(0);
    let child = command
        .spawn()
        .map_err(|e| Error::io(format!("cannot start {what}"), e))?;
    let mut group = Group { child, done: false };
    // Read stdout on a thread, so a full pipe can never block the child.
    let mut stdout = group.child.stdout.take().expect("stdout is piped");
    let (sender, output) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = sender.send(stdout.read_to_end(&mut bytes).map(|_| bytes));
    });
    let deadline = Instant::now() + limit;
    let past_limit = |what: &str| {
        Error::Python(format!(
            "{what} ran past its {} s limit and was stopped with its child processes{}",
            limit.as_secs(),
            if advice.is_empty() {
                String::new()
            } else {
                format!("; {advice}")
            }
        ))
    };
    let status = loop {
        match group.child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                group.kill();
                return Err(past_limit(&what));
            }
            // Ctrl-C reaches only the terminal's process group, not this one.
            Ok(None) if crate::interrupt::requested() => {
                group.kill();
                return Err(crate::interrupt::error().expect("an interrupt was requested"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(Error::io(format!("waiting for {what}"), e)),
        }
    };
    // The child has exited, but a process it left behind may still hold
    // stdout open: wait for the end of output until the same deadline.
    let stdout = match output.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(read) => read.map_err(|e| Error::io(format!("reading the output of {what}"), e))?,
        Err(_) => {
            group.kill();
            return Err(past_limit(&what));
        }
    };
    // Leave nothing behind: a process the script left running is stopped.
    group.kill();
    Ok(Finished { status, stdout })
}

/// A child that leads its own process group; dropping it before it has
/// exited kills the whole group.
struct Group {
    child: Child,
    done: bool,
}

impl Group {
    fn kill(&mut self) {
        if let Ok(pgid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill(2) with a negative pid signals the process group
            // this child leads; it touches no memory of ours.
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
        }
        // Reaps the leader (or returns its status if it was reaped already).
        let _ = self.child.wait();
        self.done = true;
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if !self.done {
            self.kill();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_past_its_limit_is_killed_with_its_children() {
        let mut cmd = Command::new("sh");
        // The background sleep is a grandchild holding stdout open.
        cmd.args(["-c", "sleep 30 & echo started; sleep 30"]);
        let start = Instant::now();
        let err = run_with_limit(cmd, Duration::from_millis(300), "").unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(10));
        assert!(err.to_string().contains("limit"), "{err}");
    }

    #[test]
    fn a_grandchild_holding_stdout_cannot_make_it_hang() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 30 & echo started"]);
        let start = Instant::now();
        let err = run_with_limit(cmd, Duration::from_millis(300), "").unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(10));
        assert!(err.to_string().contains("limit"), "{err}");
    }

    #[test]
    fn a_process_left_behind_is_stopped() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 30 >/dev/null 2>&1 & echo $!"]);
        let done = run_with_limit(cmd, Duration::from_secs(10), "").unwrap();
        let pid: libc::pid_t = String::from_utf8(done.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // Running unless gone or a zombie (state Z) waiting for its reaper.
        let running = || {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                !stat
                    .rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            })
        };
        let start = Instant::now();
        while running() && start.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!running(), "the background sleep {pid} is still running");
    }

    #[test]
    fn output_and_status_come_back() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo hello; exit 3"]);
        let done = run_with_limit(cmd, Duration::from_secs(10), "").unwrap();
        assert_eq!(done.stdout, b"hello\n");
        assert_eq!(done.status.code(), Some(3));
    }
}
