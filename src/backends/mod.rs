//! Backends: the ways to run a workload on `workers` workers.
//!
//! A backend never knows what it runs: it splits `0..size` into chunks, runs
//! them on its workers and combines the partial checksums. Every backend must
//! return the checksum `sequential` returns.
//!
//! To add a backend: write one file implementing [`Backend`] and add one line
//! to [`REGISTRY`]. This module is the one place a name becomes a backend.
//!
//! What they share: [`chunks`] (cutting, running a chunk safely,
//! combining), [`tasks`] (chunks as async tasks on a tokio runtime, for
//! `async` and `async-mt`) and [`limits`] (the kernel's limits on threads,
//! processes and open files, checked before a run starts anything).

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::process::deadline::Deadline;
use crate::workloads::Job;

mod async_loop;
mod async_mt;
pub mod chunks;
mod gil;
pub mod hosts;
pub mod limits;
#[cfg(feature = "mpi")]
pub mod mpi;
mod pool;
mod process;
mod rayon;
mod sequential;
pub mod tasks;
mod threads;

pub use chunks::{
    MAX_CHUNKS_PER_WORKER, TASKS_PER_WORKER, chunks_per_worker, dynamic_chunks,
    parse_chunks_per_worker,
};
pub use hosts::MpiHosts;
pub use pool::PoolBackend;
pub use process::ProcessPerChunk;
pub use rayon::RayonPool;
pub use sequential::Sequential;
pub use threads::Threads;

/// Runs jobs on a fixed number of workers.
pub trait Backend: Send {
    fn name(&self) -> &'static str;
    /// Untimed setup for `workers` workers: build a pool, spawn children.
    fn prepare(&mut self, workers: usize) -> Result<()>;
    /// Timed: split the job, run the chunks, combine the partial checksums.
    fn execute(&mut self, job: &Job) -> Result<u64>;
    /// The part of the last `execute` spent launching workers rather than
    /// computing, for a backend that can tell them apart (`mpi`).
    fn last_launch_cost(&self) -> Option<std::time::Duration> {
        None
    }
    /// How long each worker spent running chunks in the last `execute`,
    /// one entry per worker (a worker that got no chunk has zero), for a
    /// backend that can tell: a page can then say "worker 2 was busy 65% of
    /// the run". Each is at most the run's wall time.
    fn last_busy(&self) -> Option<Vec<Duration>> {
        None
    }
    /// How many chunks per worker this backend cuts a job into (1: one
    /// static chunk per worker), for a backend that cuts by workers.
    fn chunks_per_worker(&self) -> Option<usize> {
        None
    }
    /// Where each worker of the last `execute` ran, for a backend whose
    /// workers may sit on other machines (`mpi`: the host of every rank, in
    /// rank order).
    fn last_placement(&self) -> Option<Vec<String>> {
        None
    }
}

/// What backends need from the outside world.
#[derive(Debug, Clone)]
pub struct Config {
    /// The `tvp` binary, run as `tvp worker` for the process backends. In
    /// tests and benches this is `env!("CARGO_BIN_EXE_tvp")`: there
    /// `current_exe()` is the test harness, not `tvp`.
    pub worker_exe: PathBuf,
    /// How long the parent waits for a child process (`process`, `pool`,
    /// a memory cell): for a task's reply, and for the child to exit after
    /// it. Past it the child is taken to hang, killed, and the run fails
    /// saying so and where the deadline came from. [`Deadline::DEFAULT`]
    /// until a sweep scales it from the sequential time
    /// ([`Config::scaled_to`]); `--deadline` or `TVP_DEADLINE` fix it; tests
    /// set it short.
    pub task_deadline: Deadline,
    /// Where the `mpi` backends start their ranks: this machine, or the
    /// hosts of a hostfile (see [`hosts`]).
    pub mpi_hosts: MpiHosts,
    /// The stack each thread of `threads` and `gil` reserves, in bytes;
    /// `None` for Rust's default (2 MiB, or `RUST_MIN_STACK`). A stack is
    /// address space: only the pages a thread touches take memory.
    pub thread_stack: Option<usize>,
    /// Chunks per worker for the backends that cut a job by workers
    /// (`threads`, `gil`, `rayon`, `pool`; `--chunks-per-worker K`): 1 is
    /// one static chunk per worker, more are taken by whichever worker is
    /// free. `None` keeps each backend's own: 1 for threads,
    /// [`TASKS_PER_WORKER`] for rayon and the pool. It lives here, not in
    /// the [`Job`], because it is how a backend runs a job, not what the job
    /// computes: children never see it, and the checksum cannot depend on it.
    pub chunks_per_worker: Option<usize>,
}

impl Config {
    pub fn new(worker_exe: impl Into<PathBuf>) -> Self {
        Config {
            worker_exe: worker_exe.into(),
            task_deadline: Deadline::DEFAULT,
            mpi_hosts: MpiHosts::local(),
            thread_stack: None,
            chunks_per_worker: None,
        }
    }

