//! Workloads: pure functions over an index range.
//!
//! A workload never knows how it is run. The same range gives the same
//! partial checksum in any thread or process, and partial checksums combine
//! in any order, so every backend can be checked against `sequential`.
//!
//! To add a workload: write one file implementing [`Workload`] and add one
//! line to [`REGISTRY`].
//!
//! A workload that waits (IO) may also implement [`Workload::run_async`]:
//! the same partial checksum with each wait awaited on a tokio runtime
//! instead of blocking a thread, for the `async` backends. One that computes
//! leaves it out: the async backends then run [`Workload::run`] inline in a
//! task, which is exactly what blocks an event loop.

use std::collections::BTreeMap;
use std::future::Future;
use std::ops::Range;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::error::{Error, Result};

pub mod fault;
pub mod files;
pub mod files_fsync;
pub mod latency;
pub mod mandelbrot;
pub mod monte_carlo;
pub mod primes;
pub mod stream;
pub mod tcp;

pub use mandelbrot::Mandelbrot;
pub use monte_carlo::MonteCarlo;
pub use primes::Primes;
pub use stream::Stream;

/// What limits a workload's scaling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Limited by cores: more cores, more speed.
    Cpu,
    /// Limited by memory bandwidth: speed stops growing before the cores run out.
    Memory,
    /// Limited by waiting: more workers help far past the core count.
    Io,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Cpu => "cpu",
            Kind::Memory => "memory",
            Kind::Io => "io",
        })
    }
}

/// What to run: a workload by name, with its parameters. It crosses process
/// boundaries as one JSON line, and a child rebuilds the workload from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub workload: String,
    /// Number of items: the workload runs over `0..size`.
    pub size: u64,
    /// Workload-specific settings, such as a temp dir or a server address.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

impl Job {
    /// A job for `workload` at its default size.
    pub fn new(workload: &str) -> Result<Self> {
        let entry = entry(workload)?;
        Ok(Job {
            workload: entry.name.to_string(),
            size: entry.default_size,
            options: BTreeMap::new(),
        })
    }

    /// The same job with another size.
    pub fn with_size(mut self, size: u64) -> Self {
        self.size = size;
        self
    }

    /// Builds the workload this job names.
    pub fn build(&self) -> Result<Box<dyn Workload>> {
        (entry(&self.workload)?.build)(self)
    }

    /// Makes what the job needs while it runs (a temp dir, a server), before
    /// any timing. Run the fixture's job, then drop the fixture to clean up.
    pub fn setup(&self) -> Result<Fixture> {
        match entry(&self.workload)?.setup {
            Some(setup) => setup(self),
            None => Ok(Fixture::none(self.clone())),
        }
    }
}

/// A job ready to run, holding what it needs (a temp dir, a server) until it
/// is dropped. The job's options say where those resources are, so a child
/// process can find them.
pub struct Fixture {
    pub job: Job,
    guard: Option<Box<dyn std::any::Any + Send>>,
}

impl Fixture {
    /// A job that needs nothing.
    pub fn none(job: Job) -> Self {
        Fixture { job, guard: None }
    }

    /// A job whose resources live as long as `guard`: its `Drop` cleans up.
    pub fn with_guard(job: Job, guard: impl std::any::Any + Send) -> Self {
        Fixture {
            job,
            guard: Some(Box::new(guard)),
        }
    }

    /// Whether the fixture holds resources that dropping it releases.
    pub fn holds_resources(&self) -> bool {
        self.guard.is_some()
    }
}

impl std::fmt::Debug for Fixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fixture")
            .field("job", &self.job)
            .field("holds_resources", &self.holds_resources())
            .finish()
    }
}

/// A pure function over an index range.
pub trait Workload: Send + Sync {
    /// CLI name, bench group and wire tag.
    fn name(&self) -> &'static str;
    fn kind(&self) -> Kind;
    /// Items `0..size`.
    fn size(&self) -> u64;
    /// Partial checksum of `items`. Must call `cx.tick()` in hot loops and
    /// wrap waits in `cx.blocking(..)`.
    fn run(&self, items: Range<u64>, cx: &Context) -> u64;
    /// The smallest chunk worth handing to a worker. Backends that cut a job
    /// into many small tasks (rayon, pool) never go below it.
    fn grain(&self) -> u64 {
        1
    }
    /// Combines partial checksums; must be associative and commutative.
    fn combine(&self, a: u64, b: u64) -> u64 {
        a.wrapping_add(b)
    }
    /// The async twin of [`Workload::run`]: the same partial checksum of
    /// `items`, with every wait awaited (a tokio timer, a tokio socket, or a
    /// hop to tokio's blocking threads), so that one thread can keep many
    /// chunks waiting at once. It must be polled inside a tokio runtime with
    /// timers and IO enabled. Like `run`, it panics when the work fails.
    ///
    /// `None` (the default) says the workload computes rather than waits:
    /// the async backends then call `run` inline in a task.
    fn run_async(&self, items: Range<u64>) -> Option<ChunkFuture<'_>> {
        let _ = items;
        None
    }
    /// What each chunk holds open while it runs, beyond its worker: the
    /// machine's limits are checked against it before a run starts. For
    /// workloads with a fixture, what the fixture's side in this process
    /// costs (a server socket and thread per connection) is included.
    fn per_chunk(&self) -> Resources {
        Resources::default()
    }
}

