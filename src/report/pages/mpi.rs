//! The MPI page (`mpi.html`): for every CPU-bound workload the `mpi` bench
//! measured (`cargo bench --features mpi --bench mpi`, groups
//! `mpi-<workload>`), the ranks' computing time and the whole run
//! (computing plus the launch, from [`crate::sweep::mpi_launch::FILE`]) over
//! shared memory and over TCP, beside the `threads`, `process` and `pool`
//! results of the scaling bench when that measured the same size. Sentences
//! come from [`crate::report::explain::mpi`]. Then the exchange (compute,
//! then all-reduce B bytes, every step; [`crate::costs::exchange`]) from
//! [`crate::costs::exchange::data::FILE`]: the share of a step spent
//! communicating by buffer size for every transport, and the times, with
//! sentences from [`crate::report::explain::exchange`]. Present when an
//! `mpi-` group or the exchange file is.

use std::path::Path;
use std::time::Duration;

use crate::costs::exchange::data::{self as exchange_data, ExchangeData, TransportRun};
use crate::costs::exchange::{self, Transport};
use crate::error::Result;
use crate::report::chart::{self, LineChart, Point, Series, Unit};
use crate::report::estimates::Estimates;
use crate::report::explain::costs::SpawnCosts;
use crate::report::explain::words;
use crate::report::explain::{exchange as explain_exchange, mpi};
use crate::report::pages::workload::workers_chart;
use crate::report::results::{self, ResultRow};
use crate::report::{Drawn, Figure, Page, PageOut, ReportInput, html};
use crate::sweep::mpi_launch::{self, LaunchCosts};
use crate::workloads::{self, Entry, Kind};

/// The MPI page (`mpi.html`).
#[derive(Debug, Clone, Copy)]
pub struct Mpi;

pub const FILE: &str = "mpi.html";
const MPI_BACKENDS: [&str; 2] = [crate::backends::MPI, crate::backends::MPI_TCP];
/// The scaling bench's backends shown beside the ranks.
const BESIDE: [&str; 3] = ["threads", "process", "pool"];

/// The criterion group the `mpi` bench writes a workload's results to.
pub fn group(workload: &str) -> String {
    format!("mpi-{workload}")
}

fn measured_workloads(input: &ReportInput) -> Vec<&'static Entry> {
    workloads::REGISTRY
        .iter()
        .filter(|e| e.kind == Kind::Cpu)
        .filter(|e| input.scan.group(&group(e.name)).next().is_some())
        .collect()
}

impl Page for Mpi {
    fn name(&self) -> &'static str {
        "MPI"
    }

    fn build(&self, input: &ReportInput, out: &Path) -> Result<Option<PageOut>> {
        let entries = measured_workloads(input);
        let mut notes = Vec::new();
        let exchange_file = out.join(exchange_data::FILE);
        let exchanged = match crate::report::too_large(&exchange_file) {
            Some(note) => Err(crate::error::Error::Data(note)),
            None => ExchangeData::read(&exchange_file),
        }
        .unwrap_or_else(|e| {
            notes.push(format!("No exchange results: {e}"));
            ExchangeData::default()
        });
        if entries.is_empty() && exchanged.runs.is_empty() {
            return Ok(None);
        }
        let launch_file = out.join(mpi_launch::FILE);
        let launches = match crate::report::too_large(&launch_file) {
            Some(note) => Err(crate::error::Error::Data(note)),
            None => LaunchCosts::read(&launch_file),
        }
        .unwrap_or_else(|e| {
            notes.push(format!("No launch costs: {e}"));
            LaunchCosts::default()
        });
        let worker_spawn = SpawnCosts::from_estimates(&Estimates::from_scan(&input.scan))
            .command_worker
            .map(|ns| Duration::from_secs_f64(ns / 1e9));
        let mut body = format!(
            "<p>The CPU-bound workloads as MPI ranks started by <code>mpirun</code> \
             (<code>cargo bench --features mpi --bench mpi</code>): <code>mpi</code> lets the \
             ranks talk through shared memory, <code>mpi-tcp</code> through TCP on the loopback \
             interface, the path a message takes between machines. Solid lines are the ranks \
             computing; dashed, the whole run with the launch (starting <code>mpirun</code> \
             and the ranks, MPI_Init, shutting down), which every run pays again. \
             <code>threads</code>, <code>process</code> and <code>pool</code> come from the \
             scaling bench, spawning included for <code>process</code>. This machine has {} \
             cores. Launch costs per cell: <a href=\"{}\">{}</a>.</p>\n",
            input.cores,
            mpi_launch::FILE,
            mpi_launch::FILE
        );
        let mut drawn = Drawn::new(out);
        for entry in entries {
            body.push_str(&section(
                entry,
                input,
                &launches,
                worker_spawn,
                &mut drawn,
                &mut notes,
            )?);
        }
        body.push_str(&exchange_section(&exchanged, &mut drawn, &mut notes)?);
        let figures = drawn.into_figures();
        Ok(Some(PageOut {
            claims: Vec::new(),
            file: FILE.into(),
            title: "MPI ranks: processes that could span machines".into(),
            nav: "MPI".into(),
            body,
            notes,
            figures,
        }))
    }
}

