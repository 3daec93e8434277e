//! Cutting a job into chunks, running a chunk safely, and combining the
//! partial checksums: what every backend shares. A backend decides only how
//! many chunks and on which workers they run.

use std::ops::Range;

use crate::context::{Cancel, Cancelled, Context, Gil};
use crate::error::{Error, Result};
use crate::workloads::{Workload, split};

/// Tasks per worker for the backends that balance load dynamically (rayon and
/// the pool): enough that a worker finishing early finds more work.
pub const TASKS_PER_WORKER: usize = 8;

/// Chunks for a dynamically balanced backend: about [`TASKS_PER_WORKER`] per
/// worker, none smaller than the workload's grain.
pub fn dynamic_chunks(workload: &dyn Workload, workers: usize) -> Vec<Range<u64>> {
    let size = workload.size();
    let by_grain = size.div_ceil(workload.grain().max(1)).max(1);
    let tasks = (workers * TASKS_PER_WORKER).min(usize::try_from(by_grain).unwrap_or(usize::MAX));
    split(0..size, tasks)
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
/// cost to every timed run of the `threads` backend.) Unlike `Scope::spawn`, which panics, a thread the
/// OS refuses (EAGAIN past `ulimit -u`, ENOMEM for its stack) is an error
/// the caller turns into [`Error::thread_start`].
pub fn spawn_scoped<'scope, 'env, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> std::io::Result<std::thread::ScopedJoinHandle<'scope, T>> {
    std::thread::Builder::new().spawn_scoped(scope, f)
}

/// Runs each chunk on its own scoped thread and returns the partial
/// checksums in chunk order. With a `gil`, every thread must hold it to run.
/// If a thread cannot start, the threads started are cancelled and joined,
/// and the parts end with [`Error::thread_start`] naming `owner` ("the
/// `threads` backend"), which [`combine_all`] reports.
pub fn run_on_scoped_threads(
    workload: &dyn Workload,
    chunks: &[Range<u64>],
    gil: Option<&Gil>,
    owner: &str,
) -> Vec<Result<u64>> {
    let cancel = Cancel::default();
    let cancel = &cancel;
    std::thread::scope(|s| {
        let mut handles = Vec::with_capacity(chunks.len());
        let mut failed = None;
        for (i, chunk) in chunks.iter().enumerate() {
            let work = move || run_chunk(workload, chunk, i, cancel, gil);
            match spawn_scoped(s, work) {
                Ok(handle) => handles.push(handle),
                Err(e) => {
                    cancel.cancel();
                    failed = Some(Error::thread_start(owner, chunks.len(), Some(i), e));
                    break;
                }
            }
        }
        let mut parts: Vec<Result<u64>> = handles
            .into_iter()
            .map(|h| h.join().expect("chunk panics are caught inside the thread"))
            .collect();
        parts.extend(failed.map(Err));
        parts
    })
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
