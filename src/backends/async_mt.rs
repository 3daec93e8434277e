//! `async-mt`: every chunk a task on tokio's multi-thread runtime, one
//! worker thread per usable core, idle threads stealing tasks from busy
//! ones.
//!
//! As with `async`, `--workers N` means N concurrent tasks; the threads
//! are the machine's: as many as `tvp::cores()` (the cores this process may
//! use, so `--cores K` gives K). Waits overlap as on one thread, and
//! computing tasks now run on every core at once, so CPU work speeds up like
//! `threads` at the core count, not past it. A computing task still holds
//! its worker thread until it is done: the tasks queued behind it wait, or
//! are stolen by another worker. CPython has no counterpart: an asyncio loop
//! runs on one thread. See [`super::tasks`] for how chunks become tasks.

use tokio::runtime::{Builder, Runtime};

use super::limits;
use super::tasks::Tasks;
use super::{Backend, Config, Entry, Worker};
use crate::error::{Error, Result};
use crate::workloads::Resources;

pub(super) const ENTRY: Entry = Entry {
    name: "async-mt",
    python: "none: an asyncio loop runs on one thread",
    teaches: "tasks on a work-stealing runtime, a thread per core: waits overlap and CPU work scales",
    worker: Worker::Task,
    create,
};

fn create(_: &Config) -> Box<dyn Backend> {
    Box::new(Tasks::new(ENTRY.name, runtime))
}

/// A worker thread per usable core, checked against the thread limits.
fn runtime() -> Result<Runtime> {
    let threads = crate::cores();
    let need = Resources {
        threads,
        ..Resources::default()
    };
    limits::check(
        &format!("`{}`'s {threads} worker threads", ENTRY.name),
        need,
    )?;
    Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("tvp-async-mt")
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot build the tokio multi-thread runtime", e))
}
