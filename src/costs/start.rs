//! How a process starts: spawn, fork, a fork server, or a pool already
//! running, each timed from "start" to one answer back, against the
//! parent's touched memory, with and without a payload for the child.
//!
//! Python's `multiprocessing` has three start methods
//! (`get_context("spawn" | "fork" | "forkserver")`), and a `Pool` pays one
//! of them once per worker. Here each of the four ways does the same job:
//! the child sums the payload ([`checksum`]) and sends the sum back.
//!
//! - `spawn`: `std::process::Command` starts `tvp peer start-spawn` (glibc's
//!   posix_spawn, then exec: a fresh program, as Python's spawn starts a
//!   fresh interpreter). The payload is serialized (its length, then its
//!   bytes) and written to the child's stdin.
//! - `fork`: `fork()` without exec. The child runs the work in place, on
//!   the parent's memory: it reads the payload where the parent left it
//!   (copy-on-write: reading copies nothing), writes the sum to a pipe and
//!   leaves with `_exit`. Only async-signal-safe work happens in the child
//!   ([`fork_child`]): the parent may have other threads, and their locks
//!   are copied held.
//! - `forkserver`: a small server started once (`tvp peer
//!   start-forkserver`) forks a child per request, as Python's forkserver
//!   does; the payload travels to it through a pipe.
//! - `pool`: a worker started once (`tvp peer start-pool`) does the work
//!   itself: no process starts at all.
//!
//! What to expect: fork copies the parent's page tables, so its time grows
//! with the parent's touched memory; spawn does not (posix_spawn shares the
//! parent's memory until the exec replaces it) and neither does the fork
//! server, which forks from its own small process. A pool is the quickest.
//! A payload costs the fork child nothing to receive and every other way a
//! copy through a pipe.

use std::io::{self, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, ChildStdout};

use serde::{Deserialize, Serialize};

use super::{PeerProcess, check_memory, io_err, need_exe, pipe};
use crate::error::{Error, Result};

/// The benchmark group.
pub const GROUP: &str = "start-methods";
/// The parent's touched memory the bench starts from, in MiB.
pub const PARENT_MIB: [usize; 3] = [0, 256, 1024];
/// The payload passed to the child in the `-payload` benchmarks.
pub const PAYLOAD_BYTES: usize = 16 << 20;

/// Where the bench records the parent's resident memory at each level, in
/// the report's data folder.
pub const PARENTS_FILE: &str = "start_methods.json";

/// The parent at one level of the bench: what it touched and what the
/// kernel then counted as resident (VmRSS).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parent {
    pub touched_mib: u64,
    pub resident_mib: f64,
}

/// Writes the parents measured (the whole file).
pub fn write_parents(path: &Path, parents: &[Parent]) -> Result<()> {
    crate::sweep::write_json(path, &parents)
}

/// Reads what [`write_parents`] wrote.
pub fn read_parents(path: &Path) -> Result<Vec<Parent>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::Data(format!(
            "{} is not a list of parents ({e}): rerun the start-methods bench",
            path.display()
        ))
    })
}

/// The `tvp peer` started per request by `spawn`.
pub const SPAWNED_PEER: &str = "start-spawn";
/// The `tvp peer` that forks a child per request.
pub const FORKSERVER_PEER: &str = "start-forkserver";
/// The `tvp peer` that answers every request itself.
pub const POOL_PEER: &str = "start-pool";

/// A way to get work done in another process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Spawn,
    Fork,
    Forkserver,
    Pool,
}

