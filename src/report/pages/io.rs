//! The IO-bound page (`io.html`): for every IO workload `cargo bench --bench
//! io` measured, the speedup over sequential at 1 to 64 workers per backend,
//! explained by [`crate::report::explain::io`]; then the peak memory of a run against
//! workers, from `data/memory.json` under the report directory (where the
//! bench writes it), with what each added worker cost. Present when either
//! kind of data is.

use std::path::Path;

use crate::error::Result;
use crate::report::chart::{self, Point, Series, Unit};
use crate::report::explain::{io, words};
use crate::report::pages::workload::{Workload, workers_chart};
use crate::report::results::{self, ResultRow};
use crate::report::{Drawn, Figure, Page, PageOut, ReportInput, html};
use crate::sweep::memory::MemoryReport;
use crate::workloads::{self, Entry, Kind};

/// The IO page (`io.html`).
#[derive(Debug, Clone, Copy)]
pub struct Io;

pub const FILE: &str = "io.html";
/// The memory sweep's results, relative to the report directory.
pub const MEMORY_FILE: &str = "data/memory.json";

fn io_workloads() -> impl Iterator<Item = &'static Entry> {
    workloads::REGISTRY.iter().filter(|e| e.kind == Kind::Io)
}

/// Whether the page has anything to show: results of an IO workload in the
/// scan, or a memory report in `out`.
pub(crate) fn present(input: &ReportInput, out: &Path) -> bool {
    io_workloads().any(|e| input.scan.group(e.name).next().is_some())
        || out.join(MEMORY_FILE).is_file()
}

impl Page for Io {
    fn name(&self) -> &'static str {
        "IO"
    }

    fn build(&self, input: &ReportInput, out: &Path) -> Result<Option<PageOut>> {
        if !present(input, out) {
            return Ok(None);
        }
        let mut notes = Vec::new();
        let mut body = format!(
            "<p>Each IO-bound workload was run by every backend at 1 to 64 workers on this \
             machine's {} cores (<code>cargo bench --bench io</code>). A worker that waits \
             needs no core, so work that mostly waits can use far more workers than cores; \
             work that keeps the CPU busy between waits cannot. Speedup is the sequential \
             time divided by the backend's time. The async backends, whose workers are tasks \
             rather than threads, are swept apart, to 10,000 concurrent waits: {}.</p>\n",
            input.cores,
            if out.join(crate::sweep::waits::FILE).is_file() {
                format!("see <a href=\"{}\">Many waits</a>", super::waits::FILE)
            } else {
                "<code>cargo bench --bench waits</code> draws that page".to_string()
            }
        );
        let mut drawn = Drawn::new(out);
        for entry in io_workloads() {
            let (rows, workload_notes) =
                results::workload_rows(&input.scan, entry.name, &entry.kind.to_string());
            notes.extend(workload_notes);
            if !rows.is_empty() {
                body.push_str(&section(entry, &rows, input.cores, &mut drawn)?);
            }
        }
        let path = out.join(MEMORY_FILE);
        if let Some(note) = crate::report::too_large(&path) {
            notes.push(format!("No memory chart: {note}"));
        } else if path.is_file() {
            match MemoryReport::read(&path) {
                Ok(report) => body.push_str(&memory_section(&report, &mut drawn)?),
                Err(e) => notes.push(format!("No memory chart: {e}")),
            }
        } else {
            notes.push(
                "No memory measurements: run `cargo bench --bench io` (it writes \
                 reports/data/memory.json)."
                    .into(),
            );
        }
        let figures = drawn.into_figures();
        Ok(Some(PageOut {
            claims: Vec::new(),
            file: FILE.into(),
            title: "IO-bound work: more workers than cores".into(),
            nav: "IO-bound".into(),
            body,
            notes,
            figures,
        }))
    }
}

