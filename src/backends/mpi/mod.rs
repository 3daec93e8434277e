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
//! Built only with `--features mpi`; needs Open MPI's `mpirun` on the PATH.

use std::io::{self, BufRead, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

pub mod rank;

use super::{Backend, Config, Entry, Worker};
use crate::error::{Error, Result};
use crate::workloads::Job;
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

/// How the ranks talk to each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Open MPI's shared-memory transport (`vader`) between ranks on one host.
    SharedMemory,
    /// TCP over the loopback interface, as between hosts.
    Tcp,
}

impl Transport {
    /// The `mpirun` options that select this transport. `pml ob1` keeps Open
    /// MPI from picking UCX, which would ignore the `btl` choice.
    pub fn mca_args(self) -> &'static [&'static str] {
        match self {
            Transport::SharedMemory => &["--mca", "pml", "ob1", "--mca", "btl", "self,vader"],
            Transport::Tcp => &[
                "--mca",
                "pml",
                "ob1",
                "--mca",
                "btl",
                "self,tcp",
                "--mca",
                "btl_tcp_if_include",
                "lo",
            ],
        }
    }
}

/// The launcher, looked up on the PATH unless a backend is given another.
pub const MPIRUN: &str = "mpirun";

/// How long `mpirun` may run before it kills the job (`mpirun --timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// How long past the `mpirun --timeout` the parent waits before it kills the
/// `mpirun` process group itself.
pub const GRACE: Duration = Duration::from_secs(5);

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
    config: Config,
    transport: Transport,
    mpirun: PathBuf,
    timeout: Duration,
    /// Set by `prepare`: the rank count and the `mpirun` found.
    prepared: Option<(usize, PathBuf)>,
    last: Option<MpiTiming>,
}

impl MpiBackend {
    /// A backend that runs `mpirun` from the PATH with [`DEFAULT_TIMEOUT`].
    pub fn new(config: &Config, transport: Transport) -> Self {
        MpiBackend {
            config: config.clone(),
            transport,
            mpirun: PathBuf::from(MPIRUN),
            timeout: DEFAULT_TIMEOUT,
            prepared: None,
            last: None,
        }
    }

    /// Uses another `mpirun` (a path, or a name looked up on the PATH).
    pub fn with_mpirun(mut self, mpirun: impl Into<PathBuf>) -> Self {
        self.mpirun = mpirun.into();
        self
    }

    /// Sets the `mpirun --timeout` (rounded up to whole seconds).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The timing of the last successful `execute`.
    pub fn last_timing(&self) -> Option<MpiTiming> {
        self.last
    }

    /// The timeout in whole seconds, rounded up, at least 1.
    fn timeout_secs(&self) -> u64 {
        (self.timeout.as_secs() + u64::from(self.timeout.subsec_nanos() > 0)).max(1)
    }

    /// The `mpirun` command line for `ranks` ranks running `job`.
    pub fn command(&self, mpirun: &Path, ranks: usize, job: &Job) -> Command {
        let job_json = serde_json::to_string(job).expect("a job always serialises");
        let mut cmd = Command::new(mpirun);
        cmd.arg("-n").arg(ranks.to_string());
        cmd.arg("--timeout").arg(self.timeout_secs().to_string());
        // No pinning, like the other process backends: the kernel places
        // the ranks, within whatever CPU set tvp itself was given.
        cmd.args(["--bind-to", "none"]);
        if ranks > crate::cores() {
            cmd.arg("--oversubscribe");
        }
        // SAFETY: geteuid has no preconditions and touches no memory of ours.
        if unsafe { libc::geteuid() } == 0 {
            cmd.arg("--allow-run-as-root");
        }
        cmd.args(self.transport.mca_args());
        cmd.arg(&self.config.worker_exe)
            .arg(SUBCOMMAND)
            .arg("--ranks")
            .arg(ranks.to_string())
            .arg("--job")
            .arg(job_json);
        cmd
    }

