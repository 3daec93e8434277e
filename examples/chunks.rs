//! Chunk size and load balancing: how many pieces to cut a job into.
//!
//! Python:
//! ```python
//! pool.map(is_prime, range(n), chunksize=n // workers)  # one static chunk per worker
//! pool.map(is_prime, range(n))          # default chunksize: ~4 chunks per worker
//! pool.map(is_prime, range(n), chunksize=64)            # many small chunks
//! ```
//! Counts the primes below N on W threads (the machine's cores, at least 2), cutting
//! 0..N into K chunks per thread. K = 1: each thread gets one contiguous chunk (static
//! scheduling). Testing n for primality costs about sqrt(n) steps, so the last chunk,
//! with the largest numbers, costs the most: its thread finishes last while the others
//! wait. K > 1: every thread takes the next chunk from a shared atomic counter until none
//! is left (dynamic scheduling), so a thread that finishes early takes more.
//!
//! What to look for: each thread's busy time (the time it spent counting). At K = 1 the
//! idlest thread is busy for only part of the run; as K grows the busy times even out
//! and the run gets shorter, until the chunks are so small that handing them out costs
//! more than it balances. Here a hand-out is one atomic increment, so that point is far
//! off; a process pool pays a round trip through a pipe per chunk, and reaches it much
//! sooner (`cargo bench --bench balance` measures both).
//! Run: `cargo run --release --example chunks` (or `-- 5000000 1,2,8,64` for another N
//! and other K).

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

// The suite's own primality test (trial division up to the square root) and
// its cut of 0..n into ranges whose lengths differ by at most one.
use tvp::workloads::primes::is_prime;
use tvp::workloads::split;

/// Runs `chunks` on `workers` threads: with `dynamic`, each takes the next chunk from a
/// shared counter; without, thread w runs chunk w only. Returns the primes found and
/// each thread's busy time.
fn run(chunks: &[Range<u64>], workers: usize, dynamic: bool) -> (u64, Vec<Duration>) {
    let next = AtomicUsize::new(0);
    let next = &next;
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..workers)
            .map(|w| {
                s.spawn(move || {
                    let (mut primes, mut busy, mut taken) = (0, Duration::ZERO, 0);
                    loop {
                        let i = match (dynamic, taken) {
                            (true, _) => next.fetch_add(1, Ordering::Relaxed), // take the next
                            (false, 0) => w,                                   // my one chunk
                            (false, _) => break,
                        };
                        let Some(chunk) = chunks.get(i) else { break };
                        taken += 1;
                        let start = Instant::now();
                        primes += chunk.clone().filter(|&n| is_prime(n)).count() as u64;
                        busy += start.elapsed();
                    }
                    (primes, busy)
                })
            })
            .collect();
        let done: Vec<(u64, Duration)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        (
            done.iter().map(|d| d.0).sum(),
            done.iter().map(|d| d.1).collect(),
        )
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args
        .next()
        .map_or(2_000_000, |a| a.parse().expect("N: a whole number"));
    let ks: Vec<usize> = args.next().map_or(vec![1, 4, 16, 256], |a| {
        a.split(',')
            .map(|k| k.parse().expect("K: comma-separated whole numbers"))
            .collect()
    });
    let workers = std::thread::available_parallelism().map_or(2, |c| c.get().max(2));
    println!("primes below {n} on {workers} threads; busy = each thread's time counting");
    let mut counts = Vec::new();
    for &k in &ks {
        let chunks = split(0..n, workers * k.max(1));
        let start = Instant::now();
        let (primes, busy) = run(&chunks, workers, k > 1);
        let wall = start.elapsed();
        let ms: Vec<String> = busy
            .iter()
            .map(|b| format!("{:.1}", b.as_secs_f64() * 1e3))
            .collect();
        let idlest = busy.iter().min().copied().unwrap_or_default();
        println!(
            "K = {k:>3} ({:>4} chunks): {:>7.1} ms; busy [{}] ms; idlest thread busy {:.0}% of the run",
            chunks.len(),
            wall.as_secs_f64() * 1e3,
            ms.join(", "),
            100.0 * idlest.as_secs_f64() / wall.as_secs_f64()
        );
        counts.push(primes);
    }
    counts.dedup();
    match counts.as_slice() {
        [one] => println!("chunks: done, counts agree ({one} primes below {n})"),
        many => println!("chunks: counts DISAGREE: {many:?}"),
    }
}
