//! `mpirun` seen from tvp: the command line (ranks, transport, hosts), and
//! one run of it that always ends, with an error that says why when the job
//! failed.
//!
//! Every wait has a deadline:
//! - the ranks must all have started (rank 0 prints [`STARTED`] once every
//!   rank is through `MPI_Init`) within the start timeout. A host that
//!   cannot be reached, or whose daemon cannot connect back to `mpirun`,
//!   otherwise leaves `mpirun` waiting for ever;
//! - `mpirun --timeout` ends a job that runs too long, and the parent kills
//!   `mpirun` itself [`GRACE`] past it;
//! - once its stderr shows the job failed, `mpirun` gets
//!   [`EXIT_AFTER_FAILURE`] to exit before it is killed (Open MPI 4.1.4 can
//!   hang in its own shutdown).
//!
//! Killing `mpirun` kills its process group (the launchers it started: ssh,
//! or the simulated cluster's agent); ranks and remote daemons die with
//! their parents.

use std::io::{self, BufRead};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::backends::Config;
use crate::backends::hosts::{self, MpiHosts};
use crate::error::{Error, Result};

/// What rank 0 prints on stdout once every rank has started; the parent
/// stops the start clock when it reads it.
pub const STARTED: &str = "tvp mpi: all ranks started";

/// The prefix of every line a rank of tvp writes to stderr.
pub const RANK_PREFIX: &str = "tvp mpi-";

/// How the ranks talk to each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Open MPI's shared-memory transport (`vader`) between ranks on one
    /// host (and TCP between hosts, when a hostfile spreads them).
    SharedMemory,
    /// TCP only: over the loopback interface on one machine, as between
    /// hosts.
    Tcp,
}

impl Transport {
    /// The `mpirun` options that select this transport for ranks on this
    /// machine (`local`) or spread over hosts. `pml ob1` keeps Open MPI from
    /// picking UCX, which would ignore the `btl` choice.
    pub fn mca_args(self, local: bool) -> Vec<&'static str> {
        let mut args = vec!["--mca", "pml", "ob1", "--mca", "btl"];
        match (self, local) {
            (Transport::SharedMemory, true) => args.push("self,vader"),
            (Transport::SharedMemory, false) => args.push("self,vader,tcp"),
            (Transport::Tcp, _) => args.push("self,tcp"),
        }
        if self == Transport::Tcp && local {
            args.extend(["--mca", "btl_tcp_if_include", "lo"]);
        }
        args
    }
}

/// The launcher, looked up on the PATH unless another is given.
pub const MPIRUN: &str = "mpirun";

/// How long `mpirun` may run before it kills the job (`mpirun --timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// How long the ranks may take to start: far past the 0.2 to 1 s a launch
/// took on the 2-core machine, locally or on the simulated cluster.
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long past the `mpirun --timeout` the parent waits before it kills the
/// `mpirun` process group itself.
pub const GRACE: Duration = Duration::from_secs(5);

/// How long `mpirun` may take to exit once its stderr shows the job failed
/// (a rank's own message or Open MPI's) before the parent kills it. It
/// needs about a second; Open MPI 4.1.4 with Debian 12's PMIx sometimes
/// never exits, stuck in `PMIx_server_finalize` with every rank already dead
/// (6 of 40 jobs with a panicking rank on the 2-core reference machine), and
/// then ignores both SIGTERM and its own `--timeout`.
pub const EXIT_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// How many lines of `mpirun`'s stderr an error quotes.
const MAX_QUOTED_LINES: usize = 12;

/// Starts `tvp` subcommands as MPI ranks.
#[derive(Debug, Clone)]
pub struct Launcher {
    /// `mpirun`: a path, or a name looked up on the PATH.
    pub mpirun: PathBuf,
    pub transport: Transport,
    pub hosts: MpiHosts,
    /// The `tvp` binary the ranks run (the same path on every host).
    pub worker_exe: PathBuf,
    /// `mpirun --timeout`, rounded up to whole seconds.
    pub timeout: Duration,
    /// How long the ranks may take to start.
    pub start_timeout: Duration,
}

