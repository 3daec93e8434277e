//! `gil`: threads that must hold one global lock to compute, as CPython
//! threads must hold the Global Interpreter Lock.
//!
//! Each thread takes the lock, computes, and at `cx.tick()` hands it to a
//! waiting thread once the switch interval (5 ms, CPython's default) has
//! passed; around `cx.blocking(..)` it releases the lock, as CPython does
//! around IO. Expected: CPU-bound work gets no faster than `sequential`
//! (often a little slower, from the hand-offs), while waits still overlap.

use super::{Backend, Config, Entry};
use crate::context::Gil;
use crate::error::{Error, Result};
use crate::workloads::{Job, split};

pub(super) const ENTRY: Entry = Entry {
    name: "gil",
    python: "threading.Thread under CPython's GIL",
    teaches: "Python's GIL modelled: threads take turns on one lock, so CPU work gets no speedup",
    create,
};

fn create(_: &Config) -> Box<dyn Backend> {
    Box::new(GilThreads::default())
}

/// Static chunks on threads that share one [`Gil`].
#[derive(Debug, Default)]
pub struct GilThreads {
    workers: Option<usize>,
}

impl Backend for GilThreads {
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
        let gil = Gil::default();
        let parts = super::run_on_scoped_threads(workload, &chunks, Some(&gil));
        super::combine_all(workload, parts)
    }
}
