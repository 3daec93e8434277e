//! IPC costs: a message to a peer and a one-byte acknowledgement back, over
//! each mechanism, with the peer a thread or a process.
//!
//! A [`Link`] sends messages of a fixed size; the peer reads each whole
//! message and answers with its last byte. With 1-byte messages that is a
//! ping-pong (latency); with large ones, bytes per round trip (throughput).
//!
//! - `mpsc`, `crossbeam`: channels between threads, like `queue.Queue`. They
//!   move the buffer (a pointer), copying nothing, so their "throughput" is
//!   the hand-off cost spread over the size, not a memory bandwidth.
//! - `pipe`, `unix`, `tcp`: the kernel copies each message twice (in on
//!   write, out on read), as under `multiprocessing.Pipe`/`Queue` (which
//!   also pickle). Thread or process peer makes little difference here.
//! - `shm`: one copy in, one copy out of a shared mapping, a futex to wake
//!   the peer after a short spin. No system call when both sides are awake.
//!
//! Expect channel round trips of a few microseconds, kernel mechanisms of
//! ten to a few tens, and shared memory the fastest across processes.
//!
//! A round trip that sleeps also pays for waking the peer, and where. When
//! another CPU is idle the scheduler wakes the peer there, and the waker must
//! interrupt that CPU: on a virtual machine that goes through the hypervisor
//! and costs tens of microseconds. When every CPU is busy the peer wakes on
//! the waker's own CPU, a plain switch. On the 2-core reference VM,
//! `cargo run --release --example wakeup` (16:31 UTC) timed a channel round
//! trip at 2.8 us with both threads pinned to one CPU and 56 us pinned to
//! two; `cargo bench --bench costs -- 'ipc-latency/(tcp|pipe)'` (16:12) timed
//! a TCP round trip between processes at 70.2 us on the idle machine and
//! 4.5 us with two `yes > /dev/null` keeping both CPUs busy (pipe between
//! threads: 45.3 us and 8.6 us). So these figures depend on what else runs:
//! an earlier full `cargo bench`, with a build beside it, measured 4.9 us for
//! the same TCP link. `shm` spins before it sleeps and stayed under 1 us.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Instant;

use super::shared::{SharedRegion, Spin};
use super::{PEER_TIMEOUT, PeerProcess, Side, io_err, need_exe, pipe};
use crate::error::{Error, Result};

pub const LATENCY_GROUP: &str = "ipc-latency";
pub const THROUGHPUT_GROUP: &str = "ipc-throughput";
/// Message sizes for throughput: 64 B to 1 MiB.
pub const SIZES: &[usize] = &[64, 4 << 10, 64 << 10, 1 << 20];

// Layout of the shared-memory mailbox.
const REQ: usize = 0;
const ACK: usize = 64;
const CLOSED: usize = 128;
const ACK_BYTE: usize = 132;
const LEN: usize = 136;
const DATA: usize = 192;
/// Checks before a shared-memory waiter sleeps (a few pauses, then yields).
const SHM_SPIN: Spin = Spin(200);

/// A way to move bytes between two parties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Mpsc,
    Crossbeam,
    Pipe,
    Unix,
    Tcp,
    Shm,
}

impl Mechanism {
    pub const ALL: [Mechanism; 6] = [
        Mechanism::Mpsc,
        Mechanism::Crossbeam,
        Mechanism::Pipe,
        Mechanism::Unix,
        Mechanism::Tcp,
        Mechanism::Shm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Mpsc => "mpsc",
            Mechanism::Crossbeam => "crossbeam",
            Mechanism::Pipe => "pipe",
            Mechanism::Unix => "unix",
            Mechanism::Tcp => "tcp",
            Mechanism::Shm => "shm",
        }
    }

    /// The sides a peer can be on: channels connect threads only.
    pub fn sides(self) -> &'static [Side] {
        match self {
            Mechanism::Mpsc | Mechanism::Crossbeam => &[Side::Thread],
            _ => &[Side::Thread, Side::Process],
        }
    }

    /// What it stands for in Python.
    pub fn python(self) -> &'static str {
        match self {
            Mechanism::Mpsc | Mechanism::Crossbeam => "queue.Queue between threads",
            Mechanism::Pipe => "multiprocessing.Pipe / Queue (over a pipe)",
            Mechanism::Unix => "multiprocessing.connection over AF_UNIX",
            Mechanism::Tcp => "socket on 127.0.0.1",
            Mechanism::Shm => "multiprocessing.shared_memory",
        }
    }
}

/// The benchmark id of a mechanism and side, such as `pipe-process`.
pub fn bench_id(mechanism: Mechanism, side: Side) -> String {
    format!("{}-{}", mechanism.name(), side.name())
}

