//! Chunks as async tasks on a tokio runtime: what `async` and `async-mt`
//! share. A backend picks the runtime; this file spawns one task per chunk,
//! collects the partial checksums, and tears everything down on failure.
//!
//! A workload that waits gives a future ([`Workload::run_async`]): the task
//! awaits it, and while it waits the runtime's thread runs other tasks. A
//! workload that computes gives none: the task calls [`Workload::run`]
//! inline, through [`super::chunks::run_chunk`], and holds its thread until
//! the chunk is done. That is what "a blocking call stalls the event loop"
//! means; `tokio::task::spawn_blocking` or `block_in_place` would move it off
//! (see `examples/async_wait.rs`).
//!
//! Each task's busy time is the wall time from its first poll to its end,
//! waits included, as a thread's is from the start of its chunk to the end
//! ([`Backend::last_busy`]): on `async`, a computing task that waited for
//! the loop's one thread shows it as a short busy time in a long run.
//!
//! Failures: a chunk that panics becomes [`Error::ChunkPanicked`]; the other
//! tasks are aborted (waiting ones drop at once, closing their sockets;
//! computing ones stop at their next `Context::tick`) and awaited before
//! `execute` returns, so nothing of the run is left on the runtime. Ctrl-C
//! (see [`crate::interrupt`]) is seen within [`INTERRUPT_POLL`] and ends the
//! run the same way with [`Error::Interrupted`].

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;
use tokio::task::{JoinError, JoinSet};

use super::Backend;
use super::limits::{self, Checked};
use crate::context::Cancel;
use crate::error::{Error, Result};
use crate::workloads::{Job, Workload, split};

/// An async backend: a runtime built by `build` in `prepare`, and
/// `workers` concurrent tasks per run, one chunk each.
pub struct Tasks {
    name: &'static str,
    build: fn() -> Result<Runtime>,
    prepared: Option<(usize, Runtime)>,
    checked: Checked,
    busy: Option<Vec<Duration>>,
}

impl std::fmt::Debug for Tasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tasks")
            .field("name", &self.name)
            .field("workers", &self.prepared.as_ref().map(|p| p.0))
            .finish()
    }
}

impl Tasks {
    /// The backend `name`, whose runtime `build` makes.
    pub fn new(name: &'static str, build: fn() -> Result<Runtime>) -> Self {
        Tasks {
            name,
            build,
            prepared: None,
            checked: Checked::default(),
            busy: None,
        }
    }
}

impl Backend for Tasks {
    fn name(&self) -> &'static str {
        self.name
    }
    fn prepare(&mut self, workers: usize) -> Result<()> {
        shut_down(self.prepared.take().map(|(_, rt)| rt));
        self.checked.reset();
        self.prepared = Some((workers, (self.build)()?));
        Ok(())
    }
    fn execute(&mut self, job: &Job) -> Result<u64> {
        let (workers, runtime) = self
            .prepared
            .as_ref()
            .ok_or(Error::NotPrepared(self.name))?;
        self.busy = None;
        let workload: Arc<dyn Workload> = Arc::from(job.build()?);
        let chunks = split(0..workload.size(), *workers);
        // Tasks cost the kernel nothing; what the chunks open (sockets) does.
        self.checked.ensure(
            || limits::describe(self.name, *workers, Some(workload.name())),
            workload.name(),
            chunks.len(),
            || workload.per_chunk().times(chunks.len()),
        )?;
        let (sum, mut busy) = run_chunks(runtime, workload, chunks)?;
        // One entry per worker: a task that got no chunk was idle.
        busy.resize(busy.len().max(*workers), Duration::ZERO);
        self.busy = Some(busy);
        Ok(sum)
    }
    fn last_busy(&self) -> Option<Vec<Duration>> {
        self.busy.clone()
    }
}

impl Drop for Tasks {
    fn drop(&mut self) {
        shut_down(self.prepared.take().map(|(_, rt)| rt));
    }
}

/// How often a waiting run looks for an interrupt.
pub const INTERRUPT_POLL: Duration = Duration::from_millis(10);

