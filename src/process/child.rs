//! A `tvp worker` child process, seen from the parent.
//!
//! Spawning goes through `std::process::Command` (posix_spawn or fork+exec).
//! A [`WorkerChild`] that is dropped without being waited for is killed and
//! reaped, so an error or a panic in the parent never leaves a process or a
//! zombie behind. Replies are read with a deadline ([`recv_each`]): a child
//! that hangs is killed, and the error says so.

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::process::protocol::{Reply, Request};

/// A running `tvp worker` with pipes to its stdin and stdout.
#[derive(Debug)]
pub struct WorkerChild {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Option<ChildStdout>,
    /// Bytes read from stdout after the last whole line.
    partial: Vec<u8>,
    reaped: bool,
}

impl WorkerChild {
    /// Starts `exe worker`. Fails once `tvp` is interrupted.
    pub fn spawn(exe: &Path) -> Result<Self> {
        Self::spawn_subcommand(exe, "worker")
    }

    /// Starts `exe SUBCOMMAND` with the same pipes and the same clean-up on
    /// drop (`tvp memory-cell` uses it).
    pub fn spawn_subcommand(exe: &Path, subcommand: &str) -> Result<Self> {
        let mut child = spawn_tracked(exe, &[subcommand])?;
        let child = WorkerChild {
            stdin: child.stdin.take(),
            stdout: child.stdout.take(),
            child,
            partial: Vec::new(),
            reaped: false,
        };
        // A signal that came while we spawned missed this child: dropping it
        // kills it.
        match crate::interrupt::error() {
            Some(e) => Err(e),
            None => Ok(child),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Writes one request line.
    pub fn send(&mut self, request: &Request) -> Result<()> {
        self.send_line(&request.to_line())
    }

    /// Writes one already-serialised request line.
    pub fn send_line(&mut self, line: &str) -> Result<()> {
        let pid = self.pid();
        let stdin = self.stdin.as_mut().ok_or_else(|| Error::Child {
            pid,
            what: "stdin closed",
            message: "no more requests can be sent to it".into(),
        })?;
        stdin
            .write_all(line.as_bytes())
            .and_then(|()| stdin.flush())
            .map_err(|e| self.died("request not delivered", e.to_string()))
    }

    /// Closes the child's stdin: "no more tasks". The child exits after its
    /// last reply.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Hands the child's stdout to a reader elsewhere (the pool's reader
    /// threads). After this, [`WorkerChild::recv`] fails.
    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.stdout.take()
    }

    /// Reads one reply line and returns its checksum, waiting as long as it
    /// takes.
    pub fn recv(&mut self) -> Result<u64> {
        self.recv_within(None)
    }

    /// Reads one reply line within `timeout`; past it the child is killed.
    pub fn recv_within(&mut self, timeout: Option<Duration>) -> Result<u64> {
        Ok(recv_each(std::slice::from_mut(self), timeout)?[0])
    }

    /// Turns a reply line from this child into its checksum or an error.
    pub fn parse_reply(&self, line: &str) -> Result<u64> {
        match Reply::parse(line) {
            Ok(Reply::Checksum(sum)) => Ok(sum),
            Ok(Reply::Error(message)) => Err(Error::Child {
                pid: self.pid(),
                what: "task failed",
                message,
            }),
            Err(message) => Err(Error::Child {
                pid: self.pid(),
                what: "protocol error",
                message,
            }),
        }
    }

    /// An error for a child that stopped answering: kills it if it is still
    /// running, reaps it and says how it ended. After an interrupt the error
    /// says that instead: we killed it.
    pub fn died(&mut self, what: &'static str, detail: String) -> Error {
        let status = self.kill_and_reap();
        if let Some(e) = crate::interrupt::error() {
            return e;
        }
        let mut message = match status {
            Some(status) => describe(status),
            None => "its exit status could not be read".into(),
        };
        if !detail.is_empty() {
            message = format!("{detail}; {message}");
        }
        Error::Child {
            pid: self.pid(),
            what,
            message,
        }
    }

    /// Closes stdin and waits for the child to exit by itself.
    pub fn wait(&mut self) -> Result<ExitStatus> {
        self.close_stdin();
        self.reap()
            .map_err(|e| Error::io(format!("cannot wait for worker process {}", self.pid()), e))
    }

    /// Kills the child (SIGKILL) if it still runs, and reaps it.
    pub fn kill_and_reap(&mut self) -> Option<ExitStatus> {
        self.close_stdin();
        if self.reaped {
            return self.child.try_wait().ok().flatten();
        }
        let _ = self.child.kill();
        self.reap().ok()
    }

    /// Waits for the child to exit, takes it off the interrupt registry, and
    /// only then reaps it, so its pid cannot be reused while registered.
    fn reap(&mut self) -> io::Result<ExitStatus> {
        let status = reap_tracked(&mut self.child)?;
        self.reaped = true;
        Ok(status)
    }

    /// The next whole line already read, if any.
    fn take_line(&mut self) -> Option<String> {
        let end = self.partial.iter().position(|&b| b == b'\n')?;
        let rest = self.partial.split_off(end + 1);
        let line = std::mem::replace(&mut self.partial, rest);
        Some(String::from_utf8_lossy(&line).into_owned())
    }

    /// One read from stdout; `Ok(false)` at end of file.
    fn read_some(&mut self) -> io::Result<bool> {
        let stdout = self
            .stdout
            .as_mut()
            .ok_or_else(|| io::Error::other("its stdout was handed to another reader"))?;
        let mut buf = [0u8; 4096];
        let n = loop {
            match stdout.read(&mut buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => break other?,
            }
        };
        self.partial.extend_from_slice(&buf[..n]);
        Ok(n > 0)
    }
}

impl Drop for WorkerChild {
    fn drop(&mut self) {
        if !self.reaped {
            self.kill_and_reap();
        }
    }
}

/// Starts `exe ARGS...` with piped stdin and stdout (stderr shared) and puts
/// it on the interrupt registry, so that Ctrl-C kills it; its owner must
/// take it off with [`reap_tracked`]. Fails once `tvp` is interrupted.
pub(crate) fn spawn_tracked(exe: &Path, args: &[&str]) -> Result<Child> {
    if let Some(e) = crate::interrupt::error() {
        return Err(e);
    }
    let child = Command::new(exe)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            Error::io(
                format!(
                    "cannot start the process `{} {}` (is the tvp binary built?)",
                    exe.display(),
                    args.join(" ")
                ),
                e,
            )
        })?;
    crate::interrupt::track(child.id());
    Ok(child)
}

