//! A `tvp worker` child process, seen from the parent.
//!
//! Spawning goes through `std::process::Command` (posix_spawn or fork+exec).
//! A [`WorkerChild`] that is dropped without being waited for is killed and
//! reaped, so an error or a panic in the parent never leaves a process or a
//! zombie behind.
//!
//! Every read has a bound and every wait a deadline (a [`Deadline`]):
//! replies are read with one ([`recv_each`]), each line at most
//! [`MAX_LINE`] bytes, and a child must exit within one after its last
//! reply ([`WorkerChild::wait_within`]). A child that passes the deadline,
//! streams bytes without a newline, or stops (SIGSTOP) is killed and reaped,
//! and the error names it and says the deadline.

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Doing, Error, Result};
use crate::process::deadline::Deadline;
use crate::process::lines::{LineBuffer, MAX_LINE, Next};
use crate::process::protocol::{Reply, Request};

/// A running `tvp worker` with pipes to its stdin and stdout.
#[derive(Debug)]
pub struct WorkerChild {
    child: Child,
    /// What it is, for errors: "worker process", "memory-cell process".
    role: &'static str,
    stdin: Option<ChildStdin>,
    stdout: Option<ChildStdout>,
    /// Bytes read from stdout and not yet returned as lines.
    lines: LineBuffer,
    reaped: bool,
    /// The busy time of the last reply parsed, if the child sent one.
    last_busy: Option<Duration>,
}

/// What a `tvp worker` child is called in errors.
pub const WORKER_ROLE: &str = "worker process";

impl WorkerChild {
    /// Starts `exe worker`. Fails once `tvp` is interrupted.
    pub fn spawn(exe: &Path) -> Result<Self> {
        Self::spawn_subcommand(exe, "worker", WORKER_ROLE)
    }

    /// Starts `exe SUBCOMMAND` with the same pipes and the same clean-up on
    /// drop (`tvp memory-cell` uses it); `role` names it in errors
    /// ("memory-cell process").
    pub fn spawn_subcommand(exe: &Path, subcommand: &str, role: &'static str) -> Result<Self> {
        let mut child = spawn_tracked(exe, &[subcommand])?;
        let child = WorkerChild {
            stdin: child.stdin.take(),
            stdout: child.stdout.take(),
            child,
            role,
            lines: LineBuffer::default(),
            reaped: false,
            last_busy: None,
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
            role: self.role,
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
    /// threads). After this, [`WorkerChild::recv_within`] fails.
    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.stdout.take()
    }

    /// Reads one reply line within `deadline` and returns its checksum;
    /// past the deadline the child is killed.
    pub fn recv_within(&mut self, deadline: Deadline) -> Result<u64> {
        Ok(recv_each(std::slice::from_mut(self), deadline)?[0])
    }

    /// Reads one line within `deadline`, whatever it holds; past the
    /// deadline the child is killed.
    pub fn recv_line_within(&mut self, deadline: Deadline) -> Result<String> {
        let mut lines = recv_lines(std::slice::from_mut(self), deadline, |_, line| Ok(line))?;
        Ok(lines.remove(0))
    }

    /// What this child is called in errors ("worker process").
    pub fn role(&self) -> &'static str {
        self.role
    }

    /// An error about this child that needs no kill: it said so itself.
    pub fn error(&self, what: &'static str, message: String) -> Error {
        Error::Child {
            role: self.role,
            pid: self.pid(),
            what,
            message,
        }
    }

    /// Turns a reply line from this child into its checksum or an error,
    /// keeping the busy time it reported for [`WorkerChild::last_busy`].
    pub fn parse_reply(&mut self, line: &str) -> Result<u64> {
        self.last_busy = None;
        match Reply::parse(line) {
            Ok(reply @ (Reply::Checksum(_) | Reply::Done { .. })) => {
                let (sum, busy) = reply.outcome().expect("not an error reply");
                self.last_busy = busy;
                Ok(sum)
            }
            Ok(Reply::Error(message)) => Err(self.error("task failed", message)),
            Err(message) => Err(self.error("protocol error", message)),
        }
    }

