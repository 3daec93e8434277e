//! `cargo bench --bench python`: the same workloads in CPython (threads,
//! multiprocessing.Pool, ProcessPoolExecutor) beside Rust at equal sizes.
//!
//! Runs `scripts/python/bench.py` (about a minute; stopped past 180 s), the
//! matching Rust sweep and `scripts/python/lost_update.py` (about 3 s),
//! writes `reports/data/python.json`, `reports/data/python_vs_rust.json` and
//! `reports/data/lost_update.json`, prints the table, and regenerates the
//! report, whose "Rust vs Python" page draws them. Then
//! `scripts/python/starts.py` times CPython's start methods and pickling
//! (`reports/data/python_starts.json`, drawn on the costs page beside
//! Rust's). Without python3 on PATH (or `TVP_PYTHON`) it says so and skips.
//! `cargo bench -- --quick` or `TVP_QUICK=1`: about 15 s.

use std::path::Path;
use std::process::ExitCode;

use tvp::backends::Config;
use tvp::python::{Options, Outcome, run_comparison};
use tvp::report::terminal::{python_starts_table, python_table as table};

fn main() -> ExitCode {
    // Without `--bench` (as under `cargo test --benches`) measure nothing:
    // the checksums are tested in tests/python.rs.
    if !std::env::args().any(|a| a == "--bench") {
        println!("benches/python measures only under `cargo bench`");
        return ExitCode::SUCCESS;
    }
    tvp::interrupt::install_for_bench("python");
    tvp::sweep::budget::print_announcement("python");
    let quick = tvp::sweep::quick_requested(std::env::args());
    let project = Path::new(env!("CARGO_MANIFEST_DIR"));
    let opts = Options {
        data_dir: project.join("reports").join("data"),
        ..Options::new(quick)
    };
    let config = Config::new(env!("CARGO_BIN_EXE_tvp"));
    let outcome = run_comparison(&opts, &config, |line| eprintln!("python: {line}"));
    let ok = match outcome {
        Ok(Outcome::Skipped(missing)) => {
            println!("{missing}");
            return ExitCode::SUCCESS;
        }
        Ok(Outcome::Done(comparison)) => {
            println!("{}", table(&comparison));
            let ok = comparison.workloads.iter().all(|w| w.checksums_ok);
            eprintln!("python: how CPython starts a process, and what pickling costs");
            match tvp::python::starts::run(quick, &opts.data_dir) {
                Ok(Some(starts)) => println!("{}", python_starts_table(&starts)),
                Ok(None) => {}
                Err(e) => eprintln!("python: {e}"),
            }
            ok
        }
        Err(e) => {
            eprintln!("python: {e}");
            false
        }
    };
    if let Some(signal) = tvp::interrupt::signal() {
        return ExitCode::from(tvp::interrupt::exit_code(signal));
    }
    tvp::report::write_after_bench(project, false);
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