impl Method {
    pub const ALL: [Method; 4] = [
        Method::Spawn,
        Method::Fork,
        Method::Forkserver,
        Method::Pool,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Method::Spawn => "spawn",
            Method::Fork => "fork",
            Method::Forkserver => "forkserver",
            Method::Pool => "pool",
        }
    }

    /// What it stands for in Python.
    pub fn python(self) -> &'static str {
        match self {
            Method::Spawn => "get_context(\"spawn\").Process",
            Method::Fork => "get_context(\"fork\").Process",
            Method::Forkserver => "get_context(\"forkserver\").Process",
            Method::Pool => "Pool.apply on a running pool",
        }
    }

    /// The benchmark id: `fork`, or `fork-payload` with the payload.
    pub fn bench_id(self, payload: bool) -> String {
        if payload {
            format!("{}-payload", self.name())
        } else {
            self.name().to_string()
        }
    }

    /// The method and whether a payload went along, from a benchmark id.
    pub fn parse_id(id: &str) -> Option<(Method, bool)> {
        let (name, payload) = match id.strip_suffix("-payload") {
            Some(name) => (name, true),
            None => (id, false),
        };
        Method::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .map(|m| (m, payload))
    }

    /// The `tvp peer` this method talks to.
    fn peer(self) -> Option<&'static str> {
        match self {
            Method::Spawn => Some(SPAWNED_PEER),
            Method::Fork => None,
            Method::Forkserver => Some(FORKSERVER_PEER),
            Method::Pool => Some(POOL_PEER),
        }
    }
}

/// The answer every child sends back: the wrapping sum of the payload's
/// 8-byte little-endian words (the tail padded with zeros), plus its
/// length. Plain loads and adds, so a fork child may run it.
pub fn checksum(payload: &[u8]) -> u64 {
    let mut words = payload.chunks_exact(8);
    let mut sum = payload.len() as u64;
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        sum = sum.wrapping_add(u64::from_le_bytes(w));
    }
    let mut tail = [0u8; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    sum.wrapping_add(u64::from_le_bytes(tail))
}

/// `bytes` pseudo-random bytes, the same every run (SplitMix64 of 0, 1, 2,
/// ...): a payload no encoder can shrink to nothing.
pub fn payload(bytes: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes);
    let mut i = 0;
    while out.len() < bytes {
        let word = crate::workloads::monte_carlo::splitmix64(i).to_le_bytes();
        let take = (bytes - out.len()).min(8);
        out.extend_from_slice(&word[..take]);
        i += 1;
    }
    out
}

/// Runs `child` in a forked child, which then leaves with `_exit(0)` (or 1
/// when `child` returns false), and returns the child's pid to the parent.
///
/// `child` must do only async-signal-safe work: reads and writes of memory
/// it owns, `write(2)` on a descriptor, no allocation, no locks, no panic.
/// The parent may have other threads (a test harness, a signal thread):
/// the child is a copy of this thread alone, and any lock another thread
/// held is copied held, forever.
pub fn fork_child(child: impl FnOnce() -> bool) -> Result<libc::pid_t> {
    /// Leaves the child at once if `child` unwinds after all, rather than
    /// unwinding into a copy of the parent's stack.
    struct ExitOnUnwind;
    impl Drop for ExitOnUnwind {
        fn drop(&mut self) {
            // SAFETY: `_exit` is async-signal-safe and never returns.
            unsafe { libc::_exit(101) }
        }
    }
    // SAFETY: the child only runs `child`, which the caller keeps
    // async-signal-safe (see above), then `_exit`s without unwinding or
    // running destructors.
    match unsafe { libc::fork() } {
        0 => {
            let guard = ExitOnUnwind;
            let ok = child();
            std::mem::forget(guard);
            // SAFETY: as above.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) }
        }
        -1 => Err(Error::io("fork failed", io::Error::last_os_error())),
        pid => Ok(pid),
    }
}

/// Waits for the forked child `pid` and returns how it ended.
pub fn reap(pid: libc::pid_t) -> Result<std::process::ExitStatus> {
    use std::os::unix::process::ExitStatusExt;
    let mut status = 0;
    loop {
        // SAFETY: waiting for our own child, with a valid status pointer.
        let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
        if waited == pid {
            return Ok(std::process::ExitStatus::from_raw(status));
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(Error::io(format!("cannot reap forked child {pid}"), e));
        }
    }
}

