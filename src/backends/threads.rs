//! `threads`: one OS thread per worker, each given one contiguous chunk, or
//! with `--chunks-per-worker K` above 1, taking chunks from a shared counter.
//!
//! Rust threads run truly in parallel (no GIL), so CPU-bound work speeds up
//! with the cores. By default the chunks are static: with uneven items
//! (primes, mandelbrot) the worker with the costliest chunk finishes last
//! while the others sit idle, and each worker's busy time shows it. With
//! `K > 1` the job is cut into `K` chunks per worker and each thread takes
//! the next one when it finishes its last (dynamic scheduling): the idle
//! time shrinks as `K` grows, for the price of one atomic increment per
//! chunk. Threads are spawned and joined inside every run (with
//! `std::thread::scope`); a spawn costs tens of microseconds.

use std::time::Duration;

use super::limits::{self, Checked};
use super::{Backend, Config, Entry, Worker};
use crate::context::Gil;
use crate::error::{Error, Result};
use crate::workloads::{Job, split};

pub(super) const ENTRY: Entry = Entry {
    name: "threads",
    python: "threading.Thread",
    teaches: "real parallel threads with static chunks: fast, but uneven chunks leave cores idle",
    worker: Worker::Thread,
    create,
};

fn create(config: &Config) -> Box<dyn Backend> {
    Box::new(
        Threads::free()
            .with_chunks_per_worker(config.chunks_per_worker)
            .with_stack(config.thread_stack),
    )
}

/// `std::thread::scope` with one static chunk per thread, or `K` chunks per
/// thread taken dynamically; with a GIL, every thread must hold it to
/// compute (the `gil` backend).
#[derive(Debug)]
pub struct Threads {
    name: &'static str,
    under_gil: bool,
    /// Chunks per worker: 1 is static.
    per_worker: usize,
    workers: Option<usize>,
    /// Bytes of stack per thread; `None` for Rust's default.
    stack: Option<usize>,
    checked: Checked,
    busy: Option<Vec<Duration>>,
}

impl Threads {
    /// Threads that run side by side: the `threads` backend.
    pub fn free() -> Self {
        Threads {
            name: ENTRY.name,
            under_gil: false,
            per_worker: 1,
            workers: None,
            stack: None,
            checked: Checked::default(),
            busy: None,
        }
    }

    /// The same threads, each with `bytes` of stack (`None`: Rust's default).
    pub fn with_stack(mut self, bytes: Option<usize>) -> Self {
        self.stack = bytes;
        self
    }

    /// Threads that share one [`Gil`]: the `gil` backend.
    pub fn under_gil(name: &'static str) -> Self {
        Threads {
            name,
            under_gil: true,
            ..Threads::free()
        }
    }

    /// `K` chunks per worker, taken dynamically when `K > 1`; `None` keeps
    /// one static chunk per worker.
    pub fn with_chunks_per_worker(mut self, per_worker: Option<usize>) -> Self {
        self.per_worker = per_worker.unwrap_or(1).max(1);
        self
    }
}

impl Backend for Threads {
    fn name(&self) -> &'static str {
        self.name
    }
    fn prepare(&mut self, workers: usize) -> Result<()> {
        self.workers = Some(workers);
        self.checked.reset();
        Ok(())
    }
    fn execute(&mut self, job: &Job) -> Result<u64> {
        let workers = self.workers.ok_or(Error::NotPrepared(self.name))?;
        self.busy = None;
        let workload = job.build()?;
        let workload = workload.as_ref();
        // A fresh lock per run, as each Python program has its own GIL.
        let gil = self.under_gil.then(Gil::default);
        let dynamic = self.per_worker > 1;
        let chunks = if dynamic {
            super::chunks::chunks_per_worker(workload, workers, self.per_worker)
        } else {
            split(0..workload.size(), workers)
        };
        // Threads running at once: one per chunk, or `workers` taking turns.
        let threads = if dynamic {
            workers.min(chunks.len())
        } else {
            chunks.len()
        };
        self.checked.ensure(
            || limits::describe(self.name, workers, Some(workload.name())),
            workload.name(),
            chunks.len(),
            || limits::THREAD.plus(workload.per_chunk()).times(threads),
        )?;
        let owner = format!("the `{}` backend", self.name);
        let (parts, busy) = super::chunks::run_on_scoped_threads(
            workload,
            &chunks,
            workers,
            dynamic,
            gil.as_ref(),
            self.stack,
            &owner,
        );
        self.busy = Some(busy);
        super::chunks::combine_all(workload, parts)
    }
    fn last_busy(&self) -> Option<Vec<Duration>> {
        self.busy.clone()
    }
    fn chunks_per_worker(&self) -> Option<usize> {
        Some(self.per_worker)
    }
}
