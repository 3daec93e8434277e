//! The costs underneath, each beside its thread-side twin (tvp::costs):
//! spawning, IPC latency and throughput, locks under contention, false
//! sharing, context switches; then how a process starts (spawn, fork, a
//! fork server, a running pool, against the parent's memory) and what a
//! payload costs to send to a worker and back (JSON, binary, shared memory).
//! 56 s on the quiet 2-core reference VM (2026-11-29); `cargo bench --bench costs -- --quick` or `TVP_QUICK=1` trims
//! sizes, contender counts, timing windows and plots.
//!
//! The contention groups (locks, false sharing) run many short cells whose
//! batches last a millisecond or so, and the start-methods and
//! serialization groups many cells whose charts the report draws: they get
//! shorter windows and no per-benchmark plots, which would cost more than
//! the measurement.
//!
//! Setup (peers, pools, mappings) happens once per benchmark, outside the
//! timing, and only for benchmarks the command-line filter selects.

use std::hint::black_box;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};

use tvp::costs::Side;
use tvp::costs::ipc::{self, Link, Mechanism};
use tvp::costs::locks::{self, Contention, LockKind};
use tvp::costs::serialization::{self, Echo, Encoding};
use tvp::costs::sharing::{self, CacheLine, Counting, Layout};
use tvp::costs::spawn::{self, LargeParent, ProcessPoolTask, ThreadPoolTask};
use tvp::costs::start::{self, Method, Starter};
use tvp::costs::switch::{self, PingPong, Placement};
use tvp::report::criterion::{RunInfo, default_dir};
use tvp::report::explain::sharing::{self as sharing_explain, SharingCosts};
use tvp::report::{estimates, explain::costs as explain};

/// (group, function, value) of every benchmark this run measured.
static RAN: Mutex<Vec<(String, String, String)>> = Mutex::new(Vec::new());

/// Records that a benchmark ran (criterion only calls the closures of the
/// benchmarks its filter selects).
fn mark(group: &str, function: &str, value: Option<String>) {
    let id = (
        group.to_string(),
        function.to_string(),
        value.unwrap_or_default(),
    );
    let mut ran = RAN.lock().expect("no panics while recording");
    if !ran.contains(&id) {
        ran.push(id);
    }
}

fn exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_tvp"))
}

/// Builds the setup the first time the benchmark runs (criterion calls the
/// closure once per sample), so unselected benchmarks cost nothing.
fn lazy<T>(slot: &mut Option<T>, make: impl FnOnce() -> tvp::Result<T>) -> &mut T {
    slot.get_or_insert_with(|| make().unwrap_or_else(|e| panic!("benchmark setup failed: {e}")))
}

struct Plan {
    quick: bool,
    sizes: Vec<usize>,
    contenders: Vec<usize>,
    throughput_links: Vec<(Mechanism, Side)>,
    /// (MiB the parent touches, whether with the payload) per start cell.
    start_levels: Vec<(usize, Vec<bool>)>,
    /// Payload sizes per encoding.
    serial_cells: Vec<(Encoding, Vec<usize>)>,
    started: Instant,
    step: usize,
}

const STEPS: usize = 8;