    /// The same config with `K` chunks per worker (`None`: each backend's
    /// own).
    pub fn with_chunks_per_worker(mut self, per_worker: Option<usize>) -> Self {
        self.chunks_per_worker = per_worker;
        self
    }

    /// The same config with the `mpi` backends' ranks placed by `hosts`.
    pub fn with_mpi_hosts(mut self, hosts: MpiHosts) -> Self {
        self.mpi_hosts = hosts;
        self
    }

    /// The same config with threads of `bytes` of stack (see
    /// [`Config::thread_stack`]).
    pub fn with_thread_stack(mut self, bytes: Option<usize>) -> Self {
        self.thread_stack = bytes;
        self
    }

    /// The same config with another task deadline, fixed by the program.
    pub fn with_task_deadline(mut self, deadline: impl Into<Deadline>) -> Self {
        self.task_deadline = deadline.into();
        self
    }

    /// The same config with the deadline `TVP_DEADLINE` asks for, if set.
    pub fn with_env_deadline(mut self) -> Result<Self> {
        if let Some(deadline) = Deadline::from_env()? {
            self.task_deadline = deadline;
        }
        Ok(self)
    }

    /// The same config with its deadline scaled from a job's `expected`
    /// time, unless the deadline was asked for or set (see
    /// [`Deadline::scaled`]).
    pub fn scaled_to(&self, expected: Duration) -> Self {
        let mut config = self.clone();
        config.task_deadline = self.task_deadline.scaled(expected);
        config
    }

    /// For the `tvp` binary itself.
    pub fn from_current_exe() -> Result<Self> {
        let exe = std::env::current_exe()
            .map_err(|e| Error::io("cannot find the path of the running tvp binary", e))?;
        Ok(Config::new(exe))
    }
}

/// One line of the registry.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub name: &'static str,
    /// What a Python programmer would use for the same job.
    pub python: &'static str,
    /// One line on what the backend teaches, for `tvp list`.
    pub teaches: &'static str,
    /// What one of its workers is: what `--workers N` starts N of.
    pub worker: Worker,
    pub create: fn(&Config) -> Box<dyn Backend>,
}

/// What one worker of a backend is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Worker {
    /// The calling thread itself (`sequential`): nothing is started.
    Caller,
    /// A thread of this process.
    Thread,
    /// A child process.
    Process,
    /// An MPI rank: a process started by `mpirun`, possibly on another host.
    Rank,
    /// An async task: a future on a runtime's threads (`async`, `async-mt`),
    /// no thread or process of its own.
    Task,
}

impl Worker {
    /// The singular and plural noun: ("thread", "threads").
    pub fn nouns(self) -> (&'static str, &'static str) {
        match self {
            Worker::Caller => ("worker", "workers"),
            Worker::Thread => ("thread", "threads"),
            Worker::Process => ("process", "processes"),
            Worker::Rank => ("rank", "ranks"),
            Worker::Task => ("task", "tasks"),
        }
    }

    /// What `--workers N` starts, for `tvp list` and the pages.
    pub fn knob(self) -> &'static str {
        match self {
            Worker::Caller => "ignored: the calling thread runs everything",
            Worker::Thread => "N threads of this process",
            Worker::Process => "N child processes",
            Worker::Rank => "N MPI ranks, processes started by mpirun",
            Worker::Task => "N concurrent tasks, not threads: the runtime's threads run them all",
        }
    }

    /// Whether each worker is a process of its own (a child or a rank).
    pub fn is_process(self) -> bool {
        matches!(self, Worker::Process | Worker::Rank)
    }
}

/// The names of the registered backends whose workers are `worker`s, in
/// registry order.
pub fn with_worker(worker: Worker) -> Vec<&'static str> {
    REGISTRY
        .iter()
        .filter(|e| e.worker == worker)
        .map(|e| e.name)
        .collect()
}

/// The MPI backends' names (built with `--features mpi`).
pub const MPI: &str = "mpi";
pub const MPI_TCP: &str = "mpi-tcp";

/// Every backend, in the order `tvp list` and the report show them.
pub const REGISTRY: &[Entry] = &[
    sequential::ENTRY,
    threads::ENTRY,
    rayon::ENTRY,
    gil::ENTRY,
    process::ENTRY,
    pool::ENTRY,
    async_loop::ENTRY,
    async_mt::ENTRY,
    #[cfg(feature = "mpi")]
    mpi::ENTRY,
    #[cfg(feature = "mpi")]
    mpi::TCP_ENTRY,
];

/// A backend that exists only when a Cargo feature is on.
#[derive(Debug, Clone, Copy)]
pub struct Gated {
    pub name: &'static str,
    pub feature: &'static str,
    /// What the feature needs on the machine, as a sentence.
    pub needs: &'static str,
}

const MPI_NEEDS: &str = "it needs Open MPI and libclang; on Debian: apt-get install \
     --no-install-recommends openmpi-bin libopenmpi-dev libclang-dev";

