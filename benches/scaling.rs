//! `cargo bench --bench scaling`: every CPU- and memory-bound workload on
//! every backend across worker counts, measured by criterion, then the
//! report under `reports/`.
//!
//! One criterion group per workload, one benchmark per (backend, workers).
//! Pool spawning, rayon's pool and the workload's fixture are made before
//! timing; the `process` backend spawns its children inside the timed run,
//! which is its lesson. Each benchmark's checksum is checked once against
//! the sequential one, outside the timing, and a mismatch stops the run.
//!
//! Each timed run takes 40-150 ms (60% of the default sizes), so samples are few: criterion's minimum
//! of 10, flat sampling. On the quiet 2-core reference VM the 64 benchmarks
//! took 78 s (2026-11-29); `cargo bench --bench scaling -- --quick`
//! (a quarter of each size, workers 1 and the core count; `TVP_QUICK=1`
//! does the same) took 25 s.

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode};
use tvp::backends::{self, Backend, Config};
use tvp::report::criterion::{RunInfo, default_dir};
use tvp::workloads::{self, Fixture, Job, Kind, run_sequential};

/// Criterion's minimum.
const SAMPLES: usize = 10;
/// One or two untimed runs before measuring.
const WARM_UP: Duration = Duration::from_millis(100);
/// With runs of 40-150 ms this is ten samples of one run each: criterion
/// never takes fewer, so a longer window only adds runs to the quick cells.
const MEASUREMENT: Duration = Duration::from_millis(600);
/// In quick mode criterion stops once its estimate settles (after 100 ms):
/// this is the most a benchmark may take.
const QUICK_MEASUREMENT: Duration = Duration::from_millis(200);
/// Bootstrap resamples for the confidence intervals. Criterion's default,
/// 100,000, made its analysis and plots take about 10 s per benchmark on the
/// loaded 2-core machine, longer than the measuring itself; 10,000 is plenty
/// for 10 samples.
const RESAMPLES: usize = 10_000;
/// Timed runs of the sequential reference again after each group's last
/// benchmark (after one warm-up): the report compares their median with
/// the group's first benchmark to see whether the machine changed speed.
const REFERENCE_AGAIN_RUNS: usize = 3;
/// One round of the core-sharing probe after each group (about 0.6 s in
/// all; quick mode has under a minute for every bench and skips it) on the
/// 2-core reference VM, for the estimate.
const PROBE_TIME_PER_ROUND: Duration = Duration::from_millis(20);
/// Criterion's own analysis and plots per benchmark, measured on the 2-core
/// machine; only used for the estimate printed before the run.
const OVERHEAD_PER_BENCH: Duration = Duration::from_millis(600);

/// One workload to sweep, with its reference checksum and time.
struct Plan {
    job: Job,
    kind: Kind,
    cells: Vec<(&'static str, usize)>,
    expected: u64,
    sequential: Duration,
    /// The share of a core the reference run got: below 1, others competed.
    cpu_share: Option<f64>,
}

fn main() {
    // `TVP_CORES=K` confines the whole bench, threads and children included;
    // first, before anything starts a thread.
    let confined = tvp::sweep::affinity::confine_from_env()
        .unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(2);
        })
        .map(|c| c.to_string());
    // After confining: the handler runs on a thread of its own.
    tvp::interrupt::install_for_bench("scaling");
    tvp::sweep::budget::print_announcement("scaling");
    let args: Vec<String> = std::env::args().collect();
    let quick = tvp::sweep::quick_requested(args.iter().cloned());
    // `cargo bench -- --quick` switches on criterion's own quick mode.
    let criterion_quick = args.iter().any(|a| a == "--quick");
    // Without `--bench` (as under `cargo test --benches`) criterion runs each
    // benchmark once as a test and saves nothing: leave the report alone.
    let measuring = args.iter().any(|a| a == "--bench");
    let config = Config::new(env!("CARGO_BIN_EXE_tvp"));
    let cores = tvp::cores();
    let project = Path::new(env!("CARGO_MANIFEST_DIR"));

    let plans = plan(quick, cores);
    let total: usize = plans.iter().map(|p| p.cells.len()).sum();
    let estimate: Duration = plans
        .iter()
        .flat_map(|p| {
            p.cells
                .iter()
                .map(move |&(b, w)| estimate(p, b, w, cores, quick, criterion_quick))
        })
        .sum::<Duration>()
        + if quick {
            Duration::ZERO
        } else {
            PROBE_TIME_PER_ROUND * (plans.len() * tvp::sweep::core_sharing::ROUNDS) as u32
        };
    println!(
        "scaling: {} workloads x backends x workers = {total} benchmarks, about {:.0} s{} \
         ({cores} cores, workers {:?})",
        plans.len(),
        estimate.as_secs_f64(),
        if quick { ", quick mode" } else { "" },
        plans
            .first()
            .map(|p| workers(p.kind, cores, quick))
            .unwrap_or_default(),
    );

    // No criterion plots or HTML report by default: they cost about half a
    // second per benchmark, and the whole `cargo bench` has 10 minutes on 2
    // cores. `-- --plotting-backend plotters` brings them back.
    let mut criterion = Criterion::default().without_plots().configure_from_args();
    let started = Instant::now();
    let mut index = 0;
    for plan in &plans {
        let others = tvp::machine::OthersMeter::start();
        let ran = bench_workload(&mut criterion, plan, &config, quick, &mut index, total);
        if measuring {
            let others_share = others.share();
            let again = reference_again(plan, &config, &ran);
            let sharing = (!quick).then(|| probe_core_sharing(&plan.job.workload));
            record_run(
                project,
                plan,
                &ran,
                (others_share, again, sharing),
                quick,
                cores,
                confined.as_deref(),
            );
        }
    }
    criterion.final_summary();
    println!(
        "scaling: measured in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    if !measuring {
        return;
    }

    tvp::report::write_after_bench(project, true);
}