    /// How long the child spent computing the task of the last reply
    /// parsed, as it measured it; `None` if that reply had no time.
    pub fn last_busy(&self) -> Option<Duration> {
        self.last_busy
    }

    /// The error for a child that sent more than [`MAX_LINE`] bytes without
    /// a newline; kills it.
    pub fn too_long(&mut self, shown: &str) -> Error {
        self.died(
            "protocol error",
            format!(
                "it sent more than {} with no newline, longer than any line of the \
                 protocol: {shown:?}...",
                crate::process::lines::describe_bound(MAX_LINE)
            ),
        )
    }

    /// An error for a child that stopped answering: kills it if it is still
    /// running, reaps it and says how it ended. After an interrupt the error
    /// says that instead: we killed it, or the interrupt did (Ctrl-C
    /// reaches the whole process group, see
    /// [`crate::interrupt::error_for_child_signal`]).
    pub fn died(&mut self, what: &'static str, detail: String) -> Error {
        use std::os::unix::process::ExitStatusExt;
        let status = self.kill_and_reap();
        let interrupted = match status.and_then(|s| s.signal()) {
            Some(signal) => crate::interrupt::error_for_child_signal(signal),
            None => crate::interrupt::error(),
        };
        if let Some(e) = interrupted {
            return e;
        }
        let mut message = match status {
            Some(status) => describe(status),
            None => "its exit status could not be read".into(),
        };
        if !detail.is_empty() {
            message = format!("{detail}; {message}");
        }
        self.error(what, message)
    }

    /// [`WorkerChild::wait_within`] the default deadline
    /// ([`Deadline::DEFAULT`]).
    pub fn wait(&mut self) -> Result<ExitStatus> {
        self.wait_within(Deadline::DEFAULT)
    }

