//! Rust vs Python: the same workloads in CPython, measured beside Rust.
//!
//! `scripts/python/bench.py` runs primes, mandelbrot, monte_carlo, latency
//! and tcp in CPython, sequentially, with threads (ThreadPoolExecutor), with
//! processes (multiprocessing.Pool, ProcessPoolExecutor) and, for the two
//! that wait, on an asyncio event loop (beside Rust's `async`). It records
//! the interpreter's version, build and whether it ran without a GIL. CPython is
//! far slower (the report computes the ratio per item), so the script uses smaller sizes; the Rust backends are
//! swept at the scaling bench's sizes ([`crate::sweep::bench_size`]), so
//! each side's CPU-bound sequential run takes 80-220 ms on the 2-core VM, and speedups (not
//! times) are compared. Expect
//! Python threads near 1x on CPU work (the GIL), Python processes near the
//! core count, and the Rust `gil` model to track Python threads.
//!
//! - [`interpreter`]: find `python3` (or `TVP_PYTHON`); run with a time limit.
//! - [`script`]: call the script; `python.json` as typed structs.
//! - [`compare`](mod@compare): the Rust sweep at the scaling bench's sizes; speedup series per workload.
//! - [`lost_update`]: four CPython threads adding 1 to one counter, with and
//!   without a gap between read and write, and under a Lock.
//! - [`starts`]: `scripts/python/starts.py`, CPython's start methods and
//!   pickling, measured beside [`crate::costs::start`] and
//!   [`crate::costs::serialization`].
//!
//! The sentences written from these numbers live with the report's
//! explainers ([`crate::report::explain::python`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::backends::Config;
use crate::error::{Error, Result};

pub mod compare;
pub mod interpreter;
pub mod lost_update;
pub mod script;
pub mod starts;

pub use compare::{Comparison, WorkloadComparison, compare, rust_sweeps};
pub use interpreter::{Missing, find_python};
pub use script::{PythonReport, Script};

/// The script's own results, in [`Options::data_dir`].
pub const PYTHON_FILE: &str = "python.json";
/// The side-by-side results, in [`Options::data_dir`].
pub const COMBINED_FILE: &str = "python_vs_rust.json";

/// The full script took 42 s on the 2-core reference machine with other
/// programs running (load average 4); sizes 30% larger took 120 s at load
/// average 12. Past this it is stopped.
pub const TIME_LIMIT: Duration = Duration::from_secs(180);
/// The quick script took 5-10 s on the 2-core reference machine.
pub const QUICK_TIME_LIMIT: Duration = Duration::from_secs(60);

/// How to run the comparison.
#[derive(Debug, Clone)]
pub struct Options {
    /// Smaller sizes, workers 1 and the core count, fewer timed runs.
    pub quick: bool,
    /// Where `python.json` and `python_vs_rust.json` are written.
    pub data_dir: PathBuf,
    /// The script is stopped past this.
    pub time_limit: Duration,
    /// Timed runs per Rust cell. At the scaling bench's sizes a run takes
    /// 60-200 ms: three keep the Rust sweep near 30 s on 2 cores; quick
    /// mode, a first look, times one.
    pub rust_repeat: usize,
    /// Timed runs per Rust cell of an IO workload, whose runs wait as long
    /// as Python's (about 0.3 s sequentially for latency).
    pub rust_repeat_io: usize,
}

impl Options {
    /// Defaults: `reports/data` under the current directory.
    pub fn new(quick: bool) -> Self {
        Options {
            quick,
            data_dir: PathBuf::from("reports/data"),
            time_limit: if quick { QUICK_TIME_LIMIT } else { TIME_LIMIT },
            rust_repeat: if quick { 1 } else { 3 },
            rust_repeat_io: if quick { 1 } else { 2 },
        }
    }
}

/// How a comparison ended.
#[derive(Debug)]
pub enum Outcome {
    /// No interpreter: the message says so and what to do.
    Skipped(Missing),
    /// Measured, and written to `python_vs_rust.json`.
    Done(Comparison),
}

