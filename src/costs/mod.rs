//! The costs underneath: what each Python concurrency concept costs on this
//! machine, each beside its thread-side twin.
//!
//! | Python | process side | thread side | module |
//! |---|---|---|---|
//! | `multiprocessing.Process` | spawn + wait (`Command`, fork) | thread spawn + join | [`spawn`] |
//! | `multiprocessing.Pool` | a task through [`crate::process::pool::Pool`] | a task through a rayon pool | [`spawn`] |
//! | `multiprocessing.Queue` / `Pipe` | pipe, Unix socket, TCP, shared memory | mpsc, crossbeam channel | [`ipc`] |
//! | `multiprocessing.Lock` | a process-shared mutex in shared memory | std / parking_lot Mutex, RwLock, atomics | [`locks`] |
//! | (counters each worker owns) | counters on one shared-memory page | counters adjacent or a cache line apart | [`sharing`] |
//! | `threading.RLock` | - | parking_lot `ReentrantMutex` | [`locks`] |
//! | (the scheduler) | two processes handing over a token | two threads handing over a token | [`switch`] |
//! | `Pool.map` with big arguments, mpi4py's `allreduce` | pipes through the parent, MPI ranks | threads reading shared buffers | [`exchange`] |
//! | `get_context("spawn" \| "fork" \| "forkserver")` | spawn, fork in place, a fork server, a running pool; against the parent's memory | - | [`start`] |
//! | pickling through `Pool.apply` | JSON, a binary encoding, shared memory; 8 B to 64 MiB | - | [`serialization`] |
//!
//! Every type here does its setup (spawned peers, pools, mappings) in its
//! constructor, outside any timing, and offers one method that performs ONE
//! operation (one spawn, one round trip, one batch) for criterion to time
//! (`benches/costs.rs`). Dropping it kills and reaps its peers and removes its
//! files. Process peers are the `tvp` binary run as `tvp peer <mechanism>`
//! ([`peer_main`]); they die with their parent and exit at end of input.
//!
//! The report reads criterion's numbers back
//! ([`crate::report::estimates`]) and writes sentences from them
//! ([`crate::report::explain::costs`]).
//!
//! To add a measurement: a type here whose constructor sets up and whose one
//! method performs one operation, a group in `benches/costs.rs`, and its
//! figure on the costs page (`src/report/pages/costs.rs`).

pub mod crew;
pub mod exchange;
pub mod ipc;
pub mod locks;
pub mod serialization;
pub mod shared;
pub mod sharing;
pub mod spawn;
pub mod start;
pub mod switch;

use std::fs::File;
use std::os::fd::FromRawFd;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, ExitStatus};
use std::time::Duration;

use crate::error::{Error, Result};

/// How long a parent waits for a peer before it calls the peer hung.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(10);

/// The mechanisms `tvp peer` serves.
pub const PEER_MECHANISMS: &[&str] = &[
    "pipe",
    "unix",
    "tcp",
    "shm",
    "switch",
    "lock",
    "sharing",
    "exchange",
    start::SPAWNED_PEER,
    start::FORKSERVER_PEER,
    start::POOL_PEER,
    serialization::JSON_PEER,
    serialization::BINARY_PEER,
    serialization::SHM_PEER,
];

/// Arguments of `tvp peer`.
#[derive(Debug, Clone, Default)]
pub struct PeerArgs {
    /// One of [`PEER_MECHANISMS`].
    pub mechanism: String,
    /// Message size in bytes (IPC peers).
    pub size: usize,
    /// Socket address or shared-memory file.
    pub addr: Option<String>,
    /// CPU to pin to (context-switch peer).
    pub cpu: Option<usize>,
    /// Test hook: a serialization peer kills itself (SIGKILL) once it has
    /// read more than this many bytes of a request, as a worker killed
    /// mid-transfer.
    pub die_after: Option<u64>,
}

/// `tvp peer`: the process side of a cost measurement. Dies with its parent.
pub fn peer_main(args: &PeerArgs) -> Result<()> {
    crate::interrupt::die_with_parent();
    let addr = || {
        args.addr
            .as_deref()
            .ok_or_else(|| Error::InvalidJob(format!("`tvp peer {}` needs --addr", args.mechanism)))
    };
    match args.mechanism.as_str() {
        "pipe" => ipc::serve_stdio(args.size),
        "unix" | "tcp" | "shm" => ipc::serve(&args.mechanism, addr()?, args.size),
        "switch" => switch::serve(Path::new(addr()?), args.cpu),
        "lock" => locks::serve(Path::new(addr()?)),
        "sharing" => sharing::serve(Path::new(addr()?)),
        "exchange" => exchange::pipes::serve(),
        start::SPAWNED_PEER | start::FORKSERVER_PEER | start::POOL_PEER => {
            start::serve(&args.mechanism)
        }
        serialization::JSON_PEER | serialization::BINARY_PEER | serialization::SHM_PEER => {
            serialization::serve(&args.mechanism, args.addr.as_deref(), args.die_after)
        }
        other => Err(Error::InvalidJob(format!(
            "unknown peer mechanism `{other}`: use one of {PEER_MECHANISMS:?}"
        ))),
    }
}

