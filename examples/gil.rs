//! CPython's GIL, modelled: `threading.Thread` running pure-Python CPU work.
//!
//! Python:
//! ```python
//! threads = [Thread(target=count, args=(chunk,)) for chunk in chunks]  # no faster than 1
//! sys.getswitchinterval()   # 0.005: the GIL holder is asked to let go every 5 ms
//! ```
//! A toy interpreter: each thread "executes bytecode" (a loop of small CPU steps), but
//! only while holding one global `parking_lot::Mutex`, the GIL. Every 5 ms the holder
//! calls `MutexGuard::bump`: a fair hand-off to the next waiting thread, then it queues
//! for the lock again (CPython's forced switch). The same work is then run with no
//! global lock, which is what Rust threads (and free-threaded CPython 3.13t) do.
//!
//! What to look for: with the GIL, N threads take about as long as 1 (speedup ~1.0x or
//! a bit worse), although the lock is handed over hundreds of times; without it, about
//! N x faster on N idle cores. Run: `cargo run --release --example gil`

use parking_lot::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

const SWITCH_INTERVAL: Duration = Duration::from_millis(5);

/// The interpreter state the GIL protects: who ran last, and how often it changed hands.
struct Interp {
    holder: usize,
    switches: u64,
}

/// One "bytecode": a few rounds of integer mixing. Pure, so any split gives one checksum.
fn step(i: u64) -> u64 {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for _ in 0..8 {
        x ^= x >> 29;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    }
    x
}

/// Called on every (re)acquire: counts a hand-over when another thread held the GIL last.
fn took_over(interp: &mut Interp, t: usize) {
    if interp.holder != t && interp.holder != usize::MAX {
        interp.switches += 1;
    }
    interp.holder = t;
}

/// Thread `t` executes its share of 0..items; with a GIL, only while holding it.
fn thread_body(t: usize, threads: usize, items: u64, gil: Option<&Mutex<Interp>>) -> u64 {
    let (lo, hi) = (
        items * t as u64 / threads as u64,
        items * (t as u64 + 1) / threads as u64,
    );
    let Some(gil) = gil else {
        return (lo..hi).map(step).fold(0, u64::wrapping_add); // free threading
    };
    let mut guard = gil.lock();
    took_over(&mut guard, t);
    let (mut sum, mut since) = (0u64, Instant::now());
    for batch in (lo..hi).step_by(256) {
        sum = (batch..(batch + 256).min(hi))
            .map(step)
            .fold(sum, u64::wrapping_add);
        if since.elapsed() >= SWITCH_INTERVAL {
            MutexGuard::bump(&mut guard); // hand over if someone waits, then re-take
            took_over(&mut guard, t);
            since = Instant::now();
        }
    }
    sum
}

/// Runs `threads` threads over the same `items`; returns (wall time, checksum, switches).
fn run(threads: usize, items: u64, with_gil: bool) -> (Duration, u64, u64) {
    let gil = Mutex::new(Interp {
        holder: usize::MAX,
        switches: 0,
    });
    let start = Instant::now();
    let sum = std::thread::scope(|s| {
        let gil = with_gil.then_some(&gil);
        let hs: Vec<_> = (0..threads)
            .map(|t| s.spawn(move || thread_body(t, threads, items, gil)))
            .collect();
        hs.into_iter()
            .map(|h| h.join().unwrap())
            .fold(0, u64::wrapping_add)
    });
    let wall = start.elapsed();
    let switches = gil.into_inner().switches;
    let (label, note) = match with_gil {
        true => ("with the GIL   ", format!(" ({switches} GIL hand-overs)")),
        false => ("without the GIL", String::new()),
    };
    println!(
        "  {threads} thread(s) {label}: {:6.3} s{note}",
        wall.as_secs_f64()
    );
    (wall, sum, switches)
}

fn main() {
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Size the work to ~0.6 s on one thread, in debug and release builds alike.
    let t = Instant::now();
    let (mut done, mut sink) = (0u64, 0u64);
    while t.elapsed() < Duration::from_millis(50) {
        sink = (done..done + 10_000)
            .map(step)
            .fold(sink, u64::wrapping_add);
        done += 10_000;
    }
    std::hint::black_box(sink); // keep the calibration from being optimised away
    let items = done * 12; // 12 x 50 ms
    println!("{n} core(s) available; {items} steps of work, switch interval {SWITCH_INTERVAL:?}");

    let (one, c1, _) = run(1, items, true);
    let (gil, c2, _) = run(n, items, true);
    let (free, c3, _) = run(n, items, false);
    let speedup = |d: Duration| one.as_secs_f64() / d.as_secs_f64();
    println!(
        "with the GIL: {n} threads ran {:.2}x as fast as 1 thread",
        speedup(gil)
    );
    println!(
        "without the GIL: {n} threads ran {:.2}x as fast as 1 thread",
        speedup(free)
    );
    println!("(busy cores, e.g. another program running, shrink the second number)");
    if c1 == c2 && c2 == c3 {
        println!("gil: done, checksums agree ({c1:#x})");
    } else {
        println!("gil: checksums differ: {c1:#x} {c2:#x} {c3:#x}");
        std::process::exit(1);
    }
}