/// One cell as the MPI sentences read it: the whole run is the computing
/// time (criterion's median) plus the launch.
fn cell(row: &ResultRow, launch: Option<Duration>) -> mpi::Cell {
    let computing = Duration::from_secs_f64(row.median_ms.max(0.0) / 1e3);
    mpi::Cell {
        backend: row.backend.clone(),
        workers: row.workers,
        median: computing + launch.unwrap_or_default(),
        launch,
    }
}

/// The scaling bench's rows for `BESIDE`, if it measured `name` at the
/// same size and mode as the mpi bench; otherwise a note says why not.
fn beside_rows(
    input: &ReportInput,
    name: &str,
    size: Option<u64>,
    quick: bool,
    notes: &mut Vec<String>,
) -> Vec<ResultRow> {
    let same = input
        .scan
        .run(name)
        .is_some_and(|r| Some(r.size) == size && r.quick == quick);
    if !same {
        notes.push(format!(
            "{name}: no scaling results at the MPI run's size and mode, so no threads, process \
             and pool beside the ranks: run `cargo bench --bench scaling{}`.",
            if quick { " -- --quick" } else { "" }
        ));
        return Vec::new();
    }
    let (rows, _) = results::workload_rows(&input.scan, name, "cpu");
    rows.into_iter()
        .filter(|r| BESIDE.contains(&r.backend.as_str()))
        .collect()
}

