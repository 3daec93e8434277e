//! Every chart of every page reads at any scale: the pages built from a
//! made-up 64-core machine and from a 1-core one, each figure rendered and
//! checked with [`chart::unreadable`] (no overlapping tick labels, every
//! point inside the plot), and the worker axes marked with the core count.

use crate::costs::{ipc, locks, spawn, switch};
use crate::report::chart::{self, Unit};
use crate::report::criterion::{Benchmark, RunInfo};
use crate::report::pages::cores::Cores;
use crate::report::{PAGES, PageOut, ReportInput};
use crate::sweep::memory::{CellMemory, Detail};
use crate::sweep::smaps::Usage;
use crate::sweep::waits::{self, MemoryCell, TimeCell, WaitsReport};

/// Scaling results of `workload` on `cores` cores, workers 1, 2, 4, ...
/// up to twice the cores (and 3, as sweeps have), every backend: near-ideal
/// threads, flat GIL, processes paying a start per worker.
fn scaling(workload: &str, cores: usize) -> Vec<Benchmark> {
    let mut counts: Vec<usize> = std::iter::successors(Some(1), |w| Some(w * 2))
        .take_while(|&w| w <= 2 * cores.max(1))
        .collect();
    counts.push(3);
    let seq_ms = 1000.0;
    let mut out = vec![Benchmark::exact(
        workload,
        "sequential",
        Some("1"),
        seq_ms * 1e6,
    )];
    for &w in &counts {
        let parallel = seq_ms / w.min(cores) as f64;
        for (backend, ms) in [
            ("threads", parallel * 1.05),
            ("rayon", parallel * 1.02),
            ("gil", seq_ms * 1.1),
            ("process", parallel + 2.0 * w as f64),
            ("pool", parallel * 1.1),
        ] {
            out.push(Benchmark::exact(
                workload,
                backend,
                Some(&w.to_string()),
                ms * 1e6,
            ));
        }
    }
    out
}

/// The costs benches' results: ns per operation that span five decades.
fn costs(cores: usize) -> Vec<Benchmark> {
    let b = |group: &str, function: &str, value: Option<&str>, ns: f64| {
        Benchmark::exact(group, function, value, ns)
    };
    let mut out = vec![
        b(spawn::GROUP, spawn::THREAD, None, 20_000.0),
        b(spawn::GROUP, spawn::RAYON_TASK, None, 400.0),
        b(spawn::GROUP, spawn::THREAD_POOL_TASK, None, 2_000.0),
        b(spawn::GROUP, spawn::PROCESS_POOL_TASK, None, 60_000.0),
        b(spawn::GROUP, spawn::COMMAND_TRUE, None, 700_000.0),
        b(spawn::GROUP, spawn::COMMAND_WORKER, None, 1_500_000.0),
        b(spawn::GROUP, spawn::FORK, None, 90_000.0),
        b(spawn::GROUP, spawn::FORK_LARGE, None, 40_000_000.0),
        b(switch::GROUP, "thread", None, 2_000.0),
        b(switch::GROUP, "process", None, 2_500.0),
        b(switch::GROUP, "thread, other core", None, 40_000.0),
        b(switch::GROUP, "process, other core", None, 45_000.0),
    ];
    for (i, m) in ipc::Mechanism::ALL.iter().enumerate() {
        for &side in m.sides() {
            let id = ipc::bench_id(*m, side);
            // From 125 ns (shared memory) to 67 µs.
            let ns = if i == ipc::Mechanism::ALL.len() - 1 {
                125.0
            } else {
                67_000.0 / (i + 1) as f64
            };
            out.push(b(ipc::LATENCY_GROUP, &id, None, ns));
            for k in (6..=20).step_by(2) {
                let bytes = 1u64 << k;
                out.push(b(
                    ipc::THROUGHPUT_GROUP,
                    &id,
                    Some(&bytes.to_string()),
                    ns + bytes as f64 * 0.5,
                ));
            }
        }
    }
    let contenders =
        std::iter::successors(Some(1usize), |n| Some(n * 2)).take_while(|&n| n <= 2 * cores.max(1));
    for n in contenders {
        let v = n.to_string();
        out.push(b(locks::GROUP, "std-mutex", Some(&v), 1e6 * n as f64));
        out.push(b(locks::GROUP, "atomic", Some(&v), 1e4 * n as f64));
    }
    out
}

