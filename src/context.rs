//! What a backend lends a workload while it runs: the GIL model's hooks.
//!
//! Workloads call [`Context::tick`] in their hot loops and wrap waits in
//! [`Context::blocking`]. For every backend but `gil` both are free. Under the
//! `gil` backend the thread must hold one global lock to compute, as CPython
//! threads must hold the Global Interpreter Lock: `tick` hands the lock over
//! when the switch interval has passed and another thread is waiting, and
//! `blocking` releases it around the wait, as CPython does around IO.
//!
//! The same two calls are where a run can be stopped: a context made
//! [`Context::cancellable`] unwinds out of `tick` (and after `blocking`) once
//! its [`Cancel`] is set (a sibling chunk panicked) or `tvp` was interrupted
//! (SIGINT, SIGTERM). The unwind carries a [`Cancelled`] payload, prints no
//! panic message, and releases the global lock on its way out.
//!
//! One more fact a workload may ask: whether this process is a worker child
//! ([`is_worker`]); the test-only `fault` workload misbehaves only there.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard};

/// CPython's default switch interval (`sys.getswitchinterval()`).
pub const SWITCH_INTERVAL: Duration = Duration::from_millis(5);

/// How many ticks pass between two looks at the clock: reading it on every
/// tick would cost more than the smallest work items.
const TICKS_PER_CLOCK_CHECK: u32 = 64;

/// One global lock that every computing thread must hold.
#[derive(Debug)]
pub struct Gil {
    lock: Mutex<()>,
    switch_interval: Duration,
}

impl Gil {
    pub fn new(switch_interval: Duration) -> Self {
        Gil {
            lock: Mutex::new(()),
            switch_interval,
        }
    }
}

impl Default for Gil {
    fn default() -> Self {
        Gil::new(SWITCH_INTERVAL)
    }
}

struct Held<'g> {
    gil: &'g Gil,
    guard: RefCell<Option<MutexGuard<'g, ()>>>,
    countdown: Cell<u32>,
    held_since: Cell<Instant>,
}

/// Tells the chunks of one run to stop: set by the first chunk that fails.
#[derive(Debug, Default)]
pub struct Cancel(AtomicBool);

impl Cancel {
    /// Asks every context made with this token to stop at its next tick.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether this run should stop: cancelled, or `tvp` was interrupted.
    #[inline]
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed) || crate::interrupt::requested()
    }
}

/// The unwind payload of a chunk that stopped because its run was cancelled.
#[derive(Debug, Clone, Copy)]
pub struct Cancelled;

/// Per-thread handle passed to [`crate::Workload::run`].
pub struct Context<'g> {
    held: Option<Held<'g>>,
    cancel: Option<&'g Cancel>,
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("gil", &self.held.is_some())
            .field("cancellable", &self.cancel.is_some())
            .finish()
    }
}

impl<'g> Context<'g> {
    /// A context with no global lock: every backend but `gil`.
    pub fn free() -> Self {
        Context {
            held: None,
            cancel: None,
        }
    }

    /// Takes the global lock and returns a context that holds it. The lock is
    /// released when the context is dropped.
    pub fn with_gil(gil: &'g Gil) -> Self {
        Context {
            held: Some(Held {
                gil,
                guard: RefCell::new(Some(gil.lock.lock())),
                countdown: Cell::new(TICKS_PER_CLOCK_CHECK),
                held_since: Cell::new(Instant::now()),
            }),
            cancel: None,
        }
    }

    /// The same context, stopping at its next `tick` once `cancel` is set or
    /// `tvp` is interrupted.
    pub fn cancellable(mut self, cancel: &'g Cancel) -> Self {
        self.cancel = Some(cancel);
        self
    }

    /// Unwinds with [`Cancelled`] if the run was cancelled.
    #[inline]
    fn check_cancel(&self) {
        if self.cancel.is_some_and(Cancel::is_cancelled) {
            // resume_unwind skips the panic hook: no message, no backtrace.
            std::panic::resume_unwind(Box::new(Cancelled));
        }
    }

    /// A point where the interpreter may switch threads. Call it once per
    /// small unit of work.
    #[inline]
    pub fn tick(&self) {
        self.check_cancel();
        if let Some(held) = &self.held {
            held.tick();
        }
    }

    /// Runs `wait` with the global lock released, as CPython releases the GIL
    /// around blocking IO and `time.sleep`.
    pub fn blocking<T>(&self, wait: impl FnOnce() -> T) -> T {
        let out = match &self.held {
            None => wait(),
            Some(held) => {
                drop(held.guard.borrow_mut().take());
                let out = wait();
                *held.guard.borrow_mut() = Some(held.gil.lock.lock());
                held.held_since.set(Instant::now());
                out
            }
        };
        self.check_cancel();
        out
    }
}

impl Held<'_> {
    #[inline]
    fn tick(&self) {
        let left = self.countdown.get() - 1;
        if left > 0 {
            self.countdown.set(left);
            return;
        }
        self.countdown.set(TICKS_PER_CLOCK_CHECK);
        if self.held_since.get().elapsed() < self.gil.switch_interval {
            return;
        }
        // Forced switching, as in CPython 3.2+: if another thread waits, hand
        // the lock to it fairly and queue up behind it.
        if let Some(guard) = self.guard.borrow_mut().as_mut() {
            MutexGuard::bump(guard);
        }
        self.held_since.set(Instant::now());
    }
}

static IN_WORKER: AtomicBool = AtomicBool::new(false);

/// Whether this process is a worker child (`tvp worker`, or an MPI rank):
/// the test-only `fault` workload asks, to misbehave only there.
pub fn is_worker() -> bool {
    IN_WORKER.load(Ordering::Relaxed)
}

/// Marks this process as a worker child, for [`is_worker`]. An MPI rank
/// (`tvp mpi-worker`) is one too.
pub fn mark_as_worker() {
    IN_WORKER.store(true, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_context_unwinds_at_its_next_tick_without_a_panic_message() {
        let cancel = Cancel::default();
        let gil = Gil::default();
        let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let cx = Context::with_gil(&gil).cancellable(&cancel);
            cx.tick();
            cancel.cancel();
            cx.tick();
        }))
        .expect_err("tick after cancel unwinds");
        assert!(payload.is::<Cancelled>());
        // Unwinding dropped the context, which gave the global lock back.
        assert!(gil.lock.try_lock().is_some());
    }

    #[test]
    fn a_free_context_never_stops() {
        let cx = Context::free();
        for _ in 0..1_000 {
            cx.tick();
        }
        assert_eq!(cx.blocking(|| 7), 7);
    }
}