    /// Turns a finished `mpirun` into the rank-0 report, or an error that
    /// says what went wrong.
    fn read_report(&self, ranks: usize, output: &Output, ending: Ending) -> Result<RankReport> {
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let killed = match ending {
            Ending::Exited => None,
            Ending::KilledAfterFailure => Some(format!(
                "mpirun itself was still running {} s after that, so tvp killed it (Open MPI \
                 4.1 can hang in its own shutdown once a rank has died)",
                EXIT_AFTER_FAILURE.as_secs()
            )),
            Ending::KilledPastDeadline => Some(format!(
                "mpirun was still running {} s past its own `--timeout {}`: tvp killed its \
                 process group",
                GRACE.as_secs(),
                self.timeout_secs()
            )),
        };
        if let Some(how) = killed {
            return Err(self.failure(&how, &stderr));
        }
        if !output.status.success() {
            return Err(self.failure(&crate::process::child::describe(output.status), &stderr));
        }
        let reports: Vec<RankReport> = stdout
            .lines()
            .filter_map(|line| serde_json::from_str(line.trim()).ok())
            .collect();
        match reports.as_slice() {
            [report] if report.ranks == ranks => Ok(*report),
            [report] => Err(Error::Mpi(format!(
                "asked for {ranks} ranks but rank 0 reported a world of {}",
                report.ranks
            ))),
            [] => Err(self.failure("it exited without a result line", &stderr)),
            many => Err(Error::Mpi(format!(
                "expected one result line from rank 0, got {}: did mpirun start {} \
                 separate one-rank worlds?",
                many.len(),
                many.len()
            ))),
        }
    }

    /// An error for an `mpirun` that failed, quoting the end of its stderr.
    fn failure(&self, how: &str, stderr: &str) -> Error {
        let exe = self.config.worker_exe.display();
        let hint = if stderr.contains("unrecognized subcommand") {
            format!(
                "`{exe}` has no `{SUBCOMMAND}` mode: it was built without the `mpi` feature; \
                 rebuild it with `cargo build --release --features mpi`"
            )
        } else if stderr.contains("time limit") || stderr.contains("timeout") {
            format!(
                "the job ran past `mpirun --timeout {}` s and was killed",
                self.timeout_secs()
            )
        } else if stderr.contains("tvp mpi-worker:") || stderr.contains("MPI_ABORT") {
            "a rank failed, which ended the job".to_string()
        } else {
            "mpirun failed".to_string()
        };
        // The ranks' own words first: Open MPI's messages (and, in Open MPI
        // 4.1.4, a crash of mpirun itself after an abort) can bury them.
        let ranks: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("tvp mpi-worker:"))
            .take(MAX_QUOTED_LINES)
            .collect();
        let quoted = if ranks.is_empty() {
            format!("its stderr ends:\n{}", tail(stderr, MAX_QUOTED_LINES))
        } else {
            format!("the ranks said:\n{}", ranks.join("\n"))
        };
        Error::Mpi(format!("{hint}; {how}; {quoted}"))
    }
}

/// How many lines of `mpirun`'s stderr an error quotes.
const MAX_QUOTED_LINES: usize = 12;

/// The last `lines` non-empty lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let kept: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    kept[kept.len().saturating_sub(lines)..].join("\n")
}

/// Finds `mpirun` (a path, or a name looked up on the PATH) or says how to
/// install it.
pub fn find_mpirun(mpirun: &Path) -> Result<PathBuf> {
    let found = if mpirun.components().count() > 1 {
        mpirun.is_file().then(|| mpirun.to_path_buf())
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(mpirun))
                .find(|candidate| candidate.is_file())
        })
    };
    found.ok_or_else(|| {
        Error::Mpi(format!(
            "`{}` not found: install Open MPI (Debian/Ubuntu: `apt-get install \
             --no-install-recommends openmpi-bin libopenmpi-dev`) or put its bin directory on \
             the PATH",
            mpirun.display()
        ))
    })
}

/// How long `mpirun` may take to exit once its stderr shows the job failed
/// (a rank's own message or Open MPI's) before the parent kills it. It
/// needs about a second; Open MPI 4.1.4 with Debian 12's PMIx sometimes
/// never exits, stuck in `PMIx_server_finalize` with every rank already dead
/// (6 of 40 jobs with a panicking rank on the 2-core reference machine), and
/// then ignores both SIGTERM and its own `--timeout`.
pub const EXIT_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// Whether a line of `mpirun`'s stderr says the job has failed: a rank's own
/// message, or Open MPI's after a rank died, aborted or ran out of time.
fn ends_in_failure(line: &str) -> bool {
    line.starts_with("tvp mpi-worker:")
        || line.contains("the job has been aborted")
        || line.contains("mpirun noticed that process")
        || line.contains("mpirun detected that one or more processes exited")
        || line.contains("MPI_ABORT was invoked")
        || line.contains("time limit for job execution")
}

/// How `mpirun` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// It exited by itself.
    Exited,
    /// Its stderr said the job failed, it was still running
    /// [`EXIT_AFTER_FAILURE`] later, and was killed.
    KilledAfterFailure,
    /// It was still running at the deadline, and was killed.
    KilledPastDeadline,
}

