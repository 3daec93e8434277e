//! Serialization: what it costs to send a payload to a worker process and
//! get it back, from 8 B to 64 MiB, by encoding.
//!
//! Every argument and result of `multiprocessing` crosses a pipe pickled.
//! Here a worker started once (as a pool's) echoes what it receives:
//!
//! - `json`: the pool's own wire format, serde_json lines. Bytes become a
//!   list of numbers (`[187,12,...]`), up to four characters per byte, and
//!   both sides parse and print every one of them.
//! - `binary`: the same message through postcard, a compact serde format,
//!   framed by its length. Marked as bytes (`serde_bytes`), the payload is
//!   written as its length and then the bytes themselves, so what remains
//!   is the copying: the same `#[derive(Serialize)]` type, another format.
//!   Raw length-prefixed bytes would cost the same for a byte payload; the
//!   crate earns its place for structured messages, which it encodes just
//!   as compactly with no hand-written framing.
//! - `shm`: shared memory (a [`SharedRegion`] both processes map): the
//!   parent copies the payload in, the worker copies it to the answer area,
//!   the parent copies the answer out. No encoding, no system call per
//!   byte, a futex to wake the worker ([`super::shared::Doorbell`]).
//!
//! What to expect: below some size the round trip costs the same whatever
//! the size: waking the worker and the system calls dominate. Above it,
//! time grows with the bytes: per byte, JSON costs many times the binary
//! encoding, which costs a little more than shared memory. Time per byte
//! falls with the size until the fixed part is paid off, then flattens.
//!
//! A payload larger than the memory available is refused before anything
//! starts; a worker that dies mid-transfer is an error naming how it
//! ended, and dropping an [`Echo`] kills and reaps its worker and removes
//! its shared-memory file on every path.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{ChildStdin, ChildStdout};
use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::shared::{SharedRegion, Spin};
use super::{PeerProcess, check_memory, io_err, need_exe};
use crate::error::{Error, Result};

/// The benchmark group.
pub const GROUP: &str = "serialization";
/// Payload sizes: 8 B, then times 8 up to 16 MiB, and 64 MiB.
pub const SIZES: [usize; 9] = [
    8,
    64,
    512,
    4 << 10,
    32 << 10,
    256 << 10,
    2 << 20,
    16 << 20,
    64 << 20,
];

/// The bench measures JSON up to this size: a larger JSON round trip takes
/// so long that criterion's ten samples would take more than the bench's
/// time budget allows one benchmark.
pub const JSON_BENCH_MAX: usize = 256 << 10;

/// The `tvp peer` of each encoding.
pub const JSON_PEER: &str = "serial-json";
pub const BINARY_PEER: &str = "serial-binary";
pub const SHM_PEER: &str = "serial-shm";

// Layout of the shared region: doorbells, flags, then the two areas.
const REQ: usize = 0;
const ACK: usize = 64;
const CLOSED: usize = 128;
const LEN: usize = 136;
const HEADER: usize = 192;
/// Checks before a shared-memory waiter sleeps.
const SHM_SPIN: Spin = Spin(200);
/// How often a waiting parent checks that its worker still lives.
const LIVENESS: Duration = Duration::from_millis(50);

/// How a payload travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Binary,
    Shm,
}

impl Encoding {
    pub const ALL: [Encoding; 3] = [Encoding::Json, Encoding::Binary, Encoding::Shm];

