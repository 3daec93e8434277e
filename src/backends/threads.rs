//! `threads`: one OS thread per worker, each given one contiguous chunk.
//!
//! Rust threads run truly in parallel (no GIL), so CPU-bound work speeds up
//! with the cores. The chunks are static: with uneven items (primes,
//! mandelbrot) the worker with the costliest chunk finishes last while the
//! others sit idle. Threads are spawned and joined inside every run (with
//! `std::thread::scope`); a spawn costs tens of microseconds.

use super::{Backend, Config, Entry};
use crate::error::{Error, Result};
use crate::workloads::{Job, split};

pub(super) const ENTRY: Entry = Entry {
    name: "threads",
    python: "threading.Thread",
    teaches: "real parallel threads with static chunks: fast, but uneven chunks leave cores idle",
    create,
};

fn create(_: &Config) -> Box<dyn Backend> {
    Box::new(Threads::default())
}

/// `std::thread::scope` with one static chunk per thread.
#[derive(Debug, Default)]
pub struct Threads {
    workers: Option<usize>,
}

impl Backend for Threads {
    fn name(&self) -> &'static str {
        ENTRY.name
    }
    fn prepare(&mut self, workers: usize) -> Result<()> {
        self.workers = Some(workers);
        Ok(())
    }
    fn execute(&mut self, job: &Job) -> Result<u64> {
        let workers = self.workers.ok_or(Error::NotPrepared(ENTRY.name))?;
        let workload = job.build()?;
        let workload = workload.as_ref();
        let chunks = split(0..workload.size(), workers);
        let parts = super::run_on_scoped_threads(workload, &chunks, None);
        super::combine_all(workload, parts)
    }
}