/// Runs `cmd` in its own process group and collects its output. Kills the
/// whole group [`EXIT_AFTER_FAILURE`] after its stderr shows the job failed,
/// or past `deadline`; the [`Ending`] says which. The child is always reaped, and is on
/// the interrupt registry until then, so Ctrl-C kills it too.
fn output_with_deadline(mut cmd: Command, deadline: Duration) -> Result<(Output, Ending)> {
    if let Some(e) = crate::interrupt::error() {
        return Err(e);
    }
    let hard_end = Instant::now() + deadline;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    // SAFETY: die_with_parent calls only async-signal-safe functions
    // (getppid, prctl, _exit) and touches no memory of ours. It makes mpirun
    // die if tvp dies, and the ranks die with mpirun.
    unsafe {
        cmd.pre_exec(|| {
            crate::interrupt::die_with_parent();
            Ok(())
        });
    }
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::io(format!("cannot start `{program}`"), e))?;
    let pid = child.id();
    crate::interrupt::track(pid);
    // Set under the lock just before the child is reaped: past that point
    // its pid (and process group) may belong to someone else.
    let reaped = Arc::new(Mutex::new(false));
    let (tx, rx) = crossbeam_channel::bounded::<io::Result<Output>>(1);
    let (failed_tx, failed_rx) = crossbeam_channel::bounded::<()>(1);
    let waiter = {
        let reaped = Arc::clone(&reaped);
        std::thread::spawn(move || {
            let stderr = child.stderr.take();
            let stderr = std::thread::spawn(move || {
                let mut buf = Vec::new();
                if let Some(stderr) = stderr {
                    let mut stderr = io::BufReader::new(stderr);
                    let mut line = Vec::new();
                    while matches!(stderr.read_until(b'\n', &mut line), Ok(n) if n > 0) {
                        if ends_in_failure(&String::from_utf8_lossy(&line)) {
                            let _ = failed_tx.try_send(());
                        }
                        buf.append(&mut line);
                    }
                    // What was read before an error is still worth quoting.
                    buf.append(&mut line);
                }
                buf
            });
            let mut stdout = Vec::new();
            let read = child.stdout.take().map(|mut s| s.read_to_end(&mut stdout));
            let stderr = stderr.join().unwrap_or_default();
            crate::process::child::wait_without_reaping(pid);
            crate::interrupt::forget(pid);
            let status = {
                let mut reaped = reaped.lock().unwrap_or_else(PoisonError::into_inner);
                *reaped = true;
                child.wait()
            };
            let output = read.transpose().and(status).map(|status| Output {
                status,
                stdout,
                stderr,
            });
            let _ = tx.send(output);
        })
    };
    let kill_group = || {
        let reaped = reaped.lock().unwrap_or_else(PoisonError::into_inner);
        if !*reaped {
            // The ranks sit in process groups of their own; they die with
            // mpirun through PR_SET_PDEATHSIG (see mpi_worker).
            let group = libc::pid_t::try_from(pid).expect("a pid fits in a pid_t");
            // SAFETY: kill touches no memory; the group is our unreaped child's.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
    };
    let mut failed = failed_rx;
    let mut kill_at = hard_end;
    let finished = loop {
        let now = Instant::now();
        crossbeam_channel::select! {
            recv(rx) -> output => break output.ok().map(|output| (output, Ending::Exited)),
            recv(failed) -> seen => {
                if seen.is_ok() {
                    kill_at = kill_at.min(now + EXIT_AFTER_FAILURE);
                }
                // Seen once, or stderr closed: nothing more to wait for.
                failed = crossbeam_channel::never();
            }
            default(kill_at.saturating_duration_since(now)) => {
                kill_group();
                let ending = if kill_at < hard_end {
                    Ending::KilledAfterFailure
                } else {
                    Ending::KilledPastDeadline
                };
                break rx.recv().ok().map(|output| (output, ending));
            }
        }
    };
    let _ = waiter.join();
    if let Some(e) = crate::interrupt::error() {
        return Err(e);
    }
    let (output, ending) = finished
        .ok_or_else(|| Error::Mpi(format!("lost track of `{program}`: its waiter died")))?;
    output
        .map(|output| (output, ending))
        .map_err(|e| Error::io(format!("cannot read `{program}`"), e))
}

/// Where Open MPI keeps its session files and shared-memory segments during
/// one run. After an abort or a kill it leaves them behind (in `$TMPDIR` and
/// `/dev/shm`); here they live in temp dirs of ours, removed on drop.
struct Scratch {
    session: tempfile::TempDir,
    /// In `/dev/shm` where it exists, so shared memory stays in RAM.
    shm: Option<tempfile::TempDir>,
}