    /// The benchmark id.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Json => "json",
            Encoding::Binary => "binary",
            Encoding::Shm => "shm",
        }
    }

    /// The sizes of [`SIZES`] the bench sends this way: JSON stops at
    /// [`JSON_BENCH_MAX`].
    pub fn sizes(self) -> impl Iterator<Item = usize> {
        SIZES
            .into_iter()
            .filter(move |&s| self != Encoding::Json || s <= JSON_BENCH_MAX)
    }

    pub fn from_name(name: &str) -> Option<Encoding> {
        Encoding::ALL.into_iter().find(|e| e.name() == name)
    }

    /// What it stands for in Python.
    pub fn python(self) -> &'static str {
        match self {
            Encoding::Json => "json.dumps / json.loads over a pipe",
            Encoding::Binary => "pickle over a pipe (Pool.apply)",
            Encoding::Shm => "multiprocessing.shared_memory",
        }
    }

    fn peer(self) -> &'static str {
        match self {
            Encoding::Json => JSON_PEER,
            Encoding::Binary => BINARY_PEER,
            Encoding::Shm => SHM_PEER,
        }
    }

    /// Bytes of memory a round trip of `bytes` needs, parent and worker
    /// together: JSON holds up to four characters per byte on each side,
    /// twice; the others a few copies.
    pub fn memory_needed(self, bytes: usize) -> u64 {
        let copies = match self {
            Encoding::Json => 20,
            Encoding::Binary => 8,
            Encoding::Shm => 4,
        };
        (bytes as u64).saturating_mul(copies)
    }
}

/// A message as it is sent: the payload, marked as bytes.
#[derive(Serialize)]
struct Outgoing<'a> {
    #[serde(with = "serde_bytes")]
    payload: &'a [u8],
}

/// A message as it is received.
#[derive(Deserialize)]
struct Incoming {
    #[serde(with = "serde_bytes")]
    payload: Vec<u8>,
}

/// The pipes to a JSON or binary worker.
#[derive(Debug)]
struct Pipes {
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// A worker that echoes payloads, and the payload it is sent. Dropping it
/// kills and reaps the worker and removes the shared-memory file.
#[derive(Debug)]
pub struct Echo {
    encoding: Encoding,
    payload: Vec<u8>,
    /// The last payload received back.
    back: Vec<u8>,
    /// The encoded request, reused.
    out: Vec<u8>,
    /// The encoded answer, reused.
    answer: Vec<u8>,
    pipes: Option<Pipes>,
    region: Option<SharedRegion>,
    /// Declared last, dropped last: after the pipes close and the region's
    /// CLOSED flag is set.
    peer: PeerProcess,
}

impl Echo {
    /// Untimed setup: checks the memory, builds a payload of `bytes` and
    /// starts the worker (`exe`, the tvp binary, runs it).
    pub fn new(encoding: Encoding, bytes: usize, exe: Option<&Path>) -> Result<Echo> {
        Echo::start(encoding, bytes, exe, None)
    }

    /// As [`Echo::new`], with a worker that kills itself once it has read
    /// more than `die_after` bytes of a request: a worker killed
    /// mid-transfer, for the tests.
    pub fn with_fault(
        encoding: Encoding,
        bytes: usize,
        exe: Option<&Path>,
        die_after: u64,
    ) -> Result<Echo> {
        Echo::start(encoding, bytes, exe, Some(die_after))
    }

