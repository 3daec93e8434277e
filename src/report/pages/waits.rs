//! The "Many waits" page (`waits.html`): `latency` at 1 to 10,000
//! concurrent waits on async tasks, threads and processes, from
//! `data/waits.json` in the report directory (written by `cargo bench
//! --bench waits`, see [`crate::sweep::waits`]). Two charts, on log axes
//! where the values span decades: the time of a run against concurrent
//! waits, with the ideal (one wait per item divided by the concurrency), and
//! the memory at a run's peak (PSS, parent plus children); then where each line stopped and why, and a table of
//! what each concurrent wait cost. Sentences from
//! [`crate::report::explain::waits`]. Present when the data file is.

use std::path::Path;

use crate::backends::{self, Worker};
use crate::error::Result;
use crate::report::chart::{self, LineChart, Point, Series, Unit};
use crate::report::explain::{waits as explain, words};
use crate::report::{Drawn, Figure, Page, PageOut, ReportInput, html};
use crate::sweep::waits::{self, Variant, WaitsReport};

/// The "Many waits" page.
#[derive(Debug, Clone, Copy)]
pub struct Waits;

pub const FILE: &str = "waits.html";

/// The time chart's figure id.
pub const TIME_ID: &str = "waits/time";
/// The memory chart's figure id.
pub const MEMORY_ID: &str = "waits/memory";

impl Page for Waits {
    fn name(&self) -> &'static str {
        "Many waits"
    }

    fn build(&self, input: &ReportInput, out: &Path) -> Result<Option<PageOut>> {
        let path = out.join(waits::FILE);
        if !path.is_file() {
            return Ok(None);
        }
        let report = WaitsReport::read(&path)?;
        let mut notes = Vec::new();
        if report.quick {
            notes.push(
                "The waits sweep was measured in quick mode (fewer points, 4 waits per task, a \
                 shorter time cap): a first look, not figures to quote."
                    .to_string(),
            );
        }
        if report.cores != input.cores {
            notes.push(format!(
                "The waits sweep saw {} cores; the other pages {}.",
                report.cores, input.cores
            ));
        }
        if report.times.iter().any(|c| !c.checksum_ok) {
            notes.push(format!(
                "A checksum disagreed in the waits sweep: see {}.",
                waits::FILE
            ));
        }
        let mut body = intro(&report);
        let mut drawn = Drawn::new(out);
        let lines = time_lines(&report);
        let mut sentences = explain::explain_time(
            report.ideal_ms(),
            report.waits_per_task,
            report.wait_ms,
            &lines,
        );
        sentences.extend(explain::explain_stops(&stops(&report)));
        let spread = |label: &str, n: usize| report.time(label, n).map(time_spread);
        let time_claims = explain::time_claims(report.ideal_ms(), report.wait_ms, &lines, &spread);
        body.push_str(
            &drawn.add(
                Figure::new(
                    TIME_ID,
                    "waits-time.svg",
                    "latency: time of a run by concurrent waits",
                    time_chart(&report),
                )
                .with_sentences(sentences)
                .with_claims(time_claims),
            )?,
        );
        body.push_str(&time_table(&report));
        body.push_str(
            "<h2 id=\"memory\">Memory per concurrent wait</h2>\n<p>One more run per point, in a \
             fresh process, each worker waiting once and long enough that all of them are alive \
             together; the memory is the kernel's at the run's peak. PSS (proportional set \
             size) divides each shared page among the processes sharing it, so unlike RSS it \
             adds up across a parent and its children. The cost per wait is the slope from 1 to \
             the line's last point.</p>\n",
        );
        body.push_str(
            &drawn.add(
                Figure::new(
                    MEMORY_ID,
                    "waits-memory.svg",
                    "latency: memory at the peak by concurrent waits",
                    memory_chart(&report),
                )
                .with_sentences(explain::explain_memory(&memory_facts(&report)))
                .with_claims(explain::memory_claims(&memory_facts(&report))),
            )?,
        );
        body.push_str(&memory_table(&report));
        Ok(Some(PageOut {
            claims: Vec::new(),
            file: FILE.into(),
            title: "Many waits: threads, processes or async tasks".into(),
            nav: "Many waits".into(),
            body,
            notes,
            figures: drawn.into_figures(),
        }))
    }
}