/// One IO workload: its speedup chart and explanation, and its table.
fn section(entry: &Entry, rows: &[ResultRow], cores: usize, drawn: &mut Drawn) -> Result<String> {
    let name = entry.name;
    let w = Workload::new(name, rows, cores);
    let mut s = w.intro(entry.teaches);
    if w.has_sequential() {
        let mut series = w.speedup_series();
        // Pure waiting (sleeps): n workers overlap n waits, whatever the
        // cores.
        let waits_only = name == "latency";
        let speedups = io_speedups(rows);
        if waits_only {
            let ideal = w
                .worker_counts()
                .iter()
                .map(|&n| Point::new(n as f64, n as f64))
                .collect();
            series.push(Series::dashed(
                "ideal (one wait per worker)",
                chart::REFERENCE,
                ideal,
            ));
        }
        s.push_str(
            &drawn.add(
                Figure::new(
                    format!("io/{name}"),
                    format!("io-{name}-speedup.svg"),
                    format!("{name}: speedup by workers"),
                    workers_chart(name, "speedup over sequential", Unit::Plain, series, cores),
                )
                .with_sentences(vec![io::explain_io_scaling(
                    name, cores, waits_only, &speedups,
                )])
                .with_claims(io::io_scaling_claims(
                    name,
                    cores,
                    waits_only,
                    rows.iter().any(|r| r.quick),
                    &speedups,
                )),
            )?,
        );
    }
    s.push_str(&w.table(&w.worker_counts()));
    Ok(s)
}

/// The rows' speedups as [`io::explain_io_scaling`] takes them.
fn io_speedups(rows: &[ResultRow]) -> Vec<io::Series> {
    let Some(seq) = rows.iter().find(|r| r.backend == "sequential") else {
        return Vec::new();
    };
    let mut times: Vec<io::Series> = Vec::new();
    for r in rows.iter().filter(|r| r.backend != "sequential") {
        let point = (r.workers, r.median_ms / 1e3);
        let spread = (r.workers, r.spread_of_median());
        match times.iter_mut().find(|s| s.backend == r.backend) {
            Some(s) => {
                s.points.push(point);
                s.spreads.push(spread);
            }
            None => times.push(io::Series::new(&r.backend, vec![point]).with_spreads(vec![spread])),
        }
    }
    io::speedups_with_spread(seq.median_ms / 1e3, Some(seq.spread_of_median()), &times)
}

/// Peak memory against workers per backend, and what each worker cost.
fn memory_section(report: &MemoryReport, drawn: &mut Drawn) -> Result<String> {
    let name = report.workload.as_str();
    let pss = io::uses_pss(&report.cells);
    let series = io::memory_series(&report.cells)
        .into_iter()
        .map(|s| {
            let points = s
                .points
                .iter()
                .map(|&(n, mb)| Point::new(n as f64, mb))
                .collect();
            Series::solid(&s.backend, chart::backend_color(&s.backend), points)
        })
        .collect();
    let mut s = format!(
        "<h2 id=\"memory\">Memory per worker</h2>\n<p>The {} of one run of \
         <code>{}</code> ({} items), parent plus children, each backend and worker count \
         measured in a fresh process. All numbers: <a href=\"{MEMORY_FILE}\">{MEMORY_FILE}</a> \
         (sizes in kB, 1024 bytes).</p>\n",
        if pss {
            "memory at the peak, as PSS (proportional set size: each shared page divided \
             among the processes that map it, so the sum over processes is what they take \
             together; peak RSS beside it in the data file)"
        } else {
            "peak resident memory (RSS, summed over processes: shared pages count once per \
             process)"
        },
        html::escape(name),
        report.size
    );
    s.push_str(
        &drawn.add(
            Figure::new(
                format!("memory/{name}"),
                format!("io-memory-{name}.svg"),
                format!("{name}: peak memory by workers"),
                workers_chart(
                    name,
                    if pss {
                        "memory (MB, PSS)"
                    } else {
                        "peak memory (MB)"
                    },
                    Unit::Plain,
                    series,
                    report.cores,
                ),
            )
            .with_sentences(vec![io::explain_memory(&report.cells)])
            .with_claims(io::memory_claims(&report.cells)),
        )?,
    );
    let rows: Vec<Vec<String>> = io::memory_per_worker(&report.cells)
        .into_iter()
        .map(|(b, n, mb)| vec![b, format!("1 to {n}"), words::megabytes(mb)])
        .collect();
    s.push_str(&html::table(
        &["backend", "workers", "memory per added worker"],
        &rows,
    ));
    Ok(s)
}