/// Writes all of `bytes` to the descriptor `fd` with `write(2)` alone
/// (async-signal-safe, for a fork child); false on failure.
fn write_raw(fd: libc::c_int, mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is a live buffer of `bytes.len()` bytes.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        match usize::try_from(n) {
            Ok(n) if n > 0 => bytes = &bytes[n..],
            // EINTR: try again; anything else fails.
            _ if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
            _ => return false,
        }
    }
    true
}

/// fork(); the child sums `payload` where it lies and writes the sum to a
/// pipe; the parent reads it and reaps the child.
pub fn fork_sum(payload: &[u8]) -> Result<u64> {
    let (mut reader, writer) = pipe()?;
    let fd = writer.as_raw_fd();
    let pid = fork_child(|| write_raw(fd, &checksum(payload).to_le_bytes()))?;
    // Our copy of the write end closes, so a child that dies unheard
    // leaves end of file.
    drop(writer);
    let mut answer = [0u8; 8];
    let read = reader.read_exact(&mut answer);
    let status = reap(pid)?;
    match read {
        Ok(()) if status.success() => Ok(u64::from_le_bytes(answer)),
        _ => Err(Error::Child {
            role: "forked child",
            pid: pid.unsigned_abs(),
            what: "failed",
            message: crate::process::child::describe(status),
        }),
    }
}

/// What a fork child saw of a page of its parent's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CowProbe {
    /// The byte the child read: the parent's, not copied.
    pub child_saw: u8,
    /// The byte the child read back after writing its own value there.
    pub child_after_write: u8,
    /// The parent's byte once the child has exited.
    pub parent_after: u8,
}

/// Forks; the child reads `page[0]`, writes `value` there (the kernel then
/// copies that page for the child alone) and reports what it read before
/// and after; the parent reads its own `page[0]` once the child is gone.
pub fn cow_probe(page: &mut [u8], value: u8) -> Result<CowProbe> {
    let first: *mut u8 = page
        .first_mut()
        .ok_or_else(|| Error::InvalidJob("the copy-on-write probe needs a byte".into()))?;
    let (mut reader, writer) = pipe()?;
    let fd = writer.as_raw_fd();
    let pid = fork_child(|| {
        // SAFETY: `first` points into `page`, which the child owns a copy
        // of; volatile, so the write and the read back really happen.
        let (saw, after) = unsafe {
            let saw = first.read_volatile();
            first.write_volatile(value);
            (saw, first.read_volatile())
        };
        write_raw(fd, &[saw, after])
    })?;
    drop(writer);
    let mut seen = [0u8; 2];
    let read = reader.read_exact(&mut seen);
    let status = reap(pid)?;
    if read.is_err() || !status.success() {
        return Err(Error::Child {
            role: "copy-on-write probe",
            pid: pid.unsigned_abs(),
            what: "failed",
            message: crate::process::child::describe(status),
        });
    }
    Ok(CowProbe {
        child_saw: seen[0],
        child_after_write: seen[1],
        // SAFETY: as above, in the parent's own page.
        parent_after: unsafe { first.read_volatile() },
    })
}

/// Writes one request: the payload's length (8 bytes, little-endian), then
/// its bytes.
fn send_request(out: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    out.write_all(&(payload.len() as u64).to_le_bytes())?;
    out.write_all(payload)?;
    out.flush()
}

/// Reads one request into `buf`; `Ok(false)` at end of input before one.
fn read_request(input: &mut impl Read, buf: &mut Vec<u8>) -> Result<bool> {
    let mut len = [0u8; 8];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
        Err(e) => return Err(io_err("peer: cannot read a request")(e)),
    }
    let len = usize::try_from(u64::from_le_bytes(len))
        .map_err(|_| Error::InvalidJob("peer: a request longer than memory".into()))?;
    buf.clear();
    buf.try_reserve_exact(len).map_err(|_| {
        Error::InvalidJob(format!(
            "peer: no memory for a request of {len} bytes: send a smaller payload"
        ))
    })?;
    buf.resize(len, 0);
    input
        .read_exact(buf)
        .map_err(io_err("peer: the request ended early"))?;
    Ok(true)
}