/// How long dropping a runtime waits for its blocking threads (a file
/// operation in flight) before leaving them to finish alone.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Runs each chunk of `workload` as a task on `runtime` and combines the
/// partial checksums; the first failure ends the run (see the module docs).
/// Also returns each task's busy time, in chunk order.
pub fn run_chunks(
    runtime: &Runtime,
    workload: Arc<dyn Workload>,
    chunks: Vec<Range<u64>>,
) -> Result<(u64, Vec<Duration>)> {
    let cancel = Arc::new(Cancel::default());
    let (parts, busy) = runtime.block_on(gather(workload.clone(), chunks, cancel))?;
    Ok((super::chunks::combine_all(workload.as_ref(), parts)?, busy))
}

/// `asyncio.gather` of one task per chunk: every partial checksum and each
/// task's busy time in chunk order, or the first error after the other
/// tasks were aborted and awaited.
async fn gather(
    workload: Arc<dyn Workload>,
    chunks: Vec<Range<u64>>,
    cancel: Arc<Cancel>,
) -> Result<(Vec<Result<u64>>, Vec<Duration>)> {
    let mut set = JoinSet::new();
    let mut index = HashMap::with_capacity(chunks.len());
    for (i, chunk) in chunks.iter().cloned().enumerate() {
        let (workload, cancel) = (workload.clone(), cancel.clone());
        let handle = set.spawn(async move {
            let start = Instant::now();
            let part = match workload.run_async(chunk.clone()) {
                Some(waits) => Ok(waits.await),
                // Computing work runs inline: it holds this thread.
                None => super::chunks::run_chunk(workload.as_ref(), &chunk, i, &cancel, None),
            };
            part.map(|sum| (i, sum, start.elapsed()))
        });
        index.insert(handle.id(), i);
    }
    let mut parts: Vec<Result<u64>> = Vec::with_capacity(chunks.len());
    let mut busy = vec![Duration::ZERO; chunks.len()];
    // One timer for the whole run: a fresh `sleep` per finished task would
    // put ten thousand timers in and out of the runtime's wheel.
    let mut poll = tokio::time::interval(INTERRUPT_POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let failure = loop {
        tokio::select! {
            next = set.join_next_with_id() => match next {
                None => break None,
                Some(Ok((_, Ok((i, sum, took))))) => {
                    parts.push(Ok(sum));
                    busy[i] = took;
                }
                Some(Ok((_, Err(e)))) => break Some(e),
                Some(Err(e)) => {
                    let i = index.get(&e.id()).copied().unwrap_or(0);
                    break Some(panicked(workload.name(), &chunks[i], i, e));
                }
            },
            _ = poll.tick() => {
                if let Some(e) = crate::interrupt::error() {
                    break Some(e);
                }
            }
        }
    };
    let Some(mut first) = failure else {
        return Ok((parts, busy));
    };
    // Stop the others: waiting tasks are dropped where they wait, computing
    // ones stop at their next tick; wait until all are gone. A chunk that
    // was only cancelled gives way to the failure that caused it.
    cancel.cancel();
    set.abort_all();
    while let Some(next) = set.join_next().await {
        if let Ok(Err(e)) = next {
            if matches!(first, Error::Cancelled { .. }) && !matches!(e, Error::Cancelled { .. }) {
                first = e;
            }
        }
    }
    Err(first)
}

/// A task that panicked (or was aborted) as the error for its chunk.
fn panicked(workload: &str, chunk: &Range<u64>, index: usize, e: JoinError) -> Error {
    let message = if e.is_panic() {
        crate::error::panic_message(e.into_panic().as_ref())
    } else {
        "the task was cancelled".to_string()
    };
    Error::ChunkPanicked {
        workload: workload.to_string(),
        chunk: format!("{index} (items {}..{})", chunk.start, chunk.end),
        message,
    }
}

/// Shuts `runtime` down without waiting past [`SHUTDOWN_GRACE`] for its
/// blocking threads.
pub fn shut_down(runtime: Option<Runtime>) {
    if let Some(runtime) = runtime {
        runtime.shutdown_timeout(SHUTDOWN_GRACE);
    }
}