impl Plan {
    fn new() -> Plan {
        let quick = tvp::sweep::quick_requested(std::env::args());
        let cores = tvp::cores();
        let (sizes, contenders) = if quick {
            (vec![64, 1 << 20], tvp::sweep::quick_workers(cores))
        } else {
            (ipc::SIZES.to_vec(), tvp::sweep::default_workers(cores))
        };
        // Thread and process sides of pipes and sockets copy the same way;
        // throughput is measured where the comparison teaches something.
        let throughput_links = vec![
            (Mechanism::Mpsc, Side::Thread),
            (Mechanism::Crossbeam, Side::Thread),
            (Mechanism::Pipe, Side::Process),
            (Mechanism::Unix, Side::Process),
            (Mechanism::Tcp, Side::Process),
            (Mechanism::Shm, Side::Thread),
            (Mechanism::Shm, Side::Process),
        ];
        // The payload only from the smallest parent: what it adds does not
        // depend on the parent. Quick: two parents; a small, a middle and a
        // large payload.
        let parents = if quick {
            &start::PARENT_MIB[..2]
        } else {
            &start::PARENT_MIB[..]
        };
        let start_levels = parents
            .iter()
            .map(|&mib| {
                (
                    mib,
                    if mib == 0 {
                        vec![false, true]
                    } else {
                        vec![false]
                    },
                )
            })
            .collect();
        let quick_sizes = [8, 4 << 10, 2 << 20];
        let serial_cells = Encoding::ALL
            .iter()
            .map(|&e| {
                let sizes = e.sizes().filter(|s| !quick || quick_sizes.contains(s));
                (e, sizes.collect())
            })
            .collect();
        Plan {
            quick,
            sizes,
            contenders,
            throughput_links,
            start_levels,
            serial_cells,
            started: Instant::now(),
            step: 0,
        }
    }

    fn latency_links() -> Vec<(Mechanism, Side)> {
        Mechanism::ALL
            .iter()
            .flat_map(|&m| m.sides().iter().map(move |&s| (m, s)))
            .collect()
    }

    fn print(&self) {
        let counts = [
            ("spawn", 8),
            (ipc::LATENCY_GROUP, Self::latency_links().len()),
            (
                ipc::THROUGHPUT_GROUP,
                self.throughput_links.len() * self.sizes.len(),
            ),
            (locks::GROUP, LockKind::ALL.len() * self.contenders.len()),
            (sharing::GROUP, self.sharing_cells().len()),
            (switch::GROUP, 2 * switch_placements().len()),
            (
                start::GROUP,
                Method::ALL.len() * self.start_levels.iter().map(|l| l.1.len()).sum::<usize>(),
            ),
            (
                serialization::GROUP,
                self.serial_cells.iter().map(|c| c.1.len()).sum(),
            ),
        ];
        let total: usize = counts.iter().map(|c| c.1).sum();
        eprintln!(
            "costs plan ({} mode, {} cores): {total} benchmarks",
            if self.quick { "quick" } else { "full" },
            tvp::cores()
        );
        for (group, n) in counts {
            eprintln!("  {group:<15} {n:>3}");
        }
        eprintln!(
            "  sizes {:?} B; contenders {:?}; {} critical sections (locks), {} increments \
             (false sharing) per contender per batch",
            self.sizes,
            self.contenders,
            locks::BATCH_OPS,
            sharing::BATCH_OPS
        );
        eprintln!(
            "  start methods {:?} from parents of {:?} MiB, payload {} B; serialization \
             {:?} B (JSON up to {} B)",
            Method::ALL.map(Method::name),
            self.start_levels.iter().map(|l| l.0).collect::<Vec<_>>(),
            start::PAYLOAD_BYTES,
            self.serial_cells
                .iter()
                .map(|c| c.1.clone())
                .max_by_key(Vec::len)
                .unwrap_or_default(),
            serialization::JSON_BENCH_MAX
        );
    }

    /// (layout, side, contenders) of the false-sharing group: threads at
    /// every contender count, processes from 2 up (one process alone is one
    /// thread alone).
    fn sharing_cells(&self) -> Vec<(Layout, Side, usize)> {
        let mut cells = Vec::new();
        for layout in Layout::ALL {
            for &side in layout.sides() {
                for &n in &self.contenders {
                    if side == Side::Thread || n >= 2 {
                        cells.push((layout, side, n));
                    }
                }
            }
        }
        cells
    }

    fn progress(&mut self, group: &str) {
        self.step += 1;
        eprintln!(
            "\n== costs [{}/{STEPS}] {group} (started {:.0} s ago)",
            self.step,
            self.started.elapsed().as_secs_f64()
        );
    }
}

