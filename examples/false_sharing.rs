//! False sharing: threads that share nothing in the program, but share a cache line.
//!
//! Python has no equivalent you can see (the GIL runs one thread at a time, and CPython's
//! objects are far apart), but the same happens between processes that each update their
//! own slot of one `multiprocessing.Array` or shared-memory buffer:
//! ```python
//! counts = multiprocessing.Array("q", n_workers, lock=False)   # 8 bytes per worker, adjacent
//! def work(i): ...; counts[i] += 1                             # each its own slot
//! ```
//! Each thread adds 1 to its OWN counter. First the counters are adjacent (8 bytes apart:
//! all in one cache line), then each is wrapped in `crossbeam_utils::CachePadded`, which
//! pads and aligns it to a cache line (128 bytes on x86-64, to cover the pair of lines the
//! prefetcher fetches together). A core can only write a line it holds alone, so adjacent
//! counters make the cores take the line from each other on every increment.
//!
//! What to look for: the same totals both ways; with two or more free cores the adjacent run
//! is expected to take several times longer (on one core or a busy machine the threads take
//! turns, and on a VM whose two vCPUs are hyperthreads of one core they share its caches:
//! the difference shrinks). `cargo bench --bench costs -- false-sharing` measures it
//! properly, with processes too.
//! Run: `cargo run --release --example false_sharing`

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

const PER_THREAD: u64 = 5_000_000;

/// Each of `counters.len()` threads adds 1 to its own counter PER_THREAD times.
fn count<C: std::ops::Deref<Target = AtomicU64> + Sync>(counters: &[C]) -> (u64, Duration) {
    let start = Instant::now();
    std::thread::scope(|s| {
        for c in counters {
            s.spawn(move || {
                for _ in 0..PER_THREAD {
                    std::hint::black_box(&**c).fetch_add(1, Relaxed);
                }
            });
        }
    });
    let total = counters.iter().map(|c| c.load(Relaxed)).sum();
    (total, start.elapsed())
}

/// A plain counter, so both layouts go through the same `count`.
struct Plain(AtomicU64);

impl std::ops::Deref for Plain {
    type Target = AtomicU64;
    fn deref(&self) -> &AtomicU64 {
        &self.0
    }
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.max(2);
    println!(
        "{threads} threads on {cores} core(s), each adds 1 to its own counter {PER_THREAD} times"
    );
    let adjacent: Vec<Plain> = (0..threads).map(|_| Plain(AtomicU64::new(0))).collect();
    let padded: Vec<CachePadded<AtomicU64>> = (0..threads)
        .map(|_| CachePadded::new(AtomicU64::new(0)))
        .collect();
    let gap = |a: &AtomicU64, b: &AtomicU64| (b as *const _ as usize) - (a as *const _ as usize);
    let (a_total, a_time) = count(&adjacent);
    println!(
        "adjacent: counters {} bytes apart, total {a_total} in {:.0} ms",
        gap(&adjacent[0], &adjacent[1]),
        a_time.as_secs_f64() * 1e3
    );
    let (p_total, p_time) = count(&padded);
    println!(
        "padded:   counters {} bytes apart, total {p_total} in {:.0} ms",
        gap(&padded[0], &padded[1]),
        p_time.as_secs_f64() * 1e3
    );
    println!(
        "false sharing: same totals ({}), adjacent took {:.1}x as long as padded",
        if a_total == p_total {
            "equal"
        } else {
            "NOT equal"
        },
        a_time.as_secs_f64() / p_time.as_secs_f64()
    );
}
