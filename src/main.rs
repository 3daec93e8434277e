//! `tvp`: the command line of threads-vs-processes. A thin layer over the
//! library: parse, call, print.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use tvp::backends::{self, Config};
use tvp::process::deadline;
use tvp::report::terminal;
use tvp::sweep::affinity::{self, Confined};
use tvp::sweep::cores::CoresRequest;
use tvp::sweep::memory;
use tvp::sweep::{self, RunRequest};
use tvp::workloads;

#[derive(Debug, Parser)]
#[command(
    name = "tvp",
    version,
    about = "Threads vs processes: measure when to use threads, a thread pool or child processes",
    after_help = "Start with `tvp list`, then `tvp run --workload primes`."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the workloads and backends, each with what it teaches.
    List,
    /// Time workloads on backends across worker counts and print a table.
    Run(RunArgs),
    /// Run the same workloads in CPython (threads, multiprocessing) and in Rust,
    /// each at sizes that take it a few hundred ms, and compare speedups. Needs
    /// python3 on PATH (or TVP_PYTHON); skips with a message otherwise.
    Python(PythonArgs),
    /// Time every backend at 1, 2, ... N cores with a fixed worker count:
    /// workers and cores are different knobs.
    Cores(CoresArgs),
    /// Write the HTML report under reports/ from the results `cargo bench`
    /// saved. Exits with 3 when there are no results to report.
    Report(ReportArgs),
    /// Remove the temp dirs and files that a killed tvp left behind (named
    /// tvp-<kind>-<pid>-..., in the temp dir and /dev/shm, whose process is
    /// gone). `tvp run`, `cores`, `python` and the benches do it at start.
    Clean,
    /// The child side of the process backends: reads tasks on stdin, one JSON
    /// line each, and answers on stdout. Exits at end of input.
    #[command(hide = true)]
    Worker,
    /// The process side of the cost benchmarks (benches/costs.rs): answers
    /// over stdin/stdout, a socket or shared memory. Exits at end of input or
    /// when its parent dies.
    #[command(hide = true)]
    Peer(PeerArgs),
    /// Measures the peak memory of one (backend, workers) run: reads one JSON
    /// request on stdin, prints one JSON line. `tvp run` starts it per cell.
    #[command(hide = true)]
    MemoryCell,
    /// One MPI rank of the `mpi` backends, started by `mpirun -n RANKS`.
    #[cfg(feature = "mpi")]
    #[command(hide = true, name = "mpi-worker")]
    MpiWorker {
        /// The number of ranks mpirun was asked for; the MPI world must match.
        #[arg(long)]
        ranks: usize,
        /// The job, as JSON.
        #[arg(long)]
        job: String,
    },
    /// One MPI rank of the exchange measurement (the `mpi` bench).
    #[cfg(feature = "mpi")]
    #[command(hide = true, name = "mpi-exchange")]
    MpiExchange {
        /// The number of ranks mpirun was asked for; the MPI world must match.
        #[arg(long)]
        ranks: usize,
        /// The sizes to measure, as JSON.
        #[arg(long)]
        job: String,
    },
}

