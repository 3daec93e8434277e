//! Memory shared between threads or processes: a file mapped with
//! `MAP_SHARED` (memmap2), and a futex doorbell to wake whoever waits on it.
//!
//! Threads share memory for free; processes must map the same file. Once
//! mapped, both see the same bytes, and the same atomics work across the
//! process boundary. What a process cannot share is a Rust `Mutex` or a
//! channel: those must be rebuilt from atomics and futexes in the mapping.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::SeqCst};
use std::time::{Duration, Instant};

use memmap2::MmapMut;

use crate::error::{Error, Result};

/// A shared mapping of a file in `/dev/shm` (or the temp dir). The creator
/// owns the file and removes it on drop; a peer opens it by path.
#[derive(Debug)]
pub struct SharedRegion {
    map: MmapMut,
    path: PathBuf,
    /// Set for the creator: dropping it removes the file.
    _file: Option<tempfile::NamedTempFile>,
}

impl SharedRegion {
    /// Creates a zeroed file of `len` bytes and maps it.
    pub fn create(len: usize) -> Result<Self> {
        let shm = Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let file = tempfile::Builder::new()
            .prefix(&crate::scratch::prefix("shm"))
            .tempfile_in(&dir)
            .map_err(|e| {
                Error::io(
                    format!(
                        "cannot create a shared-memory file in {} (is it writable?)",
                        dir.display()
                    ),
                    e,
                )
            })?;
        file.as_file()
            .set_len(len as u64)
            .map_err(|e| Error::io(format!("cannot size {}", file.path().display()), e))?;
        // SAFETY: the file is ours, freshly created, and only ever accessed
        // through atomics or raw pointers, never as a Rust reference that
        // another process could invalidate.
        let map = unsafe { MmapMut::map_mut(file.as_file()) }
            .map_err(|e| Error::io(format!("cannot map {}", file.path().display()), e))?;
        Ok(SharedRegion {
            map,
            path: file.path().to_path_buf(),
            _file: Some(file),
        })
    }

    /// Maps a region another process created.
    pub fn open(path: &Path) -> Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| {
                Error::io(
                    format!("cannot open the shared-memory file {}", path.display()),
                    e,
                )
            })?;
        // SAFETY: as in `create`; the creator keeps the file alive and sized.
        let map = unsafe { MmapMut::map_mut(&file) }
            .map_err(|e| Error::io(format!("cannot map {}", path.display()), e))?;
        Ok(SharedRegion {
            map,
            path: path.to_path_buf(),
            _file: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// A pointer to `len` bytes at `offset`, checked to be in the mapping.
    pub fn ptr(&self, offset: usize, len: usize) -> *mut u8 {
        assert!(
            offset.checked_add(len).is_some_and(|end| end <= self.len()),
            "shared region of {} bytes has no room for {len} bytes at {offset}",
            self.len()
        );
        // SAFETY: in bounds, checked above. Mutation through a pointer derived
        // from `as_ptr` is fine: the mapping is shared memory that other
        // processes write anyway, accessed only through atomics and raw copies.
        unsafe { self.map.as_ptr().add(offset).cast_mut() }
    }

    /// The `AtomicU32` at `offset` (4-byte aligned).
    pub fn atomic_u32(&self, offset: usize) -> &AtomicU32 {
        assert_eq!(offset % 4, 0, "unaligned AtomicU32 at {offset}");
        // SAFETY: in bounds and aligned (the mapping is page-aligned); the
        // memory lives as long as `self`, and atomics may alias.
        unsafe { AtomicU32::from_ptr(self.ptr(offset, 4).cast()) }
    }

    /// The `AtomicU64` at `offset` (8-byte aligned).
    pub fn atomic_u64(&self, offset: usize) -> &AtomicU64 {
        assert_eq!(offset % 8, 0, "unaligned AtomicU64 at {offset}");
        // SAFETY: as in `atomic_u32`.
        unsafe { AtomicU64::from_ptr(self.ptr(offset, 8).cast()) }
    }

    /// The doorbell whose two words start at `offset`.
    pub fn doorbell(&self, offset: usize) -> Doorbell<'_> {
        Doorbell {
            word: self.atomic_u32(offset),
            sleepers: self.atomic_u32(offset + 4),
        }
    }

    /// The peer side of a mailbox: waits for each ring of the doorbell at
    /// `request` (spinning `spin` first), calls `answer`, and rings the one
    /// at `done`; returns once the word at `closed` is set.
    pub fn serve_mailbox(
        &self,
        [request, done, closed]: [usize; 3],
        spin: Spin,
        mut answer: impl FnMut(&SharedRegion),
    ) {
        let mut seen = 0;
        loop {
            seen = self
                .doorbell(request)
                .wait_past(seen, spin, None)
                .expect("waits without a timeout");
            if self.atomic_u32(closed).load(SeqCst) != 0 {
                return;
            }
            answer(self);
            self.doorbell(done).ring();
        }
    }
}