/// The parent's end of a connection.
enum Conn {
    Mpsc {
        tx: mpsc::Sender<Vec<u8>>,
        rx: mpsc::Receiver<Vec<u8>>,
        buf: Option<Vec<u8>>,
    },
    Crossbeam {
        tx: crossbeam_channel::Sender<Vec<u8>>,
        rx: crossbeam_channel::Receiver<Vec<u8>>,
        buf: Option<Vec<u8>>,
    },
    Stream {
        writer: Box<dyn Write + Send>,
        reader: Box<dyn Read + Send>,
        msg: Vec<u8>,
    },
    Shm {
        region: SharedRegion,
        msg: Vec<u8>,
    },
    Closed,
}

/// The other end: a thread or a `tvp peer` process.
#[derive(Debug)]
enum Peer {
    Thread(Option<JoinHandle<Result<()>>>),
    Process(PeerProcess),
}

impl Peer {
    fn thread(f: impl FnOnce() -> Result<()> + Send + 'static) -> Result<Peer> {
        std::thread::Builder::new()
            .name("tvp-ipc-peer".into())
            .spawn(f)
            .map(|h| Peer::Thread(Some(h)))
            .map_err(io_err("cannot start the peer thread"))
    }

    /// Fails if the peer already ended.
    fn check_alive(&mut self) -> Result<()> {
        match self {
            Peer::Process(p) => p.check_running(),
            Peer::Thread(handle) if handle.as_ref().is_some_and(JoinHandle::is_finished) => {
                let result = handle.take().expect("checked above").join();
                Err(match result {
                    Ok(Err(e)) => e,
                    _ => Error::InvalidJob("the peer thread ended early".into()),
                })
            }
            Peer::Thread(_) => Ok(()),
        }
    }

    /// The peer's process id, if it is a process.
    fn pid(&self) -> Option<u32> {
        match self {
            Peer::Process(p) => Some(p.pid()),
            Peer::Thread(_) => None,
        }
    }
}