/// What a finished `mpirun` printed, and how long it took.
#[derive(Debug, Clone)]
pub struct Launched {
    /// Rank 0's stdout, without the [`STARTED`] line.
    pub stdout: String,
    pub stderr: String,
    /// From starting `mpirun` to its exit.
    pub total: Duration,
}

impl Launcher {
    /// A launcher for `config`'s binary and hosts, with the default timeouts.
    pub fn new(config: &Config, transport: Transport) -> Self {
        Launcher {
            mpirun: PathBuf::from(MPIRUN),
            transport,
            hosts: config.mpi_hosts.clone(),
            worker_exe: config.worker_exe.clone(),
            timeout: DEFAULT_TIMEOUT,
            start_timeout: DEFAULT_START_TIMEOUT,
        }
    }

    /// The timeout in whole seconds, rounded up, at least 1.
    pub fn timeout_secs(&self) -> u64 {
        (self.timeout.as_secs() + u64::from(self.timeout.subsec_nanos() > 0)).max(1)
    }

    /// The `mpirun` command line that runs `tvp <subcommand> <args>` as
    /// `ranks` ranks, `mpirun` being the one found by [`find_mpirun`].
    pub fn command(
        &self,
        mpirun: &Path,
        ranks: usize,
        subcommand: &str,
        args: &[String],
    ) -> Result<Command> {
        let placement = self.hosts.mpirun_options()?;
        let mut cmd = Command::new(mpirun);
        cmd.arg("-n").arg(ranks.to_string());
        cmd.arg("--timeout").arg(self.timeout_secs().to_string());
        // No pinning, like the other process backends: the kernel places
        // the ranks, within whatever CPU set tvp itself was given.
        cmd.args(["--bind-to", "none"]);
        // On this machine only: with a hostfile, its slots say how many
        // ranks a host takes.
        if self.hosts.is_local() && ranks > crate::cores() {
            cmd.arg("--oversubscribe");
        }
        // SAFETY: geteuid has no preconditions and touches no memory of ours.
        if unsafe { libc::geteuid() } == 0 {
            cmd.arg("--allow-run-as-root");
        }
        // The user's options win: mpirun refuses a parameter set twice.
        for pair in self.transport.mca_args(self.hosts.is_local()).chunks(3) {
            if !hosts::sets_mca(&placement, pair[1]) {
                cmd.args(pair);
            }
        }
        cmd.args(&placement);
        cmd.arg(&self.worker_exe).arg(subcommand).args(args);
        Ok(cmd)
    }

