//! `async`: every chunk a task on one thread, a tokio `current_thread`
//! runtime: the model of Python's asyncio event loop.
//!
//! `--workers N` means N concurrent tasks, not N threads: the job is cut
//! into N chunks, each a task, all on the calling thread. While a task waits
//! (a timer, a socket) the loop runs another, so IO waits overlap as with N
//! threads, at the cost of a small allocation per task instead of a thread's
//! stack and a kernel thread. Expected: `latency` close to `threads` at the
//! same N and far past it where threads get expensive (thousands), `tcp`
//! like `threads`, and CPU workloads no faster than `sequential`: a
//! computing task never yields, so the others wait their turn, like Python
//! threads under the GIL (for another reason: one thread, cooperative
//! scheduling). See [`super::tasks`] for how chunks become tasks.
//!
//! The runtime is built in `prepare` (untimed) and shut down when the
//! backend is dropped or prepared again.

use tokio::runtime::{Builder, Runtime};

use super::tasks::Tasks;
use super::{Backend, Config, Entry, Worker};
use crate::error::{Error, Result};

pub(super) const ENTRY: Entry = Entry {
    name: "async",
    python: "asyncio: one event loop, asyncio.gather of tasks",
    teaches: "tasks on one thread (tokio current_thread): waits overlap, computation does not",
    worker: Worker::Task,
    create,
};

fn create(_: &Config) -> Box<dyn Backend> {
    Box::new(Tasks::new(ENTRY.name, runtime))
}

/// A runtime on the calling thread: timers and sockets, no other thread
/// (but tokio's blocking threads, started only by `spawn_blocking`).
fn runtime() -> Result<Runtime> {
    Builder::new_current_thread()
        .thread_name("tvp-async")
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot build the tokio current_thread runtime", e))
}