/// A connection to a peer that acknowledges each message: one mechanism,
/// one side, one message size. Dropping it closes the connection, then joins
/// the peer thread or kills and reaps the peer process, and removes files.
pub struct Link {
    mechanism: Mechanism,
    side: Side,
    size: usize,
    conn: Conn,
    peer: Peer,
    /// Holds the Unix socket's directory; removed on drop.
    dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("mechanism", &self.mechanism)
            .field("side", &self.side)
            .field("size", &self.size)
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

impl Link {
    /// Connects to a new peer. `exe` (the tvp binary) is needed for process
    /// peers. Untimed setup: spawning and connecting happen here.
    pub fn new(mechanism: Mechanism, side: Side, size: usize, exe: Option<&Path>) -> Result<Link> {
        if size == 0 {
            return Err(Error::InvalidJob("messages need at least one byte".into()));
        }
        if !mechanism.sides().contains(&side) {
            return Err(Error::InvalidJob(format!(
                "`{}` connects threads only: it has no process variant",
                mechanism.name()
            )));
        }
        let msg = vec![0u8; size];
        let mut link = Link {
            mechanism,
            side,
            size,
            conn: Conn::Closed,
            peer: Peer::Thread(None),
            dir: None,
        };
        let spawn = |addr: &str| -> Result<Peer> {
            let args = [
                "--size".to_string(),
                size.to_string(),
                "--addr".to_string(),
                addr.to_string(),
            ];
            Ok(Peer::Process(PeerProcess::spawn(
                need_exe(exe)?,
                mechanism.name(),
                &args,
            )?))
        };
        match (mechanism, side) {
            (Mechanism::Mpsc, _) => {
                let (tx, peer_rx) = mpsc::channel::<Vec<u8>>();
                let (peer_tx, rx) = mpsc::channel();
                link.peer = channel_peer(peer_rx, move |b| peer_tx.send(b).is_ok())?;
                link.conn = Conn::Mpsc {
                    tx,
                    rx,
                    buf: Some(msg),
                };
            }
            (Mechanism::Crossbeam, _) => {
                let (tx, peer_rx) = crossbeam_channel::bounded::<Vec<u8>>(1);
                let (peer_tx, rx) = crossbeam_channel::bounded(1);
                link.peer = channel_peer(peer_rx, move |b| peer_tx.send(b).is_ok())?;
                link.conn = Conn::Crossbeam {
                    tx,
                    rx,
                    buf: Some(msg),
                };
            }
            (Mechanism::Pipe, Side::Thread) => {
                let (peer_reader, writer) = pipe()?;
                let (reader, peer_writer) = pipe()?;
                link.peer = Peer::thread(move || serve_echo(peer_reader, peer_writer, size))?;
                link.conn = Conn::Stream {
                    writer: Box::new(writer),
                    reader: Box::new(reader),
                    msg,
                };
            }
            (Mechanism::Pipe, Side::Process) => {
                let mut peer = PeerProcess::spawn(
                    need_exe(exe)?,
                    "pipe",
                    &["--size".to_string(), size.to_string()],
                )?;
                let (writer, reader) = peer.take_stdio();
                link.peer = Peer::Process(peer);
                link.conn = Conn::Stream {
                    writer: Box::new(writer),
                    reader: Box::new(reader),
                    msg,
                };
            }
            (Mechanism::Unix, side) => {
                let dir = tempfile::Builder::new()
                    .prefix(&crate::scratch::prefix("unix"))
                    .tempdir()
                    .map_err(io_err("cannot create a temp dir for the Unix socket"))?;
                let path = dir.path().join("peer.sock");
                let listener = UnixListener::bind(&path)
                    .map_err(io_err("cannot bind a Unix socket in the temp dir"))?;
                let addr = path.to_string_lossy().into_owned();
                link.dir = Some(dir);
                link.peer = match side {
                    Side::Thread => Peer::thread(move || serve("unix", &addr, size))?,
                    Side::Process => spawn(&addr)?,
                };
                listener
                    .set_nonblocking(true)
                    .map_err(io_err("cannot poll the Unix listener"))?;
                link.conn = socket_conn(&mut link.peer, || listener.accept().map(|(s, _)| s), msg)?;
            }
            (Mechanism::Tcp, side) => {
                let listener = TcpListener::bind("127.0.0.1:0")
                    .map_err(io_err("cannot listen on 127.0.0.1 (is loopback up?)"))?;
                let addr = listener
                    .local_addr()
                    .map_err(io_err("cannot read the listener's port"))?
                    .to_string();
                link.peer = match side {
                    Side::Thread => Peer::thread(move || serve("tcp", &addr, size))?,
                    Side::Process => spawn(&addr)?,
                };
                listener
                    .set_nonblocking(true)
                    .map_err(io_err("cannot poll the TCP listener"))?;
                link.conn = socket_conn(&mut link.peer, || listener.accept().map(|(s, _)| s), msg)?;
            }
            (Mechanism::Shm, side) => {
                let region = SharedRegion::create(DATA + size)?;
                let addr = region.path().to_string_lossy().into_owned();
                link.peer = match side {
                    Side::Thread => Peer::thread(move || serve("shm", &addr, size))?,
                    Side::Process => spawn(&addr)?,
                };
                link.conn = Conn::Shm { region, msg };
            }
        }
        Ok(link)
    }

    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    pub fn side(&self) -> Side {
        self.side
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// The peer's process id, for a process peer.
    pub fn peer_pid(&self) -> Option<u32> {
        self.peer.pid()
    }

    /// The shared-memory file or the Unix socket's directory, if any.
    pub fn temp_path(&self) -> Option<&Path> {
        match &self.conn {
            Conn::Shm { region, .. } => Some(region.path()),
            _ => self.dir.as_ref().map(tempfile::TempDir::path),
        }
    }

    /// One round trip: sends a message whose last byte is `tag` and returns
    /// the byte the peer answered (it echoes `tag`).
    pub fn round_trip(&mut self, tag: u8) -> Result<u8> {
        let last = self.size - 1;
        let gone =
            |what: &str| Error::InvalidJob(format!("the {what} peer hung up: it ended or failed"));
        match &mut self.conn {
            Conn::Mpsc { tx, rx, buf } => {
                channel_round_trip(buf, tag, |m| tx.send(m).is_ok(), || rx.recv().ok())
                    .ok_or_else(|| gone("mpsc"))
            }
            Conn::Crossbeam { tx, rx, buf } => {
                channel_round_trip(buf, tag, |m| tx.send(m).is_ok(), || rx.recv().ok())
                    .ok_or_else(|| gone("crossbeam"))
            }
            Conn::Stream {
                writer,
                reader,
                msg,
            } => {
                msg[last] = tag;
                let mut ack = [0u8];
                writer
                    .write_all(msg)
                    .and_then(|()| writer.flush())
                    .and_then(|()| reader.read_exact(&mut ack))
                    .map_err(|e| {
                        Error::io(
                            format!("the {} peer stopped answering", self.mechanism.name()),
                            e,
                        )
                    })?;
                Ok(ack[0])
            }
            Conn::Shm { region, msg } => {
                msg[last] = tag;
                // SAFETY: the region holds DATA + size bytes (checked by
                // `ptr`); the peer reads them only after the doorbell rings.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        msg.as_ptr(),
                        region.ptr(DATA, msg.len()),
                        msg.len(),
                    );
                }
                region.atomic_u64(LEN).store(msg.len() as u64, SeqCst);
                let ack = region.doorbell(ACK);
                let seen = ack.value();
                region.doorbell(REQ).ring();
                ack.wait_past(seen, SHM_SPIN, Some(PEER_TIMEOUT))
                    .ok_or_else(|| gone("shared-memory"))?;
                Ok(region.atomic_u32(ACK_BYTE).load(SeqCst) as u8)
            }
            Conn::Closed => Err(gone("closed")),
        }
    }

