//! Lock costs under contention: N contenders run the same critical section
//! (add 1 to one shared counter) under each kind of lock, threads for the
//! in-process locks and processes for the cross-process one; the `atomic`
//! kind does the same with one `fetch_add` and no lock, on the same counter.
//!
//! Expect one contender to be fast everywhere (an uncontended lock is a
//! couple of atomic instructions), and throughput to fall, not rise, as
//! contenders are added: the critical section is serial by design, and the
//! cache line holding the lock and the counter bounces between cores. The
//! atomic has no lock to wait on, so it is expected to degrade least, but
//! its counter's cache line bounces just the same: one shared counter is
//! true sharing, which no lock can remove ([`super::sharing`] measures the
//! cure, a counter per contender, and its trap, false sharing). The
//! cross-process mutex contends on ONE counter in shared memory; every
//! final count is checked, so a lock that let updates slip would fail.

use std::cell::RefCell;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, RwLock};

use parking_lot::ReentrantMutex;

use super::crew::{PeerCrew, ThreadCrew, parse_count, serve_batches};
use super::need_exe;
use super::shared::SharedRegion;
use crate::error::{Error, Result};

pub const GROUP: &str = "locks";
/// Critical sections each contender runs per timed batch: about a
/// millisecond, so starting and collecting the contenders is a small part.
pub const BATCH_OPS: u64 = 40_000;

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
    /// No lock: one `fetch_add` on the same counter.
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

/// The shared state: one counter that every write adds 1 to, so a lost
/// update shows in the count.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Counter {
    pub count: u64,
}

impl Counter {
    /// The critical section's write.
    #[inline]
    fn bump(&mut self) {
        self.count += 1;
    }

    /// The critical section's read.
    #[inline]
    fn peek(&self) -> u64 {
        self.count
    }
}

/// The in-process shared state under one kind of lock.
#[derive(Debug)]
enum Shared {
    Std(Mutex<Counter>),
    RwLock(RwLock<Counter>),
    ParkingLot(parking_lot::Mutex<Counter>),
    Reentrant(ReentrantMutex<RefCell<Counter>>),
    Atomic(AtomicU64),
}

impl Shared {
    fn new(kind: LockKind) -> Shared {
        let c = Counter::default();
        match kind {
            LockKind::StdMutex => Shared::Std(Mutex::new(c)),
            LockKind::RwLockRead90 | LockKind::RwLockWrite90 => Shared::RwLock(RwLock::new(c)),
            LockKind::ParkingLotMutex => Shared::ParkingLot(parking_lot::Mutex::new(c)),
            LockKind::Reentrant => Shared::Reentrant(ReentrantMutex::new(RefCell::new(c))),
            LockKind::Atomic | LockKind::ProcessMutex => Shared::Atomic(AtomicU64::new(0)),
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
            Shared::Atomic(count) => (0..ops).for_each(|_| {
                black_box(count).fetch_add(1, Relaxed);
            }),
        }
    }

    fn snapshot(&self) -> Counter {
        match self {
            Shared::Std(m) => *m.lock().expect("no panics inside"),
            Shared::RwLock(l) => *l.read().expect("no panics inside"),
            Shared::ParkingLot(m) => *m.lock(),
            Shared::Reentrant(m) => *m.lock().borrow(),
            Shared::Atomic(count) => Counter {
                count: count.load(Relaxed),
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
        crew: ThreadCrew,
    },
    Processes {
        region: SharedRegion,
        crew: PeerCrew,
    },
}

impl Contention {
    /// Starts `contenders` threads (or, for [`LockKind::ProcessMutex`],
    /// `tvp peer lock` processes, which need `exe`). Untimed setup.
    pub fn new(kind: LockKind, contenders: usize, exe: Option<&Path>) -> Result<Self> {
        let inner = if kind == LockKind::ProcessMutex {
            let exe = need_exe(exe)?;
            let region = SharedRegion::create(REGION)?;
            init_process_mutex(&region)?;
            let addr = region.path().to_string_lossy().into_owned();
            let crew = PeerCrew::start(exe, contenders, "lock", &["--addr".into(), addr])?;
            Inner::Processes { region, crew }
        } else {
            let shared = Arc::new(Shared::new(kind));
            let work = Arc::clone(&shared);
            let crew = ThreadCrew::start(
                contenders,
                "tvp-contender",
                Arc::new(move |_, ops| work.run(kind, ops)),
            )?;
            Inner::Threads { shared, crew }
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
            Inner::Threads { crew, .. } => crew.batch(ops)?,
            Inner::Processes { crew, .. } => crew.batch(|_| ops.to_string())?,
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

    /// Checks no update was lost: the count is contenders x writes.
    pub fn check(&self) -> Result<()> {
        let c = self.counter();
        if c.count == self.expected_count() {
            Ok(())
        } else {
            Err(Error::InvalidJob(format!(
                "{} lost updates: count {} (expected {})",
                self.kind.name(),
                c.count,
                self.expected_count(),
            )))
        }
    }

    /// The process ids of process contenders.
    pub fn pids(&self) -> Vec<u32> {
        match &self.inner {
            Inner::Processes { crew, .. } => crew.pids(),
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
    serve_batches(|line| {
        let ops = parse_count(Some(line), line)?;
        for _ in 0..ops {
            // SAFETY: the mutex was initialised process-shared by the parent;
            // the counter is only touched while it is held.
            unsafe {
                libc::pthread_mutex_lock(mutex);
                (*counter).bump();
                libc::pthread_mutex_unlock(mutex);
            }
        }
        Ok(())
    })
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
    fn the_atomic_and_the_mutex_run_the_same_critical_section() {
        // Same data, same work: one counter, +1 per operation.
        for kind in [LockKind::Atomic, LockKind::ParkingLotMutex] {
            let mut c = Contention::new(kind, 2, None).unwrap();
            c.batch(500).unwrap();
            assert_eq!(c.counter(), Counter { count: 1000 }, "{}", kind.name());
        }
    }

    #[test]
    fn the_process_mutex_needs_the_binary() {
        let err = Contention::new(LockKind::ProcessMutex, 1, None).unwrap_err();
        assert!(err.to_string().contains("tvp binary"), "{err}");
    }
}