    /// Runs `tvp <subcommand> <args>` as `ranks` ranks and returns what
    /// rank 0 printed, or an error that says what went wrong.
    pub fn run(
        &self,
        mpirun: &Path,
        ranks: usize,
        subcommand: &str,
        args: &[String],
    ) -> Result<Launched> {
        let start = Instant::now();
        let scratch = Scratch::new()?;
        let mut cmd = self.command(mpirun, ranks, subcommand, args)?;
        scratch.apply(&mut cmd, self.hosts.is_local());
        let deadlines = Deadlines {
            start: self.start_timeout,
            end: Duration::from_secs(self.timeout_secs()) + GRACE,
        };
        let (output, ending) = output_with_deadlines(cmd, deadlines)?;
        let total = start.elapsed();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let killed = match ending {
            Ending::Exited => None,
            Ending::KilledAfterFailure => Some(format!(
                "mpirun itself was still running {} s after that, so tvp killed it (Open MPI \
                 4.1 can hang in its own shutdown once a rank has died)",
                EXIT_AFTER_FAILURE.as_secs()
            )),
            Ending::NotStarted => Some(self.not_started()),
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
        let stdout = stdout
            .lines()
            .filter(|l| l.trim() != STARTED)
            .map(|l| format!("{l}\n"))
            .collect();
        Ok(Launched {
            stdout,
            stderr,
            total,
        })
    }

    /// Why the ranks did not start, with the hosts they were to start on.
    fn not_started(&self) -> String {
        let secs = self.start_timeout.as_secs_f64();
        match self.hosts.names() {
            Ok(names) if !names.is_empty() => format!(
                "the ranks had not all started {secs:.0} s after mpirun began, so tvp killed \
                 it: a host may be unreachable, or its daemon cannot connect back to mpirun (a \
                 firewall, or the wrong network: set oob_tcp_if_include and \
                 btl_tcp_if_include in {}); the hosts: {}",
                hosts::MPIRUN_ARGS_ENV,
                names.join(", ")
            ),
            _ => format!(
                "the ranks had not all started {secs:.0} s after mpirun began, so tvp killed it"
            ),
        }
    }

    /// An error for an `mpirun` that failed, quoting its stderr.
    fn failure(&self, how: &str, stderr: &str) -> Error {
        let exe = self.worker_exe.display();
        let hostfile = match (&self.hosts.hostfile, self.hosts.names()) {
            (Some(file), Ok(names)) if !names.is_empty() => {
                format!("{} ({})", file.display(), names.join(", "))
            }
            (Some(file), _) => file.display().to_string(),
            (None, _) => "this machine".to_string(),
        };
        let daemons = stderr.contains("ORTE was unable to reliably start");
        let hint = if stderr.contains("unrecognized subcommand") {
            format!(
                "`{exe}` has no MPI rank mode: it was built without the `mpi` feature; \
                 rebuild it with `cargo build --release --features mpi`"
            )
        } else if daemons {
            format!(
                "mpirun could not start its daemon on every host of {hostfile}: the launcher \
                 (ssh, or the plm_rsh_agent named in the hostfile or {}) failed, or a daemon \
                 could not connect back to mpirun; check that `ssh HOST true` works without a \
                 password for every host, that Open MPI is on each host's PATH, and that the \
                 hosts reach this one",
                hosts::MPIRUN_ARGS_ENV
            )
        } else if stderr.contains("not enough slots") {
            format!(
                "{hostfile} has fewer slots than ranks: give hosts more (`node1 slots=4`) or \
                 add --oversubscribe to {}",
                hosts::MPIRUN_ARGS_ENV
            )
        } else if stderr.contains("time limit") || stderr.contains("timeout") {
            format!(
                "the job ran past `mpirun --timeout {}` s and was killed",
                self.timeout_secs()
            )
        } else if stderr.contains(RANK_PREFIX) || stderr.contains("MPI_ABORT") {
            "a rank failed, which ended the job".to_string()
        } else if stderr.contains("mpirun noticed that process") {
            "a rank died, which ended the job".to_string()
        } else {
            "mpirun failed".to_string()
        };
        // The ranks' own words first: Open MPI's messages (and, in Open MPI
        // 4.1.4, a crash of mpirun itself after an abort) can bury them.
        let ranks: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with(RANK_PREFIX))
            .take(MAX_QUOTED_LINES)
            .collect();
        // Then the launcher's, which come before Open MPI's boxed message,
        // and Open MPI's line naming the rank that died and its host.
        let launcher = stderr
            .lines()
            .take_while(|l| !l.starts_with("-----"))
            .filter(|l| !l.trim().is_empty())
            .take(MAX_QUOTED_LINES)
            .collect::<Vec<_>>();
        let noticed = stderr
            .lines()
            .find(|l| l.starts_with("mpirun noticed that process"));
        let quoted = if !ranks.is_empty() {
            format!("the ranks said:\n{}", ranks.join("\n"))
        } else if daemons && !launcher.is_empty() {
            format!("the launcher said:\n{}", launcher.join("\n"))
        } else if let Some(line) = noticed {
            format!("Open MPI said: {line}")
        } else {
            format!("its stderr ends:\n{}", tail(stderr, MAX_QUOTED_LINES))
        };
        Error::Mpi(format!("{hint}; {how}; {quoted}"))
    }
}

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

/// Whether a line of `mpirun`'s stderr says the job has failed: a rank's own
/// message, or Open MPI's after a rank died, aborted or ran out of time, or
/// a daemon could not be started.
fn ends_in_failure(line: &str) -> bool {
    line.starts_with(RANK_PREFIX)
        || line.contains("the job has been aborted")
        || line.contains("mpirun noticed that process")
        || line.contains("mpirun detected that one or more processes exited")
        || line.contains("MPI_ABORT was invoked")
        || line.contains("time limit for job execution")
        || line.contains("ORTE was unable to reliably start")
}