fn workers(kind: Kind, cores: usize, quick: bool) -> Vec<usize> {
    if quick {
        tvp::sweep::quick_workers(cores)
    } else {
        tvp::sweep::workers_for(kind, cores)
    }
}

/// The sweep, with each workload's reference checksum measured once.
fn plan(quick: bool, cores: usize) -> Vec<Plan> {
    workloads::REGISTRY
        .iter()
        .filter(|e| matches!(e.kind, Kind::Cpu | Kind::Memory))
        .map(|entry| {
            let job = Job::new(entry.name).expect("registered workload");
            let size = tvp::sweep::bench_size(job.size, quick);
            let job = job.with_size(size);
            let start = Instant::now();
            let (expected, cpu_share) = tvp::machine::with_cpu_share(|| run_sequential(&job));
            let expected = expected
                .unwrap_or_else(|e| panic!("{}: the sequential reference failed: {e}", entry.name));
            let sequential = start.elapsed();
            let counts = workers(entry.kind, cores, quick);
            let cells = backends::swept()
                .into_iter()
                .flat_map(|b| {
                    // Sequential ignores the worker count: measure it once.
                    let counts = if b == "sequential" {
                        vec![1]
                    } else {
                        counts.clone()
                    };
                    counts.into_iter().map(move |w| (b, w))
                })
                .collect();
            Plan {
                job,
                kind: entry.kind,
                cells,
                expected,
                sequential,
                cpu_share,
            }
        })
        .collect()
}

/// About how long one benchmark takes: warm-up, checksum check, samples.
fn estimate(
    plan: &Plan,
    backend: &str,
    workers: usize,
    cores: usize,
    quick: bool,
    criterion_quick: bool,
) -> Duration {
    let parallel = if matches!(backend, "sequential" | "gil") {
        1
    } else {
        workers.min(cores).max(1)
    };
    let run = plan.sequential / parallel as u32;
    let measuring = if criterion_quick {
        // Criterion's quick mode: 1 + 2 (+ 4) runs.
        (run * 7).min(QUICK_MEASUREMENT)
    } else {
        let window = if quick {
            QUICK_MEASUREMENT
        } else {
            MEASUREMENT
        };
        (run * SAMPLES as u32).max(window)
    };
    run * 2 + measuring + OVERHEAD_PER_BENCH
}

/// The untimed state of one benchmark: its fixture and prepared backend.
struct Ready {
    fixture: Fixture,
    backend: Box<dyn Backend>,
}

/// Prepares `backend` for `workers` and checks its checksum once.
fn ready(plan: &Plan, config: &Config, backend: &str, workers: usize) -> Ready {
    let id = format!("{}/{backend}/{workers}", plan.job.workload);
    let fixture = plan
        .job
        .setup()
        .unwrap_or_else(|e| panic!("{id}: setting up the workload failed: {e}"));
    let backend = backends::checked(backend, config, workers, &fixture.job, plan.expected)
        .unwrap_or_else(|e| panic!("{id}: {e}"));
    Ready { fixture, backend }
}