#[derive(Debug, clap::Args)]
struct PeerArgs {
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(tvp::costs::PEER_MECHANISMS))]
    mechanism: String,
    /// Message size in bytes
    #[arg(long, default_value_t = 1)]
    size: usize,
    /// Socket address or shared-memory file
    #[arg(long)]
    addr: Option<String>,
    /// CPU to pin to
    #[arg(long)]
    cpu: Option<usize>,
    /// Test hook: die (SIGKILL) after reading this many bytes of a request
    #[arg(long, hide = true)]
    die_after: Option<u64>,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Workloads to run, comma-separated [default: all]
    #[arg(long, short = 'w', value_delimiter = ',', value_parser = workload_names())]
    workload: Vec<String>,
    /// Backends to compare, comma-separated (see `tvp list`) [default: all
    /// that can run here]
    #[arg(long, short = 'b', value_delimiter = ',', value_parser = backends::parse_name)]
    backend: Vec<String>,
    /// Worker counts, comma-separated [default: 1, 2, 4, ... up to twice the
    /// cores, plus the core count; for IO workloads 1, 2, 4, ... up to
    /// --max-io-workers]
    #[arg(long, short = 'n', value_delimiter = ',', allow_negative_numbers = true, value_parser = sweep::parse_workers)]
    workers: Vec<usize>,
    /// Largest worker count for IO workloads, which keep scaling past the
    /// cores [default: $TVP_IO_MAX_WORKERS, else 64]
    #[arg(long, value_parser = |t: &str| sweep::parse_io_max_workers(t).map_err(|e| e.to_string()))]
    max_io_workers: Option<usize>,
    /// Skip the memory columns (each cell is run once more, in a fresh
    /// process, to measure its peak memory)
    #[arg(long)]
    no_memory: bool,
    /// Items per workload [default: each workload's own, about 100-300 ms
    /// sequentially]
    #[arg(long, short = 's', allow_negative_numbers = true, value_parser = workloads::parse_size)]
    size: Option<u64>,
    /// Timed runs per cell; the median is shown
    #[arg(long, short = 'r', default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=1000))]
    repeat: u64,
    /// Cut each job into K chunks per worker (threads, gil, rayon, pool):
    /// 1 gives each worker one static chunk, more are taken by whichever
    /// worker is free (load balancing, for a dispatch per chunk) [default:
    /// 1 for threads and gil, 8 for rayon and pool]
    #[arg(long, value_name = "K", value_parser = backends::parse_chunks_per_worker)]
    chunks_per_worker: Option<usize>,
    /// Confine the whole run, worker threads and child processes included,
    /// to this many cores [default: $TVP_CORES, else all usable cores]
    #[arg(long, short = 'c', value_parser = affinity::parse_cores)]
    cores: Option<usize>,
    /// An Open MPI hostfile: the mpi backends start their ranks on its hosts
    /// (extra mpirun options: $TVP_MPIRUN_ARGS) [default: $TVP_MPI_HOSTFILE,
    /// else this machine]
    #[arg(long, value_name = "FILE")]
    hostfile: Option<std::path::PathBuf>,
    /// A workload option KEY=VALUE, set in every job's options (repeatable);
    /// the test-only `fault` workload reads its faults from them.
    #[arg(long = "option", short = 'o', hide = true, value_parser = workloads::parse_option)]
    options: Vec<(String, String)>,
    #[command(flatten)]
    deadline: DeadlineArg,
}

#[derive(Debug, clap::Args)]
struct DeadlineArg {
    /// How long to wait for a worker process before taking it to hang
    /// (seconds, or 90s, 2m) [default: $TVP_DEADLINE, else 20 x the
    /// sequential run's time, at least 30 s]
    #[arg(long, value_parser = deadline::parse)]
    deadline: Option<std::time::Duration>,
}

impl DeadlineArg {
    /// The backends' config for this binary, with the deadline asked for.
    fn config(&self) -> anyhow::Result<Config> {
        let config = Config::from_current_exe()?.with_env_deadline()?;
        Ok(match self.deadline {
            Some(limit) => Config {
                task_deadline: deadline::Deadline::asked(limit),
                ..config
            },
            None => config,
        })
    }
}

#[derive(Debug, clap::Args)]
struct CoresArgs {
    /// Workloads to sweep, comma-separated [default: primes,monte_carlo]
    #[arg(long, short = 'w', value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(workloads::names()))]
    workload: Vec<String>,
    /// Backends to compare, comma-separated; sequential is always timed as
    /// the 1-worker reference [default: all but those behind a feature (mpi)]
    #[arg(long, short = 'b', value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(backends::names()))]
    backend: Vec<String>,
    /// Workers for every backend but sequential [default: twice the usable
    /// cores]
    #[arg(long, short = 'n', allow_negative_numbers = true, value_parser = sweep::parse_workers)]
    workers: Option<usize>,
    /// Core counts, comma-separated [default: 1, 2, ... the usable cores;
    /// past 8, 1, 2, 4, ... and the usable count]
    #[arg(long, short = 'c', value_delimiter = ',', value_parser = affinity::parse_cores)]
    cores: Vec<usize>,
    /// Items per workload [default: each workload's own]
    #[arg(long, short = 's', allow_negative_numbers = true, value_parser = workloads::parse_size)]
    size: Option<u64>,
    /// Timed runs per cell; the median is shown
    #[arg(long, short = 'r', default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=1000))]
    repeat: u64,
    #[command(flatten)]
    deadline: DeadlineArg,
}