fn section(
    entry: &Entry,
    input: &ReportInput,
    launches: &LaunchCosts,
    worker_spawn: Option<Duration>,
    drawn: &mut Drawn,
    notes: &mut Vec<String>,
) -> Result<String> {
    let name = entry.name;
    let group = group(name);
    let (rows, group_notes) = results::workload_rows(&input.scan, &group, "cpu");
    notes.extend(group_notes);
    let run = input.scan.run(&group);
    let size = run.map(|r| r.size);
    let quick = run.is_some_and(|r| r.quick);
    let launch_of = |r: &ResultRow| {
        launches
            .get(name, &r.backend, r.workers, size?, quick)
            .map(|c| c.median())
    };
    let mpi_rows: Vec<&ResultRow> = rows
        .iter()
        .filter(|r| MPI_BACKENDS.contains(&r.backend.as_str()))
        .collect();
    if mpi_rows.iter().any(|r| launch_of(r).is_none()) {
        notes.push(format!(
            "{name}: some MPI cells have no launch cost in {}: their dashed whole-run line is \
             missing. Rerun `cargo bench --features mpi --bench mpi`.",
            mpi_launch::FILE
        ));
    }
    let beside = beside_rows(input, name, size, quick, notes);
    let sequential = rows.iter().find(|r| r.backend == "sequential");

    let mut counts: Vec<usize> = mpi_rows.iter().map(|r| r.workers).collect();
    counts.sort_unstable();
    counts.dedup();
    let mut series = Vec::new();
    let line = |label: String, backend: &str, dashed: bool, points: Vec<Point>| {
        let color = chart::backend_color(backend);
        if dashed {
            Series::dashed(label, color, points)
        } else {
            Series::solid(label, color, points)
        }
    };
    for b in BESIDE {
        let points: Vec<Point> = beside
            .iter()
            .filter(|r| r.backend == b && counts.contains(&r.workers))
            .map(|r| Point::new(r.workers as f64, r.median_ms))
            .collect();
        if !points.is_empty() {
            series.push(line(b.to_string(), b, false, points));
        }
    }
    for b in MPI_BACKENDS {
        let of_b = || mpi_rows.iter().filter(move |r| r.backend == b);
        let computing: Vec<Point> = of_b()
            .map(|r| Point::new(r.workers as f64, r.median_ms))
            .collect();
        let whole: Vec<Point> = of_b()
            .filter_map(|r| {
                let launch = launch_of(r)?;
                Some(Point::new(
                    r.workers as f64,
                    r.median_ms + launch.as_secs_f64() * 1e3,
                ))
            })
            .collect();
        if !computing.is_empty() {
            series.push(line(format!("{b}, computing"), b, false, computing));
        }
        if !whole.is_empty() {
            series.push(line(format!("{b}, with launch"), b, true, whole));
        }
    }
    if let Some(seq) = sequential {
        let flat = counts
            .iter()
            .map(|&n| Point::new(n as f64, seq.median_ms))
            .collect();
        series.push(line(
            format!("sequential, {}", words::ms(seq.median_ms)),
            "sequential",
            true,
            flat,
        ));
    }
    let chart = workers_chart(name, "time per run", Unit::Millis, series, input.cores);

    let mut sentences = Vec::new();
    let mut claims = Vec::new();
    if let Some(seq) = sequential {
        let mut cells: Vec<mpi::Cell> = mpi_rows.iter().map(|r| cell(r, launch_of(r))).collect();
        cells.extend(beside.iter().map(|r| cell(r, None)));
        let result = mpi::Times {
            sequential: Duration::from_secs_f64(seq.median_ms / 1e3),
            cells,
            across_hosts: false,
        };
        if let Some((text, mpi_claims)) = mpi::explain_mpi_parts(&result, input.cores) {
            sentences.push(text);
            claims = mpi_claims;
        }
        let launch = result
            .cells
            .iter()
            .filter(|m| m.backend == crate::backends::MPI && m.workers <= input.cores)
            .max_by_key(|m| m.workers)
            .and_then(|m| Some((m.workers, m.launch?)));
        if let (Some((ranks, launch)), Some(spawn)) = (launch, worker_spawn) {
            sentences.push(mpi::launch_vs_spawn(ranks, launch, spawn));
        }
    }
    let mut s = format!(
        "<h2 id=\"{0}\">{0}</h2>\n<p>{1}{2}.</p>\n",
        html::escape(name),
        html::escape(entry.teaches),
        size.map_or(String::new(), |n| format!(
            "; {} items{}",
            words::thousands(n),
            if quick { ", quick mode" } else { "" }
        )),
    );
    s.push_str(
        &drawn.add(
            Figure::new(
                format!("mpi/{name}"),
                format!("mpi-{name}.svg"),
                format!("{name}: time per run by ranks, computing and with the launch"),
                chart,
            )
            .with_sentences(sentences)
            .with_claims(claims),
        )?,
    );
    s.push_str(&table(&counts, &mpi_rows, &beside, &launch_of));
    Ok(s)
}

/// The label of a transport's line in the exchange chart and sentences.
fn exchange_label(run: &TransportRun) -> String {
    let described = Transport::ALL
        .iter()
        .find(|t| t.name() == run.transport)
        .map_or(run.transport.as_str(), |t| t.describe());
    match &run.rate_limit {
        Some(rate) => format!("{described} ({rate})"),
        None => described.to_string(),
    }
}