    /// Closes our end so the peer sees end of input.
    fn close(&mut self) {
        if let Conn::Shm { region, .. } = &self.conn {
            region.atomic_u32(CLOSED).store(1, SeqCst);
            region.doorbell(REQ).ring();
        }
        self.conn = Conn::Closed;
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.close();
        if let Peer::Thread(handle) = &mut self.peer
            && let Some(handle) = handle.take()
        {
            let _ = handle.join();
        }
        // A process peer is killed and reaped by PeerProcess's drop.
    }
}

/// A connected Unix or TCP socket.
trait Socket: Read + Write + Send + Sized + 'static {
    /// Blocking, with a read timeout (and TCP_NODELAY for TCP).
    fn configure(&self) -> io::Result<()>;
    fn duplicate(&self) -> io::Result<Self>;
}

impl Socket for UnixStream {
    fn configure(&self) -> io::Result<()> {
        self.set_nonblocking(false)?;
        self.set_read_timeout(Some(PEER_TIMEOUT))
    }
    fn duplicate(&self) -> io::Result<Self> {
        self.try_clone()
    }
}

impl Socket for TcpStream {
    fn configure(&self) -> io::Result<()> {
        self.set_nonblocking(false)?;
        self.set_nodelay(true)?;
        self.set_read_timeout(Some(PEER_TIMEOUT))
    }
    fn duplicate(&self) -> io::Result<Self> {
        self.try_clone()
    }
}

/// Accepts the peer's connection and makes it the parent's end.
fn socket_conn<S: Socket>(
    peer: &mut Peer,
    accept_once: impl FnMut() -> io::Result<S>,
    msg: Vec<u8>,
) -> Result<Conn> {
    let stream = accept(peer, accept_once)?;
    stream
        .configure()
        .map_err(io_err("cannot configure the socket"))?;
    let writer = stream
        .duplicate()
        .map_err(io_err("cannot clone the socket"))?;
    Ok(Conn::Stream {
        writer: Box::new(writer),
        reader: Box::new(stream),
        msg,
    })
}

/// The peer side of a socket: echo until the parent closes.
fn serve_socket<S: Socket>(stream: S, size: usize) -> Result<()> {
    let writer = stream
        .duplicate()
        .map_err(io_err("peer: cannot clone the socket"))?;
    serve_echo(stream, writer, size)
}

/// A thread that sends back every buffer it receives, until either side
/// hangs up.
fn channel_peer(
    rx: impl IntoIterator<Item = Vec<u8>> + Send + 'static,
    send: impl Fn(Vec<u8>) -> bool + Send + 'static,
) -> Result<Peer> {
    Peer::thread(move || {
        for buf in rx {
            if !send(buf) {
                break;
            }
        }
        Ok(())
    })
}

/// Moves the buffer (last byte `tag`) to the peer and takes it back; `None`
/// when the peer hung up.
fn channel_round_trip(
    buf: &mut Option<Vec<u8>>,
    tag: u8,
    send: impl FnOnce(Vec<u8>) -> bool,
    recv: impl FnOnce() -> Option<Vec<u8>>,
) -> Option<u8> {
    let mut msg = buf.take()?;
    *msg.last_mut()? = tag;
    if !send(msg) {
        return None;
    }
    let back = recv()?;
    let answer = *back.last()?;
    *buf = Some(back);
    Some(answer)
}