/// Runs the script and the matching Rust sweep, writes both JSON files in
/// `opts.data_dir`, and returns the comparison. `progress` gets one line per
/// step. Without python3 it returns [`Outcome::Skipped`] and writes nothing;
/// with a `TVP_PYTHON` that is not an interpreter, an error.
pub fn run_comparison(
    opts: &Options,
    config: &Config,
    mut progress: impl FnMut(&str),
) -> Result<Outcome> {
    let mut script = match Script::locate() {
        Ok(script) => script,
        Err(missing) if missing.asked => return Err(missing.into_error()),
        Err(missing) => return Ok(Outcome::Skipped(missing)),
    };
    // Python's `tcp` talks to the same server as Rust's: started here, kept
    // until the script is done, stopped on every path.
    let server = crate::workloads::Job::new("tcp")?.setup()?;
    script.tcp_addr = server
        .job
        .options
        .get(crate::workloads::tcp::OPT_ADDR)
        .cloned();
    std::fs::create_dir_all(&opts.data_dir)
        .map_err(|e| Error::io(format!("creating {}", opts.data_dir.display()), e))?;
    let workers = if opts.quick {
        crate::sweep::quick_workers(crate::cores())
    } else {
        crate::sweep::default_workers(crate::cores())
    };
    progress(&format!(
        "running {} {} (at most {} s)",
        script.python.display(),
        script.script.display(),
        opts.time_limit.as_secs()
    ));
    let python_json = opts.data_dir.join(PYTHON_FILE);
    let report = script.bench(opts.quick, &workers, &python_json, opts.time_limit)?;
    drop(server);
    progress(if opts.quick {
        "sweeping the Rust backends at a quarter of their default sizes (quick)"
    } else {
        "sweeping the Rust backends at the scaling bench's sizes"
    });
    let rust = rust_sweeps(
        &report,
        config,
        (opts.rust_repeat, opts.rust_repeat_io),
        opts.quick,
        |m| {
            progress(&format!(
                "  {:<12} {:<8} {:>3} workers {:>9.2} ms",
                m.workload,
                m.backend,
                m.workers,
                m.median.as_secs_f64() * 1e3
            ));
        },
    )?;
    let comparison = compare(&report, &rust);
    crate::sweep::write_json(&opts.data_dir.join(COMBINED_FILE), &comparison)?;
    progress(&format!(
        "the lost update: four threads add 1 to one counter ({})",
        lost_update::SCRIPT
    ));
    let out = opts.data_dir.join(lost_update::FILE);
    if let Err(e) = lost_update::run(&script.python, opts.quick, &out) {
        // The comparison stands without it; the page says what is missing.
        progress(&format!("the lost update was not measured: {e}"));
    }
    Ok(Outcome::Done(comparison))
}

/// Reads a `python_vs_rust.json`, as the report does.
pub fn load_comparison(path: &Path) -> Result<Comparison> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    let c: Comparison = serde_json::from_str(&text).map_err(|e| {
        Error::Python(format!(
            "{} is not a comparison of this version ({e}): rerun `tvp python`",
            path.display()
        ))
    })?;
    if c.schema != compare::SCHEMA {
        return Err(Error::Python(format!(
            "{} has schema {}, not {}: rerun `tvp python`",
            path.display(),
            c.schema,
            compare::SCHEMA
        )));
    }
    Ok(c)
}

/// Runs `python -u SCRIPT --out OUT` (with `--quick` when asked), SCRIPT
/// relative to this package's root, stopped past `limit`; returns how it
/// ended. A missing script is an error that says where to run from.
pub(crate) fn run_data_script(
    python: &Path,
    script: &str,
    quick: bool,
    out: &Path,
    limit: Duration,
) -> Result<std::process::ExitStatus> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(script);
    if !path.is_file() {
        return Err(Error::Python(format!(
            "the script {} is missing: run from a checkout of threads-vs-processes",
            path.display()
        )));
    }
    let mut cmd = std::process::Command::new(python);
    cmd.arg("-u").arg(&path).arg("--out").arg(out);
    if quick {
        cmd.arg("--quick");
    }
    Ok(interpreter::run_with_limit(cmd, limit, "try a quieter machine")?.status)
}

/// Parses a JSON file that carries a `schema` number: `what` names the file
/// in errors, `rerun` says how to make one of this version.
pub(crate) fn parse_versioned<T: serde::de::DeserializeOwned>(
    text: &str,
    schema: u32,
    what: &str,
    rerun: &str,
) -> std::result::Result<T, String> {
    #[derive(serde::Deserialize)]
    struct Version {
        schema: u32,
    }
    let version: Version =
        serde_json::from_str(text).map_err(|e| format!("not a {what} file ({e}): {rerun}"))?;
    if version.schema != schema {
        return Err(format!(
            "schema {} where {schema} was expected: {rerun}",
            version.schema
        ));
    }
    serde_json::from_str(text).map_err(|e| format!("does not match schema {schema}: {e}"))
}