/// The exchange: the share of a step spent communicating, by buffer size,
/// for every transport measured (full runs if any, else quick ones), and a
/// table of the times.
fn exchange_section(
    data: &ExchangeData,
    drawn: &mut Drawn,
    notes: &mut Vec<String>,
) -> Result<String> {
    let full = data.of_mode(false);
    let (runs, quick) = if full.is_empty() {
        (data.of_mode(true), true)
    } else {
        (full, false)
    };
    let Some(first) = runs.first() else {
        return Ok(String::new());
    };
    if !runs
        .iter()
        .any(|r| r.transport == Transport::MpiHosts.name())
    {
        notes.push(
            "The exchange has no simulated hosts: as root, run `scripts/sim-cluster.sh up 2` \
             (or more hosts, one per core), then `cargo bench --features mpi --bench mpi -- \
             exchange`, and `scripts/sim-cluster.sh down` after."
                .to_string(),
        );
    }
    if runs.iter().any(|r| !r.agreed) {
        notes.push("An exchange run ended in a digest that differs from sequential.".into());
    }
    let mut s = format!(
        "<h2 id=\"exchange\">Compute, then communicate</h2>\n<p>Every step, each of {parts} \
         participants updates its part of an array of {elements} numbers ({rounds} hashes \
         each), adds the results into a buffer of B bytes, and the buffers are summed and \
         handed to everyone (an all-reduce) for the next step. The compute per step is fixed; \
         the buffer grows from {smallest} to {largest}, so somewhere communication (a step \
         minus its compute: moving, summing and waiting) overtakes compute. Threads read each \
         other's buffers in shared memory; the pool's processes send theirs through pipes to \
         the parent, which sums and sends back; MPI ranks call <code>MPI_Allreduce</code>. \
         The simulated hosts are network namespaces of this machine \
         (<code>scripts/sim-cluster.sh</code>): they share its cores and memory, so these \
         figures show what the protocol and the link cost, not what a real cluster would \
         gain. Data: <a href=\"{file}\">{file}</a>{mode}.</p>\n",
        parts = first.parts,
        elements = words::thousands(first.elements),
        rounds = first.rounds,
        smallest = words::bytes(first.cells.first().map_or(0, |c| c.bytes)),
        largest = words::bytes(first.cells.last().map_or(0, |c| c.bytes)),
        file = exchange_data::FILE,
        mode = if quick { ", quick mode" } else { "" },
    );
    let lines: Vec<explain_exchange::Line> = runs
        .iter()
        .map(|r| explain_exchange::Line {
            label: exchange_label(r),
            limited: r.rate_limit.is_some(),
            across_hosts: r.transport.starts_with(Transport::MpiHosts.name()),
            points: r
                .cells
                .iter()
                .map(|c| (c.bytes, c.step_secs, c.compute_secs))
                .collect(),
        })
        .collect();
    let mut series: Vec<Series> = runs
        .iter()
        .zip(&lines)
        .enumerate()
        .map(|(i, (run, line))| {
            let points = run
                .cells
                .iter()
                .map(|c| {
                    Point::new(
                        c.bytes as f64,
                        explain_exchange::communication_share(c.step_secs, c.compute_secs),
                    )
                })
                .collect();
            Series::solid(line.label.clone(), chart::color(i), points)
        })
        .collect();
    let xs: Vec<f64> = first.cells.iter().map(|c| c.bytes as f64).collect();
    if let (Some(&lo), Some(&hi)) = (xs.first(), xs.last()) {
        series.push(Series::dashed(
            "communication = compute",
            chart::REFERENCE,
            vec![Point::new(lo, 0.5), Point::new(hi, 0.5)],
        ));
    }
    let chart = LineChart {
        title: "share of a step spent communicating".into(),
        x_label: "buffer".into(),
        y_label: "communication / step".into(),
        series,
        x_unit: Unit::Bytes,
        y_unit: Unit::Percent,
        ..LineChart::default()
    };
    s.push_str(
        &drawn.add(
            Figure::new(
                "mpi/exchange",
                "mpi-exchange.svg",
                "share of each step spent communicating, by buffer size, per transport",
                chart,
            )
            .with_sentences(explain_exchange::explain(&lines)),
        )?,
    );
    s.push_str(&exchange_table(&runs));
    Ok(s)
}

