//! `tcp`: request-response round trips to a server on loopback.
//!
//! The job's fixture starts a server on 127.0.0.1, port 0 (the kernel picks
//! a free one), before any timing; its address travels in the `addr` option
//! so child processes find it. The server runs a thread per connection, so
//! it serves many clients at once. Each chunk of items opens one connection
//! (like a keep-alive HTTP client or a database connection held by a worker)
//! and sends one request per item: 8 bytes, the item index; the server
//! answers 8 bytes, `splitmix64(index)`. A connection per item would mostly
//! measure the TCP handshake and the server's thread spawn, and would leave
//! thousands of sockets in TIME_WAIT per run, enough to exhaust the
//! ephemeral ports under criterion's repeated runs.
//!
//! A loopback round trip waits for the server, but the server needs a core
//! to answer, and so does the kernel's loopback path: client and server
//! share the same cores, and each round trip is two wake-ups. On the 2-core
//! reference machine (a VM) a round trip took about 4 us when client and
//! server ran on one core, and up to 100 us or more when each wake-up had to
//! reach the other virtual core; more clients spread the pairs over both
//! cores and made the whole run slower, not faster. Across a real network the
//! wait is the wire, and workers overlap it as in `latency`. How slow a lone
//! client is depends on whether the machine's other CPU sits idle: the
//! scheduler then wakes the server there, which costs tens of microseconds
//! on a VM (measured in `crate::costs::ipc` and `examples/wakeup.rs`). In
//! `cargo bench --bench io` (2,000 requests) the
//! sequential run took 11.6 ms at 14:47, with a build running beside it, and
//! 76 ms at 16:02 UTC on the idle machine, so the tcp chart's speedups swing
//! with it (from 1.5x to 17x at 2 workers: two clients keep both CPUs busy).
//!
//! Under the `async` backends a chunk talks to the same server through
//! tokio's `TcpStream` ([`Workload::run_async`]): a connection per chunk, as
//! here, but every read and write is awaited, so one thread drives all the
//! connections. Each connection costs two file descriptors in this process
//! (the client's socket and the server's) and a server thread: the limits
//! checked before a run ([`Workload::per_chunk`]).
//!
//! Checksum: the wrapping sum of `splitmix64(i)`. Default 50,000 requests:
//! one sequential run took 205-230 ms on the 2-core reference machine
//! (`tvp run -w tcp -b sequential`), and ten times that in unlucky runs. The
//! server stops when the fixture drops: its threads are joined and its
//! sockets closed.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::monte_carlo::splitmix64;
use super::{ChunkFuture, Entry, Fixture, Job, Kind, Resources, Workload};
use crate::context::Context;
use crate::error::{Error, Result};

/// Job option: the server's address (set by the fixture).
pub const OPT_ADDR: &str = "addr";

pub(super) const ENTRY: Entry = Entry {
    name: "tcp",
    kind: Kind::Io,
    teaches: "loopback round trips: each client waits for its answer, so clients overlap their waits; the server shares the cores with them",
    default_size: 50_000,
    build,
    setup: Some(setup),
};

fn build(job: &Job) -> Result<Box<dyn Workload>> {
    let addr = job.options.get(OPT_ADDR).ok_or_else(|| {
        Error::InvalidJob(
            "`tcp` needs the server its fixture starts: run the job through Job::setup() and \
             use the fixture's job"
                .into(),
        )
    })?;
    let addr = addr.parse().map_err(|e| {
        Error::InvalidJob(format!(
            "`tcp`: the `{OPT_ADDR}` option `{addr}` is not a socket address: {e}"
        ))
    })?;
    Ok(Box::new(Tcp {
        requests: job.size,
        addr,
    }))
}

fn setup(job: &Job) -> Result<Fixture> {
    let server = Server::start()?;
    let mut job = job.clone();
    job.options
        .insert(OPT_ADDR.into(), server.addr().to_string());
    Ok(Fixture::with_guard(job, server))
}

/// `requests` round trips to the server at `addr`.
#[derive(Debug, Clone)]
pub struct Tcp {
    pub requests: u64,
    pub addr: SocketAddr,
}

impl Tcp {
    fn round_trips(&self, items: Range<u64>, cx: &Context) -> std::io::Result<u64> {
        let mut stream = cx.blocking(|| TcpStream::connect(self.addr))?;
        stream.set_nodelay(true)?;
        let mut sum = 0u64;
        for i in items {
            let mut reply = [0u8; 8];
            cx.blocking(|| {
                stream.write_all(&i.to_le_bytes())?;
                stream.read_exact(&mut reply)
            })?;
            sum = sum.wrapping_add(u64::from_le_bytes(reply));
        }
        Ok(sum)
    }

    /// [`Tcp::round_trips`] on tokio's sockets.
    async fn round_trips_async(&self, items: Range<u64>) -> std::io::Result<u64> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(self.addr).await?;
        stream.set_nodelay(true)?;
        let mut sum = 0u64;
        for i in items {
            let mut reply = [0u8; 8];
            stream.write_all(&i.to_le_bytes()).await?;
            stream.read_exact(&mut reply).await?;
            sum = sum.wrapping_add(u64::from_le_bytes(reply));
        }
        Ok(sum)
    }

    fn failed(&self, items: &Range<u64>, e: &std::io::Error) -> String {
        let hint = crate::error::os_hint(crate::error::Doing::Connecting, e)
            .map_or_else(String::new, |h| format!(" ({h})"));
        format!(
            "`tcp`: items {}..{} to the server at {} failed: {e}{hint}",
            items.start, items.end, self.addr
        )
    }
}

