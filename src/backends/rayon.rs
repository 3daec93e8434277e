//! `rayon`: a work-stealing thread pool with exactly `workers` threads.
//!
//! The job is cut into several chunks per worker ([`TASKS_PER_WORKER`] by
//! default, `--chunks-per-worker K` otherwise); an idle thread steals chunks
//! from busy ones, so uneven items (primes, mandelbrot) balance out. With
//! `K = 1` there is nothing to steal: each thread runs one static chunk.
//! The pool is built in `prepare` (untimed) and is this backend's own, not
//! rayon's global pool, which criterion also uses. Each pool thread's busy
//! time is the time it spent in chunks.
//!
//! [`TASKS_PER_WORKER`]: super::TASKS_PER_WORKER

use std::time::Duration;

use ::rayon::prelude::*;
use ::rayon::{ThreadPool, ThreadPoolBuilder};

use super::chunks::BusyClock;
use super::limits::{self, Checked};
use super::{Backend, Config, Entry, TASKS_PER_WORKER, Worker};
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

fn create(config: &Config) -> Box<dyn Backend> {
    Box::new(RayonPool::with_chunks_per_worker(config.chunks_per_worker))
}

/// A rayon `ThreadPool` of exactly `workers` threads.
#[derive(Debug)]
pub struct RayonPool {
    pool: Option<(usize, ThreadPool)>,
    checked: Checked,
    per_worker: usize,
    busy: Option<Vec<Duration>>,
}

impl Default for RayonPool {
    fn default() -> Self {
        RayonPool::with_chunks_per_worker(None)
    }
}

impl RayonPool {
    /// `K` chunks per worker; `None`: [`TASKS_PER_WORKER`].
    pub fn with_chunks_per_worker(per_worker: Option<usize>) -> Self {
        RayonPool {
            pool: None,
            checked: Checked::default(),
            per_worker: per_worker.unwrap_or(TASKS_PER_WORKER).max(1),
            busy: None,
        }
    }
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
                // The OS error rayon met, said once (its Display is the same
                // error as its source).
                let cause = std::error::Error::source(&e)
                    .and_then(|s| s.downcast_ref::<std::io::Error>())
                    .map_or_else(
                        || std::io::Error::other(e.to_string()),
                        |io| {
                            io.raw_os_error().map_or_else(
                                || std::io::Error::new(io.kind(), io.to_string()),
                                std::io::Error::from_raw_os_error,
                            )
                        },
                    );
                Error::thread_start("the rayon pool", workers, None, cause)
            })?;
        self.pool = Some((workers, pool));
        Ok(())
    }
    fn execute(&mut self, job: &Job) -> Result<u64> {
        let (workers, pool) = self.pool.as_ref().ok_or(Error::NotPrepared(ENTRY.name))?;
        self.busy = None;
        let workload = job.build()?;
        let workload = workload.as_ref();
        let chunks = super::chunks::chunks_per_worker(workload, *workers, self.per_worker);
        let running = chunks.len().min(*workers);
        self.checked.ensure(
            || limits::describe(ENTRY.name, *workers, Some(workload.name())),
            workload.name(),
            running,
            || workload.per_chunk().times(running),
        )?;
        let cancel = Cancel::default();
        let clock = BusyClock::new(*workers);
        let parts: Vec<Result<u64>> = pool.install(|| {
            chunks
                .par_iter()
                .enumerate()
                .map(|(i, chunk)| {
                    // Inside `install` every chunk runs on a pool thread.
                    let worker = ::rayon::current_thread_index().unwrap_or(usize::MAX);
                    clock.time(worker, || {
                        super::chunks::run_chunk(workload, chunk, i, &cancel, None)
                    })
                })
                .collect()
        });
        self.busy = Some(clock.busy());
        super::chunks::combine_all(workload, parts)
    }
    fn last_busy(&self) -> Option<Vec<Duration>> {
        self.busy.clone()
    }
    fn chunks_per_worker(&self) -> Option<usize> {
        Some(self.per_worker)
    }
}