/// Backends behind Cargo features. Asking for one that this binary was built
/// without is an error that says how to rebuild, not "unknown backend".
pub const GATED: &[Gated] = &[
    Gated {
        name: MPI,
        feature: "mpi",
        needs: MPI_NEEDS,
    },
    Gated {
        name: MPI_TCP,
        feature: "mpi",
        needs: MPI_NEEDS,
    },
];

/// Finds a backend's registry entry by name.
pub fn entry(name: &str) -> Result<&'static Entry> {
    if let Some(entry) = REGISTRY.iter().find(|e| e.name == name) {
        return Ok(entry);
    }
    Err(match GATED.iter().find(|g| g.name == name) {
        Some(g) => Error::FeatureDisabled {
            backend: name.to_string(),
            feature: g.feature,
            needs: g.needs,
        },
        None => Error::UnknownBackend(name.to_string()),
    })
}

/// A backend name from the command line; one built only with a Cargo
/// feature says how to rebuild, an unknown one lists those that exist.
pub fn parse_name(text: &str) -> std::result::Result<String, String> {
    match entry(text.trim()) {
        Ok(entry) => Ok(entry.name.to_string()),
        Err(e @ Error::UnknownBackend(_)) => {
            Err(format!("{e} [possible values: {}]", names().join(", ")))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Why a built-in backend cannot run on this machine right now (`mpi`
/// without `mpirun` on the PATH), or `None` when it can. Sweeps over every
/// backend skip these, with the reason.
pub fn unavailable(name: &str) -> Option<String> {
    #[cfg(feature = "mpi")]
    if name == mpi::ENTRY.name || name == mpi::TCP_ENTRY.name {
        return mpi::find_mpirun(std::path::Path::new(mpi::MPIRUN))
            .err()
            .map(|e| e.to_string());
    }
    let _ = name;
    None
}

/// The backends built into this binary that are not, with the feature that
/// adds each.
pub fn not_built() -> impl Iterator<Item = &'static Gated> {
    GATED
        .iter()
        .filter(|g| !REGISTRY.iter().any(|e| e.name == g.name))
}

/// Creates a backend by name.
pub fn create(name: &str, config: &Config) -> Result<Box<dyn Backend>> {
    Ok((entry(name)?.create)(config))
}

/// Creates backend `name`, prepares it for `workers` and runs `job` once,
/// checking that it returns `expected`: what a bench does, untimed, before
/// it times a backend.
pub fn checked(
    name: &str,
    config: &Config,
    workers: usize,
    job: &Job,
    expected: u64,
) -> Result<Box<dyn Backend>> {
    let mut backend = create(name, config)?;
    backend.prepare(workers)?;
    let got = backend.execute(job)?;
    if got != expected {
        return Err(Error::WrongChecksum {
            backend: name.to_string(),
            workers,
            got,
            expected,
        });
    }
    Ok(backend)
}

/// All backend names.
pub fn names() -> Vec<&'static str> {
    REGISTRY.iter().map(|e| e.name).collect()
}

/// The backends the scaling, IO and cores benches sweep: every built-in one
/// except those behind a feature and the async ones. The MPI ranks pay a
/// launch on every run and have their own bench, which times the launch
/// apart; the async backends have theirs too, the concurrency sweep of
/// `crate::sweep::waits` (their tasks are a different knob than threads),
/// which keeps the full `cargo bench` within its budget.
pub fn swept() -> Vec<&'static str> {
    names()
        .into_iter()
        .filter(|n| !GATED.iter().any(|g| g.name == *n))
        .filter(|n| entry(n).is_ok_and(|e| e.worker != Worker::Task))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_returns_the_prepared_backend_or_says_the_checksum_is_wrong() {
        let config = Config::new("tvp-not-needed-by-in-process-backends");
        let job = Job::new("primes").unwrap().with_size(1_000);
        let expected = crate::workloads::run_sequential(&job).unwrap();
        let mut rayon = checked("rayon", &config, 2, &job, expected).unwrap();
        assert_eq!(rayon.execute(&job).unwrap(), expected);
        let err = checked("threads", &config, 3, &job, expected + 1)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("`threads` at 3 workers") && err.contains("computed something else"),
            "{err}"
        );
        assert!(checked("nope", &config, 1, &job, expected).is_err());
    }

    #[test]
    fn benches_sweep_every_backend_but_those_behind_a_feature() {
        let swept = swept();
        assert!(swept.contains(&"sequential") && swept.contains(&"pool"));
        assert!(GATED.iter().all(|g| !swept.contains(&g.name)));
        let gated_built = names()
            .iter()
            .filter(|n| GATED.iter().any(|g| g.name == **n))
            .count();
        let tasks = with_worker(Worker::Task);
        assert_eq!(tasks, ["async", "async-mt"]);
        assert!(tasks.iter().all(|t| !swept.contains(t)));
        assert_eq!(swept.len() + gated_built + tasks.len(), names().len());
    }
}
