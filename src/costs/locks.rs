//! Lock costs under contention: N contenders run the same critical section
//! (bump a shared counter, add it into one of eight shared slots) under each
//! kind of lock, threads for the in-process locks and processes for the
//! cross-process one.
//!
//! Expect one contender to be fast everywhere (an uncontended lock is a
//! couple of atomic instructions), and throughput to fall, not rise, as
//! contenders are added: the critical section is serial by design, and the
//! cache line holding the lock bounces between cores. The atomic counter has
//! no lock to wait on and degrades least. The cross-process mutex contends on
//! ONE counter in shared memory; its final count is checked, so a lock that
//! let updates slip would fail.

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{ChildStdin, ChildStdout};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use parking_lot::ReentrantMutex;

use super::shared::SharedRegion;
use super::{PeerProcess, io_err, need_exe};
use crate::error::{Error, Result};

pub const GROUP: &str = "locks";
/// Critical sections each contender runs per timed batch: about a
/// millisecond, so starting and collecting the contenders is a small part.
pub const BATCH_OPS: u64 = 40_000;
const SLOTS: usize = 8;

/// A lock (or no lock) around the critical section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    StdMutex,
    /// std RwLock, 9 reads for every write.
    RwLockRead90,
    /// std RwLock, 9 writes for every read.
    RwLockWrite90,
    ParkingLotMutex,
    /// parking_lot ReentrantMutex around a RefCell: Python's RLock.
    Reentrant,
    /// No lock: two atomic adds.
    Atomic,
    /// A process-shared pthread mutex in shared memory, between processes.
    ProcessMutex,
}

impl LockKind {
    pub const ALL: [LockKind; 7] = [
        LockKind::StdMutex,
        LockKind::RwLockRead90,
        LockKind::RwLockWrite90,
        LockKind::ParkingLotMutex,
        LockKind::Reentrant,
        LockKind::Atomic,
        LockKind::ProcessMutex,
    ];

    pub fn name(self) -> &'static str {
        match self {
            LockKind::StdMutex => "std-mutex",
            LockKind::RwLockRead90 => "std-rwlock-read90",
            LockKind::RwLockWrite90 => "std-rwlock-write90",
            LockKind::ParkingLotMutex => "parking_lot-mutex",
            LockKind::Reentrant => "parking_lot-reentrant",
            LockKind::Atomic => "atomic",
            LockKind::ProcessMutex => "process-mutex",
        }
    }

    /// What it stands for in Python.
    pub fn python(self) -> &'static str {
        match self {
            LockKind::StdMutex | LockKind::ParkingLotMutex => "threading.Lock",
            LockKind::RwLockRead90 | LockKind::RwLockWrite90 => "(no RwLock in the stdlib)",
            LockKind::Reentrant => "threading.RLock",
            LockKind::Atomic => "(none: CPython has no atomics; the GIL serialises)",
            LockKind::ProcessMutex => "multiprocessing.Lock",
        }
    }

    /// How many of `ops` critical sections write (the rest only read).
    pub fn writes(self, ops: u64) -> u64 {
        match self {
            // Op i reads unless i % 10 == 0.
            LockKind::RwLockRead90 => ops.div_ceil(10),
            // Op i writes unless i % 10 == 0.
            LockKind::RwLockWrite90 => ops - ops.div_ceil(10),
            _ => ops,
        }
    }
}

/// The shared state: a counter and slots that each write adds it into, so a
/// lost update shows in the count or the slot sum.
#[derive(Debug, Default, Clone, Copy)]
#[repr(C)]
pub struct Counter {
    pub count: u64,
    pub slots: [u64; SLOTS],
}

impl Counter {
    /// The critical section's write.
    #[inline]
    fn bump(&mut self) {
        self.count += 1;
        self.slots[(self.count % SLOTS as u64) as usize] += self.count;
    }

    /// The critical section's read.
    #[inline]
    fn peek(&self) -> u64 {
        self.count ^ self.slots[(self.count % SLOTS as u64) as usize]
    }

    /// Whether the slots hold 1 + 2 + ... + count, as they must without
    /// lost updates.
    pub fn consistent(&self) -> bool {
        self.slots.iter().sum::<u64>() == self.count * (self.count + 1) / 2
    }
}