/// The core sweep at `cores` cores with twice as many workers.
fn core_sweep(cores: usize) -> Vec<Benchmark> {
    let group = Cores::group("primes");
    let mut out = vec![Benchmark::exact(&group, "sequential", Some("1"), 1e9)];
    let mut c = 1;
    while c <= cores {
        for backend in ["threads", "process"] {
            out.push(Benchmark::exact(
                &group,
                backend,
                Some(&c.to_string()),
                1e9 / c as f64,
            ));
        }
        c *= 2;
    }
    out
}

/// The waits sweep on `cores` cores: every line from 1 to 10,000
/// concurrent waits, times from 20 ms to 12 s, memory from 3 MB to 2 GB.
fn waits_sweep(cores: usize) -> WaitsReport {
    let counts = [1usize, 10, 100, 1_000, 10_000];
    let variants = waits::variants();
    let mut times = Vec::new();
    let mut memory = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        for &n in &counts {
            let median_ms = 20.0 + n as f64 * 0.2 * (i + 1) as f64;
            times.push(TimeCell {
                variant: v.label.clone(),
                concurrency: n,
                items: n as u64 * 10,
                prepare_ms: 0.0,
                runs_ms: vec![median_ms],
                median_ms,
                checksum_ok: true,
            });
            let pss_kb = 3_000 + n as u64 * 30 * (i as u64 + 1);
            let usage = Usage {
                rss_kb: pss_kb,
                pss_kb,
                uss_kb: pss_kb,
                vm_size_kb: pss_kb,
                threads: 1,
                processes: 1,
            };
            let mut cell = CellMemory::with_peak(&v.backend, n, pss_kb);
            cell.detail = Some(Detail {
                peak: usage,
                parent: usage,
                max_threads: 1,
                max_children: 0,
                stack_kb: 2048,
                stacks: None,
                kernel_kb: None,
                samples: 1,
            });
            memory.push(MemoryCell {
                variant: v.label.clone(),
                concurrency: n,
                wait_ms: 300,
                memory: cell,
            });
        }
    }
    WaitsReport {
        schema: waits::SCHEMA,
        workload: "latency".into(),
        wait_ms: 2,
        waits_per_task: 10,
        cores,
        quick: false,
        variants,
        times,
        caps: Vec::new(),
        memory,
        open_files: None,
        threads_max: None,
        memory_total_kb: 1 << 20,
        elapsed_s: 1.0,
    }
}

/// A made-up machine with `cores` cores and every data page's results.
fn machine(cores: usize) -> ReportInput {
    let mut benchmarks = scaling("primes", cores);
    benchmarks.extend(scaling("monte_carlo", cores));
    benchmarks.extend(costs(cores));
    benchmarks.extend(core_sweep(cores));
    let runs: Vec<RunInfo> = Vec::new();
    let mut input = ReportInput::made_up(benchmarks, runs);
    input.cores = cores;
    input
}

fn built(input: &ReportInput, out: &std::path::Path) -> Vec<PageOut> {
    PAGES
        .iter()
        .filter_map(|p| p.build(input, out).unwrap())
        .collect()
}

/// Every figure of every page reads; returns the figures' ids.
fn check_every_chart(cores: usize) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    waits_sweep(cores)
        .write(&dir.path().join(waits::FILE))
        .unwrap();
    let pages = built(&machine(cores), dir.path());
    let mut ids = Vec::new();
    for page in &pages {
        for figure in &page.figures {
            let rendered = figure.chart.render().unwrap();
            let problems = chart::unreadable(&rendered);
            assert!(
                problems.is_empty(),
                "{cores} cores, {}: {problems:?}",
                figure.id
            );
            ids.push(figure.id.clone());
        }
    }
    ids
}