/// A `tvp peer` that takes requests on its stdin and answers on its stdout.
#[derive(Debug)]
struct Server {
    peer: PeerProcess,
    stdin: ChildStdin,
    stdout: ChildStdout,
}

impl Server {
    fn spawn(exe: &Path, mechanism: &str) -> Result<Server> {
        let mut peer = PeerProcess::spawn(exe, mechanism, &[])?;
        let (stdin, stdout) = peer.take_stdio();
        Ok(Server {
            peer,
            stdin,
            stdout,
        })
    }

    /// Sends one request and reads the sum back.
    fn ask(&mut self, payload: &[u8]) -> Result<u64> {
        let mut answer = [0u8; 8];
        let asked = send_request(&mut self.stdin, payload)
            .and_then(|()| self.stdout.read_exact(&mut answer));
        match asked {
            Ok(()) => Ok(u64::from_le_bytes(answer)),
            Err(e) => Err(self.peer.died("no answer", &e.to_string())),
        }
    }
}

/// One way to start a process, ready to be timed: its servers started, its
/// payload built. Dropping it kills and reaps any server.
#[derive(Debug)]
pub struct Starter {
    method: Method,
    payload: Vec<u8>,
    expected: u64,
    exe: Option<PathBuf>,
    server: Option<Server>,
}

impl Starter {
    /// Untimed setup: builds a payload of `payload_bytes` and starts the
    /// fork server or the pool worker. `exe` (the tvp binary) is needed by
    /// every method but fork.
    pub fn new(method: Method, payload_bytes: usize, exe: Option<&Path>) -> Result<Starter> {
        // The parent's copy, the pipe's and the child's.
        check_memory(
            &format!("a {payload_bytes}-byte payload"),
            (payload_bytes as u64).saturating_mul(3),
        )?;
        let exe = match method.peer() {
            Some(_) => Some(need_exe(exe)?.to_path_buf()),
            None => None,
        };
        let server = match (method, &exe) {
            (Method::Forkserver | Method::Pool, Some(exe)) => {
                Some(Server::spawn(exe, method.peer().expect("a server method"))?)
            }
            _ => None,
        };
        let payload = payload(payload_bytes);
        Ok(Starter {
            method,
            expected: checksum(&payload),
            payload,
            exe,
            server,
        })
    }

    pub fn method(&self) -> Method {
        self.method
    }

    /// The fork server's or pool worker's pid.
    pub fn server_pid(&self) -> Option<u32> {
        self.server.as_ref().map(|s| s.peer.pid())
    }

    /// One start: a process is started (or the running worker asked), gets
    /// the payload, and answers with its checksum, which is checked.
    pub fn start(&mut self) -> Result<u64> {
        let sum = match (self.method, &mut self.server, &self.exe) {
            (Method::Fork, ..) => fork_sum(&self.payload)?,
            (Method::Spawn, _, Some(exe)) => spawn_sum(exe, &self.payload)?,
            (_, Some(server), _) => server.ask(&self.payload)?,
            _ => unreachable!("`new` sets up what each method needs"),
        };
        if sum == self.expected {
            Ok(sum)
        } else {
            Err(Error::InvalidJob(format!(
                "{} answered {sum} for a payload whose checksum is {}",
                self.method.name(),
                self.expected
            )))
        }
    }
}

