//! `cargo bench --features mpi --bench mpi`: the CPU-bound workloads as MPI
//! ranks (`mpi`: shared memory, `mpi-tcp`: TCP over loopback) at the same
//! worker counts as the scaling bench, beside a sequential reference.
//!
//! Criterion times the ranks computing: each run's time minus its launch
//! (starting `mpirun` and the ranks, `MPI_Init`, shutting down), which the
//! backend measures apart. The launch costs go to
//! `reports/data/mpi_launch.json` (schema in `tvp::sweep::mpi_launch`), and the
//! report's MPI page puts both beside the `process` and `pool` results of
//! the scaling bench. Groups are `mpi-<workload>`, ids `backend/ranks`.
//!
//! Then the exchange (`tvp::costs::exchange`): compute on a part of an
//! array, then all-reduce a buffer of 8 B to 64 MiB, every step, on threads,
//! a pool of processes (pipes), MPI over shared memory and TCP on this
//! machine, and, when the simulated cluster of `scripts/sim-cluster.sh` is
//! up (root), MPI across its hosts with and without a bandwidth limit. Its
//! times go to `reports/data/exchange.json` (`-- exchange` runs only it).
//!
//! Built only with the `mpi` feature; without `mpirun` on the PATH it says
//! so and measures nothing. Each run pays the launch (0.14-0.20 s on the
//! 2-core machine), so a cell takes a few seconds: the 21 benchmarks
//! measured in 68 s there, before the exchange was added; quick mode
//! (`-- --quick` or `TVP_QUICK=1`: a quarter of each size, ranks 1 and the
//! core count) in 10 s. The exchange plans about 70 s in full mode (its plan
//! line prints the estimate) and a few seconds in quick mode; on a machine
//! loaded 4 to 6 times over by other builds the whole bench took 18 min.

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode};
use tvp::backends::mpi::sim::SimCluster;
use tvp::backends::mpi::{Launcher, Transport as MpiTransport};
use tvp::backends::{self, Backend, Config, MpiHosts};
use tvp::costs::exchange::data::{self as exchange_data, ExchangeData, TransportRun};
use tvp::costs::exchange::pipes::PipeGroup;
use tvp::costs::exchange::threads::ThreadGroup;
use tvp::costs::exchange::{self, CHECK_STEPS, Cell, Group, Policy, Spec, Transport};
use tvp::report::criterion::{RunInfo, default_dir};
use tvp::sweep::mpi_launch::{self, LaunchCell, LaunchCosts};
use tvp::workloads::{self, Job, Kind, run_sequential};

const BACKENDS: &[&str] = &["mpi", "mpi-tcp"];
const SAMPLES: usize = 10;
const WARM_UP: Duration = Duration::from_millis(100);
const MEASUREMENT: Duration = Duration::from_secs(1);
/// Launch plus computing per run, for the estimate printed before the run:
/// the launch measured on the 2-core machine, rounded up.
const LAUNCH_ESTIMATE: Duration = Duration::from_millis(200);
/// Runs per benchmark: the checksum check, warm-up and samples; with
/// criterion's own `--quick`, about 4.
const RUNS_ESTIMATE: u32 = SAMPLES as u32 + 3;
const QUICK_RUNS_ESTIMATE: u32 = 4;

