//! Interrupts: SIGINT (Ctrl-C) or SIGTERM during a run stops it cleanly.
//!
//! [`install`] starts a thread that waits for either signal. On the first it
//! records the signal and kills every live worker child (the registry below,
//! which [`crate::process::child::WorkerChild`] keeps). The run then unwinds by itself:
//! in-process chunks stop at their next `Context::tick` (see
//! [`crate::context::Cancel`]), reads from the killed children fail, no new
//! child may start, and on the way out each fixture deletes its temp dirs.
//! `tvp` then exits with 128 + the signal (130 for SIGINT, 143 for SIGTERM),
//! as a shell expects. A second signal, or a run still going after [`GRACE`],
//! exits at once.
//!
//! SIGKILL cannot be caught: then each child dies with its parent through
//! PR_SET_PDEATHSIG (see [`die_with_parent`]).

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::error::{Error, Result};

/// How long a run may take to unwind after the first signal.
pub const GRACE: Duration = Duration::from_secs(5);

/// The first signal received, 0 for none.
static SIGNAL: AtomicI32 = AtomicI32::new(0);

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
        _ => "a signal",
    }
}

/// The error a run returns once interrupted, if it was.
pub fn error() -> Option<Error> {
    signal().map(|sig| Error::Interrupted(signal_name(sig)))
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
pub fn install_for_bench(bench: &str) {
    if let Err(e) = install() {
        eprintln!("{bench}: {e}; Ctrl-C will stop the bench without cleaning up");
    }
}

/// Handles SIGINT and SIGTERM as described in the module docs. Call it once,
/// early in `main`.
pub fn install() -> Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .map_err(|e| Error::io("cannot install the SIGINT/SIGTERM handler", e))?;
    std::thread::Builder::new()
        .name("tvp-signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                let first = SIGNAL
                    .compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok();
                kill_live();
                if !first {
                    std::process::exit(exit_code(sig).into());
                }
                std::thread::spawn(move || {
                    std::thread::sleep(GRACE);
                    kill_live();
                    eprintln!(
                        "tvp: still running {GRACE:?} after {}: exiting without cleaning up",
                        signal_name(sig)
                    );
                    std::process::exit(exit_code(sig).into());
                });
            }
        })
        .map_err(|e| Error::io("cannot start the signal-handling thread", e))?;
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