/// The workload names `--workload` accepts: the registry's, plus the hidden
/// test-only ones, which `--help` does not show.
fn workload_names() -> clap::builder::PossibleValuesParser {
    use clap::builder::PossibleValue;
    let shown = workloads::names().into_iter().map(PossibleValue::new);
    let hidden = workloads::HIDDEN
        .iter()
        .map(|e| PossibleValue::new(e.name).hide(true));
    clap::builder::PossibleValuesParser::new(shown.chain(hidden))
}

#[derive(Debug, clap::Args)]
struct PythonArgs {
    /// Smaller sizes, workers 1 and the core count, fewer timed runs: about
    /// 10 s [also TVP_QUICK=1]
    #[arg(long)]
    quick: bool,
    /// Where python.json and python_vs_rust.json are written
    #[arg(long, default_value = "reports/data")]
    data_dir: std::path::PathBuf,
    /// Another report to show beside this one (its directory, its data/
    /// folder or its results.json, e.g. reports/reference): its figures
    /// beside this run's on every page with numbers, and what differs
    /// between the two machines and the two runs
    #[arg(long, value_name = "DIR")]
    compare: Option<std::path::PathBuf>,
}

#[derive(Debug, clap::Args)]
struct ReportArgs {
    /// Where criterion saved its results [default: $CRITERION_HOME, else
    /// $CARGO_TARGET_DIR/criterion, else target/criterion]
    #[arg(long)]
    criterion_dir: Option<std::path::PathBuf>,
    /// Where to write the report
    #[arg(long, default_value = "reports")]
    out: std::path::PathBuf,
    /// Where the benches wrote their data files (memory, MPI launches,
    /// Python); copied into OUT/data, where the pages link them
    #[arg(long, default_value = "reports/data")]
    data_dir: std::path::PathBuf,
    /// Write a report to commit or send: no link leaves OUT (criterion's own
    /// report under target/ is named, not linked). `reports/reference` is
    /// made this way.
    #[arg(long)]
    portable: bool,
    /// Another report to show beside this one (its directory, its data/
    /// folder or its results.json, e.g. reports/reference): its figures
    /// beside this run's on every page with numbers, and what differs
    /// between the two machines and the two runs
    #[arg(long, value_name = "DIR")]
    compare: Option<std::path::PathBuf>,
}

/// `tvp report` found no results: it wrote a page saying so.
const EXIT_NO_RESULTS: u8 = 3;

/// The exit status of a program whose output pipe was closed: 128 +
/// SIGPIPE, what a shell shows for `yes | head -1`'s `yes`.
const EXIT_CLOSED_PIPE: u8 = 128 + libc::SIGPIPE as u8;

/// What `println!` panics with when stdout is gone: `tvp list | head`
/// closed the pipe, or `> /dev/full` has no room.
const STDOUT_FAILED: &str = "failed printing to stdout";

/// The panic hook: a panic that [`tvp::error::catch_panic`] will report as
/// an error prints nothing (the error says it), and a failed write to
/// stdout prints nothing here ([`output_failed`] says it once); anything
/// else is a bug, shown as usual.
fn quiet_expected_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = panic_text(info.payload());
        let printing = message.is_some_and(|m| m.starts_with(STDOUT_FAILED));
        if !printing && !tvp::error::panic_is_caught() {
            default(info);
        }
    }));
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> Option<&str> {
    (payload.downcast_ref::<String>().map(String::as_str))
        .or_else(|| payload.downcast_ref::<&str>().copied())
}

