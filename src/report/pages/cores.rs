//! The cores page: workers and cores are different knobs. For each CPU
//! workload the cores bench measured (`cargo bench --bench cores`), every
//! backend at 1, 2, ... N cores with a fixed worker count: a speedup chart
//! (x = cores, one line per backend, the ideal line) and the "one core"
//! panel, time slicing explained from the numbers.

use std::path::Path;

use crate::error::Result;
use crate::report::chart::{self, LineChart, Point, Series, Unit};
use crate::report::criterion::{Benchmark, RunInfo};
use crate::report::explain::cores as explain;
use crate::report::explain::words;
use crate::report::{Drawn, Figure, Page, PageOut, ReportInput, html};
use crate::sweep::cores::{self, Line};

/// The cores page (`cores.html`).
#[derive(Debug, Clone, Copy)]
pub struct Cores;

impl Cores {
    /// The criterion group of `workload` in the cores bench.
    pub fn group(workload: &str) -> String {
        format!("cores-{workload}")
    }
}

impl Page for Cores {
    fn name(&self) -> &'static str {
        "cores"
    }

    fn build(&self, input: &ReportInput, out: &Path) -> Result<Option<PageOut>> {
        let mut sections = String::new();
        let mut notes = Vec::new();
        let mut drawn = Drawn::new(out);
        let mut claims = Vec::new();
        for entry in crate::workloads::REGISTRY {
            let group = Cores::group(entry.name);
            let run = input.scan.run(&group);
            let benches: Vec<&Benchmark> = input
                .scan
                .group(&group)
                .filter(|b| run.is_none_or(|r| r.measured(b)))
                .collect();
            let cores = run.and_then(|r| r.cores).unwrap_or(input.cores);
            let lines = lines(&benches, cores::default_workers(cores));
            if lines.is_empty() {
                continue;
            }
            if let Some(note) = run.and_then(run_note) {
                notes.push(format!("{}: {note}", entry.name));
            }
            let measured = Measured {
                spreads: spreads(&benches),
                quick: run.is_some_and(|r| r.quick),
            };
            let (html, panel) = section(entry.name, entry.teaches, &lines, &measured, &mut drawn)?;
            sections.push_str(&html);
            claims.extend(panel);
        }
        if sections.is_empty() {
            return Ok(None);
        }
        notes.dedup();
        let body = format!(
            "<p>Workers are the threads or processes a backend starts; cores are the CPUs \
             the kernel lets them use. Here the workers stay fixed (twice the machine's \
             cores) and the bench confines itself with <code>sched_setaffinity</code> to 1, \
             2, ... cores before each backend starts, so the backend's threads and child \
             processes inherit the mask (<code>cargo bench --bench cores</code>; \
             <code>tvp cores</code> prints the same sweep). Speedup is each backend's time \
             on 1 core divided by its time on more.</p>\n{sections}"
        );
        let figures = drawn.into_figures();
        Ok(Some(PageOut {
            claims,
            file: "cores.html".into(),
            title: "Workers vs cores: 1 to N cores, and one core time-slicing".into(),
            nav: "Cores".into(),
            body,
            notes,
            figures,
        }))
    }
}

/// What the page should say about how a group was measured. The front
/// page already notes a bench confined by `TVP_CORES`.
fn run_note(run: &RunInfo) -> Option<String> {
    run.quick
        .then(|| "measured in quick mode (smaller jobs, shorter runs): a first look".to_string())
}

/// Criterion results as lines: function = backend, value = cores.
pub fn lines(benches: &[&Benchmark], workers: usize) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    for b in benches {
        let (Some(backend), Some(cores)) = (
            b.function.as_deref(),
            b.value.as_deref().and_then(|v| v.parse::<usize>().ok()),
        ) else {
            continue;
        };
        let point = (cores, b.median_ns / 1e9);
        match lines.iter_mut().find(|l| l.backend == backend) {
            Some(line) => line.points.push(point),
            None => lines.push(Line {
                backend: backend.to_string(),
                workers: if backend == "sequential" { 1 } else { workers },
                points: vec![point],
            }),
        }
    }
    for line in &mut lines {
        line.points.sort_by_key(|&(cores, _)| cores);
    }
    let order = |name: &str| {
        crate::backends::REGISTRY
            .iter()
            .position(|e| e.name == name)
            .unwrap_or(usize::MAX)
    };
    lines.sort_by_key(|l| order(&l.backend));
    lines
}