/// One workload's group: its job, reference checksum and cells.
struct Plan {
    job: Job,
    expected: u64,
    sequential: Duration,
    cells: Vec<(&'static str, usize)>,
}

impl Plan {
    fn group(&self) -> String {
        format!("mpi-{}", self.job.workload)
    }
}

fn main() {
    tvp::interrupt::install_for_bench("mpi");
    let args: Vec<String> = std::env::args().collect();
    let quick = tvp::sweep::quick_requested(args.iter().cloned());
    // Without `--bench` (as under `cargo test --benches`) criterion runs each
    // benchmark once as a test and saves nothing: leave the report alone.
    let measuring = args.iter().any(|a| a == "--bench");
    let runs = if args.iter().any(|a| a == "--quick") {
        QUICK_RUNS_ESTIMATE
    } else {
        RUNS_ESTIMATE
    };
    if let Some(why) = backends::unavailable("mpi") {
        println!("mpi: skipped, nothing measured: {why}");
        return;
    }
    let config = Config::new(env!("CARGO_BIN_EXE_tvp"));
    let cores = tvp::cores();
    let project = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ranks = if quick {
        tvp::sweep::quick_workers(cores)
    } else {
        tvp::sweep::workers_for(Kind::Cpu, cores)
    };
    let plans = plan(quick, &ranks);
    let total: usize = plans.iter().map(|p| p.cells.len()).sum();
    let estimate: Duration = plans
        .iter()
        .flat_map(|p| {
            p.cells.iter().map(|&(backend, n)| {
                let run = if backend == "sequential" {
                    p.sequential
                } else {
                    LAUNCH_ESTIMATE + p.sequential / n.min(cores) as u32
                };
                run * runs
            })
        })
        .sum();
    println!(
        "mpi: {} workloads x {{sequential, mpi, mpi-tcp}} = {total} benchmarks, about {:.0} s{} \
         ({cores} cores, ranks {ranks:?})",
        plans.len(),
        estimate.as_secs_f64(),
        if quick { ", quick mode" } else { "" },
    );

    let mut criterion = Criterion::default()
        .without_plots()
        .nresamples(10_000)
        .configure_from_args();
    let launch_path = project.join("reports").join(mpi_launch::FILE);
    let mut launches = LaunchCosts::read(&launch_path).unwrap_or_else(|e| {
        eprintln!("mpi: {e}; starting a new file");
        LaunchCosts::default()
    });
    let started = Instant::now();
    let mut index = 0;
    for plan in &plans {
        let measured = bench_workload(&mut criterion, plan, &config, &mut index, total);
        if !measuring || measured.is_empty() {
            continue;
        }
        let ids = measured
            .iter()
            .map(|(b, n, _)| (b.to_string(), n.to_string()))
            .collect();
        let info = RunInfo::now(plan.group(), "mpi", plan.job.size, quick, ids);
        if let Err(e) = info.write_merged(&default_dir(project)) {
            eprintln!("mpi: {e} (the report will show every result found)");
        }
        for (backend, n, runs) in measured {
            if let Some(cell) = LaunchCell::from_runs(&plan.job, quick, backend, n, &runs) {
                println!(
                    "mpi: {}/{backend}/{n}: launch {:.1} ms per run (median of {})",
                    plan.job.workload, cell.median_ms, cell.runs
                );
                launches.insert(cell);
            }
        }
    }
    criterion.final_summary();
    println!("mpi: measured in {:.0} s", started.elapsed().as_secs_f64());
    if measuring && let Err(e) = launches.write(&launch_path) {
        eprintln!("mpi: {e}: the report will lack the launch costs");
    }
    let filter = args[1..]
        .iter()
        .find(|a| !a.starts_with('-') && a.as_str() != "bench");
    if filter.is_none_or(|f| "exchange".contains(f.as_str())) {
        let started = Instant::now();
        run_exchange(project, &config, quick, measuring);
        println!(
            "mpi: the exchange measured in {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    if measuring {
        tvp::report::write_after_bench(project, false);
    }
}

/// The bandwidth limit of the `mpi-hosts-limited` transport.
const RATE_LIMIT: &str = "1gbit";

/// Puts the cluster's previous bandwidth limit back, also after a panic.
struct RestoreRate<'c>(&'c SimCluster, String);

impl Drop for RestoreRate<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.0.set_rate(&self.1) {
            eprintln!(
                "mpi: could not put the cluster's limit back to {}: {e}",
                self.1
            );
        }
    }
}

