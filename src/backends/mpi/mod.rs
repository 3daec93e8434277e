//! `mpi` and `mpi-tcp`: the job as N MPI ranks started by `mpirun`, the
//! engine for processes that span machines (Python: mpi4py under `mpiexec`).
//!
//! Every `execute` runs `mpirun -n N tvp mpi-worker`: N processes that find
//! each other through the MPI runtime, take chunks in turn and reduce their
//! partial checksums at rank 0 (see [`crate::backends::mpi::rank`]). Starting the
//! runtime and the ranks costs far more than a fork: the launch took 0.2 to
//! 0.5 s per run on the 2-core reference machine (`tvp run -w primes -b
//! mpi -n 1,2`, loaded by other builds), on top of a computation that
//! scales like `process`. The backend measures both and keeps them
//! apart ([`MpiTiming`]); `tvp run` shows the launch cost in its own column.
//! A rank that finishes first waits at the gather busy-polling, as Open MPI
//! does by default, so it keeps its core busy: on a loaded machine that
//! shows. `mpi` lets the ranks talk through shared memory (Open MPI's `vader`);
//! `mpi-tcp` forces TCP over the loopback interface, the path a message takes
//! between machines. With one checksum per rank to send, expect the two to
//! compute in the same time: the transport matters when ranks move data.
//!
//! With a hostfile ([`crate::backends::MpiHosts`], `tvp run --hostfile`)
//! the ranks start on its hosts, over TCP between them, and rank 0 reports
//! the host of every rank ([`Backend::last_placement`]).
//!
//! - this file: the backend.
//! - [`launch`]: `mpirun` seen from tvp: the command line, and one run
//!   that always ends (start deadline, timeout, shutdown-hang watchdog),
//!   with an error that says why.
//! - [`rank`]: one rank (`tvp mpi-worker`), and what every rank program of
//!   tvp shares.
//! - [`sim`]: the simulated cluster of `scripts/sim-cluster.sh`, for the
//!   tests and the bench.
//!
//! Built only with `--features mpi`; needs Open MPI's `mpirun` on the PATH.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub mod launch;
pub mod rank;
pub mod sim;

use super::{Backend, Config, Entry, Worker};
use crate::error::{Error, Result};
use crate::workloads::Job;
pub use launch::{
    DEFAULT_START_TIMEOUT, DEFAULT_TIMEOUT, EXIT_AFTER_FAILURE, GRACE, Launcher, MPIRUN, Transport,
    find_mpirun,
};
use rank::{RankReport, SUBCOMMAND};

pub(super) const ENTRY: Entry = Entry {
    name: super::MPI,
    python: "mpi4py (mpiexec -n N python script.py)",
    teaches: "N MPI ranks launched by mpirun: processes that could span machines; launch cost shown apart",
    worker: Worker::Rank,
    create: |config| Box::new(MpiBackend::new(config, Transport::SharedMemory)),
};

pub(super) const TCP_ENTRY: Entry = Entry {
    name: super::MPI_TCP,
    python: "mpi4py with Open MPI told to use TCP (--mca btl tcp,self)",
    teaches: "the same MPI ranks talking over the TCP loopback stack instead of shared memory",
    worker: Worker::Rank,
    create: |config| Box::new(MpiBackend::new(config, Transport::Tcp)),
};

/// The timing of one `execute`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MpiTiming {
    /// Wall time of the whole `mpirun`, as the parent saw it.
    pub total: Duration,
    /// From the ranks' starting barrier to the combined checksum at rank 0.
    pub compute: Duration,
}

impl MpiTiming {
    /// Everything but the computation: starting the runtime and the ranks,
    /// MPI_Init, and shutting down.
    pub fn launch(&self) -> Duration {
        self.total.saturating_sub(self.compute)
    }
}

/// Runs each job as `mpirun -n N tvp mpi-worker`.
#[derive(Debug)]
pub struct MpiBackend {
    launcher: Launcher,
    /// Set by `prepare`: the rank count and the `mpirun` found.
    prepared: Option<(usize, PathBuf)>,
    last: Option<MpiTiming>,
    /// The host of every rank in the last successful `execute`.
    last_hosts: Option<Vec<String>>,
}

impl MpiBackend {
    /// A backend that runs `mpirun` from the PATH with [`DEFAULT_TIMEOUT`],
    /// its ranks placed by `config.mpi_hosts`.
    pub fn new(config: &Config, transport: Transport) -> Self {
        MpiBackend {
            launcher: Launcher::new(config, transport),
            prepared: None,
            last: None,
            last_hosts: None,
        }
    }

    /// Uses another `mpirun` (a path, or a name looked up on the PATH).
    pub fn with_mpirun(mut self, mpirun: impl Into<PathBuf>) -> Self {
        self.launcher.mpirun = mpirun.into();
        self
    }