/// How one group was measured, for its claims.
struct Measured {
    spreads: Vec<(String, usize, f64)>,
    quick: bool,
}

/// Each result's run-to-run spread: `(backend, cores, spread)`.
fn spreads(benches: &[&Benchmark]) -> Vec<(String, usize, f64)> {
    benches
        .iter()
        .filter_map(|b| {
            Some((
                b.function.clone()?,
                b.value.as_deref()?.parse().ok()?,
                b.spread(),
            ))
        })
        .collect()
}

/// One workload's chart, one-core panel and table, and the panel's claims
/// (the chart's are on its figure).
fn section(
    name: &str,
    teaches: &str,
    lines: &[Line],
    measured: &Measured,
    drawn: &mut Drawn,
) -> Result<(String, Vec<crate::report::Claim>)> {
    let mut counts: Vec<usize> = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|&(c, _)| c))
        .collect();
    counts.sort_unstable();
    counts.dedup();
    let workers = lines.iter().map(|l| l.workers).max().unwrap_or(1);
    let mut s = format!("<h2 id=\"cores-{0}\">{0}</h2>\n", html::escape(name));
    s.push_str(&format!(
        "<p>{}. {workers} workers per backend (sequential: 1).</p>\n",
        html::escape(teaches)
    ));
    let mut series: Vec<Series> = lines
        .iter()
        .filter(|l| l.at(1).is_some())
        .map(|l| {
            Series::solid(
                format!(
                    "{} ({})",
                    l.backend,
                    words::workers_of(&l.backend, l.workers)
                ),
                chart::backend_color(&l.backend),
                l.points
                    .iter()
                    .filter_map(|&(c, _)| Some(Point::new(c as f64, l.speedup(c)?)))
                    .collect(),
            )
        })
        .collect();
    series.push(Series::dashed(
        format!("ideal: min(cores, {workers} workers)"),
        chart::REFERENCE,
        counts
            .iter()
            .map(|&c| Point::new(c as f64, c.min(workers) as f64))
            .collect(),
    ));
    let chart = LineChart {
        title: format!("{name}: speedup from 1 core"),
        x_label: "cores".into(),
        y_label: "time on 1 core / time on this many".into(),
        series,
        x_unit: Unit::Count,
        ..LineChart::default()
    };
    s.push_str(
        &drawn.add(
            Figure::new(
                format!("cores/{name}"),
                format!("cores-{name}-speedup.svg"),
                format!("{name}: speedup by cores"),
                chart,
            )
            .with_sentences(explain::chart_summary(lines))
            .with_claims(explain::chart_claims(
                name,
                lines,
                &measured.spreads,
                measured.quick,
            )),
        )?,
    );
    let panel = explain::one_core_claims(name, lines, &measured.spreads, measured.quick);
    if !panel.is_empty() {
        s.push_str("<h3>One core</h3>\n<ul>\n");
        for claim in &panel {
            s.push_str(&format!("<li>{}</li>\n", html::prose(&claim.sentence())));
        }
        s.push_str("</ul>\n");
    }
    let mut headers = vec!["backend".to_string(), "workers".to_string()];
    headers.extend(
        counts
            .iter()
            .map(|&c| crate::sweep::affinity::count_cores(c)),
    );
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            let mut row = vec![l.backend.clone(), l.workers.to_string()];
            row.extend(counts.iter().map(|&c| {
                l.at(c)
                    .map_or_else(String::new, |secs| words::ms(secs * 1e3))
            }));
            row
        })
        .collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    s.push_str(&html::table(&headers, &rows));
    Ok((s, panel))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bench(backend: &str, cores: &str, ms: f64) -> Benchmark {
        Benchmark::exact(&Cores::group("primes"), backend, Some(cores), ms * 1e6)
    }

    #[test]
    fn criterion_results_become_lines_in_registry_order() {
        let benches = [
            bench("threads", "2", 50.0),
            bench("sequential", "1", 100.0),
            bench("threads", "1", 100.0),
            bench("bad", "x", 1.0),
        ];
        let refs: Vec<&Benchmark> = benches.iter().collect();
        let lines = lines(&refs, 4);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[0].backend, "sequential");
        assert_eq!(lines[0].workers, 1);
        assert_eq!(lines[1].workers, 4);
        assert_eq!(lines[1].points, vec![(1, 0.1), (2, 0.05)]);
        assert_eq!(lines[1].speedup(2), Some(2.0));
    }
}
