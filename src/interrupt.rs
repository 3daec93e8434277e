//! Interrupts: a signal that asks `tvp` to stop (SIGINT from Ctrl-C,
//! SIGTERM, SIGHUP from a closed terminal, SIGUSR1, SIGUSR2) stops a run
//! cleanly. (SIGPIPE is ignored, as in every Rust program: see
//! [`HANDLED`].)
//!
//! [`install`] starts a thread that waits for these signals. On the first it
//! records the signal and kills every live worker child (the registry below,
//! which [`crate::process::child::WorkerChild`] keeps). The run then unwinds by itself:
//! in-process chunks stop at their next `Context::tick` (see
//! [`crate::context::Cancel`]), reads from the killed children fail, no new
//! child may start, and on the way out each fixture deletes its temp dirs.
//! `tvp` then exits with 128 + the signal (130 for SIGINT, 143 for SIGTERM),
//! as a shell expects. A second signal, or a run still going after [`GRACE`],
//! exits at once, first killing the children and removing the temp dirs
//! still alive ([`crate::scratch::remove_registered`]).
//!
//! Ctrl-C reaches the whole foreground process group: the children may die
//! of it before this thread has recorded it. A child killed by one of these
//! signals is therefore checked against the interrupt first
//! ([`error_for_child_signal`]): then the run was interrupted, and no worker
//! failed.
//!
//! SIGKILL cannot be caught: then each child dies with its parent through
//! PR_SET_PDEATHSIG (see [`die_with_parent`]), and the next start sweeps the
//! temp dirs left behind ([`crate::scratch::sweep_stale`]).

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::error::{Error, Result};

/// How long a run may take to unwind after the first signal.
pub const GRACE: Duration = Duration::from_secs(5);

/// The signals that stop a run: the catchable ones whose default action
/// ends the process and that a user or a terminal sends.
///
/// SIGPIPE is not among them: Rust ignores it from the start, so a write to
/// a closed pipe fails with EPIPE instead. A worker's pipe closing is then
/// that worker's failure, and stdout closing (`tvp run | head`) unwinds the
/// run, cleaning up, and exits with 141, as a shell expects (see `main.rs`).
/// Handling it here would turn a dead worker's pipe into an "interrupt".
pub const HANDLED: [i32; 5] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGUSR1,
    libc::SIGUSR2,
];

/// How long a child's death by one of [`HANDLED`] waits for this process's
/// own handler to record the same signal.
pub const CHILD_SIGNAL_WAIT: Duration = Duration::from_secs(1);

/// The first signal received, 0 for none.
static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// Whether [`install`] ran: only then can a signal be recorded.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Pids of the worker children spawned and not yet reaped. A pid leaves the
/// list before it is reaped, so a kill never reaches a reused pid.
static LIVE: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Whether the run was interrupted. Cheap: workloads' hot loops ask it.
#[inline]
pub fn requested() -> bool {
    SIGNAL.load(Ordering::Relaxed) != 0
}

/// The signal that interrupted the run, if any.
pub fn signal() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// The exit code a shell expects after `signal`: 128 + its number.
pub fn exit_code(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(u8::MAX)
}

/// "SIGINT", "SIGTERM".
pub fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGUSR2 => "SIGUSR2",
        _ => "a signal",
    }
}

/// The error a run returns once interrupted, if it was.
pub fn error() -> Option<Error> {
    signal().map(|sig| Error::Interrupted(signal_name(sig)))
}

/// The error for a child killed by `signal`, when that was the interrupt:
/// `signal` is one [`install`] handles, and this process received it too
/// (waiting up to [`CHILD_SIGNAL_WAIT`] for its handler to say so, since
/// the child may have died first). `None` when the child was killed on its
/// own: that is a worker failure.
pub fn error_for_child_signal(signal: i32) -> Option<Error> {
    if !HANDLED.contains(&signal) || !INSTALLED.load(Ordering::SeqCst) {
        return error();
    }
    let start = std::time::Instant::now();
    while !requested() && start.elapsed() < CHILD_SIGNAL_WAIT {
        std::thread::sleep(Duration::from_millis(5));
    }
    error()
}

/// Records a spawned child. Called by [`crate::process::child::WorkerChild::spawn`].
pub(crate) fn track(pid: u32) {
    LIVE.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(pid);
}

/// Forgets a child that has exited and is about to be reaped.
pub(crate) fn forget(pid: u32) {
    LIVE.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .retain(|&p| p != pid);
}

/// Kills (SIGKILL) every live child; their owners reap them.
fn kill_live() {
    let live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
    for &pid in live.iter() {
        if let Ok(pid) = libc::pid_t::try_from(pid) {
            // SAFETY: kill touches no memory; `pid` is our unreaped child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// [`install`] for a bench: Ctrl-C then stops the run at its next check
/// and unwinds (a panic that says so), so fixtures delete their temp dirs
/// and servers. If the handler cannot be installed, says so and goes on.
/// Also removes the temp dirs an earlier run killed with SIGKILL left
/// ([`crate::scratch::sweep_all`]).
pub fn install_for_bench(bench: &str) {
    for path in crate::scratch::sweep_all() {
        eprintln!(
            "{bench}: removed {}, left by a tvp that was killed",
            path.display()
        );
    }
    if let Err(e) = install() {
        eprintln!("{bench}: {e}; Ctrl-C will stop the bench without cleaning up");
    }
}

/// Ends the process now with 128 + `sig`: kills the children and removes
/// the temp dirs still alive first.
fn exit_now(sig: i32) -> ! {
    kill_live();
    crate::scratch::remove_registered();
    std::process::exit(exit_code(sig).into());
}

/// Handles the [`HANDLED`] signals as described in the module docs. Call it
/// once, early in `main`.
pub fn install() -> Result<()> {
    let mut signals = signal_hook::iterator::Signals::new(HANDLED)
        .map_err(|e| Error::io("cannot install the signal handlers", e))?;
    std::thread::Builder::new()
        .name("tvp-signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                let first = SIGNAL
                    .compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok();
                kill_live();
                if !first {
                    exit_now(sig);
                }
                let grace = std::thread::Builder::new().spawn(move || {
                    std::thread::sleep(GRACE);
                    eprintln!(
                        "tvp: still running {GRACE:?} after {}: exiting, with the workers \
                         stopped and temp files removed",
                        signal_name(sig)
                    );
                    exit_now(sig);
                });
                // No thread to wait out the grace period: no grace.
                if grace.is_err() {
                    exit_now(sig);
                }
            }
        })
        .map_err(|e| {
            Error::io_while(
                crate::error::Doing::Starting,
                "cannot start the signal-handling thread",
                e,
            )
        })?;
    INSTALLED.store(true, Ordering::SeqCst);
    Ok(())
}

/// Makes this process die with its parent: asks the kernel for SIGKILL when
/// the parent exits, then checks the parent did not exit already.
///
/// Linux sends the signal when the *thread* that spawned the child exits,
/// not the whole process: a pool must be used from the thread that built it,
/// or outlive neither. `tvp` spawns from its main thread.
pub fn die_with_parent() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: getppid and prctl(PR_SET_PDEATHSIG) touch no memory of ours.
        unsafe {
            let parent = libc::getppid();
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if libc::getppid() != parent {
                libc::_exit(1);
            }
        }
    }
}