/// The exit status for output that could not be written: quietly
/// [`EXIT_CLOSED_PIPE`] for a closed pipe (as Unix tools do), else a
/// message and 1.
fn output_failed(what: &str) -> ExitCode {
    if what.contains(&format!("os error {}", libc::EPIPE)) {
        return ExitCode::from(EXIT_CLOSED_PIPE);
    }
    eprintln!("error: could not write the output: {what}");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    quiet_expected_panics();
    // A file size limit (`ulimit -f`) then fails a write with EFBIG, which
    // is reported, instead of killing tvp with SIGXFSZ.
    // SAFETY: setting a signal to SIG_IGN touches no memory of ours.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help, --version, or a usage error: clap prints it. Printing can
        // fail too (`tvp --help > /dev/full`).
        Err(e) => {
            use std::io::Write as _;
            let printed = e.print().and_then(|()| std::io::stdout().flush());
            return match printed {
                Ok(()) => ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2)),
                Err(io) => output_failed(&io.to_string()),
            };
        }
    };
    // The run unwinds on a failed write to stdout (println! panics), so its
    // children are reaped and its temp dirs removed on the way out.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| dispatch(cli)));
    let code = match outcome {
        Ok(code) => code,
        Err(payload) => match panic_text(payload.as_ref()) {
            Some(m) if m.starts_with(STDOUT_FAILED) => {
                let cause = m.trim_start_matches(STDOUT_FAILED).trim_start_matches(": ");
                return output_failed(cause);
            }
            _ => std::panic::resume_unwind(payload),
        },
    };
    use std::io::Write as _;
    match std::io::stdout().flush() {
        Ok(()) => code,
        Err(e) => output_failed(&e.to_string()),
    }
}