/// Measures the exchange on every transport that can run here and writes
/// `reports/data/exchange.json` (when `measuring`).
fn run_exchange(project: &Path, config: &Config, quick: bool, measuring: bool) {
    let parts = tvp::cores();
    let sizes: &[u64] = if quick {
        &exchange::QUICK_SIZES
    } else {
        &exchange::SIZES
    };
    let policy = if quick { Policy::QUICK } else { Policy::FULL };
    let specs: Vec<Spec> = sizes.iter().map(|&b| Spec::new(b)).collect();
    let expected: Vec<u64> = specs
        .iter()
        .map(|s| exchange::reference(s, CHECK_STEPS))
        .collect();
    let cluster = SimCluster::find(project).and_then(|c| {
        let hosts = c.hosts().map_err(|e| e.to_string())?;
        if hosts.len() < parts {
            return Err(format!(
                "the simulated cluster has {} hosts, fewer than the {parts} ranks: \
                 `sudo scripts/sim-cluster.sh down; sudo scripts/sim-cluster.sh up {parts}`",
                hosts.len()
            ));
        }
        Ok(c)
    });
    let mut transports = vec![
        Transport::Threads,
        Transport::Pipes,
        Transport::Mpi,
        Transport::MpiTcp,
    ];
    match &cluster {
        Ok(_) => transports.extend([Transport::MpiHosts, Transport::MpiHostsLimited]),
        Err(why) => println!("mpi exchange: no simulated hosts measured: {why}"),
    }
    let estimate = transports.len() as f64
        * sizes.len() as f64
        * (f64::from(policy.batches) + 1.5)
        * policy.batch_secs;
    println!(
        "mpi exchange: {} transports x {} buffer sizes ({} to {}), {parts} threads, \
         processes or ranks, about {estimate:.0} s{}",
        transports.len(),
        sizes.len(),
        tvp::report::explain::words::bytes(sizes[0]),
        tvp::report::explain::words::bytes(sizes[sizes.len() - 1]),
        if quick { ", quick mode" } else { "" }
    );
    let path = project.join("reports").join(exchange_data::FILE);
    let mut data = ExchangeData::read(&path).unwrap_or_else(|e| {
        eprintln!("mpi: {e}; starting a new file");
        ExchangeData::default()
    });
    let total = transports.len();
    for (i, &transport) in transports.iter().enumerate() {
        println!(
            "[{}/{total}] exchange/{}: {}",
            i + 1,
            transport.name(),
            transport.describe()
        );
        let mut rate_limit = None;
        let _restore = match (transport, &cluster) {
            (Transport::MpiHostsLimited, Ok(c)) => {
                let before = c.rate().unwrap_or_else(|_| "off".into());
                c.set_rate(RATE_LIMIT)
                    .unwrap_or_else(|e| panic!("exchange: cannot limit the links: {e}"));
                rate_limit = Some(RATE_LIMIT.to_string());
                Some(RestoreRate(c, before))
            }
            _ => None,
        };
        let (hosts, cells) = measure_transport(transport, config, &cluster, parts, &specs, &policy)
            .unwrap_or_else(|e| panic!("exchange/{}: {e}", transport.name()));
        drop(_restore);
        let mut agreed = true;
        for (cell, &want) in cells.iter().zip(&expected) {
            let ok = cell.digest == want;
            agreed &= ok;
            println!(
                "  {:>8}: {:>10} a step, {:>10} computing, {} steps a batch{}",
                tvp::report::explain::words::bytes(cell.bytes),
                tvp::report::explain::words::ns(cell.step_secs * 1e9),
                tvp::report::explain::words::ns(cell.compute_secs * 1e9),
                cell.steps_per_batch,
                if ok {
                    ""
                } else {
                    "  DIGEST DIFFERS FROM SEQUENTIAL"
                }
            );
        }
        assert!(
            agreed,
            "exchange/{}: a digest differs from sequential",
            transport.name()
        );
        data.insert(TransportRun {
            transport: transport.name().to_string(),
            parts,
            elements: exchange::ELEMENTS,
            rounds: exchange::ROUNDS,
            hosts,
            rate_limit,
            agreed,
            quick,
            cores: tvp::cores(),
            date: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            cells,
        });
    }
    if measuring && let Err(e) = data.write(&path) {
        eprintln!("mpi: {e}: the report will lack the exchange");
    }
}