/// How `mpirun` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// It exited by itself.
    Exited,
    /// Its stderr said the job failed, it was still running
    /// [`EXIT_AFTER_FAILURE`] later, and was killed.
    KilledAfterFailure,
    /// The ranks had not all started by the start deadline; it was killed.
    NotStarted,
    /// It was still running at the deadline, and was killed.
    KilledPastDeadline,
}

/// The two clocks of one run, from the spawn.
#[derive(Debug, Clone, Copy)]
struct Deadlines {
    /// By when rank 0 must have printed [`STARTED`].
    start: Duration,
    /// By when `mpirun` must have exited.
    end: Duration,
}

/// Reads `stream` line by line into a buffer, telling `seen` (once) when a
/// line matches `matches`. Returns everything read, also what was read
/// before an error.
fn read_lines(
    stream: Option<impl io::Read>,
    matches: impl Fn(&str) -> bool,
    seen: crossbeam_channel::Sender<()>,
) -> Vec<u8> {
    let mut buf = Vec::new();
    if let Some(stream) = stream {
        let mut stream = io::BufReader::new(stream);
        let mut line = Vec::new();
        while matches!(stream.read_until(b'\n', &mut line), Ok(n) if n > 0) {
            if matches(&String::from_utf8_lossy(&line)) {
                let _ = seen.try_send(());
            }
            buf.append(&mut line);
        }
        buf.append(&mut line);
    }
    buf
}

