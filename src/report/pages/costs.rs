//! The costs page: what spawning, IPC, locks and context switches cost on
//! this machine, each beside its thread-side twin (`cargo bench --bench
//! costs`), with sentences from [`crate::report::explain::costs`]; and how a
//! process starts and what a payload costs to send, Rust beside Python
//! ([`super::starts`]).

use std::path::Path;

use crate::costs::sharing::{self, CacheLine};
use crate::costs::{Side, ipc, locks, serialization, spawn, start, switch};
use crate::error::Result;
use crate::report::chart::{self, Bar, BarChart, LineChart, Point, Series, Unit};
use crate::report::estimates::Estimates;
use crate::report::explain::costs::{
    self as explain, IpcCosts, LockCosts, SpawnCosts, SwitchCosts,
};
use crate::report::explain::serialization::SerialCosts;
use crate::report::explain::sharing::{self as sharing_explain, SharingCosts};
use crate::report::explain::words;
use crate::report::pages::starts;
use crate::report::{Chart, Drawn, Figure, Page, PageOut, ReportInput, html};

/// The costs page (`costs.html`).
#[derive(Debug, Clone, Copy)]
pub struct Costs;

const GROUPS: [&str; 8] = [
    spawn::GROUP,
    ipc::LATENCY_GROUP,
    ipc::THROUGHPUT_GROUP,
    locks::GROUP,
    sharing::GROUP,
    switch::GROUP,
    start::GROUP,
    serialization::GROUP,
];

impl Page for Costs {
    fn name(&self) -> &'static str {
        "costs"
    }

    fn build(&self, input: &ReportInput, out: &Path) -> Result<Option<PageOut>> {
        let e = Estimates::from_scan(&input.scan);
        let mut notes = Vec::new();
        let python = starts::python_report(out, &mut notes);
        if !GROUPS.iter().any(|g| e.group(g).next().is_some()) && python.is_none() {
            return Ok(None);
        }
        if GROUPS
            .iter()
            .filter_map(|g| input.scan.run(g))
            .any(|r| r.quick)
        {
            notes.push(
                "Costs measured in quick mode (short windows): a first look. Run `cargo bench \
                 --bench costs` for the full measurement."
                    .into(),
            );
        }
        let mut body = format!(
            "<p>What each Python concept costs underneath, on this machine's {} cores, each \
             beside its thread-side twin (<code>cargo bench --bench costs</code>). Process \
             peers are <code>tvp peer</code> children; every time is a median.</p>\n",
            input.cores
        );
        let mut drawn = Drawn::new(out);
        let d = &mut drawn;
        body.push_str(&spawn_section(&SpawnCosts::from_estimates(&e), d)?);
        body.push_str(&ipc_section(&IpcCosts::from_estimates(&e), d)?);
        body.push_str(&locks_section(&LockCosts::from_estimates(&e), d)?);
        let sharing = SharingCosts {
            line: CacheLine::read(&out.join(crate::report::DATA_DIR)),
            cores: input.cores,
            ..SharingCosts::from_estimates(&e)
        };
        body.push_str(&sharing_section(&sharing, d)?);
        body.push_str(&switch_section(&SwitchCosts::from_estimates(&e), d)?);
        body.push_str(&starts::start_section(
            &starts::rust_starts(&e, out),
            python.as_ref(),
            d,
        )?);
        body.push_str(&starts::serialization_section(
            &SerialCosts::from_estimates(&e).with_pickle(python.as_ref()),
            d,
        )?);
        body.push_str("<h2>All numbers</h2>\n");
        let rows: Vec<Vec<String>> = GROUPS
            .iter()
            .flat_map(|g| e.group(g))
            .map(|x| {
                vec![
                    x.group.clone(),
                    x.function.clone().unwrap_or_default(),
                    x.value.clone().unwrap_or_default(),
                    words::ns(x.median_ns),
                ]
            })
            .collect();
        body.push_str(&html::table(
            &["group", "benchmark", "parameter", "median per iteration"],
            &rows,
        ));
        let figures = drawn.into_figures();
        Ok(Some(PageOut {
            claims: Vec::new(),
            file: "costs.html".into(),
            title: "The costs underneath: spawning, IPC, locks, context switches, how a process \
                    starts, serialization"
                .into(),
            nav: "Costs".into(),
            body,
            notes,
            figures,
        }))
    }
}

/// Bars in µs for the (label, ns) pairs present.
fn bars(values: &[(&str, Option<f64>)], scale: f64) -> Vec<Bar> {
    values
        .iter()
        .filter_map(|&(label, ns)| Some((label, ns?)))
        .enumerate()
        .map(|(i, (label, ns))| Bar::new(label, ns / scale, chart::color(i)))
        .collect()
}

