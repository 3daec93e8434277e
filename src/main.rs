//! `tvp`: the command line of threads-vs-processes. A thin layer over the
//! library: parse, call, print.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use std::collections::BTreeMap;

use tvp::affinity::{self, Confined};
use tvp::backends::{self, Config};
use tvp::core_sweep::{self, CoreSweep, CoreSweepResult, run_core_sweep};
use tvp::memory::{self, CellMemory};
use tvp::run::{Measurement, Sweep, SweepResult, run_sweep_with};
use tvp::sweep;
use tvp::workloads::{self, Job};

/// The most workers a run may ask for. Each worker is a thread or a whole
/// process; past this, a typo would exhaust the machine's process and memory
/// limits before it taught anything new.
const MAX_WORKERS: usize = 1024;

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
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Workloads to run, comma-separated [default: all]
    #[arg(long, short = 'w', value_delimiter = ',', value_parser = workload_names())]
    workload: Vec<String>,
    /// Backends to compare, comma-separated (see `tvp list`) [default: all
    /// that can run here]
    #[arg(long, short = 'b', value_delimiter = ',', value_parser = parse_backend)]
    backend: Vec<String>,
    /// Worker counts, comma-separated [default: 1, 2, 4, ... up to twice the
    /// cores, plus the core count; for IO workloads 1, 2, 4, ... up to
    /// --max-io-workers]
    #[arg(long, short = 'n', value_delimiter = ',', allow_negative_numbers = true, value_parser = parse_workers)]
    workers: Vec<usize>,
    /// Largest worker count for IO workloads, which keep scaling past the
    /// cores [default: $TVP_IO_MAX_WORKERS, else 64]
    #[arg(long, value_parser = parse_io_max)]
    max_io_workers: Option<usize>,
    /// Skip the memory columns (each cell is run once more, in a fresh
    /// process, to measure its peak memory)
    #[arg(long)]
    no_memory: bool,
    /// Items per workload [default: each workload's own, about 100-300 ms
    /// sequentially]
    #[arg(long, short = 's', allow_negative_numbers = true, value_parser = parse_size)]
    size: Option<u64>,
    /// Timed runs per cell; the median is shown
    #[arg(long, short = 'r', default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=1000))]
    repeat: u64,
    /// Confine the whole run, worker threads and child processes included,
    /// to this many cores [default: $TVP_CORES, else all usable cores]
    #[arg(long, short = 'c', value_parser = affinity::parse_cores)]
    cores: Option<usize>,
    /// A workload option KEY=VALUE, set in every job's options (repeatable);
    /// the test-only `fault` workload reads its faults from them.
    #[arg(long = "option", short = 'o', hide = true, value_parser = parse_option)]
    options: Vec<(String, String)>,
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
    #[arg(long, short = 'n', allow_negative_numbers = true, value_parser = parse_workers)]
    workers: Option<usize>,
    /// Core counts, comma-separated [default: 1, 2, ... the usable cores;
    /// past 8, 1, 2, 4, ... and the usable count]
    #[arg(long, short = 'c', value_delimiter = ',', value_parser = affinity::parse_cores)]
    cores: Vec<usize>,
    /// Items per workload [default: each workload's own]
    #[arg(long, short = 's', allow_negative_numbers = true, value_parser = parse_size)]
    size: Option<u64>,
    /// Timed runs per cell; the median is shown
    #[arg(long, short = 'r', default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=1000))]
    repeat: u64,
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

fn parse_option(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

fn parse_size(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("size must be at least 1 item: an empty job measures nothing".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "`{text}` is not a whole number of items from 1 to {}",
            u64::MAX
        )),
    }
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
}

/// `tvp report` found no results: it wrote a page saying so.
const EXIT_NO_RESULTS: u8 = 3;

/// `println!` panics when stdout is gone: `tvp list | head` closed the
/// pipe, or `> /dev/full` has no room. Say that in one line (nothing for a
/// closed pipe, as Unix tools do) instead of a panic message and backtrace;
/// the panic still unwinds, so workers and temp files are cleaned up.
fn quiet_output_errors() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = (payload.downcast_ref::<String>().map(String::as_str))
            .or_else(|| payload.downcast_ref::<&str>().copied());
        match message {
            Some(m) if m.starts_with("failed printing to stdout") => {
                if !m.contains("Broken pipe") {
                    eprintln!("error: could not write the output: {m}");
                }
            }
            _ => default(info),
        }
    }));
}

/// A backend name; one built only with a Cargo feature says how to rebuild.
fn parse_backend(text: &str) -> Result<String, String> {
    match backends::entry(text.trim()) {
        Ok(entry) => Ok(entry.name.to_string()),
        Err(e @ tvp::Error::UnknownBackend(_)) => Err(format!(
            "{e} [possible values: {}]",
            backends::names().join(", ")
        )),
        Err(e) => Err(e.to_string()),
    }
}