    fn start(
        encoding: Encoding,
        bytes: usize,
        exe: Option<&Path>,
        die_after: Option<u64>,
    ) -> Result<Echo> {
        check_memory(
            &format!(
                "a round trip of a {bytes}-byte payload as {}",
                encoding.name()
            ),
            encoding.memory_needed(bytes),
        )?;
        let exe = need_exe(exe)?;
        let region = match encoding {
            Encoding::Shm => Some(SharedRegion::create(HEADER + 2 * bytes.max(1))?),
            _ => None,
        };
        let mut args = Vec::new();
        if let Some(region) = &region {
            args.push("--addr".to_string());
            args.push(region.path().to_string_lossy().into_owned());
        }
        if let Some(n) = die_after {
            args.push("--die-after".to_string());
            args.push(n.to_string());
        }
        let mut peer = PeerProcess::spawn(exe, encoding.peer(), &args)?;
        let (stdin, stdout) = peer.take_stdio();
        let pipes = match encoding {
            Encoding::Shm => None,
            _ => Some(Pipes {
                stdin,
                stdout: BufReader::with_capacity(1 << 16, stdout),
            }),
        };
        Ok(Echo {
            encoding,
            payload: super::start::payload(bytes),
            back: Vec::new(),
            out: Vec::new(),
            answer: Vec::new(),
            pipes,
            region,
            peer,
        })
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The payload each round trip sends.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    pub fn peer_pid(&self) -> u32 {
        self.peer.pid()
    }

    /// The shared-memory file, for `shm`.
    pub fn region_path(&self) -> Option<&Path> {
        self.region.as_ref().map(SharedRegion::path)
    }

    /// One round trip: the payload to the worker, encoded, and its echo
    /// back, decoded. Returns the payload as received back.
    pub fn round_trip(&mut self) -> Result<&[u8]> {
        let sent = match self.encoding {
            Encoding::Json => self.json_round_trip(),
            Encoding::Binary => self.binary_round_trip(),
            Encoding::Shm => self.shm_round_trip(),
        };
        match sent {
            Ok(()) => Ok(&self.back),
            Err(Failure::Io(e)) => Err(self.peer.died("died mid-transfer", &e.to_string())),
            Err(Failure::Other(e)) => Err(e),
        }
    }

    fn json_round_trip(&mut self) -> Result<(), Failure> {
        let pipes = self.pipes.as_mut().expect("a JSON echo has pipes");
        self.out.clear();
        let message = Outgoing {
            payload: &self.payload,
        };
        serde_json::to_writer(&mut self.out, &message).map_err(encode_error)?;
        self.out.push(b'\n');
        pipes.stdin.write_all(&self.out)?;
        pipes.stdin.flush()?;
        self.answer.clear();
        if pipes.stdout.read_until(b'\n', &mut self.answer)? == 0 {
            return Err(Failure::Io(io::ErrorKind::UnexpectedEof.into()));
        }
        let message: Incoming = serde_json::from_slice(&self.answer).map_err(decode_error)?;
        self.back = message.payload;
        Ok(())
    }

    fn binary_round_trip(&mut self) -> Result<(), Failure> {
        let pipes = self.pipes.as_mut().expect("a binary echo has pipes");
        let message = Outgoing {
            payload: &self.payload,
        };
        self.out = encode_frame(&message, std::mem::take(&mut self.out)).map_err(Failure::Other)?;
        pipes.stdin.write_all(&self.out)?;
        pipes.stdin.flush()?;
        if !read_frame(&mut pipes.stdout, &mut self.answer).map_err(Failure::from_peer)? {
            return Err(Failure::Io(io::ErrorKind::UnexpectedEof.into()));
        }
        let message: Incoming = postcard::from_bytes(&self.answer).map_err(decode_error)?;
        self.back = message.payload;
        Ok(())
    }

    fn shm_round_trip(&mut self) -> Result<(), Failure> {
        let region = self
            .region
            .as_ref()
            .expect("a shared-memory echo has a region");
        let n = self.payload.len();
        // SAFETY: the region holds HEADER + 2 * n bytes (`ptr` checks); the
        // worker reads the input area only after REQ rings.
        unsafe {
            std::ptr::copy_nonoverlapping(self.payload.as_ptr(), region.ptr(HEADER, n), n);
        }
        region.atomic_u64(LEN).store(n as u64, SeqCst);
        let ack = region.doorbell(ACK);
        let seen = ack.value();
        region.doorbell(REQ).ring();
        while ack.wait_past(seen, SHM_SPIN, Some(LIVENESS)).is_none() {
            if self.peer.check_running().is_err() {
                return Err(Failure::Io(io::Error::other(
                    "it stopped before answering through shared memory",
                )));
            }
        }
        self.back.clear();
        self.back.resize(n, 0);
        // SAFETY: the worker wrote the answer area before it rang ACK and
        // does not touch it until the next request.
        unsafe {
            std::ptr::copy_nonoverlapping(region.ptr(HEADER + n, n), self.back.as_mut_ptr(), n);
        }
        Ok(())
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        // End of input for a pipe worker; CLOSED for the shared-memory one.
        self.pipes = None;
        if let Some(region) = &self.region {
            region.atomic_u32(CLOSED).store(1, SeqCst);
            region.doorbell(REQ).ring();
        }
        // Then `peer` kills and reaps the worker, and `region` removes its
        // file, whichever way we got here.
    }
}

/// Why a round trip failed: a broken pipe or an early end of file means the
/// worker died (and it is asked how); anything else is said as it is.
#[derive(Debug)]
enum Failure {
    Io(io::Error),
    Other(Error),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

impl Failure {
    /// A framing error read from the worker: its IO errors mean it died.
    fn from_peer(e: Error) -> Failure {
        match e {
            Error::Io { cause, .. } => Failure::Io(cause),
            other => Failure::Other(other),
        }
    }
}

fn encode_error(e: impl std::fmt::Display) -> Failure {
    Failure::Other(Error::InvalidJob(format!("cannot encode the payload: {e}")))
}

fn decode_error(e: impl std::fmt::Display) -> Failure {
    Failure::Other(Error::InvalidJob(format!(
        "the worker's answer does not decode: {e}"
    )))
}

/// `message` through postcard, after an 8-byte little-endian length, in
/// `buf` (cleared first, its allocation reused).
fn encode_frame(message: &Outgoing<'_>, mut buf: Vec<u8>) -> Result<Vec<u8>> {
    buf.clear();
    buf.extend_from_slice(&[0; 8]);
    let mut buf = postcard::to_extend(message, buf)
        .map_err(|e| Error::InvalidJob(format!("cannot encode the payload: {e}")))?;
    let len = (buf.len() - 8) as u64;
    buf[..8].copy_from_slice(&len.to_le_bytes());
    Ok(buf)
}

/// Reads one length-prefixed frame into `buf`; `Ok(false)` at end of input
/// before one. A length larger than the memory available is an error, not
/// an abort.
fn read_frame(input: &mut impl Read, buf: &mut Vec<u8>) -> Result<bool> {
    let mut len = [0u8; 8];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
        Err(e) => return Err(io_err("cannot read a frame")(e)),
    }
    let len = u64::from_le_bytes(len);
    let fits = usize::try_from(len)
        .ok()
        .filter(|&n| buf.try_reserve_exact(n.saturating_sub(buf.len())).is_ok());
    let Some(len) = fits else {
        return Err(Error::InvalidJob(format!(
            "a frame of {len} bytes does not fit in memory: send a smaller payload"
        )));
    };
    buf.clear();
    buf.resize(len, 0);
    input
        .read_exact(buf)
        .map_err(io_err("the frame ended early"))?;
    Ok(true)
}

/// A reader that kills its own process (SIGKILL) once more than `limit`
/// bytes went through it: the test hook behind [`Echo::with_fault`].
struct DieAfter<R> {
    inner: R,
    left: Option<u64>,
}

impl<R: Read> Read for DieAfter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(left) = &mut self.left {
            match left.checked_sub(n as u64) {
                Some(rest) => *left = rest,
                None => die(),
            }
        }
        Ok(n)
    }
}