/// Checks with a pause instruction before a spinning waiter starts yielding.
const PAUSES: u32 = 16;

/// How long a waiter spins before it sleeps: 0 sleeps at once (every wake-up
/// is a context switch), more trades a busy core for latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spin(pub u32);

/// A counter that one side rings and the other waits on: spin with back-off,
/// then sleep in the kernel (a futex, which works across processes on a
/// shared mapping). The ringer only enters the kernel when someone sleeps.
#[derive(Debug, Clone, Copy)]
pub struct Doorbell<'a> {
    word: &'a AtomicU32,
    sleepers: &'a AtomicU32,
}

impl Doorbell<'_> {
    pub fn value(&self) -> u32 {
        self.word.load(SeqCst)
    }

    /// Bumps the counter and wakes any sleeper.
    pub fn ring(&self) {
        self.word.fetch_add(1, SeqCst);
        // SeqCst on both sides (Dekker): either we see the sleeper, or the
        // sleeper sees the new value before it sleeps.
        if self.sleepers.load(SeqCst) > 0 {
            futex_wake(self.word);
        }
    }

    /// Waits until the counter differs from `seen` and returns it; `None`
    /// once `timeout` (if any) has passed.
    pub fn wait_past(&self, seen: u32, spin: Spin, timeout: Option<Duration>) -> Option<u32> {
        for i in 0..spin.0 {
            let now = self.word.load(SeqCst);
            if now != seen {
                return Some(now);
            }
            // Back off: a few pause instructions, then give the core away
            // (the peer may be waiting for this very core).
            if i < PAUSES {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            self.sleepers.fetch_add(1, SeqCst);
            if self.word.load(SeqCst) == seen {
                futex_wait(self.word, seen, Duration::from_millis(100));
            }
            self.sleepers.fetch_sub(1, SeqCst);
            let now = self.word.load(SeqCst);
            if now != seen {
                return Some(now);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return None;
            }
        }
    }
}

/// Sleeps while `*word == expected`, at most `timeout`. Not FUTEX_PRIVATE:
/// the word may be in memory shared with another process.
fn futex_wait(word: &AtomicU32, expected: u32, timeout: Duration) {
    let ts = libc::timespec {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: the futex word is a live, aligned u32; the kernel only reads it.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            &ts as *const libc::timespec,
        );
    }
}

/// Wakes every sleeper on `word`.
fn futex_wake(word: &AtomicU32) {
    // SAFETY: as in `futex_wait`.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, i32::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_is_shared_between_two_mappings_and_removed_on_drop() {
        let a = SharedRegion::create(4096).unwrap();
        let b = SharedRegion::open(a.path()).unwrap();
        a.atomic_u64(8).store(42, SeqCst);
        assert_eq!(b.atomic_u64(8).load(SeqCst), 42);
        let path = a.path().to_path_buf();
        drop(b);
        assert!(path.exists());
        drop(a);
        assert!(!path.exists(), "the creator removes the file");
    }

    #[test]
    fn a_doorbell_wakes_a_sleeping_thread() {
        let region = SharedRegion::create(4096).unwrap();
        std::thread::scope(|s| {
            let waiter = s.spawn(|| region.doorbell(0).wait_past(0, Spin(0), None));
            std::thread::sleep(Duration::from_millis(20));
            region.doorbell(0).ring();
            assert_eq!(waiter.join().unwrap(), Some(1));
        });
        let bell = region.doorbell(0);
        assert_eq!(
            bell.wait_past(1, Spin(10), Some(Duration::ZERO)),
            None,
            "times out when nobody rings"
        );
    }
}
