//! `rayon`: a work-stealing thread pool with exactly `workers` threads.
//!
//! The job is cut into several chunks per worker; an idle thread steals
//! chunks from busy ones, so uneven items (primes, mandelbrot) balance out.
//! The pool is built in `prepare` (untimed) and is this backend's own, not
//! rayon's global pool, which criterion also uses.

use ::rayon::prelude::*;
use ::rayon::{ThreadPool, ThreadPoolBuilder};

use super::limits::{self, Checked};
use super::{Backend, Config, Entry, Worker};
use crate::context::Cancel;
use crate::error::{Error, Result};
use crate::workloads::Job;

pub(super) const ENTRY: Entry = Entry {
    name: "rayon",
    python: "concurrent.futures.ThreadPoolExecutor",
    teaches: "a pre-built thread pool with work stealing: balances uneven chunks",
    worker: Worker::Thread,
    create,
};

fn create(_: &Config) -> Box<dyn Backend> {
    Box::new(RayonPool::default())
}

/// A rayon `ThreadPool` of exactly `workers` threads.
#[derive(Debug, Default)]
pub struct RayonPool {
    pool: Option<(usize, ThreadPool)>,
    checked: Checked,
}

impl Backend for RayonPool {
    fn name(&self) -> &'static str {
        ENTRY.name
    }
    fn prepare(&mut self, workers: usize) -> Result<()> {
        self.pool = None;
        self.checked.reset();
        limits::check(
            &limits::describe(ENTRY.name, workers, None),
            limits::THREAD.times(workers),
        )?;
        let pool = ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("tvp-rayon-{i}"))
            .build()
            .map_err(|e| {
                Error::io(
                    "cannot build the rayon thread pool",
                    std::io::Error::other(e),
                )
            })?;
        self.pool = Some((workers, pool));
        Ok(())
    }
    fn execute(&mut self, job: &Job) -> Result<u64> {
        let (workers, pool) = self.pool.as_ref().ok_or(Error::NotPrepared(ENTRY.name))?;
        let workload = job.build()?;
        let workload = workload.as_ref();
        let chunks = super::chunks::dynamic_chunks(workload, *workers);
        let running = chunks.len().min(*workers);
        self.checked.ensure(
            || limits::describe(ENTRY.name, *workers, Some(workload.name())),
            workload.name(),
            running,
            || workload.per_chunk().times(running),
        )?;
        let cancel = Cancel::default();
        let parts: Vec<Result<u64>> = pool.install(|| {
            chunks
                .par_iter()
                .enumerate()
                .map(|(i, chunk)| super::chunks::run_chunk(workload, chunk, i, &cancel, None))
                .collect()
        });
        super::chunks::combine_all(workload, parts)
    }
}