impl<R: BufRead> BufRead for DieAfter<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amount: usize) {
        if let Some(left) = &mut self.left {
            match left.checked_sub(amount as u64) {
                Some(rest) => *left = rest,
                None => die(),
            }
        }
        self.inner.consume(amount);
    }
}

/// Kills this process at once, as `kill -9` would.
fn die() -> ! {
    // SAFETY: signals this very process; SIGKILL cannot be caught.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    unreachable!("SIGKILL ends the process")
}

/// `tvp peer serial-json | serial-binary | serial-shm`: echoes every
/// payload until end of input (pipes) or until the parent sets CLOSED
/// (`serial-shm`, whose region `addr` names). With `die_after`, dies once
/// it has read more than that many bytes.
pub fn serve(mechanism: &str, addr: Option<&str>, die_after: Option<u64>) -> Result<()> {
    let mut input = DieAfter {
        inner: BufReader::with_capacity(1 << 16, io::stdin().lock()),
        left: die_after,
    };
    let mut out = io::stdout().lock();
    let mut line = Vec::new();
    let mut reply = Vec::new();
    match mechanism {
        JSON_PEER => loop {
            line.clear();
            if input
                .read_until(b'\n', &mut line)
                .map_err(io_err("peer: cannot read"))?
                == 0
            {
                return Ok(());
            }
            let message: Incoming = serde_json::from_slice(&line)
                .map_err(|e| Error::InvalidJob(format!("peer: a request is not JSON: {e}")))?;
            reply.clear();
            serde_json::to_writer(
                &mut reply,
                &Outgoing {
                    payload: &message.payload,
                },
            )
            .map_err(|e| Error::InvalidJob(format!("peer: cannot encode: {e}")))?;
            reply.push(b'\n');
            out.write_all(&reply)
                .and_then(|()| out.flush())
                .map_err(io_err("peer: cannot answer"))?;
        },
        BINARY_PEER => {
            while read_frame(&mut input, &mut line)? {
                let message: Incoming = postcard::from_bytes(&line).map_err(|e| {
                    Error::InvalidJob(format!("peer: a request does not decode: {e}"))
                })?;
                reply = encode_frame(
                    &Outgoing {
                        payload: &message.payload,
                    },
                    std::mem::take(&mut reply),
                )?;
                out.write_all(&reply)
                    .and_then(|()| out.flush())
                    .map_err(io_err("peer: cannot answer"))?;
            }
            Ok(())
        }
        SHM_PEER => {
            let path = addr
                .ok_or_else(|| Error::InvalidJob(format!("`tvp peer {SHM_PEER}` needs --addr")))?;
            serve_shm(Path::new(path), die_after)
        }
        other => Err(Error::InvalidJob(format!(
            "`{other}` is not a serialization peer"
        ))),
    }
}

