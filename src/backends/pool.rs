//! `pool`: N long-lived child processes fed tasks over pipes, like Python's
//! `multiprocessing.Pool`.
//!
//! The children are spawned once in `prepare` (untimed), so a run pays only
//! for sending tasks and results over pipes. The job is cut into several
//! tasks per worker ([`TASKS_PER_WORKER`] by default, `--chunks-per-worker
//! K` otherwise) and a child that finishes gets the next one, so uneven
//! items balance out; every task pays a round trip through the pipes, so
//! too many cost more than they balance. Each child times the tasks it runs
//! and says so in its replies: that is its busy time. See
//! [`crate::process::pool::Pool`] for close and terminate.
//!
//! [`TASKS_PER_WORKER`]: super::TASKS_PER_WORKER
//!
//! If a child fails (or a task passes `Config::task_deadline`), the run
//! fails naming the child, every child is killed and reaped, and the backend
//! refuses to run until `prepare` builds a new pool.

use std::time::Duration;

use super::limits::{self, Checked};
use super::{Backend, Config, Entry, TASKS_PER_WORKER, Worker};
use crate::error::{Error, Result};
use crate::process::pool::Pool;
use crate::workloads::Job;

pub(super) const ENTRY: Entry = Entry {
    name: "pool",
    python: "multiprocessing.Pool",
    teaches: "pre-spawned worker processes fed over pipes: parallel without paying spawn per run",
    worker: Worker::Process,
    create,
};

fn create(config: &Config) -> Box<dyn Backend> {
    Box::new(PoolBackend {
        config: config.clone(),
        pool: None,
        checked: Checked::default(),
        busy: None,
    })
}

/// Runs each job's chunks on a [`Pool`] built in `prepare`.
#[derive(Debug)]
pub struct PoolBackend {
    config: Config,
    pool: Option<Pool>,
    checked: Checked,
    busy: Option<Vec<Duration>>,
}

impl PoolBackend {
    fn per_worker(&self) -> usize {
        self.config
            .chunks_per_worker
            .unwrap_or(TASKS_PER_WORKER)
            .max(1)
    }
}

impl Backend for PoolBackend {
    fn name(&self) -> &'static str {
        ENTRY.name
    }
    fn prepare(&mut self, workers: usize) -> Result<()> {
        // Terminate the old pool before spawning the new one.
        self.pool = None;
        self.checked.reset();
        // Each child: its pipes, its process, and a reader thread here.
        limits::check(
            &limits::describe(ENTRY.name, workers, None),
            limits::CHILD.plus(limits::THREAD).times(workers),
        )?;
        let mut pool = Pool::new(&self.config.worker_exe, workers)?;
        pool.set_task_deadline(Some(self.config.task_deadline));
        self.pool = Some(pool);
        Ok(())
    }
    fn execute(&mut self, job: &Job) -> Result<u64> {
        self.busy = None;
        let per_worker = self.per_worker();
        let pool = self.pool.as_mut().ok_or(Error::NotPrepared(ENTRY.name))?;
        if pool.is_broken() {
            return Err(Error::PoolUnusable(
                "broken by an earlier failure: call prepare(workers) to build a new one",
            ));
        }
        let workload = job.build()?;
        let chunks =
            super::chunks::chunks_per_worker(workload.as_ref(), pool.workers(), per_worker);
        let running = chunks.len().min(pool.workers());
        self.checked.ensure(
            || limits::describe(ENTRY.name, pool.workers(), Some(workload.name())),
            workload.name(),
            running,
            || workload.per_chunk().times(running),
        )?;
        pool.take_busy();
        for chunk in &chunks {
            pool.submit(job, chunk.clone())?;
        }
        // The first failure stops the loop; the pool has then killed its
        // children and is broken.
        let parts = (0..chunks.len())
            .map(|_| pool.recv().map(|(_, sum)| sum))
            .collect::<Result<Vec<u64>>>()?;
        self.busy = Some(pool.take_busy());
        super::chunks::combine_all(workload.as_ref(), parts.into_iter().map(Ok))
    }
    fn last_busy(&self) -> Option<Vec<Duration>> {
        self.busy.clone()
    }
    fn chunks_per_worker(&self) -> Option<usize> {
        Some(self.per_worker())
    }
}
