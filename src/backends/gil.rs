//! `gil`: threads that must hold one global lock to compute, as CPython
//! threads must hold the Global Interpreter Lock.
//!
//! Each thread takes the lock, computes, and at `cx.tick()` hands it to a
//! waiting thread once the switch interval (5 ms, CPython's default) has
//! passed; around `cx.blocking(..)` it releases the lock, as CPython does
//! around IO. Expected: CPU-bound work gets no faster than `sequential`
//! (often a little slower, from the hand-offs), while waits still overlap.
//! Each thread's busy time includes its waits for the lock: it is inside
//! its chunk, ready to run, as a CPython thread waiting for the GIL is.
//! `--chunks-per-worker K` cuts the job as it does for `threads`.

use super::threads::Threads;
use super::{Backend, Config, Entry, Worker};

pub(super) const ENTRY: Entry = Entry {
    name: "gil",
    python: "threading.Thread under CPython's GIL",
    teaches: "Python's GIL modelled: threads take turns on one lock, so CPU work gets no speedup",
    worker: Worker::Thread,
    create,
};

fn create(config: &Config) -> Box<dyn Backend> {
    // The same chunks on scoped threads as `threads`, but each thread must
    // hold one global lock to compute.
    Box::new(
        Threads::under_gil(ENTRY.name)
            .with_chunks_per_worker(config.chunks_per_worker)
            .with_stack(config.thread_stack),
    )
}
