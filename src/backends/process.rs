//! `process`: one child process per chunk, spawned and reaped inside every
//! run, like starting a `multiprocessing.Process` per piece of work.
//!
//! Processes share no memory, so they run in parallel even in CPython. Each
//! one is a fresh `tvp worker` (a fork+exec, about a millisecond here), so
//! the spawn cost is part of what this backend measures: it is the lesson.
//! Compare `pool`, which pays it once. Its chunks are static, one per
//! child, whatever `--chunks-per-worker` says: on uneven items the child with
//! the costliest chunk finishes last. Each child times its chunk and sends
//! the time with its reply: that is its busy time, spawn not included.
//!
//! Replies are awaited from all children at once: the first child to fail
//! (or to pass `Config::task_deadline`) ends the run, and the others are
//! killed and reaped. After its reply each child must exit within the same
//! deadline: one stopped (SIGSTOP) after replying is killed, not waited on
//! for ever.

use std::time::Duration;

use super::limits::{self, Checked};
use super::{Backend, Config, Entry, Worker};
use crate::error::{Error, Result};
use crate::process::child::{WorkerChild, recv_each};
use crate::process::protocol::Request;
use crate::workloads::{Job, split};

pub(super) const ENTRY: Entry = Entry {
    name: "process",
    python: "multiprocessing.Process",
    teaches: "a child process per chunk: parallel, isolated, and every run pays the spawn cost",
    worker: Worker::Process,
    create,
};

fn create(config: &Config) -> Box<dyn Backend> {
    Box::new(ProcessPerChunk {
        config: config.clone(),
        workers: None,
        checked: Checked::default(),
        busy: None,
    })
}

/// Spawns one `tvp worker` per chunk in every `execute`.
#[derive(Debug)]
pub struct ProcessPerChunk {
    config: Config,
    workers: Option<usize>,
    checked: Checked,
    busy: Option<Vec<Duration>>,
}

impl Backend for ProcessPerChunk {
    fn name(&self) -> &'static str {
        ENTRY.name
    }
    fn prepare(&mut self, workers: usize) -> Result<()> {
        self.workers = Some(workers);
        self.checked.reset();
        Ok(())
    }
    fn execute(&mut self, job: &Job) -> Result<u64> {
        let workers = self.workers.ok_or(Error::NotPrepared(ENTRY.name))?;
        self.busy = None;
        let workload = job.build()?;
        let chunks = split(0..workload.size(), workers);
        // Counted in this process, the client side of a socket too: a
        // little more than it holds, never less.
        self.checked.ensure(
            || limits::describe(ENTRY.name, workers, Some(workload.name())),
            workload.name(),
            chunks.len(),
            || limits::CHILD.plus(workload.per_chunk()).times(chunks.len()),
        )?;
        // Start every child first so they all compute at once; dropping
        // `children` on an error kills and reaps the ones started.
        let mut children = chunks
            .iter()
            .map(|_| WorkerChild::spawn(&self.config.worker_exe))
            .collect::<Result<Vec<_>>>()?;
        for (child, chunk) in children.iter_mut().zip(&chunks) {
            child.send(&Request {
                job: job.clone(),
                start: chunk.start,
                end: chunk.end,
            })?;
            child.close_stdin();
        }
        let parts = recv_each(&mut children, self.config.task_deadline)?;
        // One chunk per child; a worker with no chunk (fewer items than
        // workers) was idle.
        let mut busy: Vec<Duration> = children
            .iter()
            .map(|c| c.last_busy().unwrap_or_default())
            .collect();
        busy.resize(workers, Duration::ZERO);
        for child in &mut children {
            child.wait_within(self.config.task_deadline)?;
        }
        self.busy = Some(busy);
        super::chunks::combine_all(workload.as_ref(), parts.into_iter().map(Ok))
    }
    fn last_busy(&self) -> Option<Vec<Duration>> {
        self.busy.clone()
    }
    fn chunks_per_worker(&self) -> Option<usize> {
        Some(1)
    }
}