/// Copies each request's input area to its answer area until CLOSED.
fn serve_shm(path: &Path, die_after: Option<u64>) -> Result<()> {
    let region = SharedRegion::open(path)?;
    let room = (region.len().saturating_sub(HEADER)) / 2;
    region.serve_mailbox([REQ, ACK, CLOSED], SHM_SPIN, |region| {
        let n = usize::try_from(region.atomic_u64(LEN).load(SeqCst))
            .unwrap_or(usize::MAX)
            .min(room);
        if die_after.is_some_and(|limit| n as u64 > limit) {
            die();
        }
        // SAFETY: both areas lie in the region (`ptr` checks) and do not
        // overlap; the parent waits for ACK before touching them.
        unsafe {
            std::ptr::copy_nonoverlapping(region.ptr(HEADER, n), region.ptr(HEADER + n, n), n);
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_round_trips_and_a_huge_length_is_an_error() {
        let payload = super::super::start::payload(1000);
        let frame = encode_frame(&Outgoing { payload: &payload }, Vec::new()).unwrap();
        let mut buf = Vec::new();
        assert!(read_frame(&mut &frame[..], &mut buf).unwrap());
        let back: Incoming = postcard::from_bytes(&buf).unwrap();
        assert_eq!(back.payload, payload);
        // postcard writes a byte payload as its length and the bytes.
        assert!(buf.len() <= payload.len() + 3, "{}", buf.len());
        assert!(!read_frame(&mut &[][..], &mut buf).unwrap());
        let huge = u64::MAX.to_le_bytes();
        let err = read_frame(&mut &huge[..], &mut buf).unwrap_err();
        assert!(err.to_string().contains("smaller payload"), "{err}");
    }

    #[test]
    fn json_carries_bytes_as_a_list_of_numbers() {
        let text = serde_json::to_string(&Outgoing { payload: &[0, 255] }).unwrap();
        assert_eq!(text, r#"{"payload":[0,255]}"#);
        let back: Incoming = serde_json::from_str(&text).unwrap();
        assert_eq!(back.payload, [0, 255]);
    }

    #[test]
    fn a_reader_past_its_limit_counts_down_before_that() {
        let mut r = DieAfter {
            inner: &b"abcdef"[..],
            left: Some(100),
        };
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!((s.as_str(), r.left), ("abcdef", Some(94)));
    }

    #[test]
    fn encodings_name_their_peers_and_needs() {
        for e in Encoding::ALL {
            assert_eq!(Encoding::from_name(e.name()), Some(e));
            assert!(e.memory_needed(10) >= 20);
        }
        assert!(Encoding::Json.memory_needed(1) > Encoding::Binary.memory_needed(1));
        let err = Echo::new(Encoding::Json, 8, None).unwrap_err();
        assert!(err.to_string().contains("tvp binary"), "{err}");
    }
}
