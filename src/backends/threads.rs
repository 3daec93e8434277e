//! `threads`: one OS thread per worker, each given one contiguous chunk.
//!
//! Rust threads run truly in parallel (no GIL), so CPU-bound work speeds up
//! with the cores. The chunks are static: with uneven items (primes,
//! mandelbrot) the worker with the costliest chunk finishes last while the
//! others sit idle. Threads are spawned and joined inside every run (with
//! `std::thread::scope`); a spawn costs tens of microseconds.

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

fn create(_: &Config) -> Box<dyn Backend> {
    Box::new(Threads::free())
}

/// `std::thread::scope` with one static chunk per thread; with a GIL, every
/// thread must hold it to compute (the `gil` backend).
#[derive(Debug)]
pub struct Threads {
    name: &'static str,
    under_gil: bool,
    workers: Option<usize>,
}

impl Threads {
    /// Threads that run side by side: the `threads` backend.
    pub fn free() -> Self {
        Threads {
            name: ENTRY.name,
            under_gil: false,
            workers: None,
        }
    }

    /// Threads that share one [`Gil`]: the `gil` backend.
    pub fn under_gil(name: &'static str) -> Self {
        Threads {
            name,
            under_gil: true,
            workers: None,
        }
    }
}

impl Backend for Threads {
    fn name(&self) -> &'static str {
        self.name
    }
    fn prepare(&mut self, workers: usize) -> Result<()> {
        self.workers = Some(workers);
        Ok(())
    }
    fn execute(&mut self, job: &Job) -> Result<u64> {
        let workers = self.workers.ok_or(Error::NotPrepared(self.name))?;
        let workload = job.build()?;
        let workload = workload.as_ref();
        let chunks = split(0..workload.size(), workers);
        // A fresh lock per run, as each Python program has its own GIL.
        let gil = self.under_gil.then(Gil::default);
        let owner = format!("the `{}` backend", self.name);
        let parts = super::chunks::run_on_scoped_threads(workload, &chunks, gil.as_ref(), &owner);
        super::chunks::combine_all(workload, parts)
    }
}
