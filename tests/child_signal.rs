//! Ctrl-C reaches the whole foreground process group, so a worker child can
//! die of it before `tvp` itself has recorded it: that death is the
//! interrupt, not a worker failure (issue 20, item 5).
//!
//! Alone in its test binary: it installs `tvp`'s signal handling in this
//! process and interrupts it, which ends the process [`GRACE`] later, so
//! nothing else may run here.
//!
//! [`GRACE`]: tvp::interrupt::GRACE

mod common;

use std::time::Duration;

use common::*;
use tvp::backends::{self, Config};

#[test]
fn a_worker_killed_by_the_same_ctrl_c_is_the_interrupt_not_a_failure() {
    tvp::interrupt::install().unwrap();
    let pids = pid_dir();
    let mut job = fault_job(8, "hang", 0);
    job.options.insert("where".into(), "worker".into());
    job.options
        .insert("pid_dir".into(), path_option(pids.path()));
    let config = Config::new(exe()).with_task_deadline(Duration::from_secs(20));
    let run = std::thread::spawn(move || {
        let mut backend = backends::create("process", &config).unwrap();
        backend.prepare(2).unwrap();
        backend.execute(&job).unwrap_err()
    });
    let started = wait_for(Duration::from_secs(20), || pids_in(pids.path()).len() >= 2);
    assert!(started, "the workers never started");
    // The terminal's SIGINT reaches the children first...
    for (pid, _) in pids_in(pids.path()) {
        // SAFETY: kill touches no memory.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) };
    }
    // ...and this process a little later.
    std::thread::sleep(Duration::from_millis(100));
    // SAFETY: as above.
    unsafe { libc::kill(libc::getpid(), libc::SIGINT) };
    let err = run.join().unwrap();
    assert!(
        matches!(err, tvp::Error::Interrupted("SIGINT")),
        "a worker failure instead of the interrupt: {err}"
    );
}