/// The in-process shared state under one kind of lock.
#[derive(Debug)]
enum Shared {
    Std(Mutex<Counter>),
    RwLock(RwLock<Counter>),
    ParkingLot(parking_lot::Mutex<Counter>),
    Reentrant(ReentrantMutex<RefCell<Counter>>),
    Atomic {
        count: AtomicU64,
        slots: [AtomicU64; SLOTS],
    },
}

impl Shared {
    fn new(kind: LockKind) -> Shared {
        let c = Counter::default();
        match kind {
            LockKind::StdMutex => Shared::Std(Mutex::new(c)),
            LockKind::RwLockRead90 | LockKind::RwLockWrite90 => Shared::RwLock(RwLock::new(c)),
            LockKind::ParkingLotMutex => Shared::ParkingLot(parking_lot::Mutex::new(c)),
            LockKind::Reentrant => Shared::Reentrant(ReentrantMutex::new(RefCell::new(c))),
            LockKind::Atomic | LockKind::ProcessMutex => Shared::Atomic {
                count: AtomicU64::new(0),
                slots: Default::default(),
            },
        }
    }

    /// Runs `ops` critical sections.
    fn run(&self, kind: LockKind, ops: u64) {
        use std::hint::black_box;
        match self {
            Shared::Std(m) => (0..ops).for_each(|_| m.lock().expect("no panics inside").bump()),
            Shared::RwLock(l) => {
                let read = |i: u64| (i % 10 == 0) == (kind == LockKind::RwLockWrite90);
                for i in 0..ops {
                    if read(i) {
                        black_box(l.read().expect("no panics inside").peek());
                    } else {
                        l.write().expect("no panics inside").bump();
                    }
                }
            }
            Shared::ParkingLot(m) => (0..ops).for_each(|_| m.lock().bump()),
            Shared::Reentrant(m) => (0..ops).for_each(|_| m.lock().borrow_mut().bump()),
            Shared::Atomic { count, slots } => {
                for _ in 0..ops {
                    let c = count.fetch_add(1, Relaxed) + 1;
                    slots[(c % SLOTS as u64) as usize].fetch_add(c, Relaxed);
                }
            }
        }
    }

    fn snapshot(&self) -> Counter {
        match self {
            Shared::Std(m) => *m.lock().expect("no panics inside"),
            Shared::RwLock(l) => *l.read().expect("no panics inside"),
            Shared::ParkingLot(m) => *m.lock(),
            Shared::Reentrant(m) => *m.lock().borrow(),
            Shared::Atomic { count, slots } => Counter {
                count: count.load(Relaxed),
                slots: std::array::from_fn(|i| slots[i].load(Relaxed)),
            },
        }
    }
}

/// Layout of the cross-process region: the mutex, then the counter.
const MUTEX_AT: usize = 0;
const COUNTER_AT: usize = 64;
const REGION: usize = 4096;
const _: () = assert!(size_of::<libc::pthread_mutex_t>() <= COUNTER_AT);

/// N contenders, started once, each running a batch of critical sections
/// on command.
#[derive(Debug)]
pub struct Contention {
    kind: LockKind,
    contenders: usize,
    /// Writes each contender has made so far.
    writes_each: u64,
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Threads {
        shared: Arc<Shared>,
        go: Vec<crossbeam_channel::Sender<u64>>,
        done: crossbeam_channel::Receiver<()>,
        threads: Vec<JoinHandle<()>>,
    },
    Processes {
        region: SharedRegion,
        peers: Vec<(PeerProcess, ChildStdin, BufReader<ChildStdout>)>,
    },
}