/// Every spec on one transport: the hosts of its participants (MPI) and
/// one cell per spec.
fn measure_transport(
    transport: Transport,
    config: &Config,
    cluster: &Result<SimCluster, String>,
    parts: usize,
    specs: &[Spec],
    policy: &Policy,
) -> tvp::Result<(Vec<String>, Vec<Cell>)> {
    let exe = Path::new(env!("CARGO_BIN_EXE_tvp"));
    let mpi = |transport: MpiTransport, hosts: MpiHosts| {
        let mut launcher = Launcher::new(&config.clone().with_mpi_hosts(hosts), transport);
        launcher.timeout = Duration::from_secs(600);
        let job = exchange::mpi::RankJob {
            specs: specs.to_vec(),
            policy: *policy,
        };
        exchange::mpi::run(&launcher, parts, &job).map(|r| (r.hosts, r.cells))
    };
    let in_process = |make: &dyn Fn(Spec) -> tvp::Result<Box<dyn Group>>| {
        let mut cells = Vec::new();
        for spec in specs {
            let mut group = make(*spec)?;
            cells.push(exchange::measure(group.as_mut(), spec.bytes, policy)?);
        }
        Ok((Vec::new(), cells))
    };
    match transport {
        Transport::Threads => in_process(&|spec| Ok(Box::new(ThreadGroup::new(spec, parts)?))),
        Transport::Pipes => in_process(&|spec| Ok(Box::new(PipeGroup::new(exe, spec, parts)?))),
        Transport::Mpi => mpi(MpiTransport::SharedMemory, MpiHosts::local()),
        Transport::MpiTcp => mpi(MpiTransport::Tcp, MpiHosts::local()),
        Transport::MpiHosts | Transport::MpiHostsLimited => {
            let cluster = cluster.as_ref().map_err(|e| tvp::Error::Mpi(e.clone()))?;
            mpi(
                MpiTransport::SharedMemory,
                MpiHosts::local().with_hostfile(cluster.hostfile()),
            )
        }
    }
}

/// Every CPU-bound workload, with its reference checksum measured once.
fn plan(quick: bool, ranks: &[usize]) -> Vec<Plan> {
    workloads::REGISTRY
        .iter()
        .filter(|e| e.kind == Kind::Cpu)
        .map(|entry| {
            let job = Job::new(entry.name).expect("registered workload");
            let size = tvp::sweep::bench_size(job.size, quick);
            let job = job.with_size(size);
            let start = Instant::now();
            let expected = run_sequential(&job)
                .unwrap_or_else(|e| panic!("{}: the sequential reference failed: {e}", entry.name));
            let sequential = start.elapsed();
            let mut cells = vec![("sequential", 1)];
            cells.extend(
                BACKENDS
                    .iter()
                    .flat_map(|&b| ranks.iter().map(move |&n| (b, n))),
            );
            Plan {
                job,
                expected,
                sequential,
                cells,
            }
        })
        .collect()
}

/// Benchmarks one workload's cells; returns those criterion ran (a filter
/// may skip some), each with the launch cost of every timed run.
fn bench_workload(
    criterion: &mut Criterion,
    plan: &Plan,
    config: &Config,
    index: &mut usize,
    total: usize,
) -> Vec<(&'static str, usize, Vec<Duration>)> {
    let group_name = plan.group();
    let mut group = criterion.benchmark_group(&group_name);
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(SAMPLES)
        .warm_up_time(WARM_UP)
        .measurement_time(MEASUREMENT);
    let mut measured = Vec::new();
    for &(name, workers) in &plan.cells {
        *index += 1;
        let label = format!("[{index}/{total}] {group_name}/{name}/{workers}");
        let mut backend: Option<Box<dyn Backend>> = None;
        let mut launches = Vec::new();
        let mut ran = false;
        group.bench_function(BenchmarkId::new(name, workers), |b| {
            let backend = backend.get_or_insert_with(|| {
                println!("{label}");
                backends::checked(name, config, workers, &plan.job, plan.expected)
                    .unwrap_or_else(|e| panic!("{label}: {e}"))
            });
            ran = true;
            let job = &plan.job;
            // The time criterion records: the run minus the launch, when the
            // backend tells them apart (sequential has no launch).
            b.iter_custom(|iters| {
                let mut computing = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    backend.execute(job).unwrap_or_else(|e| panic!("{e}"));
                    let elapsed = start.elapsed();
                    let launch = backend.last_launch_cost();
                    launches.extend(launch);
                    computing += elapsed.saturating_sub(launch.unwrap_or_default());
                }
                computing
            });
        });
        if ran {
            measured.push((name, workers, launches));
        }
    }
    group.finish();
    measured
}