#[test]
fn every_chart_reads_on_64_cores() {
    let ids = check_every_chart(64);
    for id in [
        "speedup/primes",
        "efficiency/primes",
        "time/primes",
        "cores/primes",
        "costs/spawn-threads",
        "costs/ipc-latency",
        "costs/ipc-throughput",
        "costs/locks",
        "waits/time",
        "waits/memory",
    ] {
        assert!(ids.iter().any(|i| i == id), "no {id} in {ids:?}");
    }
}

#[test]
fn every_chart_reads_on_1_core() {
    let ids = check_every_chart(1);
    assert!(ids.iter().any(|i| i == "speedup/primes"), "{ids:?}");
}

#[test]
fn on_64_cores_workers_go_in_powers_of_two_with_the_cores_marked() {
    let dir = tempfile::tempdir().unwrap();
    let pages = built(&machine(64), dir.path());
    let figure = pages
        .iter()
        .flat_map(|p| &p.figures)
        .find(|f| f.id == "speedup/primes")
        .unwrap();
    let rendered = figure.chart.render().unwrap();
    let x = rendered.x.unwrap();
    assert_eq!(x.log_base, Some(2.0));
    let labels: Vec<String> = x.ticks.iter().map(|&t| x.label(t)).collect();
    for label in ["1", "2", "4", "8", "64", "128"] {
        assert!(labels.contains(&label.to_string()), "{labels:?}");
    }
    assert!(rendered.svg.contains("64 cores: this machine"));
    // The costs bars span decades: a log axis, ticks in time units.
    let latency = pages
        .iter()
        .flat_map(|p| &p.figures)
        .find(|f| f.id == "costs/ipc-latency")
        .unwrap();
    let y = latency.chart.render().unwrap().y;
    assert_eq!(y.log_base, Some(10.0));
    assert_eq!(y.unit, Unit::Micros);
    let labels: Vec<String> = y.ticks.iter().map(|&t| y.label(t)).collect();
    assert!(labels.contains(&"100 ns".to_string()), "{labels:?}");
    assert!(labels.contains(&"10 µs".to_string()), "{labels:?}");
}

#[test]
fn the_waits_charts_read_in_waits_milliseconds_and_bytes() {
    let dir = tempfile::tempdir().unwrap();
    waits_sweep(2).write(&dir.path().join(waits::FILE)).unwrap();
    let pages = built(&machine(2), dir.path());
    let figure = |id: &str| {
        let f = pages
            .iter()
            .flat_map(|p| &p.figures)
            .find(|f| f.id == id)
            .unwrap();
        f.chart.render().unwrap()
    };
    let time = figure("waits/time");
    let x = time.x.unwrap();
    // 1 to 10,000 waits: four decades, ticked at powers of ten.
    assert_eq!(x.log_base, Some(10.0));
    let xs: Vec<String> = x.ticks.iter().map(|&t| x.label(t)).collect();
    for label in ["1", "10", "100", "1,000", "10,000"] {
        assert!(xs.contains(&label.to_string()), "{xs:?}");
    }
    let ys: Vec<String> = time.y.ticks.iter().map(|&t| time.y.label(t)).collect();
    assert_eq!(time.y.log_base, Some(10.0));
    assert!(ys.contains(&"100 ms".to_string()), "{ys:?}");
    assert!(ys.contains(&"1 s".to_string()), "{ys:?}");
    let memory = figure("waits/memory");
    assert_eq!(memory.y.log_base, Some(2.0));
    let ys: Vec<String> = memory.y.ticks.iter().map(|&t| memory.y.label(t)).collect();
    assert!(ys.iter().any(|l| l.ends_with("MiB")), "{ys:?}");
    assert!(ys.iter().any(|l| l.ends_with("GiB")), "{ys:?}");
}
