//! `sequential`: one plain loop in the calling thread, the baseline every
//! other backend is checked and timed against. It ignores `workers`.

use super::{Backend, Config, Entry, Worker};
use crate::context::Cancel;
use crate::error::Result;
use crate::workloads::Job;

pub(super) const ENTRY: Entry = Entry {
    name: "sequential",
    python: "a plain for loop",
    teaches: "the baseline: one core, no coordination cost",
    worker: Worker::Caller,
    create,
};

fn create(_: &Config) -> Box<dyn Backend> {
    Box::new(Sequential)
}

/// Runs the whole job in the calling thread.
#[derive(Debug, Default)]
pub struct Sequential;

impl Backend for Sequential {
    fn name(&self) -> &'static str {
        ENTRY.name
    }
    fn prepare(&mut self, _workers: usize) -> Result<()> {
        Ok(())
    }
    fn execute(&mut self, job: &Job) -> Result<u64> {
        let workload = job.build()?;
        let all = 0..workload.size();
        // Cancellable only by an interrupt: there is no sibling chunk.
        super::chunks::run_chunk(workload.as_ref(), &all, 0, &Cancel::default(), None)
    }
}