/// Polls a non-blocking `accept` until the peer connects, it dies, or
/// [`PEER_TIMEOUT`] passes.
fn accept<S>(peer: &mut Peer, mut accept: impl FnMut() -> io::Result<S>) -> Result<S> {
    let deadline = Instant::now() + PEER_TIMEOUT;
    loop {
        match accept() {
            Ok(stream) => return Ok(stream),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(Error::io("cannot accept the peer's connection", e)),
        }
        peer.check_alive()?;
        if Instant::now() >= deadline {
            return Err(Error::InvalidJob(format!(
                "the peer did not connect within {PEER_TIMEOUT:?}"
            )));
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Reads whole messages of `size` bytes and answers each with its last
/// byte, until end of input.
pub fn serve_echo(mut reader: impl Read, mut writer: impl Write, size: usize) -> Result<()> {
    let mut buf = vec![0u8; size.max(1)];
    let fail = io_err("peer: the connection broke");
    loop {
        let mut filled = 0;
        while filled < buf.len() {
            match reader.read(&mut buf[filled..]) {
                Ok(0) if filled == 0 => return Ok(()),
                Ok(0) => {
                    return Err(Error::io(
                        "peer: end of input inside a message",
                        io::ErrorKind::UnexpectedEof.into(),
                    ));
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(fail(e)),
            }
        }
        if let Err(e) = writer
            .write_all(&buf[buf.len() - 1..])
            .and_then(|()| writer.flush())
        {
            return Err(io_err("peer: cannot answer")(e));
        }
    }
}

/// `tvp peer pipe`: echo on stdin/stdout.
pub fn serve_stdio(size: usize) -> Result<()> {
    serve_echo(io::stdin().lock(), io::stdout().lock(), size)
}

/// The peer side of `unix`, `tcp` and `shm`: connect to `addr` and answer
/// messages of `size` bytes until the parent closes.
pub fn serve(mechanism: &str, addr: &str, size: usize) -> Result<()> {
    match mechanism {
        "unix" => serve_socket(
            UnixStream::connect(addr).map_err(io_err("peer: cannot connect to the Unix socket"))?,
            size,
        ),
        "tcp" => {
            let stream =
                TcpStream::connect(addr).map_err(io_err("peer: cannot connect over TCP"))?;
            stream
                .set_nodelay(true)
                .map_err(io_err("peer: cannot set TCP_NODELAY"))?;
            serve_socket(stream, size)
        }
        "shm" => serve_shm(Path::new(addr), size),
        other => Err(Error::InvalidJob(format!(
            "`{other}` is not a connecting IPC mechanism"
        ))),
    }
}

/// Answers messages in the shared mailbox until the parent sets CLOSED.
fn serve_shm(path: &Path, size: usize) -> Result<()> {
    let mut buf = vec![0u8; size.max(1)];
    SharedRegion::open(path)?.serve_mailbox([REQ, ACK, CLOSED], SHM_SPIN, |region| {
        let len = (region.atomic_u64(LEN).load(SeqCst) as usize).clamp(1, buf.len());
        // SAFETY: `ptr` checks the bounds; the parent does not write until
        // we ring ACK.
        unsafe { std::ptr::copy_nonoverlapping(region.ptr(DATA, len), buf.as_mut_ptr(), len) };
        region
            .atomic_u32(ACK_BYTE)
            .store(u32::from(buf[len - 1]), SeqCst);
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_thread_link_echoes_the_last_byte() {
        for mechanism in Mechanism::ALL {
            for size in [1, 4096, 200_000] {
                let mut link = Link::new(mechanism, Side::Thread, size, None).unwrap();
                for tag in [1u8, 200, 7] {
                    assert_eq!(
                        link.round_trip(tag).unwrap(),
                        tag,
                        "{} with {size} B",
                        mechanism.name()
                    );
                }
            }
        }
    }

    #[test]
    fn thread_links_clean_up_their_files() {
        for mechanism in [Mechanism::Unix, Mechanism::Shm] {
            let mut link = Link::new(mechanism, Side::Thread, 64, None).unwrap();
            link.round_trip(3).unwrap();
            let path = link.temp_path().unwrap().to_path_buf();
            assert!(path.exists());
            drop(link);
            assert!(
                !path.exists(),
                "{} left {}",
                mechanism.name(),
                path.display()
            );
        }
    }

    #[test]
    fn channels_have_no_process_side_and_processes_need_the_binary() {
        assert!(Link::new(Mechanism::Mpsc, Side::Process, 1, None).is_err());
        let err = Link::new(Mechanism::Pipe, Side::Process, 1, None).unwrap_err();
        assert!(err.to_string().contains("tvp binary"), "{err}");
        assert!(Link::new(Mechanism::Pipe, Side::Thread, 0, None).is_err());
    }

    #[test]
    fn serve_echo_answers_each_message_until_eof() {
        let input = b"abcdefgh";
        let mut out = Vec::new();
        serve_echo(&input[..], &mut out, 4).unwrap();
        assert_eq!(out, b"dh");
        assert!(serve_echo(&b"abcde"[..], &mut Vec::new(), 4).is_err());
    }
}