fn bench_spawn(c: &mut Criterion, plan: &mut Plan) {
    plan.progress(spawn::GROUP);
    let mut g = c.benchmark_group(spawn::GROUP);
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function(spawn::THREAD, |b| {
        mark(spawn::GROUP, spawn::THREAD, None);
        b.iter(|| spawn::thread_spawn_join(black_box(1)))
    });
    let mut pool = None;
    g.bench_function(spawn::RAYON_TASK, |b| {
        mark(spawn::GROUP, spawn::RAYON_TASK, None);
        let pool = lazy(&mut pool, || ThreadPoolTask::new(tvp::cores()));
        b.iter(|| pool.spawn_task(black_box(1)))
    });
    g.bench_function(spawn::THREAD_POOL_TASK, |b| {
        mark(spawn::GROUP, spawn::THREAD_POOL_TASK, None);
        let pool = lazy(&mut pool, || ThreadPoolTask::new(tvp::cores()));
        b.iter(|| pool.round_trip())
    });
    drop(pool);
    let mut procs = None;
    g.bench_function(spawn::PROCESS_POOL_TASK, |b| {
        mark(spawn::GROUP, spawn::PROCESS_POOL_TASK, None);
        let procs = lazy(&mut procs, || ProcessPoolTask::new(exe()));
        b.iter(|| procs.round_trip().expect("process pool round trip"))
    });
    drop(procs);
    let truth = spawn::true_program().expect("the trivial program");
    g.bench_function(spawn::COMMAND_TRUE, |b| {
        mark(spawn::GROUP, spawn::COMMAND_TRUE, None);
        b.iter(|| spawn::command_run(&truth).expect("spawn /bin/true"))
    });
    g.bench_function(spawn::COMMAND_WORKER, |b| {
        mark(spawn::GROUP, spawn::COMMAND_WORKER, None);
        b.iter(|| spawn::worker_spawn_wait(exe()).expect("spawn tvp worker"))
    });
    g.bench_function(spawn::FORK, |b| {
        mark(spawn::GROUP, spawn::FORK, None);
        b.iter(|| spawn::fork_wait().expect("fork"))
    });
    let mut big = None;
    g.bench_function(spawn::FORK_LARGE, |b| {
        mark(spawn::GROUP, spawn::FORK_LARGE, None);
        lazy(&mut big, || LargeParent::new(1 << 30));
        b.iter(|| spawn::fork_wait().expect("fork"))
    });
    drop(big);
    g.finish();
}

fn bench_ipc(c: &mut Criterion, plan: &mut Plan) {
    plan.progress(ipc::LATENCY_GROUP);
    let mut g = c.benchmark_group(ipc::LATENCY_GROUP);
    for (m, side) in Plan::latency_links() {
        let mut link = None;
        g.bench_function(ipc::bench_id(m, side), |b| {
            mark(ipc::LATENCY_GROUP, &ipc::bench_id(m, side), None);
            let link = lazy(&mut link, || Link::new(m, side, 1, Some(exe())));
            b.iter(|| link.round_trip(black_box(7)).expect("round trip"))
        });
    }
    g.finish();

    plan.progress(ipc::THROUGHPUT_GROUP);
    let mut g = c.benchmark_group(ipc::THROUGHPUT_GROUP);
    for &(m, side) in &plan.throughput_links {
        for &size in &plan.sizes {
            g.throughput(Throughput::Bytes(size as u64));
            let mut link = None;
            g.bench_with_input(
                BenchmarkId::new(ipc::bench_id(m, side), size),
                &size,
                |b, &size| {
                    mark(
                        ipc::THROUGHPUT_GROUP,
                        &ipc::bench_id(m, side),
                        Some(size.to_string()),
                    );
                    let link = lazy(&mut link, || Link::new(m, side, size, Some(exe())));
                    b.iter(|| link.round_trip(black_box(7)).expect("round trip"))
                },
            );
        }
    }
    g.finish();
}

