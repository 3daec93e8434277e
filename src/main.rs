//! `tvp`: the command line of threads-vs-processes. A thin layer over the
//! library: parse, call, print.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use tvp::backends::{self, Config};
use tvp::run::{Measurement, Sweep, SweepResult, run_sweep};
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
    /// The child side of the process backends: reads tasks on stdin, one JSON
    /// line each, and answers on stdout. Exits at end of input.
    #[command(hide = true)]
    Worker,
    /// The process side of the cost benchmarks (benches/costs.rs): answers
    /// over stdin/stdout, a socket or shared memory. Exits at end of input or
    /// when its parent dies.
    #[command(hide = true)]
    Peer(PeerArgs),
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
    #[arg(long, short = 'w', value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(workloads::names()))]
    workload: Vec<String>,
    /// Backends to compare, comma-separated [default: all]
    #[arg(long, short = 'b', value_delimiter = ',', value_parser = clap::builder::PossibleValuesParser::new(backends::names()))]
    backend: Vec<String>,
    /// Worker counts, comma-separated [default: 1, 2, 4, ... up to twice the
    /// cores, plus the core count]
    #[arg(long, short = 'n', value_delimiter = ',', value_parser = parse_workers)]
    workers: Vec<usize>,
    /// Items per workload [default: each workload's own, about 100-300 ms
    /// sequentially]
    #[arg(long, short = 's', value_parser = clap::value_parser!(u64).range(1..))]
    size: Option<u64>,
    /// Timed runs per cell; the median is shown
    #[arg(long, short = 'r', default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=1000))]
    repeat: u64,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::List => {
            list();
            Ok(true)
        }
        Command::Run(args) => run(args),
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
    let mut workers = if args.workers.is_empty() {
        tvp::default_workers(cores)
    } else {
        args.workers
    };
    workers.sort_unstable();
    workers.dedup();
    println!(
        "{cores} cores usable; workers {workers:?}; median of {} timed runs per cell",
        args.repeat
    );
    let mut all_ok = true;
    for name in &workloads {
        let mut job = Job::new(name)?;
        if let Some(size) = args.size {
            job = job.with_size(size);
        }
        let sweep = Sweep {
            job,
            backends: backends.clone(),
            workers: workers.clone(),
            repeat: usize::try_from(args.repeat)?,
        };
        let kind = workloads::entry(name)?.kind;
        println!("\n{name} ({kind}), size {}:", sweep.job.size);
        println!(
            "  {:<11} {:>7} {:>11} {:>12} {:>14} {:>11}  checksum",
            "backend", "workers", "median", "vs 1 worker", "vs sequential", "efficiency"
        );
        let result = run_sweep(&sweep, &config, |_| {})
            .with_context(|| format!("running workload `{name}`"))?;
        print_rows(&result);
        all_ok &= result.cells.iter().all(|m| m.checksum_ok);
    }
    if !all_ok {
        eprintln!(
            "error: a backend returned a checksum that differs from sequential (marked WRONG)"
        );
    }
    Ok(all_ok)
}

fn print_rows(result: &SweepResult) {
    println!(
        "  (sequential reference: {}, checksum {})",
        millis(result.sequential),
        result.expected_checksum
    );
    for m in &result.cells {
        print_row(result, m);
    }
}

fn print_row(result: &SweepResult, m: &Measurement) {
    let vs_seq = result.speedup_vs_sequential(m);
    let vs_one = result
        .speedup_vs_one_worker(m)
        .map_or_else(|| "-".to_string(), |s| format!("{s:.2}x"));
    let check = if m.checksum_ok {
        "ok".to_string()
    } else {
        format!("WRONG ({} != {})", m.checksum, result.expected_checksum)
    };
    println!(
        "  {:<11} {:>7} {:>11} {:>12} {:>13.2}x {:>10.0}%  {check}",
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