    /// Closes stdin and waits up to `deadline` for the child to exit by
    /// itself; past it the child is killed and the error says so.
    pub fn wait_within(&mut self, deadline: Deadline) -> Result<ExitStatus> {
        self.close_stdin();
        if !self.reaped && !wait_exit(self.pid(), deadline.limit) {
            return Err(self.died(
                "did not exit",
                format!(
                    "still running {deadline} after its input ended, so it was killed \
                     (stopped, or stuck after its reply)"
                ),
            ));
        }
        self.reap()
            .map_err(|e| Error::io(format!("cannot wait for {} {}", self.role, self.pid()), e))
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
        self.lines.push(&buf[..n]);
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
            Error::io_while(
                Doing::StartingTvp,
                format!(
                    "cannot start the process `{} {}`",
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
/// `deadline` from now. Returns the checksums in the children's order, or the
/// first failure at once: a failed task, a line that is not a reply, a
/// truncated or endless line, an early exit, or no reply by the deadline
/// (that child is killed). The caller then drops the children, which kills
/// the others.
pub fn recv_each(children: &mut [WorkerChild], deadline: Deadline) -> Result<Vec<u64>> {
    recv_lines(children, deadline, |child, line| child.parse_reply(&line))
}

/// Reads one line from each child, all within `deadline`, and turns each
/// into a `T` with `parse` as it comes; the first failure returns at once.
/// The deadline is checked on every pass, so a child that keeps writing
/// without a newline cannot hold it off, and each line is bounded by
/// [`MAX_LINE`].
fn recv_lines<T>(
    children: &mut [WorkerChild],
    deadline: Deadline,
    mut parse: impl FnMut(&mut WorkerChild, String) -> Result<T>,
) -> Result<Vec<T>> {
    let due = Instant::now() + deadline.limit;
    let mut got: Vec<Option<T>> = children.iter().map(|_| None).collect();
    loop {
        for (child, slot) in children.iter_mut().zip(got.iter_mut()) {
            if slot.is_none() {
                match child.lines.next_line() {
                    Some(Next::Line(line)) => *slot = Some(parse(child, line)?),
                    Some(Next::TooLong(shown)) => return Err(child.too_long(&shown)),
                    _ => {}
                }
            }
        }
        let waiting: Vec<usize> = (0..got.len()).filter(|&i| got[i].is_none()).collect();
        if waiting.is_empty() {
            return Ok(got.into_iter().flatten().collect());
        }
        let now = Instant::now();
        if now >= due {
            return Err(children[waiting[0]].died(
                "hung past the deadline",
                format!("no reply within {deadline}, so it was killed"),
            ));
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
        // Round up so a wait never ends just before the deadline.
        let left = due.saturating_duration_since(now).as_millis() + 1;
        let wait_ms = i32::try_from(left).unwrap_or(i32::MAX);
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
        for (fd, &i) in fds.iter().zip(&waiting) {
            if fd.revents == 0 {
                continue;
            }
            let child = &mut children[i];
            match child.read_some() {
                Ok(true) => {}
                Ok(false) => {
                    // A last line may have come with the end of file.
                    match child.lines.next_line() {
                        Some(Next::Line(line)) => {
                            got[i] = Some(parse(child, line)?);
                            continue;
                        }
                        Some(Next::TooLong(shown)) => return Err(child.too_long(&shown)),
                        Some(Next::Truncated(_) | Next::Eof) | None => {}
                    }
                    return Err(match child.lines.at_eof() {
                        Next::Truncated(shown) => {
                            child.died("sent a truncated line", format!("{shown:?} and no newline"))
                        }
                        _ => child.died("exited before replying", String::new()),
                    });
                }
                Err(e) => return Err(child.died("reply unreadable", e.to_string())),
            }
        }
    }
}

/// Waits up to `limit` for `pid` (a child of ours) to exit, leaving it
/// unreaped; whether it did. Wakes the moment it exits (a pidfd, Linux 5.3
/// on), else looks every few milliseconds.
pub(crate) fn wait_exit(pid: u32, limit: Duration) -> bool {
    let due = Instant::now() + limit;
    if has_exited(pid) {
        return true;
    }
    #[cfg(target_os = "linux")]
    if let Some(fd) = pidfd_open(pid) {
        loop {
            let left = due.saturating_duration_since(Instant::now()).as_millis() + 1;
            let mut pfd = libc::pollfd {
                fd: fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one live, initialised pollfd.
            let ready = unsafe { libc::poll(&mut pfd, 1, i32::try_from(left).unwrap_or(i32::MAX)) };
            if has_exited(pid) {
                return true;
            }
            if Instant::now() >= due {
                return false;
            }
            if ready > 0 {
                // Readable but not exited (it should not happen): do not spin.
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
    while Instant::now() < due {
        if has_exited(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    has_exited(pid)
}

/// A pidfd for `pid`: readable once the process has exited.
#[cfg(target_os = "linux")]
fn pidfd_open(pid: u32) -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    let pid = libc::pid_t::try_from(pid).ok()?;
    // SAFETY: pidfd_open takes two integers and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let fd = i32::try_from(fd).ok().filter(|&fd| fd >= 0)?;
    // SAFETY: `fd` was just opened and is owned by nothing else.
    Some(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

/// Whether `pid` has exited (a zombie waiting to be reaped), without
/// reaping it.
fn has_exited(pid: u32) -> bool {
    #[cfg(target_os = "linux")]
    {
        let id: libc::id_t = pid;
        // SAFETY: siginfo_t is plain data; waitid only writes into it.
        let (rc, exited_pid) = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let rc = libc::waitid(
                libc::P_PID,
                id,
                &mut info,
                libc::WEXITED | libc::WNOWAIT | libc::WNOHANG,
            );
            (rc, info.si_pid())
        };
        // With WNOHANG, si_pid stays 0 while the child runs. An error
        // (ECHILD: not our child, or reaped) means there is nothing to wait
        // for.
        rc != 0 || exited_pid != 0
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        true
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