fn intro(report: &WaitsReport) -> String {
    let knob = |b: &str| backends::entry(b).map_or("", |e| e.worker.knob());
    format!(
        "<p>How many things can a program wait on at once? Here each of N workers waits \
         {per} times {wait} ms in a row (the <code>{workload}</code> workload with N &times; \
         {per} items), for N from 1 to {top}, on this machine's {cores} cores (<code>cargo bench \
         --bench waits</code>). If waiting cost nothing, every run would take {ideal} whatever \
         N: one wait per item divided by the concurrency, the dashed line. What a run takes \
         beyond it is the price of N concurrent waits: starting N threads or processes, or \
         polling N tasks.</p>\n<p>The workers knob means different things: for \
         <code>async</code> and <code>async-mt</code> it is {tasks} (async-mt runs them on a \
         thread per core); for <code>threads</code> {threads}; for <code>process</code> and \
         <code>pool</code> {processes}. An axis whose values span decades is logarithmic. \
         All numbers: <a href=\"{file}\">{file}</a> (sizes in kB).</p>\n",
        per = report.waits_per_task,
        wait = report.wait_ms,
        workload = html::escape(&report.workload),
        top = words::thousands(
            report
                .times
                .iter()
                .map(|c| c.concurrency)
                .max()
                .unwrap_or(1) as u64
        ),
        cores = report.cores,
        ideal = words::ms(report.ideal_ms()),
        tasks = knob("async"),
        threads = knob("threads"),
        processes = knob("process"),
        file = waits::FILE,
    )
}

/// A variant's colour: its backend's, lighter for a second line of the
/// same backend (threads with a small stack).
fn color(report: &WaitsReport, variant: &Variant) -> plotters::style::RGBColor {
    let base = chart::backend_color(&variant.backend);
    let first = report
        .variants
        .iter()
        .find(|v| v.backend == variant.backend)
        .is_some_and(|v| v.label == variant.label);
    if first { base } else { chart::lighter(base) }
}

/// A chart over concurrent waits (a count: powers of two once it spans
/// decades) of values in `y_unit` (a log axis when they span decades too).
fn waits_chart(title: &str, y_label: &str, y_unit: Unit, series: Vec<Series>) -> LineChart {
    LineChart {
        title: title.into(),
        x_label: "concurrent waits".into(),
        y_label: y_label.into(),
        series,
        x_unit: Unit::Count,
        y_unit,
        ..LineChart::default()
    }
}

