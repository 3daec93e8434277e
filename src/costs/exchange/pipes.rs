//! The exchange through a pool of processes: `parts` long-lived
//! `tvp peer exchange` children, each holding its part of the array, as a
//! `multiprocessing.Pool` would. Every step the parent writes the reduced
//! buffer down each child's stdin pipe, each child computes and writes its
//! buffer back up its stdout pipe, and the parent sums them. The bytes go
//! through the kernel twice per child per step, and the parent is the
//! hub every byte passes: expect communication to cost more than among
//! threads, and to grow with the number of children.
//!
//! The wire, in native-endian 64-bit words: a header once (`elements`,
//! `bytes`, `rounds`, `start`, `end`); then per step the step number and
//! the reduced buffer down, and the child's compute time in nanoseconds and
//! its buffer up. Step 0 resets the child's part. End of input ends it.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::path::Path;
use std::process::{ChildStdin, ChildStdout};
use std::time::{Duration, Instant};

use super::{Batch, Group, Part, Spec, add_into, digest};
use crate::costs::{PEER_TIMEOUT, PeerProcess};
use crate::error::{Error, Result};

/// The peer mechanism `tvp peer exchange`.
pub const MECHANISM: &str = "exchange";

/// The words as bytes, for the pipe.
fn as_bytes(words: &[u64]) -> &[u8] {
    // SAFETY: u64 has no padding and u8 no alignment need; the length in
    // bytes is exactly that of the words, and the borrow is kept.
    unsafe { std::slice::from_raw_parts(words.as_ptr().cast::<u8>(), std::mem::size_of_val(words)) }
}

/// The words as bytes to fill from the pipe.
fn as_bytes_mut(words: &mut [u64]) -> &mut [u8] {
    let len = std::mem::size_of_val(words);
    // SAFETY: as in `as_bytes`; every byte pattern is a valid u64.
    unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), len) }
}

/// One child with its pipes, non-blocking so that every wait has a
/// deadline.
#[derive(Debug)]
struct Child {
    process: PeerProcess,
    stdin: ChildStdin,
    stdout: ChildStdout,
}

/// Waits until `fd` is ready for `events`, or fails after [`PEER_TIMEOUT`].
fn ready(fd: &impl AsRawFd, events: libc::c_short, what: &str) -> io::Result<()> {
    let mut poll = libc::pollfd {
        fd: fd.as_raw_fd(),
        events,
        revents: 0,
    };
    let ms = libc::c_int::try_from(PEER_TIMEOUT.as_millis()).unwrap_or(libc::c_int::MAX);
    loop {
        // SAFETY: one valid pollfd, owned by this frame.
        match unsafe { libc::poll(&mut poll, 1, ms) } {
            0 => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{what}: no progress in {PEER_TIMEOUT:?}"),
                ));
            }
            n if n > 0 => return Ok(()),
            _ if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
            _ => return Err(io::Error::last_os_error()),
        }
    }
}