/// Benchmarks one workload; returns the (backend, workers) cells criterion
/// actually ran (a filter on the command line may skip some).
fn bench_workload(
    criterion: &mut Criterion,
    plan: &Plan,
    config: &Config,
    quick: bool,
    index: &mut usize,
    total: usize,
) -> Vec<(String, String)> {
    let name = plan.job.workload.as_str();
    let mut group = criterion.benchmark_group(name);
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(SAMPLES)
        .nresamples(RESAMPLES)
        .warm_up_time(WARM_UP)
        .measurement_time(if quick {
            QUICK_MEASUREMENT
        } else {
            MEASUREMENT
        });
    let mut ran = Vec::new();
    for &(backend, workers) in &plan.cells {
        *index += 1;
        let label = format!("[{index}/{total}] {name}/{backend}/{workers}");
        let mut state: Option<Ready> = None;
        let mut measured = false;
        group.bench_function(BenchmarkId::new(backend, workers), |b| {
            let ready = state.get_or_insert_with(|| {
                println!("{label}");
                ready(plan, config, backend, workers)
            });
            measured = true;
            let job = &ready.fixture.job;
            let backend = &mut ready.backend;
            b.iter(|| backend.execute(job).unwrap_or_else(|e| panic!("{e}")));
        });
        // Drops the backend (a pool's children) and the fixture now.
        drop(state);
        if measured {
            ran.push((backend.to_string(), workers.to_string()));
        }
    }
    group.finish();
    ran
}

/// The sequential reference timed again after the group's last benchmark,
/// in ms, when this run measured it at the start (a filter may skip it).
fn reference_again(plan: &Plan, config: &Config, ran: &[(String, String)]) -> Option<f64> {
    if !ran.iter().any(|(b, _)| b == "sequential") {
        return None;
    }
    let name = &plan.job.workload;
    // Checked against the reference's checksum, as every cell is.
    let mut again = ready(plan, config, "sequential", 1);
    let timed = tvp::sweep::time_backend(
        again.backend.as_mut(),
        &again.fixture.job,
        REFERENCE_AGAIN_RUNS,
    )
    .inspect_err(|e| eprintln!("{name}: timing the sequential reference again failed: {e}"))
    .ok()?;
    let ms = timed.median.as_secs_f64() * 1e3;
    println!("{name}: the sequential reference again, after the group: {ms:.1} ms");
    Some(ms)
}

/// The core-sharing probe after a group: whether something else took this
/// core's execution units while it ran, which slows some workloads more
/// than others (see `tvp::sweep::core_sharing`).
fn probe_core_sharing(name: &str) -> tvp::sweep::core_sharing::CoreSharing {
    let rounds = tvp::sweep::core_sharing::ROUNDS;
    let probe = tvp::sweep::core_sharing::probe(rounds);
    let cpus: Vec<String> = probe
        .cpus
        .iter()
        .map(|c| {
            format!(
                "{}independent multiplies' slow runs {:.0}% above their fast ones, a dependent \
                 chain's {:.0}%{}",
                c.cpu.map(|cpu| format!("CPU {cpu}: ")).unwrap_or_default(),
                100.0 * c.independent_slowdown,
                100.0 * c.chain_slowdown,
                if c.shared() { " (shared at times)" } else { "" }
            )
        })
        .collect();
    println!(
        "{name}: core-sharing probe, {rounds} rounds: {}",
        cpus.join("; ")
    );
    probe
}

/// Leaves a [`RunInfo`] next to the group's results for the report. Cells
/// from an earlier run at the same size and mode stay valid; otherwise
/// only this run's cells count.
fn record_run(
    project: &Path,
    plan: &Plan,
    ran: &[(String, String)],
    (others_share, reference_again_ms, core_sharing): (
        Option<f64>,
        Option<f64>,
        Option<tvp::sweep::core_sharing::CoreSharing>,
    ),
    quick: bool,
    cores: usize,
    confined: Option<&str>,
) {
    if ran.is_empty() {
        return;
    }
    let info = RunInfo {
        cores: Some(cores),
        cpu_share: plan.cpu_share,
        others_share,
        confined: confined.map(String::from),
        reference_again_ms,
        core_sharing,
        ..RunInfo::now(
            &plan.job.workload,
            plan.kind.to_string(),
            plan.job.size,
            quick,
            ran.to_vec(),
        )
    };
    if let Err(e) = info.write_merged(&default_dir(project)) {
        eprintln!("scaling: {e} (the report will show every result found)");
    }
}
