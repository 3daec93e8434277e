//! A `tvp worker` child process, seen from the parent.
//!
//! Spawning goes through `std::process::Command` (posix_spawn or fork+exec).
//! A [`WorkerChild`] that is dropped without being waited for is killed and
//! reaped, so an error or a panic in the parent never leaves a process or a
//! zombie behind.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};

use crate::error::{Error, Result};
use crate::worker::{Reply, Request};

/// A running `tvp worker` with pipes to its stdin and stdout.
#[derive(Debug)]
pub struct WorkerChild {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Option<BufReader<ChildStdout>>,
    reaped: bool,
}

impl WorkerChild {
    /// Starts `exe worker`.
    pub fn spawn(exe: &Path) -> Result<Self> {
        Self::spawn_subcommand(exe, "worker")
    }

    /// Starts `exe SUBCOMMAND` with the same pipes and the same clean-up on
    /// drop (`tvp memory-cell` uses it).
    pub fn spawn_subcommand(exe: &Path, subcommand: &str) -> Result<Self> {
        let mut child = Command::new(exe)
            .arg(subcommand)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                Error::io(
                    format!(
                        "cannot start the worker process `{} {subcommand}` (is the tvp binary \
                         built?)",
                        exe.display()
                    ),
                    e,
                )
            })?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().map(BufReader::new);
        Ok(WorkerChild {
            child,
            stdin,
            stdout,
            reaped: false,
        })
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
    pub fn take_stdout(&mut self) -> Option<BufReader<ChildStdout>> {
        self.stdout.take()
    }

    /// Reads one reply line and returns its checksum.
    pub fn recv(&mut self) -> Result<u64> {
        let pid = self.pid();
        let stdout = self.stdout.as_mut().ok_or_else(|| Error::Child {
            pid,
            what: "stdout taken",
            message: "its replies are read elsewhere".into(),
        })?;
        let mut line = String::new();
        match stdout.read_line(&mut line) {
            Ok(0) => Err(self.died("exited before replying", String::new())),
            Ok(_) if !line.ends_with('\n') => {
                Err(self.died("sent a truncated line", format!("{line:?}")))
            }
            Ok(_) => self.parse_reply(&line),
            Err(e) => Err(self.died("reply unreadable", e.to_string())),
        }
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
    /// running, reaps it and says how it ended.
    pub fn died(&mut self, what: &'static str, detail: String) -> Error {
        let status = self.kill_and_reap();
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
        let status = self
            .child
            .wait()
            .map_err(|e| Error::io(format!("cannot wait for worker process {}", self.pid()), e))?;
        self.reaped = true;
        Ok(status)
    }

    /// Kills the child (SIGKILL) if it still runs, and reaps it.
    pub fn kill_and_reap(&mut self) -> Option<ExitStatus> {
        self.close_stdin();
        if self.reaped {
            return self.child.try_wait().ok().flatten();
        }
        let _ = self.child.kill();
        let status = self.child.wait().ok();
        self.reaped = true;
        status
    }
}

impl Drop for WorkerChild {
    fn drop(&mut self) {
        if !self.reaped {
            self.kill_and_reap();
        }
    }
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
