//! `fault`: a test-only workload that misbehaves on purpose, to check that
//! every backend fails cleanly: the error names what went wrong, no thread
//! or process hangs, and no child, zombie or temp dir is left behind.
//!
//! It is registered in [`super::HIDDEN`]: `tvp run -w fault` accepts it, but
//! `tvp list`, the default sweep and the benches leave it out. Its items sum
//! to `0 + 1 + ... + (size-1)` (wrapping) unless `job.options` say otherwise:
//!
//! - `fault`: what item `at` does. `panic` and `hang` (sleep forever, but
//!   stop when the run is cancelled) act in any backend. `abort`, `kill`
//!   (SIGKILL itself), `exit` (exit code 3), `garbage` (print a line that is
//!   not a reply, then go on) and `truncate` (print half a reply and exit)
//!   would take the whole process with them, so they act only inside a
//!   `tvp worker` child and are ignored elsewhere.
//! - `at`: the item that misbehaves (default 0).
//! - `where`: `worker` limits `panic` and `hang` to worker children too, so
//!   the sequential reference of a `tvp run` still completes. `async` gives
//!   the workload an async twin ([`Workload::run_async`]: items wait on
//!   tokio timers) and limits them to it: `panic` panics inside a task's
//!   future, `hang` awaits forever, until the run is aborted.
//! - `item_ms`: each item sleeps this long (in `cx.blocking`), to make a run
//!   slow without using the CPU.
//! - `pid_dir`: a worker child appends `start..end` of each task it runs to
//!   the file `<pid_dir>/<pid>`, so a test knows every pid that was spawned.
//! - `tempdir=1`: setup makes a temp dir (named `tvp-fault-<pid>-*`, in `$TMPDIR`),
//!   passed as the option `dir`, and removes it when the run ends.

use std::ops::Range;
use std::time::Duration;

use super::{ChunkFuture, Entry, Fixture, Job, Kind, Workload};
use crate::context::Context;
use crate::error::{Error, Result};

pub(super) const ENTRY: Entry = Entry {
    name: "fault",
    kind: Kind::Cpu,
    teaches: "test-only: misbehaves on purpose to check that failures are clean",
    default_size: 1_000,
    build,
    setup: Some(setup),
};

/// What the item at `at` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    Panic,
    Hang,
    Abort,
    Kill,
    Exit,
    Garbage,
    Truncate,
}

impl Fault {
    /// Every fault, with its option value.
    pub const ALL: [(&'static str, Fault); 8] = [
        ("none", Fault::None),
        ("panic", Fault::Panic),
        ("hang", Fault::Hang),
        ("abort", Fault::Abort),
        ("kill", Fault::Kill),
        ("exit", Fault::Exit),
        ("garbage", Fault::Garbage),
        ("truncate", Fault::Truncate),
    ];

    /// Whether the fault ends its process, so it may act only in a worker.
    fn ends_the_process(self) -> bool {
        !matches!(self, Fault::None | Fault::Panic | Fault::Hang)
    }
}

/// Sums its items, and misbehaves at item `at`.
#[derive(Debug, Clone)]
pub struct FaultWorkload {
    pub size: u64,
    pub fault: Fault,
    pub at: u64,
    pub only_in_worker: bool,
    /// `where=async`: act only in the async twin.
    pub only_in_async: bool,
    pub item_time: Duration,
    pub pid_dir: Option<std::path::PathBuf>,
}

fn option<T: std::str::FromStr>(job: &Job, key: &str, default: T) -> Result<T> {
    match job.options.get(key) {
        None => Ok(default),
        Some(text) => text
            .parse()
            .map_err(|_| Error::InvalidJob(format!("fault: option {key}={text} is not valid"))),
    }
}

fn build(job: &Job) -> Result<Box<dyn Workload>> {
    let name = job.options.get("fault").map_or("none", String::as_str);
    let fault = Fault::ALL
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, f)| f)
        .ok_or_else(|| {
            let known: Vec<_> = Fault::ALL.iter().map(|(n, _)| *n).collect();
            Error::InvalidJob(format!("fault: unknown fault `{name}`; one of {known:?}"))
        })?;
    Ok(Box::new(FaultWorkload {
        size: job.size,
        fault,
        at: option(job, "at", 0)?,
        only_in_worker: job.options.get("where").is_some_and(|w| w == "worker"),
        only_in_async: job.options.get("where").is_some_and(|w| w == "async"),
        item_time: Duration::from_millis(option(job, "item_ms", 0)?),
        pid_dir: job.options.get("pid_dir").map(Into::into),
    }))
}

fn setup(job: &Job) -> Result<Fixture> {
    if job.options.get("tempdir").is_none_or(|v| v != "1") {
        return Ok(Fixture::none(job.clone()));
    }
    let dir = crate::scratch::dir_in("fault", &std::env::temp_dir())
        .map_err(|e| Error::io("fault: cannot make a temp dir", e))?;
    let mut job = job.clone();
    job.options
        .insert("dir".into(), dir.path().display().to_string());
    Ok(Fixture::with_guard(job, dir))
}

impl FaultWorkload {
    fn misbehave(&self, cx: &Context) {
        let in_worker = crate::context::is_worker();
        if self.only_in_async
            || !in_worker && (self.only_in_worker || self.fault.ends_the_process())
        {
            return;
        }
        match self.fault {
            Fault::None => {}
            Fault::Panic => panic!("fault injected at item {}", self.at),
            Fault::Hang => loop {
                cx.blocking(|| std::thread::sleep(Duration::from_millis(20)));
            },
            Fault::Abort => std::process::abort(),
            Fault::Kill => {
                // SAFETY: kill touches no memory.
                unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
            }
            Fault::Exit => std::process::exit(3),
            Fault::Garbage => println!("this line is not a reply"),
            Fault::Truncate => {
                use std::io::Write;
                print!("{{\"checksum\":");
                let _ = std::io::stdout().flush();
                std::process::exit(0);
            }
        }
    }

    fn record_pid(&self, items: &Range<u64>) {
        let Some(dir) = &self.pid_dir else { return };
        if !crate::context::is_worker() {
            return;
        }
        use std::io::Write;
        let path = dir.join(std::process::id().to_string());
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| writeln!(f, "{}..{}", items.start, items.end));
        if let Err(e) = written {
            panic!("fault: cannot write {}: {e}", path.display());
        }
    }
}

impl Workload for FaultWorkload {
    fn name(&self) -> &'static str {
        ENTRY.name
    }
    fn kind(&self) -> Kind {
        ENTRY.kind
    }
    fn size(&self) -> u64 {
        self.size
    }
    fn run(&self, items: Range<u64>, cx: &Context) -> u64 {
        self.record_pid(&items);
        let mut sum = 0u64;
        for i in items {
            cx.tick();
            if i == self.at {
                self.misbehave(cx);
            }
            if !self.item_time.is_zero() {
                cx.blocking(|| std::thread::sleep(self.item_time));
            }
            sum = sum.wrapping_add(i);
        }
        sum
    }
    fn run_async(&self, items: Range<u64>) -> Option<ChunkFuture<'_>> {
        if !self.only_in_async {
            return None;
        }
        Some(Box::pin(async move {
            let mut sum = 0u64;
            for i in items {
                if i == self.at {
                    match self.fault {
                        Fault::Panic => panic!("fault injected at item {}", self.at),
                        Fault::Hang => std::future::pending::<()>().await,
                        _ => {}
                    }
                }
                if !self.item_time.is_zero() {
                    tokio::time::sleep(self.item_time).await;
                }
                sum = sum.wrapping_add(i);
            }
            sum
        }))
    }
}
