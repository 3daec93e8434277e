//! `cargo bench --bench balance`: load balancing. Speedup at the core count
//! against chunks per worker (1, 4, 16, 64, 256) for `threads` (dynamic past
//! one chunk per worker), `rayon` and `pool`, plus `process` (one static
//! chunk per child), on primes, mandelbrot and monte_carlo, with every
//! worker's busy time. See `tvp::sweep::balance`.
//!
//! Not criterion: each cell is the median of 5 runs after one warm-up
//! (`time_backend`), at smaller sizes than the scaling bench's
//! (`tvp::sweep::balance::bench_size`), so the 48 cells fit the bench's
//! budget of 30 s on 2 cores.
//! `cargo bench --bench balance -- --quick` (or `TVP_QUICK=1`): a quarter of
//! those sizes, 1, 8 and 64 chunks per worker, 3 runs per cell: a few
//! seconds. Writes `reports/data/balance.json`, then rebuilds the report,
//! whose "Load balancing" page draws it.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use tvp::backends::Config;
use tvp::report::explain::balance::per_worker;
use tvp::sweep::balance::{self, BalancePlan};
use tvp::workloads;

fn main() -> ExitCode {
    // Without `--bench` (as under `cargo test --benches`) measure nothing:
    // the agreement of every chunking is tested in tests/agreement.rs.
    if !std::env::args().any(|a| a == "--bench") {
        println!("benches/balance measures only under `cargo bench`");
        return ExitCode::SUCCESS;
    }
    // `TVP_CORES=K` confines the whole bench first, threads and children
    // included.
    let confined = match tvp::sweep::affinity::confine_from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    tvp::interrupt::install_for_bench("balance");
    tvp::sweep::budget::print_announcement("balance");
    let quick = tvp::sweep::quick_requested(std::env::args());
    let project = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = Config::new(env!("CARGO_BIN_EXE_tvp"));
    let cores = tvp::cores();
    let plan = match BalancePlan::new(quick, cores) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("balance: {e}");
            return ExitCode::FAILURE;
        }
    };
    let sequential: Vec<Duration> = plan
        .jobs
        .iter()
        .map(|job| {
            let start = Instant::now();
            let _ = workloads::run_sequential(job);
            start.elapsed()
        })
        .collect();
    println!(
        "balance: {} workloads x ({} backends x chunks per worker {:?} + process at 1) = {} \
         cells at {} workers, median of {} runs each, about {:.0} s{}{}",
        plan.jobs.len(),
        balance::BACKENDS.len(),
        plan.chunks,
        plan.cell_count(),
        plan.workers,
        plan.repeat,
        plan.estimate(&sequential).as_secs_f64(),
        if quick { ", quick mode" } else { "" },
        confined.map_or_else(String::new, |c| format!(" ({c})")),
    );
    let started = Instant::now();
    let outcome = balance::run(&plan, &config, |p| {
        let busy = p.cell.busy_range().map_or_else(String::new, |r| {
            format!(", busy {}", tvp::report::terminal::busy_column(r))
        });
        println!(
            "[{}/{}] {}: {} at {} ({} chunks): {:.1} ms, {:.2}x{busy}",
            p.done,
            p.total,
            p.workload,
            p.cell.backend,
            per_worker(p.cell.chunks_per_worker),
            p.cell.chunks,
            p.cell.median_s * 1e3,
            p.cell.speedup(p.sequential_s),
        );
    });
    if let Some(signal) = tvp::interrupt::signal() {
        return ExitCode::from(tvp::interrupt::exit_code(signal));
    }
    let run = match outcome {
        Ok(run) => run,
        Err(e) => {
            eprintln!("balance: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "balance: measured in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let path = project.join("reports").join("data").join(balance::FILE);
    if let Err(e) = balance::write(&path, &run) {
        eprintln!("balance: {e}");
        return ExitCode::FAILURE;
    }
    println!("balance: wrote {}", path.display());
    tvp::report::write_after_bench(project, false);
    ExitCode::SUCCESS
}