impl Workload for Tcp {
    fn name(&self) -> &'static str {
        ENTRY.name
    }
    fn kind(&self) -> Kind {
        ENTRY.kind
    }
    fn size(&self) -> u64 {
        self.requests
    }
    fn run(&self, items: Range<u64>, cx: &Context) -> u64 {
        if items.is_empty() {
            return 0;
        }
        self.round_trips(items.clone(), cx)
            .unwrap_or_else(|e| panic!("{}", self.failed(&items, &e)))
    }
    fn run_async(&self, items: Range<u64>) -> Option<ChunkFuture<'_>> {
        Some(Box::pin(async move {
            if items.is_empty() {
                return 0;
            }
            match self.round_trips_async(items.clone()).await {
                Ok(sum) => sum,
                Err(e) => panic!("{}", self.failed(&items, &e)),
            }
        }))
    }
    fn per_chunk(&self) -> Resources {
        // The client's socket, the server's socket and the server's thread
        // for it: the fixture's server runs in this process.
        Resources {
            fds: 2,
            threads: 1,
            processes: 0,
        }
    }
}

/// Live connections: a clone of each socket (to shut it down) and its thread.
type Connections = Arc<Mutex<Vec<(TcpStream, JoinHandle<()>)>>>;

/// A loopback server with a thread per connection. Dropping it stops it:
/// the listening socket closes, open connections are shut down and every
/// thread is joined.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
    connections: Connections,
}

impl Server {
    /// Listens on 127.0.0.1, on a port the kernel picks.
    pub fn start() -> Result<Server> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| {
            Error::io(
                "cannot listen on 127.0.0.1 for the `tcp` workload's server",
                e,
            )
        })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("cannot read the `tcp` server's address", e))?;
        let stop = Arc::new(AtomicBool::new(false));
        let connections: Connections = Arc::default();
        let acceptor = {
            let (stop, connections) = (stop.clone(), connections.clone());
            std::thread::Builder::new()
                .name(thread_name("tcpa", addr))
                .spawn(move || accept_loop(&listener, &stop, &connections))
                .map_err(|e| Error::io("cannot start the `tcp` server's thread", e))?
        };
        Ok(Server {
            addr,
            stop,
            acceptor: Some(acceptor),
            connections,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// "tcpa-40123": the thread's role and port, within Linux's 15 characters,
/// so a test can find the threads of one server.
pub fn thread_name(role: &str, addr: SocketAddr) -> String {
    format!("{role}-{}", addr.port())
}

fn accept_loop(listener: &TcpListener, stop: &AtomicBool, connections: &Connections) {
    for stream in listener.incoming() {
        if stop.load(Ordering::Acquire) {
            return;
        }
        // Accept errors (a client gave up, too many open files) are the
        // client's to report; the server keeps serving, after a pause, so
        // an error that lasts (EMFILE) does not spin a core.
        let Ok(stream) = stream else {
            std::thread::sleep(std::time::Duration::from_millis(1));
            continue;
        };
        let Ok(handle) = stream.try_clone() else {
            continue;
        };
        let addr = listener.local_addr().ok();
        let spawned = std::thread::Builder::new()
            .name(addr.map_or_else(|| "tcpc".into(), |a| thread_name("tcpc", a)))
            .spawn(move || serve(stream));
        // If no thread can start, `stream` is dropped inside the closure and
        // the client sees the connection close.
        if let Ok(thread) = spawned {
            let mut live = connections.lock().unwrap_or_else(|e| e.into_inner());
            live.retain(|(_, t)| !t.is_finished());
            live.push((handle, thread));
        }
    }
}

/// Answers each 8-byte request with `splitmix64` of it until the client
/// closes the connection or it is shut down.
fn serve(mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut request = [0u8; 8];
    while stream.read_exact(&mut request).is_ok() {
        let reply = splitmix64(u64::from_le_bytes(request)).to_le_bytes();
        if stream.write_all(&reply).is_err() {
            return;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the acceptor from accept(): it sees `stop` and returns,
        // dropping the listening socket.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        let live = std::mem::take(&mut *self.connections.lock().unwrap_or_else(|e| e.into_inner()));
        for (stream, thread) in live {
            let _ = stream.shutdown(Shutdown::Both);
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_splitmix_of_the_requests() {
        let fixture = Job::new("tcp").unwrap().with_size(5).setup().unwrap();
        let tcp = fixture.job.build().unwrap();
        let want = (0..5).map(splitmix64).fold(0u64, u64::wrapping_add);
        assert_eq!(tcp.run(0..5, &Context::free()), want);
        assert_eq!(tcp.run(0..0, &Context::free()), 0);
    }

    #[test]
    fn a_job_without_its_server_is_an_error_that_says_so() {
        let err = Job::new("tcp").unwrap().build().err().unwrap().to_string();
        assert!(err.contains("Job::setup"), "{err}");
    }
}