/// Draws the costs figure `name` (`costs/<name>`, in `costs-<name>.svg`)
/// and returns its HTML; without numbers, only its sentences.
fn costs_figure(
    drawn: &mut Drawn,
    name: &str,
    title: &str,
    chart: impl Into<Chart>,
    sentences: Vec<String>,
    claims: Vec<crate::report::Claim>,
) -> Result<String> {
    drawn.add(
        Figure::new(
            format!("costs/{name}"),
            format!("costs-{name}.svg"),
            title,
            chart,
        )
        .with_sentences(sentences)
        .with_claims(claims),
    )
}

/// A bar chart of `bars`, in `y_unit`.
fn bar_chart(title: &str, y_label: &str, y_unit: Unit, bars: Vec<Bar>) -> BarChart {
    BarChart {
        title: title.into(),
        y_label: y_label.into(),
        y_unit,
        bars,
        ..BarChart::default()
    }
}

fn spawn_section(c: &SpawnCosts, drawn: &mut Drawn) -> Result<String> {
    let mut s = String::from(
        "<h2 id=\"spawn\">Spawning: Process and Pool</h2>\n<p>Starting a thread or a \
         process, and a task through a pool of each. A pool pays the start once.</p>\n",
    );
    let quick = bars(
        &[
            (spawn::THREAD, c.thread),
            (spawn::RAYON_TASK, c.rayon_task),
            (spawn::THREAD_POOL_TASK, c.thread_pool_task),
            (spawn::PROCESS_POOL_TASK, c.process_pool_task),
        ],
        1e3,
    );
    s.push_str(&costs_figure(
        drawn,
        "spawn-threads",
        "threads and pool tasks",
        bar_chart(
            "threads and pool tasks",
            "per operation",
            Unit::Micros,
            quick,
        ),
        Vec::new(),
        Vec::new(),
    )?);
    let slow = bars(
        &[
            (spawn::COMMAND_TRUE, c.command_true),
            (spawn::COMMAND_WORKER, c.command_worker),
            (spawn::FORK, c.fork),
            (spawn::FORK_LARGE, c.fork_large),
        ],
        1e6,
    );
    s.push_str(&costs_figure(
        drawn,
        "spawn-processes",
        "starting a process",
        bar_chart("starting a process", "per operation", Unit::Millis, slow),
        explain::explain_spawn(c),
        explain::spawn_claims(c),
    )?);
    Ok(s)
}

fn ipc_section(c: &IpcCosts, drawn: &mut Drawn) -> Result<String> {
    let mut s = String::from(
        "<h2 id=\"ipc\">IPC: Queue and Pipe</h2>\n<p>A message to a peer and a one-byte \
         answer back. Latency with 1-byte messages; throughput with 64 B to 1 MiB. In the \
         bars, T is a thread peer and P a process peer. A peer that sleeps while it waits \
         must be woken, and where matters: on another, idle CPU the wake-up interrupts that \
         CPU, which on a virtual machine costs tens of microseconds; when every CPU is busy \
         the peer wakes on the sender's own CPU, a plain switch. So these round trips can \
         be ten times longer on an idle machine than on a busy one \
         (<code>cargo run --release --example wakeup</code> shows the two cases). Shared \
         memory spins a little before it sleeps, and so avoids most of that.</p>\n",
    );
    let ids: Vec<String> = ipc::Mechanism::ALL
        .iter()
        .flat_map(|&m| m.sides().iter().map(move |&side| ipc::bench_id(m, side)))
        .collect();
    let labels: Vec<String> = ids.iter().map(|id| short_label(id)).collect();
    let latency: Vec<(&str, Option<f64>)> = ids
        .iter()
        .zip(&labels)
        .map(|(id, label)| (label.as_str(), c.latency(id)))
        .collect();
    s.push_str(&costs_figure(
        drawn,
        "ipc-latency",
        "1-byte round trip",
        bar_chart(
            "1-byte round trip",
            "per round trip",
            Unit::Micros,
            bars(&latency, 1e3),
        ),
        Vec::new(),
        explain::ipc_latency_claims(c),
    )?);
    // Channels move a pointer: their "throughput" would flatten every other
    // line, so the chart leaves them out (the sentences and table have them).
    let series: Vec<Series> = c
        .throughput_ids()
        .into_iter()
        .filter(|id| !explain::is_channel(id))
        .enumerate()
        .map(|(i, id)| {
            let points = c
                .throughput
                .iter()
                .filter(|(x, _, ns)| x == id && *ns > 0.0)
                // bytes/ns = GB/s
                .map(|&(_, bytes, ns)| Point::new(bytes as f64, bytes as f64 / ns));
            sorted_series(id, i, points)
        })
        .collect();
    let chart = LineChart {
        title: "throughput by message size".into(),
        x_label: "message size".into(),
        y_label: "GB/s".into(),
        series,
        x_unit: Unit::Bytes,
        ..LineChart::default()
    };
    s.push_str(
        &drawn.add(
            Figure::new(
                "costs/ipc-throughput",
                "costs-ipc-throughput.svg",
                chart.title.clone(),
                chart,
            )
            .with_sentences(explain::explain_ipc(c))
            .with_claims(explain::ipc_throughput_claims(c)),
        )?,
    );
    Ok(s)
}

