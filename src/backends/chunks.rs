//! Cutting a job into chunks, running a chunk safely, and combining the
//! partial checksums: what every backend shares. A backend decides only how
//! many chunks and on which workers they run.
//!
//! How many: `K` chunks per worker ([`chunks_per_worker`]). With `K = 1`
//! each worker gets one static chunk: on uneven items (primes, mandelbrot)
//! the worker with the costliest chunk finishes last while the others sit
//! idle. With more, a worker that finishes early takes the next chunk, so
//! the imbalance shrinks, and every chunk pays its dispatch (an atomic
//! increment for threads, a steal for rayon, a pipe round trip for the
//! pool). The backends record each worker's busy time ([`BusyClock`]), so a
//! run shows which of the two it lost to.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::context::{Cancel, Cancelled, Context, Gil};
use crate::error::{Error, Result};
use crate::workloads::{Workload, split};

/// Chunks per worker for the backends that balance load dynamically (rayon and
/// the pool) unless asked otherwise: enough that a worker finishing early
/// finds more work.
pub const TASKS_PER_WORKER: usize = 8;

/// The most chunks per worker `--chunks-per-worker` accepts: past this every
/// chunk of the default workloads is a handful of items, and the run
/// measures nothing but dispatch.
pub const MAX_CHUNKS_PER_WORKER: usize = 4096;

/// A chunks-per-worker count from the command line: 1 to
/// [`MAX_CHUNKS_PER_WORKER`].
pub fn parse_chunks_per_worker(text: &str) -> std::result::Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => {
            Err("chunks per worker must be at least 1 (1: one static chunk per worker)".into())
        }
        Ok(k) if k <= MAX_CHUNKS_PER_WORKER => Ok(k),
        Ok(k) => Err(format!(
            "{k} chunks per worker is above the cap of {MAX_CHUNKS_PER_WORKER}: chunks that \
             small measure nothing but dispatch"
        )),
        Err(_) => Err(format!(
            "`{text}` is not a whole number of chunks per worker"
        )),
    }
}

/// About `per_worker` chunks per worker, none smaller than the workload's
/// grain and none empty: `workers * per_worker` equal ranges when the job
/// is large enough.
pub fn chunks_per_worker(
    workload: &dyn Workload,
    workers: usize,
    per_worker: usize,
) -> Vec<Range<u64>> {
    let size = workload.size();
    let by_grain = size.div_ceil(workload.grain().max(1)).max(1);
    let tasks = workers
        .max(1)
        .saturating_mul(per_worker.max(1))
        .min(usize::try_from(by_grain).unwrap_or(usize::MAX));
    split(0..size, tasks)
}

/// Chunks for a dynamically balanced backend at its default:
/// [`TASKS_PER_WORKER`] per worker, none smaller than the workload's grain.
pub fn dynamic_chunks(workload: &dyn Workload, workers: usize) -> Vec<Range<u64>> {
    chunks_per_worker(workload, workers, TASKS_PER_WORKER)
}

/// Per worker, the time spent running chunks: each worker adds the wall
/// time of every chunk it ran. Shared by the workers of one run.
#[derive(Debug)]
pub struct BusyClock {
    nanos: Vec<AtomicU64>,
}