/// Runs the command; the exit status it asks for.
fn dispatch(cli: Cli) -> ExitCode {
    // Confine before anything else starts a thread or a child: the mask
    // belongs to this thread, and only what it starts later inherits it.
    let confined = match &cli.command {
        Command::Run(args) => affinity::confine_run(args.cores),
        Command::Cores(_) | Command::Python(_) => affinity::confine_from_env(),
        // Children (workers, memory cells, peers, MPI ranks) inherit their
        // parent's mask: never narrow it again from TVP_CORES, which a
        // --cores parent may have overridden.
        _ => Ok(None),
    };
    let confined = match confined {
        Ok(confined) => confined,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let done = |r: anyhow::Result<()>| r.map(|()| ExitCode::SUCCESS);
    let outcome = match cli.command {
        Command::List => {
            print!("{}", terminal::listing());
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(args) => with_interrupts(|| run(args, confined.as_ref())),
        Command::Cores(args) => with_interrupts(|| cores(args, confined.as_ref())),
        Command::Python(args) => with_interrupts(|| python(args)),
        Command::Report(args) => report(args),
        Command::Clean => {
            clean();
            Ok(ExitCode::SUCCESS)
        }
        Command::Worker => done(tvp::process::worker::main().context("worker")),
        Command::Peer(args) => done(
            tvp::costs::peer_main(&tvp::costs::PeerArgs {
                mechanism: args.mechanism,
                size: args.size,
                addr: args.addr,
                cpu: args.cpu,
                die_after: args.die_after,
            })
            .context("peer"),
        ),
        Command::MemoryCell => {
            done(memory::serve_cell().context("memory-cell: lost its pipes to the parent"))
        }
        #[cfg(feature = "mpi")]
        Command::MpiWorker { ranks, job } => {
            done(tvp::backends::mpi::rank::main(ranks, &job).context("mpi-worker"))
        }
        #[cfg(feature = "mpi")]
        Command::MpiExchange { ranks, job } => {
            done(tvp::costs::exchange::mpi::rank_main(ranks, &job).context("mpi-exchange"))
        }
    };
    outcome.unwrap_or_else(|e| {
        eprintln!("error: {e:#}");
        ExitCode::FAILURE
    })
}

/// `tvp clean`: removes what killed runs left, and says what.
fn clean() {
    let removed = tvp::scratch::sweep_all();
    for path in &removed {
        println!("removed {}", path.display());
    }
    let roots: Vec<String> = tvp::scratch::roots()
        .iter()
        .map(|r| r.display().to_string())
        .collect();
    println!(
        "{} left by killed tvp runs in {}",
        match removed.len() {
            0 => "nothing was".to_string(),
            1 => "1 temp dir or file was".to_string(),
            n => format!("{n} temp dirs or files were"),
        },
        roots.join(" and ")
    );
}

/// At the start of a run: removes what killed runs left, saying so.
fn sweep_stale() {
    for path in tvp::scratch::sweep_all() {
        eprintln!("removed {}, left by a tvp that was killed", path.display());
    }
}

/// Writes the report; exits with [`EXIT_NO_RESULTS`] when there were no
/// results to show.
fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let mut options = tvp::report::Options::for_project(std::path::Path::new("."));
    options.out_dir = args.out;
    options.data_dir = args.data_dir;
    options.portable = args.portable;
    options.compare = args.compare;
    if let Some(dir) = args.criterion_dir {
        options.criterion_dir = dir;
    }
    let outcome = tvp::report::generate(&options).context("writing the report")?;
    for note in &outcome.notes {
        eprintln!("note: {note}");
    }
    let front = outcome.pages[0].display();
    if outcome.pages_with_data == 0 {
        eprintln!(
            "no results to report in {}: run `cargo bench` (or `cargo bench -- --quick`) first; \
             {front} says so",
            options.criterion_dir.display()
        );
        return Ok(ExitCode::from(EXIT_NO_RESULTS));
    }
    println!("wrote {front} from {} benchmarks", outcome.benchmarks);
    for page in &outcome.pages[1..] {
        println!("wrote {}", page.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `f` with SIGINT, SIGTERM and the other signals of
/// `tvp::interrupt::HANDLED` stopping it cleanly (see `tvp::interrupt`):
/// success when `f` says every checksum agreed, failure when one did not,
/// 128 + the signal when interrupted.
fn with_interrupts(f: impl FnOnce() -> anyhow::Result<bool>) -> anyhow::Result<ExitCode> {
    sweep_stale();
    let result = tvp::interrupt::install()
        .context("cannot stop cleanly on Ctrl-C")
        .and_then(|()| f());
    // Everything the run made is dropped by now: children reaped, temp dirs
    // removed.
    if let Some(signal) = tvp::interrupt::signal() {
        eprintln!(
            "tvp: interrupted by {}: the workers were stopped and temp files removed",
            tvp::interrupt::signal_name(signal)
        );
        return Ok(ExitCode::from(tvp::interrupt::exit_code(signal)));
    }
    result.map(|ok| {
        if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    })
}

/// Runs the sweep; `Ok(false)` when a checksum disagreed.
fn run(args: RunArgs, confined: Option<&Confined>) -> anyhow::Result<bool> {
    let mut hosts = backends::MpiHosts::from_env()?;
    if let Some(file) = args.hostfile {
        hosts = hosts.with_hostfile(file);
    }
    let config = args
        .deadline
        .config()?
        .with_mpi_hosts(hosts)
        .with_chunks_per_worker(args.chunks_per_worker);
    let cores = tvp::cores();
    let request = RunRequest {
        workloads: args.workload,
        backends: args.backend,
        workers: args.workers,
        io_max_workers: args.max_io_workers,
        size: args.size,
        repeat: usize::try_from(args.repeat)?,
        options: args.options,
    };
    let plan = request.plan(cores)?;
    for (name, reason) in &plan.skipped {
        println!("skipping backend {name}: {reason}");
    }
    if let Some(k) = args.chunks_per_worker {
        for name in plan
            .sweeps
            .first()
            .map(|s| s.backends.as_slice())
            .unwrap_or_default()
        {
            let cuts = backends::create(name, &config)?.chunks_per_worker();
            if cuts != Some(k) {
                println!(
                    "note: {name} ignores --chunks-per-worker {k}: {}",
                    match cuts {
                        Some(own) => format!(
                            "it always runs {}",
                            tvp::report::explain::balance::per_worker(own)
                        ),
                        None => "it does not cut the job by workers".into(),
                    }
                );
            }
        }
    }
    println!(
        "{}; median of {} timed runs per cell{}",
        affinity::describe(confined)?,
        args.repeat,
        if args.no_memory {
            ""
        } else {
            "; peak memory of one more run per cell, in a fresh process"
        }
    );
    let mut all_ok = true;
    for sweep in &plan.sweeps {
        all_ok &= terminal::run_workload(sweep, &config, !args.no_memory, cores)
            .with_context(|| format!("running workload `{}`", sweep.job.workload))?;
    }
    Ok(checksums_agreed(all_ok))
}

/// Says so when a checksum disagreed; returns `all_ok`.
fn checksums_agreed(all_ok: bool) -> bool {
    if !all_ok {
        eprintln!(
            "error: a backend returned a checksum that differs from sequential (marked WRONG)"
        );
    }
    all_ok
}

/// Runs the Python comparison; `Ok(false)` when a checksum disagreed.
fn python(args: PythonArgs) -> anyhow::Result<bool> {
    let quick = args.quick || sweep::quick_requested(std::iter::empty());
    let opts = tvp::python::Options {
        data_dir: args.data_dir,
        ..tvp::python::Options::new(quick)
    };
    let config = Config::from_current_exe()?.with_env_deadline()?;
    let outcome = tvp::python::run_comparison(&opts, &config, |line| eprintln!("{line}"))
        .context("comparing with Python")?;
    match outcome {
        tvp::python::Outcome::Skipped(missing) => {
            eprintln!("{missing}");
            Ok(true)
        }
        tvp::python::Outcome::Done(comparison) => {
            println!("{}", terminal::python_table(&comparison));
            println!(
                "Wrote {} and {}",
                opts.data_dir.join(tvp::python::PYTHON_FILE).display(),
                opts.data_dir.join(tvp::python::COMBINED_FILE).display()
            );
            let ok = comparison.workloads.iter().all(|w| w.checksums_ok);
            if !ok {
                eprintln!("error: a checksum disagreed (marked DISAGREE above)");
            }
            eprintln!("How CPython starts a process, and what pickling costs:");
            if let Some(starts) = tvp::python::starts::run(quick, &opts.data_dir)
                .context("timing Python's start methods")?
            {
                println!("{}", terminal::python_starts_table(&starts));
                println!(
                    "Wrote {}",
                    opts.data_dir.join(tvp::python::starts::FILE).display()
                );
            }
            Ok(ok)
        }
    }
}

/// The core sweep: every backend at each core count, a fixed worker count.
/// `Ok(false)` when a checksum disagreed.
fn cores(args: CoresArgs, confined: Option<&Confined>) -> anyhow::Result<bool> {
    let config = args.deadline.config()?;
    let usable = affinity::usable()?;
    let request = CoresRequest {
        workloads: args.workload,
        backends: args.backend,
        workers: args.workers,
        cores: args.cores,
        size: args.size,
        repeat: usize::try_from(args.repeat)?,
    };
    let sweeps = request.plan(usable.len())?;
    let mut all_ok = true;
    if let Some(first) = sweeps.first() {
        println!(
            "Core sweep on {usable}{}: core counts {:?}; {} workers per backend \
             (sequential: 1); {} workloads x {} cells; median of {} timed runs per cell",
            confined.map_or_else(String::new, |c| format!(" ({})", c.by)),
            first.cores,
            first.workers,
            sweeps.len(),
            first.cell_count(),
            args.repeat
        );
    }
    for sweep in &sweeps {
        all_ok &= terminal::sweep_cores(sweep, &config).with_context(|| {
            format!(
                "sweeping workload `{}` across core counts",
                sweep.job.workload
            )
        })?;
    }
    Ok(checksums_agreed(all_ok))
}