    /// Sets the `mpirun --timeout` (rounded up to whole seconds).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.launcher.timeout = timeout;
        self
    }

    /// Sets how long the ranks may take to start before `mpirun` is killed.
    pub fn with_start_timeout(mut self, timeout: Duration) -> Self {
        self.launcher.start_timeout = timeout;
        self
    }

    /// The timing of the last successful `execute`.
    pub fn last_timing(&self) -> Option<MpiTiming> {
        self.last
    }

    /// The `mpirun` command line for `ranks` ranks running `job`.
    pub fn command(&self, mpirun: &Path, ranks: usize, job: &Job) -> Result<Command> {
        self.launcher
            .command(mpirun, ranks, SUBCOMMAND, &worker_args(ranks, job))
    }

    /// The rank-0 report in `stdout`, or an error that says what is wrong.
    fn read_report(ranks: usize, stdout: &str, stderr: &str) -> Result<RankReport> {
        let reports: Vec<RankReport> = stdout
            .lines()
            .filter_map(|line| serde_json::from_str(line.trim()).ok())
            .collect();
        match reports.as_slice() {
            [report] if report.ranks == ranks => Ok(report.clone()),
            [report] => Err(Error::Mpi(format!(
                "asked for {ranks} ranks but rank 0 reported a world of {}",
                report.ranks
            ))),
            [] => Err(Error::Mpi(format!(
                "mpirun exited without a result line from rank 0; its stderr ends:\n{}",
                stderr
                    .lines()
                    .rev()
                    .take(12)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n")
            ))),
            many => Err(Error::Mpi(format!(
                "expected one result line from rank 0, got {}: did mpirun start {} \
                 separate one-rank worlds?",
                many.len(),
                many.len()
            ))),
        }
    }
}

/// The arguments of `tvp mpi-worker` for `ranks` ranks running `job`.
fn worker_args(ranks: usize, job: &Job) -> Vec<String> {
    let job_json = serde_json::to_string(job).expect("a job always serialises");
    vec![
        "--ranks".into(),
        ranks.to_string(),
        "--job".into(),
        job_json,
    ]
}

impl Backend for MpiBackend {
    fn name(&self) -> &'static str {
        match self.launcher.transport {
            Transport::SharedMemory => ENTRY.name,
            Transport::Tcp => TCP_ENTRY.name,
        }
    }

    fn prepare(&mut self, workers: usize) -> Result<()> {
        // A hostfile that cannot be read fails here, before any timing.
        self.launcher.hosts.mpirun_options()?;
        self.prepared = Some((workers.max(1), find_mpirun(&self.launcher.mpirun)?));
        self.last = None;
        self.last_hosts = None;
        Ok(())
    }

    fn execute(&mut self, job: &Job) -> Result<u64> {
        let (ranks, mpirun) = self
            .prepared
            .clone()
            .ok_or(Error::NotPrepared(self.name()))?;
        let launched = self
            .launcher
            .run(&mpirun, ranks, SUBCOMMAND, &worker_args(ranks, job))?;
        let report = Self::read_report(ranks, &launched.stdout, &launched.stderr)?;
        let total = launched.total;
        self.last = Some(MpiTiming {
            total,
            compute: Duration::from_secs_f64(report.compute_secs.max(0.0)).min(total),
        });
        self.last_hosts = Some(report.hosts);
        Ok(report.checksum)
    }

    fn last_launch_cost(&self) -> Option<Duration> {
        self.last.map(|t| t.launch())
    }

    fn last_placement(&self) -> Option<Vec<String>> {
        self.last_hosts.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn launch_is_total_minus_compute() {
        let t = MpiTiming {
            total: Duration::from_millis(300),
            compute: Duration::from_millis(120),
        };
        assert_eq!(t.launch(), Duration::from_millis(180));
    }

    #[test]
    fn the_report_must_be_one_line_from_a_world_of_the_right_size() {
        let line = r#"{"checksum":168,"compute_secs":0.1,"ranks":2,"hosts":["a","b"]}"#;
        let report = MpiBackend::read_report(2, &format!("noise\n{line}\n"), "").unwrap();
        assert_eq!((report.checksum, report.hosts.len()), (168, 2));
        let err = MpiBackend::read_report(3, line, "")
            .unwrap_err()
            .to_string();
        assert!(err.contains("a world of 2"), "{err}");
        let err = MpiBackend::read_report(2, &format!("{line}\n{line}"), "")
            .unwrap_err()
            .to_string();
        assert!(err.contains("separate one-rank worlds"), "{err}");
        let err = MpiBackend::read_report(2, "", "boom")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("without a result line") && err.contains("boom"),
            "{err}"
        );
    }
}