/// One solid line in the `index`-th colour, its points in x order.
fn sorted_series(label: &str, index: usize, points: impl Iterator<Item = Point>) -> Series {
    let mut points: Vec<Point> = points.collect();
    points.sort_by(|a, b| a.x.total_cmp(&b.x));
    Series::solid(label, chart::color(index), points)
}

/// "pipe-process" -> "pipe P", "mpsc-thread" -> "mpsc" (channels have
/// only thread peers): short enough for ten bars.
fn short_label(id: &str) -> String {
    if id.starts_with("mpsc") || id.starts_with("crossbeam") {
        return id.trim_end_matches("-thread").to_string();
    }
    id.replace("-thread", " T").replace("-process", " P")
}

fn locks_section(c: &LockCosts, drawn: &mut Drawn) -> Result<String> {
    let mut s = format!(
        "<h2 id=\"locks\">Locks: Lock and RLock</h2>\n<p>N contenders each run {} critical \
         sections (add 1 to one shared counter; <code>atomic</code> does it with one \
         <code>fetch_add</code> and no lock) per batch; the count is \
         checked afterwards. Higher is better.</p>\n",
        locks::BATCH_OPS
    );
    let chart = contention_chart(
        "critical sections per second",
        "contenders (threads, or processes for process-mutex)",
        contention_lines(&c.rows, &c.kinds(), |_| false),
    );
    s.push_str(&costs_figure(
        drawn,
        "locks",
        &chart.title.clone(),
        chart,
        explain::explain_locks(c),
        explain::lock_claims(c),
    )?);
    Ok(s)
}

/// One line per id over the contender counts, in million per second; the
/// ids `dashed` says are drawn dashed.
fn contention_lines(
    rows: &[(String, usize, f64)],
    ids: &[&str],
    dashed: impl Fn(&str) -> bool,
) -> Vec<Series> {
    ids.iter()
        .enumerate()
        .map(|(i, &id)| {
            let points = rows
                .iter()
                .filter(|(x, ..)| x == id)
                .map(|&(_, n, rate)| Point::new(n as f64, rate / 1e6));
            Series {
                dashed: dashed(id),
                ..sorted_series(id, i, points)
            }
        })
        .collect()
}

/// A chart of totals per second against contenders.
fn contention_chart(title: &str, x_label: &str, series: Vec<Series>) -> LineChart {
    LineChart {
        title: title.into(),
        x_label: x_label.into(),
        y_label: "million per second, all contenders".into(),
        series,
        x_unit: Unit::Count,
        ..LineChart::default()
    }
}

fn sharing_section(c: &SharingCosts, drawn: &mut Drawn) -> Result<String> {
    let line = match &c.line {
        Some(CacheLine {
            bytes,
            fallback: None,
        }) => format!(
            "{} apart (the cache line size read from <code>{}</code> when measured)",
            words::bytes(*bytes as u64),
            sharing::LINE_FILE
        ),
        Some(CacheLine {
            bytes,
            fallback: Some(why),
        }) => format!(
            "{} apart (assumed: {})",
            words::bytes(*bytes as u64),
            html::escape(why)
        ),
        None => format!(
            "one cache line apart (the line size is in <code>data/{}</code>, written by the \
             bench; it is missing here)",
            sharing::DATA_FILE
        ),
    };
    let mut s = format!(
        "<h2 id=\"false-sharing\">False sharing: counters each thread owns</h2>\n<p>N \
         contenders each add 1 to a counter, {} times per batch, and only where the counters \
         live changes: <code>padded</code>, a counter each, {line}; <code>adjacent</code>, a \
         counter each, 8 bytes apart, so all on one cache line; <code>one-atomic</code>, one \
         counter for all (<code>fetch_add</code>); <code>one-mutex</code>, one counter under a \
         mutex. Dashed lines are processes on one shared-memory page. Every total is checked. \
         Higher is better.</p>\n",
        sharing::BATCH_OPS
    );
    let chart = contention_chart(
        "increments per second, by where the counters live",
        "contenders (threads, or processes for the dashed lines)",
        contention_lines(&c.rows, &c.ids(), |id| id.ends_with(Side::Process.name())),
    );
    s.push_str(&costs_figure(
        drawn,
        "false-sharing",
        &chart.title.clone(),
        chart,
        sharing_explain::explain_sharing(c),
        sharing_explain::sharing_claims(c),
    )?);
    Ok(s)
}