/// Waits for a child of [`spawn_tracked`] to exit, takes it off the
/// interrupt registry, and only then reaps it, so that its pid cannot be
/// reused while registered.
pub(crate) fn reap_tracked(child: &mut Child) -> io::Result<ExitStatus> {
    wait_without_reaping(child.id());
    crate::interrupt::forget(child.id());
    child.wait()
}

/// Reads one reply from each child, in whatever order they come, all within
/// `timeout` from now. Returns the checksums in the children's order, or the
/// first failure at once: a failed task, a line that is not a reply, a
/// truncated line, an early exit, or no reply by the deadline (that child is
/// killed). The caller then drops the children, which kills the others.
pub fn recv_each(children: &mut [WorkerChild], timeout: Option<Duration>) -> Result<Vec<u64>> {
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut sums: Vec<Option<u64>> = vec![None; children.len()];
    loop {
        for (child, sum) in children.iter_mut().zip(sums.iter_mut()) {
            if sum.is_none() {
                if let Some(line) = child.take_line() {
                    *sum = Some(child.parse_reply(&line)?);
                }
            }
        }
        let waiting: Vec<usize> = (0..sums.len()).filter(|&i| sums[i].is_none()).collect();
        if waiting.is_empty() {
            return Ok(sums.into_iter().flatten().collect());
        }
        let mut fds = Vec::with_capacity(waiting.len());
        for &i in &waiting {
            let fd = match &children[i].stdout {
                Some(out) => out.as_raw_fd(),
                None => return Err(children[i].died("stdout taken", String::new())),
            };
            fds.push(libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            });
        }
        let wait_ms = deadline.map_or(-1, |d| {
            let left = d.saturating_duration_since(Instant::now()).as_millis();
            // Round up so a wait never ends just before the deadline.
            i32::try_from(left + 1).unwrap_or(i32::MAX)
        });
        let nfds = libc::nfds_t::try_from(fds.len()).unwrap_or(libc::nfds_t::MAX);
        // SAFETY: `fds` is a live, initialised array of `nfds` pollfd.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), nfds, wait_ms) };
        if ready < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(Error::io("cannot wait for worker replies", e));
        }
        if let (Some(d), Some(t)) = (deadline, timeout) {
            if ready == 0 && Instant::now() >= d {
                return Err(children[waiting[0]].died(
                    "hung past the deadline",
                    format!("no reply within {t:?} (Config::task_deadline), so it was killed"),
                ));
            }
        }
        for (fd, &i) in fds.iter().zip(&waiting) {
            if fd.revents == 0 {
                continue;
            }
            let child = &mut children[i];
            match child.read_some() {
                Ok(true) => {}
                Ok(false) if child.partial.is_empty() => {
                    return Err(child.died("exited before replying", String::new()));
                }
                Ok(false) => {
                    let shown: String = String::from_utf8_lossy(&child.partial)
                        .chars()
                        .take(80)
                        .collect();
                    return Err(
                        child.died("sent a truncated line", format!("{shown:?} and no newline"))
                    );
                }
                Err(e) => return Err(child.died("reply unreadable", e.to_string())),
            }
        }
    }
}

/// Blocks until `pid` has exited, leaving it unreaped (waitid with WNOWAIT).
pub(crate) fn wait_without_reaping(pid: u32) {
    #[cfg(target_os = "linux")]
    {
        let id: libc::id_t = pid;
        loop {
            // SAFETY: siginfo_t is plain data; waitid only writes into it.
            let rc = unsafe {
                let mut info: libc::siginfo_t = std::mem::zeroed();
                libc::waitid(libc::P_PID, id, &mut info, libc::WEXITED | libc::WNOWAIT)
            };
            if rc == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                return;
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = pid;
}

/// "exited with code 3", "killed by signal 9 (SIGKILL)".
pub fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = status.code() {
        format!("it exited with code {code}")
    } else if let Some(signal) = status.signal() {
        let name = match signal {
            libc::SIGKILL => " (SIGKILL)",
            libc::SIGABRT => " (SIGABRT, an abort)",
            libc::SIGSEGV => " (SIGSEGV)",
            libc::SIGTERM => " (SIGTERM)",
            libc::SIGINT => " (SIGINT)",
            _ => "",
        };
        format!("it was killed by signal {signal}{name}")
    } else {
        format!("it ended with {status}")
    }
}
