//! `tvp`: the command line of threads-vs-processes. A thin layer over the
//! library: parse, call, print.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use std::collections::BTreeMap;
use tvp::backends::{self, Config};

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
    /// Backends to compare, comma-separated [default: all]
    #[arg(long, short = 'b', value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(backends::names()))]
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
    /// A workload option KEY=VALUE, set in every job's options (repeatable);
    /// the test-only `fault` workload reads its faults from them.
    #[arg(long = "option", short = 'o', hide = true, value_parser = parse_option)]
    options: Vec<(String, String)>,
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
struct ReportArgs {
    /// Where criterion saved its results [default: $CRITERION_HOME, else
    /// $CARGO_TARGET_DIR/criterion, else target/criterion]
    #[arg(long)]
    criterion_dir: Option<std::path::PathBuf>,
    /// Where to write the report
    #[arg(long, default_value = "reports")]
    out: std::path::PathBuf,
}

/// `tvp report` found no results: it wrote a page saying so.
const EXIT_NO_RESULTS: u8 = 3;

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
    let cli = Cli::parse();
    let result = match cli.command {
        Command::List => {
            list();
            Ok(true)
        }
        Command::Run(args) => {
            let result = tvp::interrupt::install()
                .context("cannot stop cleanly on Ctrl-C")
                .and_then(|()| run(args));
            // Everything the run made is dropped by now: children reaped,
            // temp dirs removed.
            if let Some(signal) = tvp::interrupt::signal() {
                eprintln!(
                    "tvp: interrupted by {}: the workers were stopped and temp files removed",
                    tvp::interrupt::signal_name(signal)
                );
                return ExitCode::from(tvp::interrupt::exit_code(signal));
            }
            result
        }
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
    }
    println!(
        "\nThis machine: {} cores usable; default worker counts {:?}",
        tvp::cores(),
        tvp::default_workers(tvp::cores())
    );
}

/// Runs the sweep; `Ok(false)` when a checksum disagreed.
fn run(args: RunArgs) -> anyhow::Result<bool> {
    let config = Config::from_current_exe()?;
    let cores = tvp::cores();
    let workloads = if args.workload.is_empty() {
        workloads::names().into_iter().map(String::from).collect()
    } else {
        args.workload
    };
    let backends = if args.backend.is_empty() {
        backends::names().into_iter().map(String::from).collect()
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
        "{cores} cores usable; median of {} timed runs per cell{}",
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
            "  {:<11} {:>7} {:>11} {:>12} {:>14} {:>11} {:>9} {:>10}  checksum",
            "backend",
            "workers",
            "median",
            "vs 1 worker",
            "vs sequential",
            "efficiency",
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
        all_ok &= result.cells.iter().all(|m| m.checksum_ok);
    }
    if !all_ok {
        eprintln!(
            "error: a backend returned a checksum that differs from sequential (marked WRONG)"
        );
    }
    Ok(all_ok)
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
    println!(
        "  {:<11} {:>7} {:>11} {:>12} {:>13.2}x {:>10.0}% {peak:>9} {per_worker:>10}  {check}",
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