impl BusyClock {
    pub fn new(workers: usize) -> Self {
        BusyClock {
            nanos: (0..workers).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Runs `f` and adds its wall time to `worker`'s busy time (a worker
    /// past the clock's size is not counted).
    pub fn time<T>(&self, worker: usize, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        if let Some(slot) = self.nanos.get(worker) {
            let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
            slot.fetch_add(ns, Ordering::Relaxed);
        }
        out
    }

    /// Each worker's busy time, in worker order.
    pub fn busy(&self) -> Vec<Duration> {
        self.nanos
            .iter()
            .map(|n| Duration::from_nanos(n.load(Ordering::Relaxed)))
            .collect()
    }
}

/// Runs chunk `index` with a context that stops when `cancel` is set, and
/// turns a panic into [`Error::ChunkPanicked`]. A panic cancels the sibling
/// chunks, which stop at their next `tick` with [`Error::Cancelled`] (or
/// [`Error::Interrupted`] after SIGINT/SIGTERM).
pub fn run_chunk(
    workload: &dyn Workload,
    chunk: &Range<u64>,
    index: usize,
    cancel: &Cancel,
    gil: Option<&Gil>,
) -> Result<u64> {
    let name = workload.name();
    let chunk_name = || format!("{index} (items {}..{})", chunk.start, chunk.end);
    if cancel.is_cancelled() {
        return Err(cancelled(name, chunk_name()));
    }
    crate::error::catch_panic(|| {
        let cx = match gil {
            Some(gil) => Context::with_gil(gil),
            None => Context::free(),
        };
        workload.run(chunk.clone(), &cx.cancellable(cancel))
    })
    .map_err(|payload| {
        if payload.is::<Cancelled>() {
            return cancelled(name, chunk_name());
        }
        cancel.cancel();
        Error::ChunkPanicked {
            workload: name.to_string(),
            chunk: chunk_name(),
            message: crate::error::panic_message(payload.as_ref()),
        }
    })
}

fn cancelled(workload: &str, chunk: String) -> Error {
    crate::interrupt::error().unwrap_or_else(|| Error::Cancelled {
        workload: workload.to_string(),
        chunk,
    })
}

/// Starts a scoped thread: the one way this crate starts a thread for a
/// worker. (Unnamed, as `Scope::spawn` makes them: naming would add its
/// cost to every timed run of the `threads` backend.) With a `stack`, the
/// thread reserves that many bytes of stack instead of Rust's default (2
/// MiB, or `RUST_MIN_STACK`). Unlike `Scope::spawn`, which panics, a thread
/// the OS refuses (EAGAIN past `ulimit -u`, ENOMEM for its stack) is an
/// error the caller turns into [`Error::thread_start`].
pub fn spawn_scoped<'scope, 'env, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    stack: Option<usize>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> std::io::Result<std::thread::ScopedJoinHandle<'scope, T>> {
    let mut builder = std::thread::Builder::new();
    if let Some(bytes) = stack {
        builder = builder.stack_size(bytes);
    }
    builder.spawn_scoped(scope, f)
}

/// Partial checksums in chunk order, and each worker's busy time.
pub type Ran = (Vec<Result<u64>>, Vec<Duration>);

/// Runs `chunks` on scoped threads and returns the partial checksums in
/// chunk order with each worker's busy time, one per worker (a worker with
/// no chunk was idle: zero).
///
/// Static (`dynamic == false`): one thread per chunk, thread `i` runs chunk
/// `i` (one static chunk per worker). Dynamic: `workers` threads take the
/// next chunk from a shared counter until none is left, as
/// `ThreadPoolExecutor.map` over many chunks does. With a `gil`, every
/// thread must hold it to run, and its wait for the lock counts as busy:
/// the thread is inside its chunk. With a `stack`, each thread reserves
/// that many bytes of stack (see [`spawn_scoped`]). If a thread cannot start, the threads
/// started are cancelled and joined, and the parts end with
/// [`Error::thread_start`] naming `owner` ("the `threads` backend"), which
/// [`combine_all`] reports.
pub fn run_on_scoped_threads(
    workload: &dyn Workload,
    chunks: &[Range<u64>],
    workers: usize,
    dynamic: bool,
    gil: Option<&Gil>,
    stack: Option<usize>,
    owner: &str,
) -> Ran {
    let threads = if dynamic {
        workers.min(chunks.len())
    } else {
        chunks.len()
    };
    let cancel = Cancel::default();
    let next = AtomicUsize::new(0);
    let clock = BusyClock::new(workers.max(threads));
    let (cancel, next, clock) = (&cancel, &next, &clock);
    let (done, failed) = std::thread::scope(|s| {
        let mut handles = Vec::with_capacity(threads);
        let mut failed = None;
        for worker in 0..threads {
            let work = move || {
                let mut mine = Vec::new();
                loop {
                    let i = match (dynamic, mine.is_empty()) {
                        (true, _) => next.fetch_add(1, Ordering::Relaxed),
                        (false, true) => worker,
                        (false, false) => return mine,
                    };
                    let Some(chunk) = chunks.get(i) else {
                        return mine;
                    };
                    let part = clock.time(worker, || run_chunk(workload, chunk, i, cancel, gil));
                    mine.push((i, part));
                }
            };
            match spawn_scoped(s, stack, work) {
                Ok(handle) => handles.push(handle),
                Err(e) => {
                    cancel.cancel();
                    failed = Some(Error::thread_start(owner, threads, Some(worker), e));
                    break;
                }
            }
        }
        let done: Vec<Vec<(usize, Result<u64>)>> = handles
            .into_iter()
            .map(|h| h.join().expect("chunk panics are caught inside the thread"))
            .collect();
        (done, failed)
    });
    let mut parts: Vec<Option<Result<u64>>> =
        std::iter::repeat_with(|| None).take(chunks.len()).collect();
    for (i, part) in done.into_iter().flatten() {
        parts[i] = Some(part);
    }
    // A chunk no thread ran is left out only when a thread could not start:
    // the parts then end with that error.
    let mut parts: Vec<Result<u64>> = parts.into_iter().flatten().collect();
    parts.extend(failed.map(Err));
    (parts, clock.busy())
}

/// Combines partial checksums with the workload's own `combine`. If chunks
/// failed, returns the error that caused the others: a chunk cancelled
/// because a sibling panicked is reported as that panic.
pub fn combine_all(
    workload: &dyn Workload,
    parts: impl IntoIterator<Item = Result<u64>>,
) -> Result<u64> {
    let (parts, errors): (Vec<_>, Vec<_>) = parts.into_iter().partition(Result::is_ok);
    if let Some(first) = errors
        .into_iter()
        .map(Result::unwrap_err)
        .reduce(|kept, e| {
            if matches!(kept, Error::Cancelled { .. }) {
                e
            } else {
                kept
            }
        })
    {
        return Err(first);
    }
    let mut total = None;
    for part in parts.into_iter().flatten() {
        total = Some(match total {
            None => part,
            Some(t) => workload.combine(t, part),
        });
    }
    // An empty job has the checksum of an empty range.
    Ok(match total {
        Some(t) => t,
        None => workload.run(0..0, &Context::free()),
    })
}