impl Contention {
    /// Starts `contenders` threads (or, for [`LockKind::ProcessMutex`],
    /// `tvp peer lock` processes, which need `exe`). Untimed setup.
    pub fn new(kind: LockKind, contenders: usize, exe: Option<&Path>) -> Result<Self> {
        if contenders == 0 {
            return Err(Error::InvalidJob("contention needs a contender".into()));
        }
        let inner = if kind == LockKind::ProcessMutex {
            let exe = need_exe(exe)?;
            let region = SharedRegion::create(REGION)?;
            init_process_mutex(&region)?;
            let addr = region.path().to_string_lossy().into_owned();
            let mut peers = Vec::with_capacity(contenders);
            for _ in 0..contenders {
                let mut peer = PeerProcess::spawn(exe, "lock", &["--addr".into(), addr.clone()])?;
                let (stdin, stdout) = peer.take_stdio();
                peers.push((peer, stdin, BufReader::new(stdout)));
            }
            Inner::Processes { region, peers }
        } else {
            let shared = Arc::new(Shared::new(kind));
            let (done_tx, done) = crossbeam_channel::unbounded();
            let mut go = Vec::with_capacity(contenders);
            let mut threads = Vec::with_capacity(contenders);
            for i in 0..contenders {
                let (tx, rx) = crossbeam_channel::bounded::<u64>(1);
                let (shared, done_tx) = (Arc::clone(&shared), done_tx.clone());
                let handle = std::thread::Builder::new()
                    .name(format!("tvp-contender-{i}"))
                    .spawn(move || {
                        for ops in rx {
                            shared.run(kind, ops);
                            if done_tx.send(()).is_err() {
                                return;
                            }
                        }
                    })
                    .map_err(io_err("cannot start a contender thread"))?;
                go.push(tx);
                threads.push(handle);
            }
            Inner::Threads {
                shared,
                go,
                done,
                threads,
            }
        };
        Ok(Contention {
            kind,
            contenders,
            writes_each: 0,
            inner,
        })
    }

    pub fn kind(&self) -> LockKind {
        self.kind
    }

    pub fn contenders(&self) -> usize {
        self.contenders
    }

    /// One batch: every contender runs `ops` critical sections; returns when
    /// all are done.
    pub fn batch(&mut self, ops: u64) -> Result<()> {
        match &mut self.inner {
            Inner::Threads { go, done, .. } => {
                for tx in go.iter() {
                    tx.send(ops).map_err(|_| contender_gone())?;
                }
                for _ in 0..go.len() {
                    done.recv().map_err(|_| contender_gone())?;
                }
            }
            Inner::Processes { peers, .. } => {
                for (peer, stdin, _) in peers.iter_mut() {
                    writeln!(stdin, "{ops}")
                        .map_err(|e| peer.error("request not delivered", e.to_string()))?;
                }
                for (peer, _, stdout) in peers.iter_mut() {
                    let mut line = String::new();
                    match stdout.read_line(&mut line) {
                        Ok(_) if line.trim() == "done" => {}
                        Ok(_) => {
                            return Err(peer.error("protocol error", format!("sent {line:?}")));
                        }
                        Err(e) => return Err(peer.error("reply unreadable", e.to_string())),
                    }
                }
            }
        }
        self.writes_each += self.kind.writes(ops);
        Ok(())
    }

    /// The shared state now (between batches).
    pub fn counter(&self) -> Counter {
        match &self.inner {
            Inner::Threads { shared, .. } => shared.snapshot(),
            Inner::Processes { region, .. } => {
                // SAFETY: between batches no peer touches the counter.
                unsafe {
                    std::ptr::read_volatile(
                        region
                            .ptr(COUNTER_AT, size_of::<Counter>())
                            .cast::<Counter>(),
                    )
                }
            }
        }
    }

    /// The count every write so far adds up to.
    pub fn expected_count(&self) -> u64 {
        self.contenders as u64 * self.writes_each
    }

    /// Checks no update was lost: the count is contenders x writes, and the
    /// slots are consistent with it.
    pub fn check(&self) -> Result<()> {
        let c = self.counter();
        if c.count == self.expected_count() && c.consistent() {
            Ok(())
        } else {
            Err(Error::InvalidJob(format!(
                "{} lost updates: count {} (expected {}), slots consistent: {}",
                self.kind.name(),
                c.count,
                self.expected_count(),
                c.consistent()
            )))
        }
    }

    /// The process ids of process contenders.
    pub fn pids(&self) -> Vec<u32> {
        match &self.inner {
            Inner::Processes { peers, .. } => peers.iter().map(|(p, ..)| p.pid()).collect(),
            Inner::Threads { .. } => Vec::new(),
        }
    }