fn bench_sharing(c: &mut Criterion, plan: &mut Plan, line: &CacheLine) {
    plan.progress(sharing::GROUP);
    match &line.fallback {
        None => eprintln!("  cache line {} B ({})", line.bytes, sharing::LINE_FILE),
        Some(why) => eprintln!("  cache line {} B assumed: {why}", line.bytes),
    }
    let mut g = c.benchmark_group(sharing::GROUP);
    g.sampling_mode(SamplingMode::Flat);
    let ops = sharing::BATCH_OPS;
    for (layout, side, n) in plan.sharing_cells() {
        let id = layout.bench_id(side);
        g.throughput(Throughput::Elements(n as u64 * ops));
        let mut counting = None;
        g.bench_with_input(BenchmarkId::new(&id, n), &n, |b, &n| {
            mark(sharing::GROUP, &id, Some(n.to_string()));
            let counting = lazy(&mut counting, || {
                Counting::new(layout, side, n, line, Some(exe()))
            });
            b.iter(|| counting.batch(ops).expect("counting batch"))
        });
        if let Some(counting) = counting {
            // Checked once, outside the timing.
            counting.check().expect("every increment counted");
        }
    }
    g.finish();
}

fn bench_locks(c: &mut Criterion, plan: &mut Plan) {
    plan.progress(locks::GROUP);
    let mut g = c.benchmark_group(locks::GROUP);
    g.sampling_mode(SamplingMode::Flat);
    let ops = locks::BATCH_OPS;
    for kind in LockKind::ALL {
        for &n in &plan.contenders {
            g.throughput(Throughput::Elements(n as u64 * ops));
            let mut contention = None;
            g.bench_with_input(BenchmarkId::new(kind.name(), n), &n, |b, &n| {
                mark(locks::GROUP, kind.name(), Some(n.to_string()));
                let contention = lazy(&mut contention, || Contention::new(kind, n, Some(exe())));
                b.iter(|| contention.batch(ops).expect("lock batch"))
            });
            if let Some(contention) = contention {
                // Checked once, outside the timing.
                contention.check().expect("no lost updates");
            }
        }
    }
    g.finish();
}

/// The switch placements this machine can measure: across cores needs two.
fn switch_placements() -> &'static [Placement] {
    if tvp::cores() >= 2 {
        &Placement::ALL
    } else {
        &Placement::ALL[..1]
    }
}

fn bench_switch(c: &mut Criterion, plan: &mut Plan) {
    plan.progress(switch::GROUP);
    let mut g = c.benchmark_group(switch::GROUP);
    for &placement in switch_placements() {
        for side in [Side::Thread, Side::Process] {
            let id = placement.bench_id(side);
            let mut pp = None;
            g.bench_function(&id, |b| {
                mark(switch::GROUP, &id, None);
                let pp = lazy(&mut pp, || PingPong::placed(side, Some(exe()), placement));
                // A round trip is two hand-offs: report one.
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        pp.round_trip().expect("ping-pong");
                    }
                    start.elapsed() / 2
                })
            });
        }
    }
    g.finish();
}