impl Scratch {
    fn new() -> Result<Self> {
        let make = |dir: Option<&Path>| {
            let mut builder = tempfile::Builder::new();
            builder.prefix("tvp-mpi-");
            match dir {
                Some(dir) => builder.tempdir_in(dir),
                None => builder.tempdir(),
            }
        };
        let session =
            make(None).map_err(|e| Error::io("mpi: cannot make a temp dir for mpirun", e))?;
        let dev_shm = Path::new("/dev/shm");
        let shm = if dev_shm.is_dir() {
            make(Some(dev_shm)).ok()
        } else {
            None
        };
        Ok(Scratch { session, shm })
    }

    fn apply(&self, cmd: &mut Command) {
        let shm = self.shm.as_ref().unwrap_or(&self.session);
        cmd.env("TMPDIR", self.session.path());
        // Open MPI reads MCA parameters from OMPI_MCA_* variables too.
        cmd.env("OMPI_MCA_btl_vader_backing_directory", shm.path());
    }
}

impl Backend for MpiBackend {
    fn name(&self) -> &'static str {
        match self.transport {
            Transport::SharedMemory => ENTRY.name,
            Transport::Tcp => TCP_ENTRY.name,
        }
    }

    fn prepare(&mut self, workers: usize) -> Result<()> {
        self.prepared = Some((workers.max(1), find_mpirun(&self.mpirun)?));
        self.last = None;
        Ok(())
    }

    fn execute(&mut self, job: &Job) -> Result<u64> {
        let (ranks, mpirun) = self
            .prepared
            .clone()
            .ok_or(Error::NotPrepared(self.name()))?;
        let start = Instant::now();
        let scratch = Scratch::new()?;
        let mut cmd = self.command(&mpirun, ranks, job);
        scratch.apply(&mut cmd);
        let deadline = Duration::from_secs(self.timeout_secs()) + GRACE;
        let (output, ending) = output_with_deadline(cmd, deadline)?;
        let total = start.elapsed();
        let report = self.read_report(ranks, &output, ending)?;
        self.last = Some(MpiTiming {
            total,
            compute: Duration::from_secs_f64(report.compute_secs.max(0.0)).min(total),
        });
        Ok(report.checksum)
    }

    fn last_launch_cost(&self) -> Option<Duration> {
        self.last.map(|t| t.launch())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_non_empty_lines() {
        assert_eq!(tail("a\n\nb\nc\n\n", 2), "b\nc");
        assert_eq!(tail("", 3), "");
    }

    #[test]
    fn failure_lines_are_the_ranks_and_open_mpis() {
        for line in [
            "tvp mpi-worker: rank 2 panicked at src/x.rs:1: boom; aborting\n",
            "mpirun noticed that process rank 2 with PID 0 on node vm exited on signal 6 (Aborted).",
            "MPI_ABORT was invoked on rank 1 in communicator MPI_COMM_WORLD",
            "a non-zero exit code. Per user-direction, the job has been aborted.",
            "mpirun detected that one or more processes exited with non-zero status, thus causing",
            "The user-provided time limit for job execution has been reached:",
        ] {
            assert!(ends_in_failure(line), "{line}");
        }
        assert!(!ends_in_failure("[vm:30613] Signal: Aborted (6)"));
        assert!(!ends_in_failure(
            r#"{"checksum":168,"compute_secs":0.1,"ranks":2}"#
        ));
    }

    #[test]
    fn launch_is_total_minus_compute() {
        let t = MpiTiming {
            total: Duration::from_millis(300),
            compute: Duration::from_millis(120),
        };
        assert_eq!(t.launch(), Duration::from_millis(180));
    }

    #[test]
    fn command_selects_the_transport_and_passes_the_ranks() {
        let config = Config::new("/bin/tvp");
        let job = Job::new("primes").unwrap().with_size(10);
        let tcp =
            MpiBackend::new(&config, Transport::Tcp).with_timeout(Duration::from_millis(1500));
        let args: Vec<String> = tcp
            .command(Path::new("mpirun"), 3, &job)
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let joined = args.join(" ");
        assert!(joined.starts_with("-n 3 --timeout 2 "), "{joined}");
        assert!(joined.contains("--mca btl self,tcp"), "{joined}");
        assert!(
            joined.contains("/bin/tvp mpi-worker --ranks 3 --job {"),
            "{joined}"
        );
    }

    #[test]
    fn a_missing_mpirun_says_how_to_install_it() {
        let err = find_mpirun(Path::new("/nonexistent/mpirun"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("openmpi-bin"), "{err}");
        let err = find_mpirun(Path::new("no-such-mpirun-here"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not found"), "{err}");
    }
}