fn time_chart(report: &WaitsReport) -> LineChart {
    let mut series: Vec<Series> = report
        .variants
        .iter()
        .map(|v| {
            let points = report
                .line(&v.label)
                .iter()
                .map(|c| Point::new(c.concurrency as f64, c.median_ms))
                .collect();
            Series::solid(&v.label, color(report, v), points)
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    let xs: Vec<f64> = report.times.iter().map(|c| c.concurrency as f64).collect();
    if let (Some(lo), Some(hi)) = (
        xs.iter().copied().reduce(f64::min),
        xs.iter().copied().reduce(f64::max),
    ) {
        series.push(Series::dashed(
            "ideal: one wait per item / concurrency",
            chart::REFERENCE,
            vec![
                Point::new(lo, report.ideal_ms()),
                Point::new(hi, report.ideal_ms()),
            ],
        ));
    }
    waits_chart(
        "latency: time of a run",
        "time of a run",
        Unit::Millis,
        series,
    )
}

fn memory_chart(report: &WaitsReport) -> LineChart {
    let series = report
        .variants
        .iter()
        .map(|v| {
            let points = report
                .memory_line(&v.label)
                .iter()
                .filter_map(|c| {
                    let d = c.memory.detail.as_ref()?;
                    Some(Point::new(
                        c.concurrency as f64,
                        d.peak.pss_kb as f64 * 1024.0,
                    ))
                })
                .collect();
            Series::solid(&v.label, color(report, v), points)
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    waits_chart(
        "latency: memory at the peak",
        "PSS, parent + children",
        Unit::Bytes,
        series,
    )
}

fn time_lines(report: &WaitsReport) -> Vec<explain::Line> {
    report
        .variants
        .iter()
        .map(|v| explain::Line {
            label: v.label.clone(),
            backend: v.backend.clone(),
            points: report
                .line(&v.label)
                .iter()
                .map(|c| (c.concurrency, c.median_ms))
                .collect(),
        })
        .collect()
}

fn stops(report: &WaitsReport) -> Vec<explain::Stop> {
    report
        .caps
        .iter()
        .map(|c| explain::Stop {
            label: c.variant.clone(),
            concurrency: c.concurrency,
            limit: c.limit.clone(),
            predicted_s: c.predicted_s,
            from: c.from,
            cap_s: c.cap_s,
        })
        .collect()
}

/// Half the range of a point's timed runs, as a share of their median (the
/// sweep keeps no confidence interval).
fn time_spread(cell: &waits::TimeCell) -> f64 {
    let (lo, hi) = cell
        .runs_ms
        .iter()
        .fold((f64::INFINITY, 0.0_f64), |(lo, hi), &t| {
            (lo.min(t), hi.max(t))
        });
    if cell.runs_ms.len() < 2 || cell.median_ms <= 0.0 {
        0.0
    } else {
        (hi - lo) / 2.0 / cell.median_ms
    }
}

/// What one wait is on `variant`: a task, a thread or a process.
fn noun(variant: &Variant) -> &'static str {
    match backends::entry(&variant.backend).map(|e| e.worker) {
        Ok(Worker::Task) => "task",
        Ok(Worker::Process | Worker::Rank) => "process",
        _ => "thread",
    }
}

fn memory_facts(report: &WaitsReport) -> Vec<explain::Memory> {
    report
        .variants
        .iter()
        .filter_map(|v| {
            let line = report.memory_line(&v.label);
            let (first, last) = (line.first()?, line.last()?);
            let (a, b) = (first.memory.detail.as_ref()?, last.memory.detail.as_ref()?);
            (last.concurrency > first.concurrency).then(|| explain::Memory {
                label: v.label.clone(),
                noun: noun(v),
                from: first.concurrency,
                to: last.concurrency,
                pss_kb: (a.peak.pss_kb as f64, b.peak.pss_kb as f64),
                vm_kb: (a.parent.vm_size_kb as f64, b.parent.vm_size_kb as f64),
                threads: b.max_threads,
                children: b.max_children,
                stacks: b
                    .stacks
                    .filter(|_| noun(v) == "thread")
                    .map(|s| (s.count, s.reserved_kb as f64, s.resident_kb as f64)),
                kernel_kb: b.kernel_kb.map(|k| k as f64),
            })
        })
        .collect()
}

/// Variant x concurrency: the median time, or why the point was not run.
fn time_table(report: &WaitsReport) -> String {
    let mut counts: Vec<usize> = report.times.iter().map(|c| c.concurrency).collect();
    counts.extend(report.caps.iter().map(|c| c.concurrency));
    counts.sort_unstable();
    counts.dedup();
    let mut headers = vec!["line".to_string()];
    headers.extend(counts.iter().map(|&n| words::thousands(n as u64)));
    let rows: Vec<Vec<String>> = report
        .variants
        .iter()
        .map(|v| {
            let cap = report.cap(&v.label);
            let mut row = vec![v.label.clone()];
            row.extend(counts.iter().map(|&n| match report.time(&v.label, n) {
                Some(c) => format!(
                    "{} ({})",
                    words::ms(c.median_ms),
                    words::times(c.median_ms / report.ideal_ms())
                ),
                None if cap.is_some_and(|c| n >= c.concurrency) => {
                    if cap.is_some_and(|c| c.limit.is_some()) {
                        "not run: a limit".into()
                    } else {
                        "not run: too slow".into()
                    }
                }
                None => String::new(),
            }));
            row
        })
        .collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    format!(
        "<p>Median time of a run, and its multiple of the ideal {}:</p>\n{}",
        words::ms(report.ideal_ms()),
        html::table(&headers, &rows)
    )
}

/// What each line's memory cells measured, per wait and at the top.
fn memory_table(report: &WaitsReport) -> String {
    let facts = memory_facts(report);
    let rows: Vec<Vec<String>> = facts
        .iter()
        .map(|m| {
            let top = report
                .memory_line(&m.label)
                .last()
                .and_then(|c| c.memory.detail.clone());
            let (rss, uss) = top
                .as_ref()
                .map_or((0, 0), |d| (d.peak.rss_kb, d.peak.uss_kb));
            let stack =
                m.stacks
                    .filter(|s| s.0 > 0)
                    .map_or_else(String::new, |(n, reserved, resident)| {
                        format!(
                            "{} reserved, {} resident",
                            words::kilobytes(reserved / n as f64),
                            words::kilobytes(resident / n as f64)
                        )
                    });
            vec![
                m.label.clone(),
                format!("1 to {}", words::thousands(m.to as u64)),
                format!("{} per {}", words::kilobytes(m.per_wait_kb()), m.noun),
                format!(
                    "{} / {} / {}",
                    words::kilobytes(m.pss_kb.1),
                    words::kilobytes(rss as f64),
                    words::kilobytes(uss as f64)
                ),
                format!(
                    "{} / {}",
                    words::thousands(m.threads),
                    words::thousands(m.children)
                ),
                stack,
            ]
        })
        .collect();
    html::table(
        &[
            "line",
            "waits",
            "PSS per wait",
            "PSS / RSS / USS at the top",
            "threads / children alive",
            "stack per thread",
        ],
        &rows,
    )
}
