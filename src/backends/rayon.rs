//! `rayon`: a work-stealing thread pool with exactly `workers` threads.
//!
//! The job is cut into several chunks per worker; an idle thread steals
//! chunks from busy ones, so uneven items (primes, mandelbrot) balance out.
//! The pool is built in `prepare` (untimed) and is this backend's own, not
//! rayon's global pool, which criterion also uses.

use ::rayon::prelude::*;
use ::rayon::{ThreadPool, ThreadPoolBuilder};

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
}

impl Backend for RayonPool {
    fn name(&self) -> &'static str {
        ENTRY.name
    }
    fn prepare(&mut self, workers: usize) -> Result<()> {
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
        let workload = job.build()?;
        let workload = workload.as_ref();
        let chunks = super::chunks::dynamic_chunks(workload, *workers);
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
