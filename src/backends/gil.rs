//! `gil`: threads that must hold one global lock to compute, as CPython
//! threads must hold the Global Interpreter Lock.
//!
//! Each thread takes the lock, computes, and at `cx.tick()` hands it to a
//! waiting thread once the switch interval (5 ms, CPython's default) has
//! passed; around `cx.blocking(..)` it releases the lock, as CPython does
//! around IO. Expected: CPU-bound work gets no faster than `sequential`
//! (often a little slower, from the hand-offs), while waits still overlap.

use super::threads::Threads;
use super::{Backend, Config, Entry, Worker};

pub(super) const ENTRY: Entry = Entry {
    name: "gil",
    python: "threading.Thread under CPython's GIL",
    teaches: "Python's GIL modelled: threads take turns on one lock, so CPU work gets no speedup",
    worker: Worker::Thread,
    create,
};

fn create(_: &Config) -> Box<dyn Backend> {
    // The same static chunks on scoped threads as `threads`, but each thread
    // must hold one global lock to compute.
    Box::new(Threads::under_gil(ENTRY.name))
}