/// Starts a process (or asks the running worker) and gets one answer, from
/// a parent that first touched 0, 256 or 1024 MiB, with and without the
/// payload. The parent's resident memory at each level goes to the
/// report's data folder.
fn bench_starts(c: &mut Criterion, plan: &mut Plan) {
    plan.progress(start::GROUP);
    let mut g = c.benchmark_group(start::GROUP);
    g.sampling_mode(SamplingMode::Flat);
    let mut parents = Vec::new();
    for (mib, payloads) in plan.start_levels.clone() {
        // Touched once per level, when its first selected benchmark runs.
        let mut big: Option<Option<LargeParent>> = None;
        let mut touch = |parents: &mut Vec<start::Parent>| {
            lazy(&mut big, || {
                let big = (mib > 0).then(|| LargeParent::new(mib << 20)).transpose()?;
                let resident =
                    tvp::machine::resident_bytes().unwrap_or(0) as f64 / f64::from(1u32 << 20);
                eprintln!("  parent: {mib} MiB touched, {resident:.0} MiB resident (VmRSS)");
                parents.push(start::Parent {
                    touched_mib: mib as u64,
                    resident_mib: resident,
                });
                Ok(big)
            });
        };
        for method in Method::ALL {
            for &payload in &payloads {
                let id = method.bench_id(payload);
                let bytes = if payload { start::PAYLOAD_BYTES } else { 0 };
                let mut starter = None;
                g.bench_with_input(BenchmarkId::new(&id, mib), &mib, |b, _| {
                    mark(start::GROUP, &id, Some(mib.to_string()));
                    touch(&mut parents);
                    let starter = lazy(&mut starter, || Starter::new(method, bytes, Some(exe())));
                    b.iter(|| starter.start().expect("start a process"))
                });
            }
        }
    }
    g.finish();
    if !parents.is_empty() {
        let path = data_dir().join(start::PARENTS_FILE);
        let mut all = start::read_parents(&path).unwrap_or_default();
        all.retain(|p| !parents.iter().any(|q| q.touched_mib == p.touched_mib));
        all.extend(parents);
        all.sort_by_key(|p| p.touched_mib);
        let written = std::fs::create_dir_all(data_dir())
            .map_err(|e| tvp::Error::io("creating the data folder", e))
            .and_then(|()| start::write_parents(&path, &all));
        if let Err(e) = written {
            eprintln!("costs: {e} (the report will not show the parent's resident memory)");
        }
    }
}

/// A payload of each size to a worker and back, by encoding; each echo is
/// checked byte for byte once, outside the timing.
fn bench_serialization(c: &mut Criterion, plan: &mut Plan) {
    plan.progress(serialization::GROUP);
    let mut g = c.benchmark_group(serialization::GROUP);
    g.sampling_mode(SamplingMode::Flat);
    for (encoding, sizes) in plan.serial_cells.clone() {
        for size in sizes {
            g.throughput(Throughput::Bytes(size as u64));
            let mut echo = None;
            g.bench_with_input(
                BenchmarkId::new(encoding.name(), size),
                &size,
                |b, &size| {
                    mark(
                        serialization::GROUP,
                        encoding.name(),
                        Some(size.to_string()),
                    );
                    let echo = lazy(&mut echo, || Echo::new(encoding, size, Some(exe())));
                    b.iter(|| echo.round_trip().map(<[u8]>::len).expect("round trip"))
                },
            );
            if let Some(mut echo) = echo {
                let expected = start::payload(size);
                let back = echo.round_trip().expect("round trip");
                assert!(
                    back == expected,
                    "{} changed a {size}-byte payload",
                    encoding.name()
                );
            }
        }
    }
    g.finish();
}

/// The report's data folder, where benches write their data files.
fn data_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("reports")
        .join(tvp::report::DATA_DIR)
}

/// Records which benchmarks of each group this run measured, so the report
/// leaves out results from earlier runs of benchmarks no longer selected.
/// `others_share`: what other programs used of the machine meanwhile.
fn record_runs(plan: &Plan, ran: &[(String, String, String)], others_share: Option<f64>) {
    let dir = default_dir(Path::new(env!("CARGO_MANIFEST_DIR")));
    let mut groups: Vec<&str> = ran.iter().map(|(g, ..)| g.as_str()).collect();
    groups.sort_unstable();
    groups.dedup();
    for group in groups {
        let ids = ran
            .iter()
            .filter(|(g, ..)| g == group)
            .map(|(_, f, v)| (f.clone(), v.clone()))
            .collect();
        // A filtered run adds to a previous run of the same kind.
        let info = RunInfo {
            others_share,
            ..RunInfo::now(group, "costs", 0, plan.quick, ids)
        };
        if let Err(e) = info.write_merged(&dir) {
            eprintln!("costs: {e} (the report will show every result found)");
        }
    }
}