fn switch_section(c: &SwitchCosts, drawn: &mut Drawn) -> Result<String> {
    let mut s = String::from(
        "<h2 id=\"switch\">Context switches</h2>\n<p>Two threads, or two processes, on one \
         core hand a token back and forth through a futex; time per switch. Then the same \
         with the peer on another core (\"other core\"): time per hand-off, which now \
         includes waking that core.</p>\n",
    );
    s.push_str(&costs_figure(
        drawn,
        "context-switch",
        "one context switch, one hand-off across cores",
        bar_chart(
            "one context switch, one hand-off across cores",
            "per switch or hand-off",
            Unit::Micros,
            bars(
                &[
                    (Side::Thread.name(), c.thread),
                    (Side::Process.name(), c.process),
                    ("thread, other core", c.thread_other_core),
                    ("process, other core", c.process_other_core),
                ],
                1e3,
            ),
        ),
        explain::explain_switch(c),
        explain::switch_claims(c),
    )?);
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::criterion::Benchmark;

    fn bench(group: &str, function: &str, value: Option<&str>, median_ns: f64) -> Benchmark {
        Benchmark::exact(group, function, value, median_ns)
    }

    fn input(benchmarks: Vec<Benchmark>) -> ReportInput {
        ReportInput::made_up(benchmarks, Vec::new())
    }

    #[test]
    fn the_page_draws_every_family_with_its_sentences() {
        let dir = tempfile::tempdir().unwrap();
        let page = Costs
            .build(
                &input(vec![
                    bench("spawn", "thread", None, 20_000.0),
                    bench("spawn", "command-tvp-worker", None, 1_000_000.0),
                    bench("ipc-latency", "pipe-process", None, 10_000.0),
                    bench("ipc-latency", "crossbeam-thread", None, 1_000.0),
                    bench("ipc-throughput", "pipe-process", Some("64"), 10_000.0),
                    bench("ipc-throughput", "pipe-process", Some("1048576"), 500_000.0),
                    bench("locks", "std-mutex", Some("1"), 1e6),
                    bench("locks", "std-mutex", Some("2"), 4e6),
                    bench("false-sharing", "padded-thread", Some("2"), 2e6),
                    bench("false-sharing", "adjacent-thread", Some("2"), 20e6),
                    bench("context-switch", "thread", None, 2_000.0),
                    bench("context-switch", "process", None, 2_500.0),
                ]),
                dir.path(),
            )
            .unwrap()
            .unwrap();
        assert_eq!(page.file, "costs.html");
        for svg in [
            "costs-spawn-threads.svg",
            "costs-spawn-processes.svg",
            "costs-ipc-latency.svg",
            "costs-ipc-throughput.svg",
            "costs-locks.svg",
            "costs-false-sharing.svg",
            "costs-context-switch.svg",
        ] {
            assert!(dir.path().join(svg).is_file(), "{svg} missing");
            assert!(page.body.contains(svg));
        }
        for claim in [
            "a process spawn (tvp worker: spawn, exit, wait) 1.00 ms and a thread spawn 20.0 µs",
            "between two threads 2.00 µs and between two processes 2.50 µs",
            "std-mutex with 2 contenders 20.0 M ops/s and alone 40.0 M ops/s",
            // 2 x 200,000 increments in 2 ms vs 20 ms; no data file: the
            // page says where the line size would be.
            "counters a cache line apart 200.0 M ops/s and counters 8 bytes apart 20.0 M ops/s",
        ] {
            assert!(page.body.contains(claim), "missing {claim:?}");
        }
        assert!(page.body.contains("data/false_sharing.json"));
        assert_eq!(short_label("pipe-process"), "pipe P");
        assert_eq!(short_label("crossbeam-thread"), "crossbeam");
    }

    #[test]
    fn no_cost_results_means_no_page() {
        let dir = tempfile::tempdir().unwrap();
        let other = vec![bench("primes", "rayon", Some("2"), 1e6)];
        assert!(Costs.build(&input(other), dir.path()).unwrap().is_none());
    }
}