/// Runs `cmd` in its own process group and collects its output. Kills the
/// whole group when the ranks have not started by `deadlines.start`,
/// [`EXIT_AFTER_FAILURE`] after its stderr shows the job failed, or past
/// `deadlines.end`; the [`Ending`] says which. The child is always reaped,
/// and is on the interrupt registry until then, so Ctrl-C kills it too.
fn output_with_deadlines(mut cmd: Command, deadlines: Deadlines) -> Result<(Output, Ending)> {
    if let Some(e) = crate::interrupt::error() {
        return Err(e);
    }
    let spawned = Instant::now();
    let hard_end = spawned + deadlines.end;
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
    let (started_tx, started_rx) = crossbeam_channel::bounded::<()>(1);
    let waiter = {
        let reaped = Arc::clone(&reaped);
        std::thread::spawn(move || {
            let stderr = child.stderr.take();
            let stderr = std::thread::spawn(move || read_lines(stderr, ends_in_failure, failed_tx));
            let stdout = read_lines(
                child.stdout.take(),
                |line| line.trim() == STARTED,
                started_tx,
            );
            let stderr = stderr.join().unwrap_or_default();
            crate::process::child::wait_without_reaping(pid);
            crate::interrupt::forget(pid);
            let status = {
                let mut reaped = reaped.lock().unwrap_or_else(PoisonError::into_inner);
                *reaped = true;
                child.wait()
            };
            let _ = tx.send(status.map(|status| Output {
                status,
                stdout,
                stderr,
            }));
        })
    };
    let kill_group = || {
        let reaped = reaped.lock().unwrap_or_else(PoisonError::into_inner);
        if !*reaped {
            // The ranks sit in process groups of their own; they die with
            // mpirun (or its daemons) through PR_SET_PDEATHSIG.
            let group = libc::pid_t::try_from(pid).expect("a pid fits in a pid_t");
            // SAFETY: kill touches no memory; the group is our unreaped child's.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
    };
    let mut failed = failed_rx;
    let mut started = started_rx;
    let mut start_by = Some(spawned + deadlines.start);
    let mut kill_at = hard_end;
    let finished = loop {
        let now = Instant::now();
        let wake = start_by.map_or(kill_at, |s| s.min(kill_at));
        crossbeam_channel::select! {
            recv(rx) -> output => break output.ok().map(|output| (output, Ending::Exited)),
            recv(failed) -> seen => {
                if seen.is_ok() {
                    kill_at = kill_at.min(now + EXIT_AFTER_FAILURE);
                    start_by = None;
                }
                // Seen once, or stderr closed: nothing more to wait for.
                failed = crossbeam_channel::never();
            }
            recv(started) -> _ => {
                start_by = None;
                started = crossbeam_channel::never();
            }
            default(wake.saturating_duration_since(now)) => {
                let ending = if start_by.is_some_and(|s| s <= now) {
                    Ending::NotStarted
                } else if now < kill_at {
                    continue;
                } else if kill_at < hard_end {
                    Ending::KilledAfterFailure
                } else {
                    Ending::KilledPastDeadline
                };
                kill_group();
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
            let prefix = crate::scratch::prefix("mpi");
            builder.prefix(&prefix);
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

    /// Points `mpirun` at the scratch dirs. The session dir is mpirun's
    /// own; the shared-memory dir is set only for ranks on this machine:
    /// mpirun passes `OMPI_MCA_*` variables to every rank, and on another
    /// host this path does not exist (each host keeps Open MPI's default).
    fn apply(&self, cmd: &mut Command, local: bool) {
        let shm = self.shm.as_ref().unwrap_or(&self.session);
        cmd.env("TMPDIR", self.session.path());
        if local {
            // Open MPI reads MCA parameters from OMPI_MCA_* variables too.
            cmd.env("OMPI_MCA_btl_vader_backing_directory", shm.path());
        }
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
            "tvp mpi-exchange: rank 1: boom",
            "mpirun noticed that process rank 2 with PID 0 on node vm exited on signal 6 (Aborted).",
            "MPI_ABORT was invoked on rank 1 in communicator MPI_COMM_WORLD",
            "a non-zero exit code. Per user-direction, the job has been aborted.",
            "mpirun detected that one or more processes exited with non-zero status, thus causing",
            "The user-provided time limit for job execution has been reached:",
            "ORTE was unable to reliably start one or more daemons.",
        ] {
            assert!(ends_in_failure(line), "{line}");
        }
        assert!(!ends_in_failure("[vm:30613] Signal: Aborted (6)"));
        assert!(!ends_in_failure(
            r#"{"checksum":168,"compute_secs":0.1,"ranks":2}"#
        ));
    }

    fn args(launcher: &Launcher, ranks: usize) -> String {
        launcher
            .command(Path::new("mpirun"), ranks, "mpi-worker", &["--x".into()])
            .unwrap()
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn the_transport_and_the_hosts_shape_the_command() {
        let config = Config::new("/bin/tvp");
        let mut tcp = Launcher::new(&config, Transport::Tcp);
        tcp.timeout = Duration::from_millis(1500);
        let joined = args(&tcp, 3);
        assert!(joined.starts_with("-n 3 --timeout 2 "), "{joined}");
        assert!(joined.contains("--mca btl self,tcp --mca btl_tcp_if_include lo"));
        assert!(joined.ends_with("/bin/tvp mpi-worker --x"), "{joined}");

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hosts");
        std::fs::write(&file, "#tvp-mpirun-args: --mca btl self,tcp\nh1\nh2\n").unwrap();
        let mut spread = Launcher::new(&config, Transport::SharedMemory);
        spread.hosts = MpiHosts::local().with_hostfile(&file);
        let joined = args(&spread, 64);
        assert!(!joined.contains("oversubscribe"), "{joined}");
        assert!(!joined.contains("lo "), "{joined}");
        assert_eq!(joined.matches("--mca btl ").count(), 1, "{joined}");
        assert!(
            joined.contains(&format!("--hostfile {} --mca btl self,tcp", file.display())),
            "{joined}"
        );
        spread.hosts.mpirun_args = vec!["--mca".into(), "pml".into(), "ucx".into()];
        let joined = args(&spread, 2);
        assert!(!joined.contains("pml ob1") && joined.contains("pml ucx"));
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

    #[test]
    fn a_failed_launcher_is_quoted_and_explained() {
        let config = Config::new("/bin/tvp");
        let launcher = Launcher::new(&config, Transport::Tcp);
        let stderr = "agent: ssh: Could not resolve hostname h9\n\
                      ------------\nORTE was unable to reliably start one or more daemons.\n\
                      ------------\n";
        let err = launcher
            .failure("it exited with code 1", stderr)
            .to_string();
        assert!(err.contains("could not start its daemon"), "{err}");
        assert!(err.contains("the launcher said:\nagent: ssh"), "{err}");
    }
}