fn parse_workers(text: &str) -> Result<usize, String> {
    let n: usize = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number of workers"))?;
    match n {
        0 => Err("workers must be at least 1".into()),
        n if n > MAX_WORKERS => Err(format!(
            "{n} workers is above the cap of {MAX_WORKERS}: each worker is a thread or a whole \
             process, and that many would exhaust the machine before teaching anything new"
        )),
        n => Ok(n),
    }
}

fn parse_io_max(text: &str) -> Result<usize, String> {
    sweep::parse_io_max_workers(text).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    quiet_output_errors();
    let cli = Cli::parse();
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
    let result = match cli.command {
        Command::List => {
            list();
            Ok(true)
        }
        Command::Run(args) => match with_interrupts(|| run(args, confined.as_ref())) {
            Interrupted::No(result) => result,
            Interrupted::By(code) => return code,
        },
        Command::Cores(args) => match with_interrupts(|| cores(args, confined.as_ref())) {
            Interrupted::No(result) => result,
            Interrupted::By(code) => return code,
        },
        Command::Python(args) => match with_interrupts(|| python(args)) {
            Interrupted::No(result) => result,
            Interrupted::By(code) => return code,
        },
        Command::Report(args) => match report(args) {
            Ok(true) => Ok(true),
            Ok(false) => return ExitCode::from(EXIT_NO_RESULTS),
            Err(e) => Err(e),
        },
        Command::Worker => tvp::worker::main()
            .map(|()| true)
            .context("worker: lost its pipes to the parent"),
        Command::Peer(args) => tvp::costs::peer_main(&tvp::costs::PeerArgs {
            mechanism: args.mechanism,
            size: args.size,
            addr: args.addr,
            cpu: args.cpu,
        })
        .map(|()| true)
        .context("peer"),
        Command::MemoryCell => memory::serve_cell()
            .map(|()| true)
            .context("memory-cell: lost its pipes to the parent"),
        #[cfg(feature = "mpi")]
        Command::MpiWorker { ranks, job } => tvp::mpi_worker::main(ranks, &job)
            .map(|()| true)
            .context("mpi-worker"),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Writes the report; `Ok(false)` when there were no results to show.
fn report(args: ReportArgs) -> anyhow::Result<bool> {
    let mut options = tvp::report::Options::for_project(std::path::Path::new("."));
    options.out_dir = args.out;
    options.data_dir = args.data_dir;
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
        return Ok(false);
    }
    println!("wrote {front} from {} benchmarks", outcome.benchmarks);
    for page in &outcome.pages[1..] {
        println!("wrote {}", page.display());
    }
    Ok(true)
}

fn list() {
    println!("Workloads (tvp run --workload NAME):");
    for w in workloads::REGISTRY {
        println!("  {:<12} {:<7} {}", w.name, w.kind.to_string(), w.teaches);
    }
    println!("\nBackends (tvp run --backend NAME):");
    for b in backends::REGISTRY {
        println!("  {:<12} {}", b.name, b.teaches);
        println!("  {:<12} Python: {}", "", b.python);
        if let Some(reason) = backends::unavailable(b.name) {
            println!("  {:<12} cannot run here: {reason}", "");
        }
    }
    for g in backends::not_built() {
        println!(
            "  {:<12} not built in: rebuild with `--features {}` ({})",
            g.name, g.feature, g.needs
        );
    }
    println!(
        "\nThis machine: {} cores usable; default worker counts {:?}",
        tvp::cores(),
        tvp::default_workers(tvp::cores())
    );
}

/// How a run that handles SIGINT/SIGTERM ended.
enum Interrupted {
    No(anyhow::Result<bool>),
    /// By a signal: exit with this code.
    By(ExitCode),
}

/// Runs `f` with SIGINT/SIGTERM stopping it cleanly (see `tvp::interrupt`).
fn with_interrupts(f: impl FnOnce() -> anyhow::Result<bool>) -> Interrupted {
    let result = tvp::interrupt::install()
        .context("cannot stop cleanly on Ctrl-C")
        .and_then(|()| f());
    // Everything the run made is dropped by now: children reaped, temp dirs
    // removed.
    match tvp::interrupt::signal() {
        Some(signal) => {
            eprintln!(
                "tvp: interrupted by {}: the workers were stopped and temp files removed",
                tvp::interrupt::signal_name(signal)
            );
            Interrupted::By(ExitCode::from(tvp::interrupt::exit_code(signal)))
        }
        None => Interrupted::No(result),
    }
}

/// `names`, or every name when empty.
fn or_all(names: Vec<String>, all: Vec<&str>) -> Vec<String> {
    if names.is_empty() {
        all.into_iter().map(String::from).collect()
    } else {
        names
    }
}

/// Runs the sweep; `Ok(false)` when a checksum disagreed.
fn run(args: RunArgs, confined: Option<&Confined>) -> anyhow::Result<bool> {
    let config = Config::from_current_exe()?;
    let cores = tvp::cores();
    let workloads = or_all(args.workload, workloads::names());
    let backends = if args.backend.is_empty() {
        let mut names = Vec::new();
        for name in backends::names() {
            match backends::unavailable(name) {
                None => names.push(name.to_string()),
                Some(reason) => println!("skipping backend {name}: {reason}"),
            }
        }
        names
    } else {
        args.backend
    };
    let mut chosen_workers = args.workers;
    chosen_workers.sort_unstable();
    chosen_workers.dedup();
    let io_max = match args.max_io_workers {
        Some(max) => max,
        None => sweep::io_max_workers_from_env()?,
    };
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
    for name in &workloads {
        let mut job = Job::new(name)?;
        if let Some(size) = args.size {
            job = job.with_size(size);
        }
        job.options.extend(args.options.iter().cloned());
        let kind = workloads::entry(name)?.kind;
        let workers = if chosen_workers.is_empty() {
            sweep::workers_for_max(kind, cores, io_max)
        } else {
            chosen_workers.clone()
        };
        let sweep = Sweep {
            job,
            backends: backends.clone(),
            workers,
            repeat: usize::try_from(args.repeat)?,
        };
        println!(
            "\n{name} ({kind}), size {}, workers {:?}:",
            sweep.job.size, sweep.workers
        );
        println!(
            "  {:<11} {:>7} {:>11} {:>12} {:>14} {:>11} {:>9} {:>9} {:>10}  checksum",
            "backend",
            "workers",
            "median",
            "vs 1 worker",
            "vs sequential",
            "efficiency",
            "launch",
            "peak MB",
            "MB/worker"
        );
        let mut memory = BTreeMap::new();
        let result = run_sweep_with(&sweep, &config, |job, m| {
            if !args.no_memory {
                let cell = memory::measure_cell(&config, job, &m.backend, m.workers)?;
                memory.insert((m.backend.clone(), m.workers), cell);
            }
            Ok(())
        })
        .with_context(|| format!("running workload `{name}`"))?;
        print_rows(&result, &memory);
        if let Some(text) = tvp::mpi_report::explain_mpi(&result, cores) {
            let options = textwrap::Options::new(78)
                .initial_indent("  ")
                .subsequent_indent("  ");
            println!("\n{}", textwrap::fill(&text, options));
        }
        all_ok &= result.cells.iter().all(|m| m.checksum_ok);
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
    let config = Config::from_current_exe()?;
    let outcome = tvp::python::run_comparison(&opts, &config, |line| eprintln!("{line}"))
        .context("comparing with Python")?;
    match outcome {
        tvp::python::Outcome::Skipped(missing) => {
            eprintln!("{missing}");
            Ok(true)
        }
        tvp::python::Outcome::Done(comparison) => {
            println!("{}", tvp::python::table(&comparison));
            println!(
                "Wrote {} and {}",
                opts.data_dir.join(tvp::python::PYTHON_FILE).display(),
                opts.data_dir.join(tvp::python::COMBINED_FILE).display()
            );
            let ok = comparison.workloads.iter().all(|w| w.checksums_ok);
            if !ok {
                eprintln!("error: a checksum disagreed (marked DISAGREE above)");
            }
            Ok(ok)
        }
    }
}

/// Peak memory per (backend, workers) cell.
type MemoryCells = BTreeMap<(String, usize), CellMemory>;

fn print_rows(result: &SweepResult, memory: &MemoryCells) {
    println!(
        "  (sequential reference: {}, checksum {})",
        millis(result.sequential),
        result.expected_checksum
    );
    for m in &result.cells {
        print_row(result, m, memory);
    }
}

fn print_row(result: &SweepResult, m: &Measurement, memory: &MemoryCells) {
    let vs_seq = result.speedup_vs_sequential(m);
    let vs_one = result
        .speedup_vs_one_worker(m)
        .map_or_else(|| "-".to_string(), |s| format!("{s:.2}x"));
    let check = if m.checksum_ok {
        "ok".to_string()
    } else {
        format!("WRONG ({} != {})", m.checksum, result.expected_checksum)
    };
    let cell = memory.get(&(m.backend.clone(), m.workers));
    let peak = cell.map_or_else(|| "-".to_string(), |c| format!("{:.1}", c.peak_mb()));
    let per_worker = cell
        .zip(memory.get(&(m.backend.clone(), 1)))
        .and_then(|(cell, one)| memory::mb_per_worker(one, cell))
        .map_or_else(|| "-".to_string(), |mb| format!("{mb:.3}"));
    // Only backends that measure it (mpi) have a launch cost apart.
    let launch = m.launch.map_or_else(|| "-".to_string(), millis);
    println!(
        "  {:<11} {:>7} {:>11} {:>12} {:>13.2}x {:>10.0}% {launch:>9} {peak:>9} {per_worker:>10}  {check}",
        m.backend,
        m.workers,
        millis(m.median),
        vs_one,
        vs_seq,
        100.0 * vs_seq / m.workers as f64,
    );
}

fn millis(d: std::time::Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// The core sweep: every backend at each core count, a fixed worker count.
/// `Ok(false)` when a checksum disagreed.
fn cores(args: CoresArgs, confined: Option<&Confined>) -> anyhow::Result<bool> {
    let config = Config::from_current_exe()?;
    let usable = affinity::usable()?;
    let workloads = if args.workload.is_empty() {
        core_sweep::DEFAULT_WORKLOADS
            .iter()
            .map(|w| (*w).to_string())
            .collect()
    } else {
        args.workload
    };
    let backends = or_all(args.backend, backends::swept());
    let workers = args
        .workers
        .unwrap_or_else(|| core_sweep::default_workers(usable.len()));
    let mut counts = if args.cores.is_empty() {
        core_sweep::core_counts(usable.len())
    } else {
        args.cores
    };
    counts.sort_unstable();
    counts.dedup();
    let mut all_ok = true;
    for (i, name) in workloads.iter().enumerate() {
        let mut job = Job::new(name)?;
        if let Some(size) = args.size {
            job = job.with_size(size);
        }
        let sweep = CoreSweep {
            job,
            backends: backends.clone(),
            workers,
            cores: counts.clone(),
            repeat: usize::try_from(args.repeat)?,
        };
        if i == 0 {
            println!(
                "Core sweep on {usable}{}: core counts {counts:?}; {workers} workers per backend \
                 (sequential: 1); {} workloads x {} cells; median of {} timed runs per cell",
                confined.map_or_else(String::new, |c| format!(" ({})", c.by)),
                workloads.len(),
                sweep.cell_count(),
                args.repeat
            );
        }
        let kind = workloads::entry(name)?.kind;
        println!("\n{name} ({kind}), size {}:", sweep.job.size);
        let total = sweep.cell_count();
        let mut done = 0;
        let result = run_core_sweep(&sweep, &config, |cell| {
            done += 1;
            eprintln!(
                "  [{done}/{total}] {} on {}: {}",
                cell.backend,
                cell.cpus,
                millis(cell.median)
            );
        })
        .with_context(|| format!("sweeping workload `{name}` across core counts"))?;
        print_core_table(&result, &counts);
        all_ok &= result.cells.iter().all(|c| c.checksum_ok);
    }
    Ok(checksums_agreed(all_ok))
}

fn print_core_table(result: &CoreSweepResult, counts: &[usize]) {
    let most = counts.last().copied().unwrap_or(1);
    print!("  {:<11} {:>7}", "backend", "workers");
    for &k in counts {
        print!(" {:>11}", affinity::count_cores(k));
    }
    println!(" {:>12}  checksum", format!("1->{most} cores"));
    let lines = result.lines();
    for line in &lines {
        print!("  {:<11} {:>7}", line.backend, line.workers);
        for &k in counts {
            let cell = result.cell(&line.backend, k);
            print!(
                " {:>11}",
                cell.map_or_else(|| "-".into(), |c| millis(c.median))
            );
        }
        let speedup = line
            .speedup(most)
            .map_or_else(|| "-".to_string(), |s| format!("{s:.2}x"));
        let wrong: Vec<String> = result
            .cells
            .iter()
            .filter(|c| c.backend == line.backend && !c.checksum_ok)
            .map(|c| {
                format!(
                    "WRONG at {} ({})",
                    affinity::count_cores(c.cores),
                    c.checksum
                )
            })
            .collect();
        let check = if wrong.is_empty() {
            "ok".to_string()
        } else {
            wrong.join(", ")
        };
        println!(" {speedup:>12}  {check}");
    }
    let panel = core_sweep::explain::one_core_panel(&lines);
    if !panel.is_empty() {
        println!("  One core:");
        for sentence in panel {
            println!("  - {sentence}");
        }
    }
    let summary = core_sweep::explain::chart_summary(&lines);
    if !summary.is_empty() {
        println!("  Across cores:");
        for sentence in summary {
            println!("  - {sentence}");
        }
    }
}