/// The false-sharing numbers with the line size this run used.
fn sharing_costs(e: &estimates::Estimates) -> SharingCosts {
    SharingCosts {
        line: Some(CacheLine::detect()),
        ..SharingCosts::from_estimates(e)
    }
}

/// Prints the sentences the report shows, then regenerates the report.
fn report() {
    let project = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = default_dir(project);
    let e = estimates::Estimates::read(&dir);
    let sections = [
        explain::explain_spawn(&explain::SpawnCosts::from_estimates(&e)),
        explain::explain_ipc(&explain::IpcCosts::from_estimates(&e)),
        explain::explain_locks(&explain::LockCosts::from_estimates(&e)),
        sharing_explain::explain_sharing(&sharing_costs(&e)),
        explain::explain_switch(&explain::SwitchCosts::from_estimates(&e)),
        tvp::report::explain::starts::explain_rust(
            &tvp::report::explain::starts::StartCosts::from_estimates(&e),
        ),
        tvp::report::explain::serialization::explain(
            &tvp::report::explain::serialization::SerialCosts::from_estimates(&e),
        ),
    ];
    eprintln!("\n== costs: what the numbers say ({})", dir.display());
    for line in sections.iter().flatten() {
        eprintln!("  - {line}");
    }
    tvp::report::write_after_bench(project, false);
}

fn main() {
    tvp::interrupt::install_for_bench("costs");
    tvp::sweep::budget::print_announcement("costs");
    let mut plan = Plan::new();
    // Most operations take microseconds: even short windows hold thousands
    // of iterations. Per benchmark, criterion's analysis and plots add
    // about as much again, so no plots: the report draws every costs chart
    // (the whole `cargo bench` must fit in 10 minutes on 2 cores).
    // Quick mode: on the slow night of 2026-11-30 the whole quick run took
    // 61-64 s with 50 + 150 ms here; these windows took this bench from
    // 14.2 s to 11.7 s and the quick run to 58 s.
    let (warm, measure) = if plan.quick {
        (Duration::from_millis(30), Duration::from_millis(100))
    } else {
        (Duration::from_millis(120), Duration::from_millis(300))
    };
    let mut c = Criterion::default()
        .warm_up_time(warm)
        .measurement_time(measure)
        .sample_size(10)
        .nresamples(10_000)
        .without_plots()
        .configure_from_args();
    // The contention groups, start methods and serialization: many cells,
    // no criterion plots (the report draws their charts).
    let mut contention = Criterion::default()
        .warm_up_time(warm / 2)
        .measurement_time(measure / 2)
        .sample_size(10)
        .nresamples(10_000)
        .without_plots()
        .configure_from_args();
    plan.print();
    let line = CacheLine::detect();
    let others = tvp::machine::OthersMeter::start();
    bench_spawn(&mut c, &mut plan);
    bench_ipc(&mut c, &mut plan);
    bench_locks(&mut contention, &mut plan);
    bench_sharing(&mut contention, &mut plan, &line);
    bench_switch(&mut c, &mut plan);
    bench_starts(&mut contention, &mut plan);
    bench_serialization(&mut contention, &mut plan);
    contention.final_summary();
    c.final_summary();
    eprintln!(
        "\ncosts: done in {:.0} s",
        plan.started.elapsed().as_secs_f64()
    );
    // Without `--bench` (as under `cargo test --benches`) criterion runs each
    // benchmark once as a test and saves nothing: leave the report alone.
    if std::env::args().any(|a| a == "--bench") {
        let ran = RAN.lock().expect("no panics while recording");
        if ran.iter().any(|(g, ..)| g == sharing::GROUP) {
            let project = Path::new(env!("CARGO_MANIFEST_DIR"));
            let data = tvp::report::Options::for_project(project).data_dir;
            if let Err(e) = line.write(&data) {
                eprintln!("costs: {e} (the report will not name the cache line size)");
            }
        }
        record_runs(&plan, &ran, others.share());
        drop(ran);
        report();
    }
}