/// What [`Workload::run_async`] returns: a boxed future of one chunk's
/// partial checksum.
pub type ChunkFuture<'a> = Pin<Box<dyn Future<Output = u64> + Send + 'a>>;

/// Kernel resources held at once: what [`Workload::per_chunk`] needs per
/// chunk, or what a backend starts per worker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resources {
    /// Open file descriptors in this process (sockets, pipes, files).
    pub fds: usize,
    /// Threads started in this process.
    pub threads: usize,
    /// Processes started (each is also a thread for the kernel's counts).
    pub processes: usize,
}

impl Resources {
    /// These resources, `n` times over.
    pub fn times(self, n: usize) -> Resources {
        Resources {
            fds: self.fds.saturating_mul(n),
            threads: self.threads.saturating_mul(n),
            processes: self.processes.saturating_mul(n),
        }
    }

    /// Both together.
    pub fn plus(self, other: Resources) -> Resources {
        Resources {
            fds: self.fds.saturating_add(other.fds),
            threads: self.threads.saturating_add(other.threads),
            processes: self.processes.saturating_add(other.processes),
        }
    }
}

/// One line of the registry: how to find, describe and build a workload.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub name: &'static str,
    pub kind: Kind,
    /// One line on what the workload teaches, for `tvp list`.
    pub teaches: &'static str,
    /// Chosen so one sequential run takes about 100-300 ms on the 2-core
    /// reference machine (see each file's doc).
    pub default_size: u64,
    pub build: fn(&Job) -> Result<Box<dyn Workload>>,
    /// Untimed setup that some workloads need (see [`Job::setup`]).
    pub setup: Option<fn(&Job) -> Result<Fixture>>,
}

/// Every workload, in the order `tvp list` shows them.
pub const REGISTRY: &[Entry] = &[
    primes::ENTRY,
    mandelbrot::ENTRY,
    monte_carlo::ENTRY,
    stream::ENTRY,
    latency::ENTRY,
    files::ENTRY,
    files_fsync::ENTRY,
    tcp::ENTRY,
];

/// Test-only workloads: `tvp run -w NAME` and [`entry`] find them, but
/// [`names`], `tvp list` and the benches leave them out.
pub const HIDDEN: &[Entry] = &[fault::ENTRY];

/// Finds a workload's registry entry by name, hidden ones included.
pub fn entry(name: &str) -> Result<&'static Entry> {
    REGISTRY
        .iter()
        .chain(HIDDEN)
        .find(|e| e.name == name)
        .ok_or_else(|| Error::UnknownWorkload(name.to_string()))
}

/// All workload names.
pub fn names() -> Vec<&'static str> {
    REGISTRY.iter().map(|e| e.name).collect()
}

/// Splits `items` into at most `parts` contiguous, non-empty ranges whose
/// lengths differ by at most one. Empty input gives no ranges.
pub fn split(items: Range<u64>, parts: usize) -> Vec<Range<u64>> {
    let len = items.end.saturating_sub(items.start);
    let parts = (parts.max(1) as u64).min(len);
    if parts == 0 {
        return Vec::new();
    }
    let (base, extra) = (len / parts, len % parts);
    let mut start = items.start;
    (0..parts)
        .map(|i| {
            let end = start + base + u64::from(i < extra);
            let chunk = start..end;
            start = end;
            chunk
        })
        .collect()
}

/// Runs a whole job in this thread: the reference every backend must match.
pub fn run_sequential(job: &Job) -> Result<u64> {
    let fixture = job.setup()?;
    let workload = fixture.job.build()?;
    Ok(workload.run(0..workload.size(), &Context::free()))
}

/// A job option from the command line, `KEY=VALUE`.
pub fn parse_option(text: &str) -> std::result::Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

/// A job size from the command line: a whole number of items, at least 1.
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("size must be at least 1 item: an empty job measures nothing".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "`{text}` is not a whole number of items from 1 to {}",
            u64::MAX
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_the_range_exactly() {
        for len in [0u64, 1, 2, 3, 7, 10, 100] {
            for parts in [1usize, 2, 3, 7, 64] {
                let chunks = split(5..5 + len, parts);
                assert!(chunks.len() <= parts);
                assert!(chunks.iter().all(|c| !c.is_empty()));
                let mut next = 5;
                for c in &chunks {
                    assert_eq!(c.start, next);
                    next = c.end;
                }
                assert_eq!(next, 5 + len);
                let lens: Vec<u64> = chunks.iter().map(|c| c.end - c.start).collect();
                if let (Some(min), Some(max)) = (lens.iter().min(), lens.iter().max()) {
                    assert!(max - min <= 1);
                }
            }
        }
    }

    #[test]
    fn unknown_workload_is_an_error_naming_it() {
        let err = Job::new("nope").unwrap_err().to_string();
        assert!(err.contains("nope") && err.contains("tvp list"), "{err}");
    }
}
