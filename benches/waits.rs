//! `cargo bench --bench waits`: many waits. `latency` at 1, 10, 100, 1,000
//! and 10,000 concurrent waits on `async`, `async-mt`, `threads` (Rust's
//! default stack and a 64 KiB one), `process` and `pool`, each line stopped
//! where the machine's limits or a time cap say (the reason is kept); then
//! the memory per wait from the kernel's view (PSS, USS, stacks) at 1, 100
//! and each line's last point, each in a fresh process. Writes
//! `reports/data/waits.json` (`tvp::sweep::waits::WaitsReport`) and
//! rebuilds the report, whose "Many waits" page and lesson draw it.
//!
//! It times runs itself instead of through criterion: a run at 10,000
//! threads takes about a second, and criterion's least ten samples would
//! not fit the bench's budget of a minute. The median of up to five runs
//! after a warm-up, fewer when a run is slow. `cargo bench --bench waits --
//! --quick` (or `TVP_QUICK=1`): 1, 100 and 10,000 waits, a shorter time cap,
//! a few seconds.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use tvp::backends::Config;
use tvp::sweep::waits::{self, Plan};

fn main() -> ExitCode {
    // Without `--bench` (as under `cargo test --benches`) measure nothing:
    // tests/waits.rs runs a tiny sweep.
    if !std::env::args().any(|a| a == "--bench") {
        println!("benches/waits measures only under `cargo bench`");
        return ExitCode::SUCCESS;
    }
    tvp::interrupt::install_for_bench("waits");
    tvp::sweep::budget::print_announcement("waits");
    let quick = tvp::sweep::quick_requested(std::env::args());
    let plan = Plan::new(quick);
    eprintln!(
        "waits bench plan{}: {} lines x {} concurrent waits {:?} ({} waits of {} ms each), \
         each line stopping at a limit or where a run would pass {:.1} s; then memory at 1, \
         100 and each line's last point",
        if quick { " (quick)" } else { "" },
        plan.variants.len(),
        plan.concurrency.len(),
        plan.concurrency,
        plan.waits_per_task,
        tvp::workloads::latency::LATENCY_MS,
        plan.time_cap.as_secs_f64()
    );
    let config = Config::new(env!("CARGO_BIN_EXE_tvp"));
    let start = Instant::now();
    let mut cell = 0;
    let report = waits::run(&plan, &config, |line| {
        cell += 1;
        eprintln!("waits bench [{cell}] {line} at {:.1?}", start.elapsed());
    });
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            eprintln!("waits bench: {e}");
            return match tvp::interrupt::signal() {
                Some(signal) => ExitCode::from(tvp::interrupt::exit_code(signal)),
                None => ExitCode::FAILURE,
            };
        }
    };
    let project = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = project.join("reports").join(waits::FILE);
    if let Err(e) = report.write(&path) {
        eprintln!("waits bench: {e}");
        return ExitCode::FAILURE;
    }
    eprintln!(
        "waits bench done in {:.1?}: wrote {}",
        start.elapsed(),
        path.display()
    );
    tvp::report::write_after_bench(project, false);
    if report.times.iter().all(|c| c.checksum_ok) {
        ExitCode::SUCCESS
    } else {
        eprintln!("waits bench: a checksum disagreed");
        ExitCode::FAILURE
    }
}