fn set_nonblocking(fd: &impl AsRawFd) -> io::Result<()> {
    let fd = fd.as_raw_fd();
    // SAFETY: fcntl on an fd we own, with plain integer arguments.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above.
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Writes all of `buf`, waiting at most [`PEER_TIMEOUT`] for each bit of
/// progress.
fn write_all_by(w: &mut (impl Write + AsRawFd), mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match w.write(buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                ready(w, libc::POLLOUT, "writing to an exchange child")?;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Fills all of `buf`, as [`write_all_by`].
fn read_exact_by(r: &mut (impl Read + AsRawFd), mut buf: &mut [u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match r.read(buf) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => buf = &mut buf[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                ready(r, libc::POLLIN, "reading from an exchange child")?;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `parts` children of `tvp peer exchange` and the parent that reduces.
#[derive(Debug)]
pub struct PipeGroup {
    children: Vec<Child>,
    /// The reduced buffer of the last step.
    global: Vec<u64>,
    /// The sum being built, and one child's buffer as it arrives.
    sum: Vec<u64>,
    incoming: Vec<u64>,
}

impl PipeGroup {
    /// Spawns the children (untimed) and hands each its part.
    pub fn new(exe: &Path, spec: Spec, parts: usize) -> Result<Self> {
        spec.validate()?;
        let parts = parts.max(1);
        let mut children = Vec::with_capacity(parts);
        for i in 0..parts {
            let mut process = PeerProcess::spawn(exe, MECHANISM, &[])?;
            let (stdin, stdout) = process.take_stdio();
            let mut child = Child {
                process,
                stdin,
                stdout,
            };
            let range = spec.part(i, parts);
            let header = [
                spec.elements,
                spec.bytes,
                u64::from(spec.rounds),
                range.start,
                range.end,
            ];
            set_nonblocking(&child.stdin)
                .and_then(|()| set_nonblocking(&child.stdout))
                .and_then(|()| write_all_by(&mut child.stdin, as_bytes(&header)))
                .map_err(|e| child.process.error("did not take its part", e.to_string()))?;
            children.push(child);
        }
        let words = spec.words();
        Ok(PipeGroup {
            children,
            global: vec![0; words],
            sum: vec![0; words],
            incoming: vec![0; words],
        })
    }

    /// The children's process ids.
    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(|c| c.process.pid()).collect()
    }

    /// One step: the reduced buffer down every pipe, the buffers back up,
    /// summed. Returns child 0's compute time.
    fn step(&mut self, step: u64) -> Result<Duration> {
        if step == 0 {
            self.global.fill(0);
        }
        for child in &mut self.children {
            write_all_by(&mut child.stdin, as_bytes(&[step]))
                .and_then(|()| write_all_by(&mut child.stdin, as_bytes(&self.global)))
                .map_err(|e| fail(child, &e))?;
        }
        let mut compute = Duration::ZERO;
        for (i, child) in self.children.iter_mut().enumerate() {
            let mut nanos = [0u64];
            let into = if i == 0 {
                &mut self.sum
            } else {
                &mut self.incoming
            };
            read_exact_by(&mut child.stdout, as_bytes_mut(&mut nanos))
                .and_then(|()| read_exact_by(&mut child.stdout, as_bytes_mut(into)))
                .map_err(|e| fail(child, &e))?;
            if i == 0 {
                compute = Duration::from_nanos(nanos[0]);
            } else {
                add_into(&mut self.sum, &self.incoming);
            }
        }
        std::mem::swap(&mut self.global, &mut self.sum);
        Ok(compute)
    }
}

/// An error for a child that stopped answering: says whether it died.
fn fail(child: &mut Child, e: &io::Error) -> Error {
    // A peer that died closes its pipes a moment before it can be reaped:
    // give it that moment, so its death is not reported as silence.
    crate::process::child::wait_exit(child.process.pid(), Duration::from_secs(1));
    match child.process.check_running() {
        Err(died) => died,
        Ok(()) => child
            .process
            .error("stopped answering", format!("exchange pipe: {e}")),
    }
}

impl Group for PipeGroup {
    fn steps(&mut self, first: u64, count: u64) -> Result<Batch> {
        let start = Instant::now();
        let mut compute = Duration::ZERO;
        for step in first..first + count {
            compute += self.step(step)?;
        }
        Ok(Batch {
            elapsed: start.elapsed(),
            compute,
        })
    }

    fn digest(&mut self) -> Result<u64> {
        Ok(digest(self.global.iter().copied()))
    }
}

/// `tvp peer exchange`: the child side. Reads its part, then serves steps
/// until end of input.
pub fn serve() -> Result<()> {
    let io_err = |what: &'static str| move |e: io::Error| Error::io(what, e);
    let mut input = File::from(
        io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .map_err(io_err("exchange peer: no stdin"))?,
    );
    let mut output = File::from(
        io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map_err(io_err("exchange peer: no stdout"))?,
    );
    let mut header = [0u64; 5];
    input
        .read_exact(as_bytes_mut(&mut header))
        .map_err(io_err("exchange peer: no header"))?;
    let [elements, bytes, rounds, start, end] = header;
    let spec = Spec {
        elements,
        bytes,
        rounds: u32::try_from(rounds).unwrap_or(u32::MAX),
    };
    spec.validate()?;
    let mut part = Part::new(start..end.max(start));
    let mut global = vec![0u64; spec.words()];
    let mut local = vec![0u64; spec.words()];
    loop {
        let mut step = [0u64];
        match input.read_exact(as_bytes_mut(&mut step)) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            other => other.map_err(io_err("exchange peer: reading a step"))?,
        }
        input
            .read_exact(as_bytes_mut(&mut global))
            .map_err(io_err("exchange peer: reading the buffer"))?;
        if step[0] == 0 {
            part.reset();
        }
        let began = Instant::now();
        part.compute(spec.rounds, step[0], |w| global[w], &mut local);
        let nanos = [u64::try_from(began.elapsed().as_nanos()).unwrap_or(u64::MAX)];
        output
            .write_all(as_bytes(&nanos))
            .and_then(|()| output.write_all(as_bytes(&local)))
            .map_err(io_err("exchange peer: writing its buffer"))?;
    }
}