/// A `tvp peer` child with pipes to its stdin and stdout. Dropping it kills
/// and reaps it.
#[derive(Debug)]
pub struct PeerProcess {
    child: Child,
}

impl PeerProcess {
    /// Starts `exe peer <mechanism> <args...>` with piped stdin and stdout,
    /// on the interrupt registry like the workers.
    pub fn spawn(exe: &Path, mechanism: &str, args: &[String]) -> Result<Self> {
        let mut all = vec!["peer", mechanism];
        all.extend(args.iter().map(String::as_str));
        let child = crate::process::child::spawn_tracked(exe, &all)?;
        Ok(PeerProcess { child })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Takes the pipes to the child's stdin and stdout.
    pub fn take_stdio(&mut self) -> (ChildStdin, ChildStdout) {
        let stdin = self.child.stdin.take().expect("stdin taken once");
        let stdout = self.child.stdout.take().expect("stdout taken once");
        (stdin, stdout)
    }

    /// Fails if the child already exited (it could not set up its side).
    pub fn check_running(&mut self) -> Result<()> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => {
                crate::interrupt::forget(self.pid());
                Err(self.error("exited early", crate::process::child::describe(status)))
            }
            Err(e) => Err(self.error("unreadable status", e.to_string())),
        }
    }

    /// An error about this peer.
    pub fn error(&self, what: &'static str, message: String) -> Error {
        Error::Child {
            role: "peer process",
            pid: self.pid(),
            what,
            message,
        }
    }

    /// Waits for the peer to exit by itself (after its input closed).
    pub fn wait(&mut self) -> Result<ExitStatus> {
        self.child.stdin = None;
        crate::process::child::reap_tracked(&mut self.child)
            .map_err(|e| Error::io(format!("cannot wait for peer process {}", self.pid()), e))
    }

    /// The error for a peer that stopped answering: kills it if it still
    /// runs, reaps it, and says how it ended (`detail` first, if any).
    pub fn died(&mut self, what: &'static str, detail: &str) -> Error {
        let _ = self.child.kill();
        let ended = match crate::process::child::reap_tracked(&mut self.child) {
            Ok(status) => crate::process::child::describe(status),
            Err(e) => format!("its exit status could not be read ({e})"),
        };
        let message = if detail.is_empty() {
            ended
        } else {
            format!("{detail}; {ended}")
        };
        self.error(what, message)
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        self.child.stdin = None;
        // Harmless when it has exited: std then neither signals nor waits.
        let _ = self.child.kill();
        let _ = crate::process::child::reap_tracked(&mut self.child);
    }
}

/// The side a peer runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Thread,
    Process,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Thread => "thread",
            Side::Process => "process",
        }
    }
}

/// The `tvp` binary, required for process peers.
fn need_exe(exe: Option<&Path>) -> Result<&Path> {
    exe.ok_or_else(|| {
        Error::InvalidJob(
            "a process peer needs the path of the tvp binary (CARGO_BIN_EXE_tvp in benches)".into(),
        )
    })
}

/// A pipe: (read end, write end), close-on-exec.
fn pipe() -> Result<(File, File)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two fds into the array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(Error::io(
            "cannot create a pipe",
            std::io::Error::last_os_error(),
        ));
    }
    // SAFETY: both fds are new and owned by nobody else.
    Ok(unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) })
}

/// Fails with a message that says what to do when `needed` bytes exceed
/// the memory this machine has available now; `what` names the need.
fn check_memory(what: &str, needed: u64) -> Result<()> {
    let Some(available) = crate::machine::available_memory() else {
        return Ok(());
    };
    if needed <= available {
        return Ok(());
    }
    let gib = |bytes: u64| bytes as f64 / f64::from(1u32 << 30);
    Err(Error::InvalidJob(format!(
        "{what} needs about {:.1} GiB of memory and this machine has {:.1} GiB available: \
         use a smaller payload",
        gib(needed),
        gib(available)
    )))
}

/// Maps an IO error to a library error with context.
fn io_err(context: &str) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::io(context.to_string(), e)
}
