//! The core sweep under criterion: a fixed worker count (twice the usable
//! cores), every backend at 1, 2, ... N cores.
//!
//! Group `cores-<workload>`, id `<backend>/<cores>`. Each core count
//! confines this thread before the backend is created and prepared, so the
//! backend's threads and `tvp worker` children inherit the mask, and
//! restores it afterwards (see `tvp::sweep::cores::confined`).
//!
//! Budget: about 35 s at default settings on a 2-core machine (24
//! benchmarks of 0.2 s warm-up and 0.7 s measurement, plus analysis).
//! `cargo bench --bench cores -- --quick` or `TVP_QUICK=1` trims it to about
//! 20 seconds: smaller jobs, shorter measurement, 1 and N cores only.
//! `TVP_CORES=K` confines the whole bench first, so the sweep runs 1..K.

use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode};
use tvp::backends::{self, Config};
use tvp::report::criterion::{RunInfo, default_dir};
use tvp::sweep::affinity;
use tvp::sweep::cores::{self, confined};
use tvp::workloads::{self, Job};

/// Items per workload here: tens of milliseconds per sequential run, so ten
/// samples fit in the measurement time while spawning 4 children (about
/// 6 ms) stays a small part of a run. At 600,000 and 4,000,000 items the
/// runs took 26 and 10 ms on the 2-core reference machine, and monte_carlo's
/// speedups were mostly spawn and noise; at these sizes, 69 and 40 ms (the
/// whole bench: 75 s).
fn bench_size(workload: &str) -> Option<u64> {
    match workload {
        "primes" => Some(1_200_000),
        "monte_carlo" => Some(16_000_000),
        _ => None,
    }
}

fn main() {
    let by_env = affinity::confine_from_env().unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    // After confining: the handler runs on a thread of its own.
    tvp::interrupt::install_for_bench("cores");
    tvp::sweep::budget::print_announcement("cores");
    let args: Vec<String> = std::env::args().collect();
    let quick = tvp::sweep::quick_requested(args.iter().cloned());
    // Without `--bench` (as under `cargo test --benches`) criterion runs each
    // benchmark once as a test and saves nothing: leave the report alone.
    let measuring = args.iter().any(|a| a == "--bench");
    let project = Path::new(env!("CARGO_MANIFEST_DIR"));
    let usable = affinity::usable().expect("read this process's CPU mask");
    let mut counts = cores::core_counts(usable.len());
    if quick {
        counts.retain(|&k| k == 1 || k == usable.len());
    }
    let workers = cores::default_workers(usable.len());
    let names = backends::swept();
    let config = Config::new(env!("CARGO_BIN_EXE_tvp"));
    // In quick mode criterion stops a benchmark once its estimate settles,
    // after at least 100 ms, and `measure` is the most it may take.
    let (warm_up, measure) = if quick {
        (Duration::from_millis(100), Duration::from_millis(200))
    } else {
        (Duration::from_millis(200), Duration::from_millis(700))
    };
    // criterion's per-benchmark plots cost more than the measuring here
    // (about 10 s each on the busy 2-core machine, 1 s without them); the
    // report draws the cores charts from criterion's saved estimates.
    let mut c = Criterion::default()
        .without_plots()
        .sample_size(10)
        // As in the other benches: ten thousand bootstrap resamples are
        // plenty for ten samples and cost a tenth of criterion's default.
        .nresamples(10_000)
        .warm_up_time(warm_up)
        .measurement_time(measure)
        .configure_from_args();

    let total = cores::DEFAULT_WORKLOADS.len() * counts.len() * names.len();
    eprintln!(
        "cores bench{}, {}: workloads {:?} x core counts {counts:?} x backends {names:?} \
         = {total} benchmarks; {workers} workers each (sequential: 1)",
        if quick { " (quick)" } else { "" },
        affinity::describe(by_env.as_ref()).expect("read this process's CPU mask"),
        cores::DEFAULT_WORKLOADS,
    );
    let mut done = 0;
    for &workload in cores::DEFAULT_WORKLOADS {
        let mut job = Job::new(workload).expect("a registered workload");
        if let Some(size) = bench_size(workload) {
            job = job.with_size(tvp::sweep::size_for(size, quick));
        }
        let fixture = job.setup().expect("set up the workload");
        let job = &fixture.job;
        let expected = workloads::run_sequential(job).expect("run the sequential reference");
        let group_name = tvp::report::Cores::group(workload);
        let mut group = c.benchmark_group(&group_name);
        let mut ids = Vec::new();
        group.sampling_mode(SamplingMode::Flat);
        for &k in &counts {
            confined(k, |cpus| {
                for &name in &names {
                    done += 1;
                    let n = if name == "sequential" { 1 } else { workers };
                    eprintln!("[{done}/{total}] {workload}: {name}, {n} workers on {cpus}");
                    let mut backend = backends::checked(name, &config, n, job, expected)?;
                    group.bench_with_input(BenchmarkId::new(name, k), &k, |b, _| {
                        b.iter(|| backend.execute(job).unwrap_or_else(|e| panic!("{e}")));
                    });
                    ids.push((name.to_string(), k.to_string()));
                }
                Ok(())
            })
            .expect("confine and run");
        }
        group.finish();
        if measuring {
            let info = RunInfo {
                cores: Some(usable.len()),
                confined: by_env.as_ref().map(ToString::to_string),
                ..RunInfo::now(group_name, "cores", job.size, quick, ids)
            };
            if let Err(e) = info.write(&default_dir(project)) {
                eprintln!("cores: {e} (the report will show every result found)");
            }
        }
    }
    c.final_summary();
    if measuring {
        tvp::report::write_after_bench(project, false);
    }
}