    /// The shared-memory file of a process contention.
    pub fn region_path(&self) -> Option<&Path> {
        match &self.inner {
            Inner::Processes { region, .. } => Some(region.path()),
            Inner::Threads { .. } => None,
        }
    }
}

impl Drop for Contention {
    fn drop(&mut self) {
        match &mut self.inner {
            Inner::Threads { go, threads, .. } => {
                go.clear();
                for t in threads.drain(..) {
                    let _ = t.join();
                }
            }
            // PeerProcess's drop kills and reaps each peer.
            Inner::Processes { peers, .. } => peers.clear(),
        }
    }
}

fn contender_gone() -> Error {
    Error::InvalidJob("a contender thread ended early".into())
}

/// Initialises a process-shared pthread mutex at MUTEX_AT.
fn init_process_mutex(region: &SharedRegion) -> Result<()> {
    let mutex = region
        .ptr(MUTEX_AT, size_of::<libc::pthread_mutex_t>())
        .cast::<libc::pthread_mutex_t>();
    // SAFETY: the attribute lives on our stack for the whole init; the
    // mutex memory is ours, aligned and not yet used by anyone.
    let rc = unsafe {
        let mut attr: libc::pthread_mutexattr_t = std::mem::zeroed();
        libc::pthread_mutexattr_init(&mut attr);
        libc::pthread_mutexattr_setpshared(&mut attr, libc::PTHREAD_PROCESS_SHARED);
        let rc = libc::pthread_mutex_init(mutex, &attr);
        libc::pthread_mutexattr_destroy(&mut attr);
        rc
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(Error::io(
            "cannot create a process-shared mutex",
            std::io::Error::from_raw_os_error(rc),
        ))
    }
}

/// `tvp peer lock`: for each line `N` on stdin, run N critical sections
/// under the shared mutex, then answer `done`. Exits at end of input.
pub fn serve(path: &Path) -> Result<()> {
    let region = SharedRegion::open(path)?;
    let mutex = region
        .ptr(MUTEX_AT, size_of::<libc::pthread_mutex_t>())
        .cast::<libc::pthread_mutex_t>();
    let counter = region
        .ptr(COUNTER_AT, size_of::<Counter>())
        .cast::<Counter>();
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(io_err("peer: cannot read stdin"))?;
        let ops: u64 = line
            .trim()
            .parse()
            .map_err(|_| Error::InvalidJob(format!("peer: `{line}` is not a count")))?;
        for _ in 0..ops {
            // SAFETY: the mutex was initialised process-shared by the parent;
            // the counter is only touched while it is held.
            unsafe {
                libc::pthread_mutex_lock(mutex);
                (*counter).bump();
                libc::pthread_mutex_unlock(mutex);
            }
        }
        writeln!(out, "done")
            .and_then(|()| out.flush())
            .map_err(io_err("peer: cannot answer"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_thread_lock_loses_an_update() {
        for kind in LockKind::ALL {
            if kind == LockKind::ProcessMutex {
                continue;
            }
            for contenders in [1, 3] {
                let mut c = Contention::new(kind, contenders, None).unwrap();
                c.batch(1000).unwrap();
                c.batch(55).unwrap();
                c.check().unwrap();
                assert_eq!(
                    c.counter().count,
                    contenders as u64 * (kind.writes(1000) + kind.writes(55)),
                    "{}",
                    kind.name()
                );
            }
        }
    }

    #[test]
    fn writes_follow_the_read_write_mix() {
        assert_eq!(LockKind::StdMutex.writes(25), 25);
        assert_eq!(LockKind::RwLockRead90.writes(25), 3);
        assert_eq!(LockKind::RwLockWrite90.writes(25), 22);
    }

    #[test]
    fn a_lost_update_is_caught() {
        let mut c = Counter::default();
        c.bump();
        c.bump();
        assert!(c.consistent());
        c.count += 1; // an increment whose slot update was lost
        assert!(!c.consistent());
    }

    #[test]
    fn the_process_mutex_needs_the_binary() {
        let err = Contention::new(LockKind::ProcessMutex, 1, None).unwrap_err();
        assert!(err.to_string().contains("tvp binary"), "{err}");
    }
}