/// Transport x buffer size: time per step (compute in brackets).
fn exchange_table(runs: &[&TransportRun]) -> String {
    let sizes: Vec<u64> = runs
        .first()
        .map(|r| r.cells.iter().map(|c| c.bytes).collect())
        .unwrap_or_default();
    let mut headers = vec!["buffer".to_string()];
    headers.extend(runs.iter().map(|r| exchange_label(r)));
    let rows: Vec<Vec<String>> = sizes
        .iter()
        .map(|&bytes| {
            let mut row = vec![words::bytes(bytes)];
            for r in runs {
                row.push(r.cell(bytes).map_or("-".to_string(), |c| {
                    format!(
                        "{} ({})",
                        words::ns(c.step_secs * 1e9),
                        words::ns(c.compute_secs * 1e9)
                    )
                }));
            }
            row
        })
        .collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    format!(
        "<p>Time per step, and in brackets participant 0's compute, by buffer size \
         ({} steps from the start are checked against a sequential run first).</p>\n{}",
        exchange::CHECK_STEPS,
        html::table(&headers, &rows)
    )
}

/// Ranks x (each mpi backend's computing and launch, then `BESIDE`).
fn table(
    counts: &[usize],
    mpi_rows: &[&ResultRow],
    beside: &[ResultRow],
    launch_of: &dyn Fn(&ResultRow) -> Option<Duration>,
) -> String {
    let mut headers = vec!["ranks / workers".to_string()];
    for b in MPI_BACKENDS {
        headers.push(format!("{b} computing"));
        headers.push(format!("{b} launch"));
    }
    let shown: Vec<&str> = BESIDE
        .into_iter()
        .filter(|b| beside.iter().any(|r| r.backend == *b))
        .collect();
    headers.extend(shown.iter().map(|b| b.to_string()));
    let cell = |v: Option<f64>| v.map_or("-".to_string(), words::ms);
    let rows: Vec<Vec<String>> = counts
        .iter()
        .map(|&n| {
            let mut row = vec![n.to_string()];
            for b in MPI_BACKENDS {
                let r = mpi_rows.iter().find(|r| r.backend == b && r.workers == n);
                row.push(cell(r.map(|r| r.median_ms)));
                row.push(cell(
                    r.and_then(|r| launch_of(r)).map(|d| d.as_secs_f64() * 1e3),
                ));
            }
            for b in &shown {
                let r = beside.iter().find(|r| r.backend == *b && r.workers == n);
                row.push(cell(r.map(|r| r.median_ms)));
            }
            row
        })
        .collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    html::table(&headers, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::costs::spawn;
    use crate::report::criterion::{Benchmark, RunInfo};
    use crate::sweep::mpi_launch::LaunchCell;
    use crate::workloads::Job;

    const SIZE: u64 = 1_000;

    fn ms(group: &str, backend: &str, workers: usize, ms: f64) -> Benchmark {
        Benchmark::exact(group, backend, Some(&workers.to_string()), ms * 1e6)
    }

    fn run(group: &str, size: u64, benchmarks: &[Benchmark]) -> RunInfo {
        let ids = benchmarks
            .iter()
            .filter(|b| b.group == group)
            .map(|b| (b.function.clone().unwrap(), b.value.clone().unwrap()))
            .collect();
        RunInfo::now(group, "cpu", size, false, ids)
    }

    /// The mpi bench's primes group, the scaling bench's (at `scaling_size`)
    /// and a worker spawn of 1.6 ms.
    fn input(scaling_size: u64) -> ReportInput {
        let mut benchmarks = vec![
            ms("mpi-primes", "sequential", 1, 240.0),
            ms("mpi-primes", "mpi", 1, 245.0),
            ms("mpi-primes", "mpi", 2, 125.0),
            ms("mpi-primes", "mpi-tcp", 1, 246.0),
            ms("mpi-primes", "mpi-tcp", 2, 128.0),
        ];
        for (backend, one, two) in [
            ("threads", 241.0, 140.0),
            ("process", 243.0, 150.0),
            ("pool", 242.0, 130.0),
        ] {
            benchmarks.push(ms("primes", backend, 1, one));
            benchmarks.push(ms("primes", backend, 2, two));
        }
        benchmarks.push(Benchmark::exact(
            spawn::GROUP,
            spawn::COMMAND_WORKER,
            None,
            1.6e6,
        ));
        let runs = vec![
            run("mpi-primes", SIZE, &benchmarks),
            run("primes", scaling_size, &benchmarks),
        ];
        ReportInput::made_up(benchmarks, runs)
    }

    fn write_launches(out: &Path) {
        let mut costs = LaunchCosts::default();
        for (backend, ranks, launch) in [
            ("mpi", 1, 150),
            ("mpi", 2, 160),
            ("mpi-tcp", 1, 152),
            ("mpi-tcp", 2, 170),
        ] {
            let job = Job::new("primes").unwrap().with_size(SIZE);
            let launches = [Duration::from_millis(launch)];
            costs.insert(LaunchCell::from_runs(&job, false, backend, ranks, &launches).unwrap());
        }
        costs.write(&out.join(mpi_launch::FILE)).unwrap();
    }

    #[test]
    fn no_mpi_results_no_page() {
        let dir = tempfile::tempdir().unwrap();
        let input = ReportInput::made_up(vec![ms("primes", "sequential", 1, 240.0)], Vec::new());
        assert!(Mpi.build(&input, dir.path()).unwrap().is_none());
    }

    #[test]
    fn ranks_are_shown_computing_and_with_their_launch_beside_process_and_pool() {
        let dir = tempfile::tempdir().unwrap();
        write_launches(dir.path());
        let page = Mpi.build(&input(SIZE), dir.path()).unwrap().unwrap();
        assert!(page.notes.is_empty(), "{:?}", page.notes);
        let svg = std::fs::read_to_string(dir.path().join("mpi-primes.svg")).unwrap();
        for legend in [
            "mpi, computing",
            "mpi, with launch",
            "mpi-tcp, with launch",
            "process",
            "pool",
        ] {
            assert!(svg.contains(legend), "the chart lacks {legend}");
        }
        let figure = page.figures.iter().find(|f| f.id == "mpi/primes").unwrap();
        for c in &figure.claims {
            c.check(&c.sentence()).unwrap();
            let shown = crate::report::datasets::text(&crate::report::html::escape(&c.sentence()));
            assert!(
                crate::report::datasets::text(&page.body).contains(&shown),
                "{shown}"
            );
        }
        assert!(
            figure.claims[0]
                .sentence()
                .starts_with("As expected, an mpi run")
        );
        let text = figure.all_sentences().join(" ");
        for expected in [
            // 125 ms computing + 160 ms launch at 2 ranks, the core count.
            "At 2 ranks, an mpi run took 285 ms: 160 ms (56%) launching",
            "125 ms computing (1.92x the sequential 240 ms)",
            "process took 150 ms with its spawning included (about 10.0 ms more than threads)",
            "pool took 130 ms",
            "Over TCP",
            "as much as 100 spawns of a tvp worker child (1.60 ms each",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in {text}");
        }
        for cell in ["160 ms", "170 ms", "128 ms", "1,000 items"] {
            assert!(page.body.contains(cell), "the page lacks {cell}");
        }
    }

    #[test]
    fn missing_launches_and_scaling_at_another_size_give_notes() {
        let dir = tempfile::tempdir().unwrap();
        let page = Mpi.build(&input(SIZE * 2), dir.path()).unwrap().unwrap();
        let notes = page.notes.join("\n");
        assert!(
            notes.contains("cargo bench --features mpi --bench mpi"),
            "{notes}"
        );
        assert!(notes.contains("cargo bench --bench scaling`"), "{notes}");
        let svg = std::fs::read_to_string(dir.path().join("mpi-primes.svg")).unwrap();
        assert!(svg.contains("mpi, computing") && !svg.contains("with launch"));
        assert!(
            !svg.contains(">process<"),
            "no process line from another size"
        );
        assert!(!page.body.contains("process took"));
    }
}