/// Spawns `exe peer start-spawn`, sends it the payload, reads its sum and
/// waits for it to exit.
fn spawn_sum(exe: &Path, payload: &[u8]) -> Result<u64> {
    let mut peer = PeerProcess::spawn(exe, SPAWNED_PEER, &[])?;
    let (mut stdin, mut stdout) = peer.take_stdio();
    let mut answer = [0u8; 8];
    let asked = send_request(&mut stdin, payload).and_then(|()| {
        drop(stdin);
        stdout.read_exact(&mut answer)
    });
    if let Err(e) = asked {
        return Err(peer.died("no answer", &e.to_string()));
    }
    let status = peer.wait()?;
    if status.success() {
        Ok(u64::from_le_bytes(answer))
    } else {
        Err(peer.error("bad exit", crate::process::child::describe(status)))
    }
}

/// `tvp peer start-spawn | start-forkserver | start-pool`: answers each
/// request on stdin with the payload's checksum on stdout: once, forking a
/// child per request, or by itself.
pub fn serve(mechanism: &str) -> Result<()> {
    let mut input = BufReader::new(io::stdin().lock());
    let mut out = io::stdout().lock();
    let mut buf = Vec::new();
    while read_request(&mut input, &mut buf)? {
        let sum = match mechanism {
            FORKSERVER_PEER => fork_sum(&buf)?,
            _ => checksum(&buf),
        };
        out.write_all(&sum.to_le_bytes())
            .and_then(|()| out.flush())
            .map_err(io_err("peer: cannot answer"))?;
        if mechanism == SPAWNED_PEER {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksum_covers_every_byte_and_the_length() {
        assert_eq!(checksum(&[]), 0);
        assert_eq!(checksum(&[1]), 2);
        assert_eq!(checksum(&[0; 9]), 9);
        let p = payload(1001);
        assert_eq!(p.len(), 1001);
        assert_eq!(p, payload(1001), "the same every run");
        let mut q = p.clone();
        q[1000] ^= 1;
        assert_ne!(checksum(&p), checksum(&q));
    }

    #[test]
    fn a_fork_child_sums_the_payload_in_place() {
        let p = payload(100_003);
        assert_eq!(fork_sum(&p).unwrap(), checksum(&p));
        assert_eq!(fork_sum(&[]).unwrap(), 0);
    }

    #[test]
    fn a_fork_child_that_fails_is_an_error_and_is_reaped() {
        let pid = fork_child(|| false).unwrap();
        let status = reap(pid).unwrap();
        assert_eq!(status.code(), Some(1));
        assert!(!Path::new(&format!("/proc/{pid}")).exists());
    }

    #[test]
    fn the_fork_method_needs_no_binary_and_the_others_do() {
        let mut fork = Starter::new(Method::Fork, 4096, None).unwrap();
        assert_eq!(fork.start().unwrap(), checksum(&payload(4096)));
        for method in [Method::Spawn, Method::Forkserver, Method::Pool] {
            let err = Starter::new(method, 0, None).unwrap_err();
            assert!(err.to_string().contains("tvp binary"), "{err}");
        }
    }

    #[test]
    fn bench_ids_read_back() {
        for m in Method::ALL {
            for payload in [false, true] {
                assert_eq!(Method::parse_id(&m.bench_id(payload)), Some((m, payload)));
            }
        }
        assert_eq!(Method::parse_id("vfork"), None);
    }

    #[test]
    fn requests_round_trip_through_the_framing() {
        let mut wire = Vec::new();
        send_request(&mut wire, b"hello").unwrap();
        send_request(&mut wire, b"").unwrap();
        let mut input = &wire[..];
        let mut buf = Vec::new();
        assert!(read_request(&mut input, &mut buf).unwrap());
        assert_eq!(buf, b"hello");
        assert!(read_request(&mut input, &mut buf).unwrap());
        assert!(buf.is_empty());
        assert!(!read_request(&mut input, &mut buf).unwrap());
        let short = [5u8, 0, 0, 0, 0, 0, 0, 0, b'a'];
        assert!(read_request(&mut &short[..], &mut buf).is_err());
        let huge = u64::MAX.to_le_bytes();
        let err = read_request(&mut &huge[..], &mut buf).unwrap_err();
        assert!(err.to_string().contains("smaller payload") || err.to_string().contains("memory"));
    }
}
