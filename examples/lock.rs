//! `threading.Lock`: the lost update, and the two ways to fix it.
//!
//! Python:
//! ```python
//! counter += 1          # LOAD counter; ADD 1; STORE counter: a thread switch between
//!                       # LOAD and STORE loses the other threads' increments
//! with lock: counter += 1                                   # the fix
//! ```
//! Rust will not compile a plain `u64` shared and mutated by threads, so the racy version
//! uses an `AtomicU64` with a separate `load` and `store`: each step is safe on its own,
//! the pair is not, just like `counter += 1` in Python. A short pause between them widens
//! the window in which another thread (on another core, or after a switch) gets in.
//!
//! What to look for: the unlocked total is (usually) far below the expected one; the
//! `Mutex` and `fetch_add` (one indivisible read-modify-write) totals are exact.
//! Run: `cargo run --example lock`

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

const THREADS: u64 = 4;
const PER_THREAD: u64 = 100_000;

/// A few hundred nanoseconds of busy waiting: the gap between LOAD and STORE.
fn pause() {
    for _ in 0..100 {
        std::hint::spin_loop();
    }
}

/// Runs `step` PER_THREAD times on each of THREADS threads; returns the elapsed ms.
fn run(step: impl Fn() + Sync) -> u128 {
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| (0..PER_THREAD).for_each(|_| step()));
        }
    });
    t.elapsed().as_millis()
}

fn main() {
    let expected = THREADS * PER_THREAD;
    println!(
        "{THREADS} threads each add 1 to a shared counter {PER_THREAD} times: expect {expected}"
    );

    // 1. Without a lock: read, (maybe be switched out), write back.
    let counter = AtomicU64::new(0);
    let ms = run(|| {
        let v = counter.load(Relaxed); // LOAD
        pause(); // another thread may run here...
        counter.store(v + 1, Relaxed); // STORE: ...and its increments are overwritten
    });
    let got = counter.load(Relaxed);
    println!(
        "without a lock: {got} of {expected} ({} updates lost) in {ms} ms",
        expected - got
    );

    // 2. With a Mutex: the same read, pause, write, but no other thread can get in between.
    let counter = Mutex::new(0u64);
    let ms = run(|| {
        let mut guard = counter.lock().unwrap(); // `with lock:`
        let v = *guard;
        pause(); // others may run, but they wait for the lock
        *guard = v + 1;
    }); // guard dropped at the end of each step: the lock is released
    let got = counter.into_inner().unwrap();
    println!(
        "with a Mutex: {got} of {expected} ({} updates lost) in {ms} ms",
        expected - got
    );

    // 3. With fetch_add: the CPU does load-add-store as one indivisible instruction.
    let counter = AtomicU64::new(0);
    let ms = run(|| {
        counter.fetch_add(1, Relaxed);
    });
    let got = counter.load(Relaxed);
    println!(
        "with fetch_add: {got} of {expected} ({} updates lost) in {ms} ms",
        expected - got
    );
}
