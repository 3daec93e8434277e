//! Spawn costs: what it takes to get a thread or a process running, and a
//! task through a pool of each.
//!
//! Expect a thread spawn+join in the tens of microseconds, a task into an
//! existing rayon pool in single microseconds, and a process spawn (a new
//! address space, exec, the dynamic loader, exit, reaping) hundreds of
//! microseconds to milliseconds. fork without exec skips the loader but
//! copies the parent's page tables, so it grows with the parent's memory
//! (rust-lang/rust#87764): compare `fork` with `fork-1GiB`. A pool pays the
//! spawn once; what remains per task is the round trip.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use memmap2::{Advice, MmapMut};

use crate::error::{Error, Result};
use crate::process::pool::Pool;
use crate::workloads::{Job, Workload};

/// Benchmark ids in the `spawn` group.
pub const GROUP: &str = "spawn";
pub const THREAD: &str = "thread";
pub const RAYON_TASK: &str = "rayon-task";
pub const COMMAND_TRUE: &str = "command-true";
pub const COMMAND_WORKER: &str = "command-tvp-worker";
pub const FORK: &str = "fork";
pub const FORK_LARGE: &str = "fork-1GiB";
pub const PROCESS_POOL_TASK: &str = "process-pool-task";
pub const THREAD_POOL_TASK: &str = "thread-pool-task";

/// A trivial program to spawn.
pub const TRUE_PROGRAM: &str = "/bin/true";

/// Spawns a thread that returns its argument, and joins it.
pub fn thread_spawn_join(x: u64) -> u64 {
    std::thread::spawn(move || std::hint::black_box(x))
        .join()
        .expect("the thread returns its argument")
}

/// Runs `program` (no arguments) to its end, as `subprocess.run` would.
pub fn command_run(program: &Path) -> Result<()> {
    let status = Command::new(program)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .map_err(|e| Error::io(format!("cannot run {}", program.display()), e))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::InvalidJob(format!(
            "{} failed: {}",
            program.display(),
            crate::process::child::describe(status)
        )))
    }
}

/// Starts `exe worker`, closes its stdin and waits: the cost of a
/// `multiprocessing.Process` that does nothing.
pub fn worker_spawn_wait(exe: &Path) -> Result<()> {
    let mut child = crate::process::child::WorkerChild::spawn(exe)?;
    let status = child.wait()?;
    if status.success() {
        Ok(())
    } else {
        Err(child.died("bad exit", crate::process::child::describe(status)))
    }
}

/// fork(), the child calls only `_exit(0)`, the parent waits. No exec: this
/// is the page-table copy plus process creation and teardown. Returns the
/// child's pid.
pub fn fork_wait() -> Result<i32> {
    let pid = super::start::fork_child(|| true)?;
    let status = super::start::reap(pid)?;
    if status.success() {
        Ok(pid)
    } else {
        Err(Error::InvalidJob(format!(
            "forked child {pid} failed: {}",
            crate::process::child::describe(status)
        )))
    }
}

/// Makes this process large: `bytes` of anonymous memory, every page
/// touched, so a fork has that many page-table entries to copy. Held until
/// dropped. Transparent huge pages are turned off for it, as for a heap
/// grown in small pieces, so the page tables have one entry per 4 KiB.
#[derive(Debug)]
pub struct LargeParent {
    map: MmapMut,
}

impl LargeParent {
    pub fn new(bytes: usize) -> Result<Self> {
        let mut map = MmapMut::map_anon(bytes).map_err(|e| {
            Error::io(
                format!("cannot map {bytes} bytes for the large-parent fork (free some memory)"),
                e,
            )
        })?;
        // Best effort: without it the kernel may use 2 MiB pages.
        let _ = map.advise(Advice::NoHugePage);
        for page in map.chunks_mut(4096) {
            page[0] = 1;
        }
        Ok(LargeParent { map })
    }

    pub fn bytes(&self) -> usize {
        self.map.len()
    }
}

/// A rayon pool of its own (not the global one), for spawn costs.
pub struct ThreadPoolTask {
    pool: rayon::ThreadPool,
    job: Job,
    workload: Box<dyn Workload>,
    items: std::ops::Range<u64>,
}

impl ThreadPoolTask {
    /// A pool of `threads` threads, and a tiny job (primes over 0..10).
    pub fn new(threads: usize) -> Result<Self> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| Error::InvalidJob(format!("cannot build a rayon pool: {e}")))?;
        let job = tiny_job()?;
        let workload = job.build()?;
        Ok(ThreadPoolTask {
            pool,
            job,
            workload,
            items: 0..10,
        })
    }

    /// Spawns a task into the pool and waits for it to signal completion.
    pub fn spawn_task(&self, x: u64) -> u64 {
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.pool.spawn(move || {
            let _ = tx.send(std::hint::black_box(x));
        });
        rx.recv().expect("the pool runs every spawned task")
    }

    /// Runs the tiny job on the pool and returns its checksum: the thread
    /// twin of [`ProcessPoolTask::round_trip`].
    pub fn round_trip(&self) -> u64 {
        let workload = &*self.workload;
        let items = self.items.clone();
        self.pool
            .install(|| workload.run(items, &crate::Context::free()))
    }

    pub fn job(&self) -> &Job {
        &self.job
    }
}

impl std::fmt::Debug for ThreadPoolTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadPoolTask")
            .field("pool", &self.pool)
            .field("job", &self.job)
            .finish_non_exhaustive()
    }
}

/// A process pool of one worker and a tiny job.
#[derive(Debug)]
pub struct ProcessPoolTask {
    pool: Pool,
    job: Job,
}

impl ProcessPoolTask {
    pub fn new(exe: &Path) -> Result<Self> {
        Ok(ProcessPoolTask {
            pool: Pool::new(exe, 1)?,
            job: tiny_job()?,
        })
    }

    /// Submits the tiny job and receives its checksum.
    pub fn round_trip(&mut self) -> Result<u64> {
        self.pool.submit(&self.job, 0..10)?;
        let (_, sum) = self.pool.recv()?;
        Ok(sum)
    }

    pub fn pids(&self) -> Vec<u32> {
        self.pool.pids()
    }
}

/// The job a pool round trip carries: primes over 0..10, microseconds of work.
fn tiny_job() -> Result<Job> {
    Ok(Job::new("primes")?.with_size(10))
}

/// `/bin/true`, or an error saying it is missing.
pub fn true_program() -> Result<PathBuf> {
    let path = PathBuf::from(TRUE_PROGRAM);
    if path.exists() {
        Ok(path)
    } else {
        Err(Error::InvalidJob(format!(
            "{TRUE_PROGRAM} is missing: the trivial-program spawn needs it"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_and_fork_operations_run() {
        assert_eq!(thread_spawn_join(7), 7);
        let pid = fork_wait().unwrap();
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "the forked child is reaped"
        );
        command_run(&true_program().unwrap()).unwrap();
        assert!(command_run(Path::new("/bin/false")).is_err());
    }

    #[test]
    fn a_large_parent_still_forks() {
        let big = LargeParent::new(8 << 20).unwrap();
        assert_eq!(big.bytes(), 8 << 20);
        fork_wait().unwrap();
    }

    #[test]
    fn a_thread_pool_task_returns_the_jobs_checksum() {
        let task = ThreadPoolTask::new(2).unwrap();
        assert_eq!(task.spawn_task(5), 5);
        // Primes below 10: 2, 3, 5, 7.
        assert_eq!(task.round_trip(), 4);
        assert_eq!(
            task.round_trip(),
            crate::workloads::run_sequential(&task.job().clone()).unwrap()
        );
    }
}
