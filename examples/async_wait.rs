//! Many waits at once: 10,000 threads that each sleep, against 10,000 async tasks
//! that each await a timer on one thread; then what a blocking call does to an event
//! loop, and the cure.
//!
//! Python:
//! ```python
//! async def wait(i):
//!     await asyncio.sleep(0.5)                       # a timer; the loop runs others
//!     return i
//! asyncio.run(asyncio.gather(*(wait(i) for i in range(10_000))))   # one thread
//! with ThreadPoolExecutor(10_000) as ex:            # 10,000 threads, each asleep
//!     list(ex.map(lambda i: time.sleep(0.5) or i, range(10_000)))
//! ```
//! Both overlap the waits. A thread is a kernel task with its own stack (reserved
//! address space, of which it touches a few pages); starting one costs tens of
//! microseconds. A task is one allocation holding its future, polled by the loop when
//! its timer fires. The example prints each one's time and the memory the kernel saw
//! grow while all the waits were alive (RSS of this process, per wait).
//!
//! Then the trap: the loop runs one task at a time, and a task that computes for
//! 200 ms without an `.await` holds the thread, so every other task waits, here a
//! ticker that should run each millisecond. Its longest gap is the stall.
//! `tokio::task::spawn_blocking` moves the computation to another thread and the
//! ticker keeps its pace (Python: `await loop.run_in_executor(None, f)`).
//!
//! Run: `cargo run --release --example async_wait` (`-- --waits 1000` for fewer,
//! `-- --block-ms 500` for a longer computation).

use std::time::{Duration, Instant};

use tokio::runtime::Builder;

/// How long each wait lasts.
const WAIT: Duration = Duration::from_millis(500);

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a whole number"))
}

/// This process's resident memory (VmRSS) and thread count, from /proc.
fn rss_kb_and_threads() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("Threads:"))
}

fn report(what: &str, waits: u64, took: Duration, before: u64, during: (u64, u64)) {
    println!(
        "{what}: {waits} waits of {} ms in {} ms; threads alive: {}; RSS +{:.2} kB per wait",
        WAIT.as_millis(),
        took.as_millis(),
        during.1,
        (during.0 as f64 - before as f64) / waits as f64
    );
}

/// `waits` threads, each sleeping WAIT: `ThreadPoolExecutor(waits)`. They start
/// their waits together (a barrier), so all are alive when the memory is read.
fn threads(waits: u64) -> u64 {
    let (before, _) = rss_kb_and_threads();
    let start = Instant::now();
    let all_started = std::sync::Barrier::new(waits as usize + 1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..waits)
            .map(|i| {
                let all_started = &all_started;
                std::thread::Builder::new()
                    .stack_size(64 * 1024) // a small stack, set explicitly
                    .spawn_scoped(s, move || {
                        all_started.wait();
                        std::thread::sleep(WAIT);
                        i
                    })
                    .expect("the kernel refused a thread: raise `ulimit -u` or use fewer --waits")
            })
            .collect();
        all_started.wait();
        let during = rss_kb_and_threads(); // every thread asleep
        let sum = handles.into_iter().map(|h| h.join().unwrap()).sum();
        report("threads", waits, start.elapsed(), before, during);
        sum
    })
}

/// `waits` tasks on one thread, each awaiting WAIT: `asyncio.gather`.
fn tasks(waits: u64) -> u64 {
    let runtime = Builder::new_current_thread().enable_all().build().unwrap();
    let (before, _) = rss_kb_and_threads();
    let start = Instant::now();
    runtime.block_on(async {
        let handles: Vec<_> = (0..waits)
            .map(|i| {
                tokio::spawn(async move {
                    tokio::time::sleep(WAIT).await;
                    i
                })
            })
            .collect();
        tokio::task::yield_now().await; // let them all start waiting
        let during = rss_kb_and_threads();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        report("async", waits, start.elapsed(), before, during);
        sum
    })
}

/// Busy work that never awaits.
fn compute(ms: u64) -> u64 {
    let end = Instant::now() + Duration::from_millis(ms);
    let mut x = 0u64;
    while Instant::now() < end {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
    }
    x
}

/// A ticker that wants to run every millisecond, beside a computation of `ms`: inline
/// in a task, or in `spawn_blocking`. Returns the ticker's longest gap.
fn stall(ms: u64, cure: bool) -> Duration {
    let runtime = Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async move {
        let ticker = tokio::spawn(async move {
            let (mut longest, mut last) = (Duration::ZERO, Instant::now());
            let end = last + Duration::from_millis(ms + 100);
            while Instant::now() < end {
                tokio::time::sleep(Duration::from_millis(1)).await;
                longest = longest.max(last.elapsed());
                last = Instant::now();
            }
            longest
        });
        tokio::time::sleep(Duration::from_millis(20)).await; // the ticker is ticking
        if cure {
            tokio::task::spawn_blocking(move || compute(ms))
                .await
                .unwrap();
        } else {
            compute(ms); // inline: this task holds the only thread
        }
        ticker.await.unwrap()
    })
}

fn main() {
    let waits = arg("--waits", 10_000);
    let block_ms = arg("--block-ms", 200);
    let want: u64 = (0..waits).sum();
    // Tasks first: memory the threads' run gave back to the allocator would hide
    // what the tasks take.
    let a = tasks(waits);
    let t = threads(waits);
    let blocked = stall(block_ms, false);
    println!(
        "stall: a {block_ms} ms computation inline in a task: the 1 ms ticker's longest gap was \
         {} ms",
        blocked.as_millis()
    );
    let cured = stall(block_ms, true);
    println!(
        "cure: the same computation in spawn_blocking: the ticker's longest gap was {} ms",
        cured.as_millis()
    );
    assert_eq!((t, a), (want, want), "checksums");
    println!("async_wait: done, checksums agree");
}
