//! The front page: for every CPU- and memory-bound workload the scaling
//! bench measured, speedup, efficiency and absolute time against the worker
//! count, each explained from its numbers; a summary table; `results.json`
//! and `results.csv`. IO-bound workloads have their own page (`io.rs`); the
//! [`Workload`] helpers here serve both.

use std::collections::BTreeMap;
use std::path::Path;

use super::chart::{self, LineChart, Point, Series};
use super::explain::{self, Curve, Timing};
use super::results::{self, ResultRow};
use super::{Page, PageOut, ReportInput, amdahl, html, io};
use crate::error::Result;
use crate::workloads::Kind;

/// The scaling page (`index.html`).
#[derive(Debug, Clone, Copy)]
pub struct Scaling;

pub const JSON_FILE: &str = "results.json";
pub const CSV_FILE: &str = "results.csv";

impl Page for Scaling {
    fn name(&self) -> &'static str {
        "scaling"
    }

    fn build(&self, input: &ReportInput, out: &Path) -> Result<Option<PageOut>> {
        let mut all_rows = Vec::new();
        let mut notes = Vec::new();
        let mut sections = String::new();
        let mut summary = Vec::new();
        for entry in crate::workloads::REGISTRY
            .iter()
            .filter(|e| e.kind != Kind::Io)
        {
            let (rows, workload_notes) =
                results::workload_rows(&input.scan, entry.name, &entry.kind.to_string());
            notes.extend(workload_notes);
            if rows.is_empty() {
                continue;
            }
            let w = Workload::new(entry.name, &rows, input.cores);
            sections.push_str(&w.section(entry.teaches, out)?);
            summary.push(w.summary_row());
            all_rows.extend(rows);
        }
        if all_rows.is_empty() {
            return Ok(None);
        }
        results::write_json(&all_rows, &out.join(JSON_FILE))?;
        results::write_csv(&all_rows, &out.join(CSV_FILE))?;
        if all_rows.iter().any(|r| r.quick) {
            notes.insert(
                0,
                "Measured in quick mode (smaller sizes, fewer samples): a first look, not \
                 figures to quote. Run `cargo bench` for the full measurement."
                    .into(),
            );
        }
        let mut body = format!(
            "<p>Each workload was run by every backend at several worker counts on this \
             machine's {} cores (<code>cargo bench --bench scaling</code>). Speedup is the \
             sequential time divided by the backend's time; efficiency is speedup per worker. \
             Every run's checksum matched the sequential one.</p>\n",
            input.cores
        );
        if io::present(input, out) {
            body.push_str(&format!(
                "<p>IO-bound workloads, swept past the core count, are on the \
                 <a href=\"{}\">IO-bound page</a>.</p>\n",
                io::FILE
            ));
        }
        body.push_str("<h2>Summary</h2>\n");
        body.push_str(&html::table(
            &[
                "workload",
                "kind",
                "size",
                "sequential",
                "best at the core count",
                "speedup",
                "efficiency",
                "scaling stops at",
                "gil at most",
            ],
            &summary,
        ));
        body.push_str(&format!(
            "<p>All numbers: <a href=\"{JSON_FILE}\">{JSON_FILE}</a>, \
             <a href=\"{CSV_FILE}\">{CSV_FILE}</a> (one row per workload, backend and worker \
             count; times in milliseconds).</p>\n"
        ));
        body.push_str(&sections);
        let figures = super::workload_figures(
            &body,
            &[
                ("speedup", "scaling-{}-speedup.svg"),
                ("efficiency", "scaling-{}-efficiency.svg"),
                ("time", "scaling-{}-time.svg"),
            ],
        );
        Ok(Some(PageOut {
            file: "index.html".into(),
            title: "Threads vs processes: scaling on this machine".into(),
            nav: "Scaling".into(),
            body,
            notes,
            figures,
        }))
    }
}

/// One workload's rows, arranged for charts and tables.
pub(crate) struct Workload<'a> {
    name: &'a str,
    rows: &'a [ResultRow],
    cores: usize,
    /// Rows per backend (registry order), without sequential.
    backends: Vec<(&'a str, Vec<&'a ResultRow>)>,
    sequential: Option<&'a ResultRow>,
}

impl<'a> Workload<'a> {
    pub(crate) fn new(name: &'a str, rows: &'a [ResultRow], cores: usize) -> Self {
        let mut backends: Vec<(&str, Vec<&ResultRow>)> = Vec::new();
        for r in rows.iter().filter(|r| r.backend != "sequential") {
            match backends.iter_mut().find(|(b, _)| *b == r.backend) {
                Some((_, v)) => v.push(r),
                None => backends.push((&r.backend, vec![r])),
            }
        }
        Workload {
            name,
            rows,
            cores,
            backends,
            sequential: rows.iter().find(|r| r.backend == "sequential"),
        }
    }

    fn curves(&self, value: impl Fn(&ResultRow) -> Option<f64>) -> Vec<Curve> {
        self.backends
            .iter()
            .map(|(b, rows)| {
                Curve::new(
                    b,
                    rows.iter()
                        .filter_map(|r| value(r).map(|v| (r.workers, v)))
                        .collect(),
                )
            })
            .filter(|c| !c.points.is_empty())
            .collect()
    }

    /// Whether there is a sequential result, hence speedups.
    pub(crate) fn has_sequential(&self) -> bool {
        self.sequential.is_some()
    }

    /// All measured worker counts, sorted.
    pub(crate) fn worker_counts(&self) -> Vec<usize> {
        let mut counts: Vec<usize> = self.rows.iter().map(|r| r.workers).collect();
        counts.sort_unstable();
        counts.dedup();
        counts
    }

    /// The backend fastest at the comparison point and its Amdahl fit.
    fn fit(&self, speedups: &[Curve]) -> Option<(String, f64)> {
        let at = explain::comparison_point(speedups, self.cores)?;
        let best = speedups
            .iter()
            .filter(|c| c.at(at).is_some())
            .max_by(|a, b| a.at(at).unwrap_or(0.0).total_cmp(&b.at(at).unwrap_or(0.0)))?;
        amdahl::fit_serial_fraction(&best.points, self.cores).map(|f| (best.backend.clone(), f))
    }

    pub(crate) fn backend_series(&self, value: impl Fn(&ResultRow) -> Point) -> Vec<Series> {
        self.backends
            .iter()
            .map(|(b, rows)| {
                Series::solid(
                    *b,
                    chart::backend_color(b),
                    rows.iter().map(|r| value(r)).collect(),
                )
            })
            .collect()
    }

    /// The workload's heading and what it teaches.
    pub(crate) fn intro(&self, teaches: &str) -> String {
        let first = &self.rows[0];
        format!(
            "<h2 id=\"{0}\">{0}</h2>\n<p><strong>{1}</strong> workload{2}: {3}.</p>\n",
            html::escape(self.name),
            html::escape(&first.kind),
            first
                .size
                .map_or(String::new(), |n| format!(", {} items", thousands(n))),
            html::escape(teaches)
        )
    }

    /// One speedup line per backend (0 where there is no speedup).
    pub(crate) fn speedup_series(&self) -> Vec<Series> {
        self.backend_series(|r| Point::new(r.workers as f64, r.speedup.unwrap_or(0.0)))
    }

    fn section(&self, teaches: &str, out: &Path) -> Result<String> {
        let name = self.name;
        let speedups = self.curves(|r| r.speedup);
        let efficiencies = self.curves(|r| r.efficiency);
        let fit = self.fit(&speedups);
        let counts = self.worker_counts();
        let mut s = self.intro(teaches);
        if self.sequential.is_some() {
            // Speedup.
            let mut series = self.speedup_series();
            let ideal = counts
                .iter()
                .map(|&w| Point::new(w as f64, w.min(self.cores) as f64))
                .collect();
            series.push(Series::dashed(
                format!("ideal ({} cores)", self.cores),
                chart::REFERENCE,
                ideal,
            ));
            if let Some((backend, f)) = &fit {
                let pts = counts
                    .iter()
                    .map(|&w| Point::new(w as f64, amdahl::speedup(*f, w, self.cores)))
                    .collect();
                series.push(Series::dashed(
                    format!("Amdahl fit, {backend}: serial {:.1}%", 100.0 * f),
                    chart::backend_color(backend),
                    pts,
                ));
            }
            let file = format!("scaling-{name}-speedup.svg");
            self.chart(out, &file, "speedup over sequential", false, series)?;
            let fit_ref = fit.as_ref().map(|(b, f)| (b.as_str(), *f));
            s.push_str(&html::figure(
                &file,
                &format!("{name}: speedup by workers"),
                &explain::speedup(self.cores, &speedups, fit_ref),
            ));
            // Efficiency.
            let mut series =
                self.backend_series(|r| Point::new(r.workers as f64, r.efficiency.unwrap_or(0.0)));
            let full = counts.iter().map(|&w| Point::new(w as f64, 1.0)).collect();
            series.push(Series::dashed("100%", chart::REFERENCE, full));
            let file = format!("scaling-{name}-efficiency.svg");
            self.chart(out, &file, "efficiency (speedup / workers)", true, series)?;
            s.push_str(&html::figure(
                &file,
                &format!("{name}: efficiency by workers"),
                &explain::efficiency(self.cores, &efficiencies),
            ));
        }
        // Absolute time with confidence intervals.
        let mut series = self.backend_series(|r| Point {
            x: r.workers as f64,
            y: r.median_ms,
            err: Some((r.ci_low_ms, r.ci_high_ms)),
        });
        if let Some(seq) = self.sequential {
            let line = counts
                .iter()
                .map(|&w| Point::new(w as f64, seq.median_ms))
                .collect();
            series.push(Series::dashed(
                format!("sequential, {}", explain::ms(seq.median_ms)),
                chart::backend_color("sequential"),
                line,
            ));
        }
        let file = format!("scaling-{name}-time.svg");
        self.chart(
            out,
            &file,
            "time per run (ms, median and CI)",
            false,
            series,
        )?;
        let timings: Vec<Timing> = self
            .rows
            .iter()
            .map(|r| Timing {
                backend: r.backend.clone(),
                workers: r.workers,
                median_ms: r.median_ms,
                low_ms: r.ci_low_ms,
                high_ms: r.ci_high_ms,
            })
            .collect();
        s.push_str(&html::figure(
            &file,
            &format!("{name}: time per run by workers"),
            &explain::times(&timings),
        ));
        s.push_str(&self.table(&counts));
        Ok(s)
    }

    fn chart(
        &self,
        out: &Path,
        file: &str,
        y_label: &str,
        percent: bool,
        series: Vec<Series>,
    ) -> Result<()> {
        workers_chart(out, file, self.name, y_label, percent, series)
    }

    /// Backend x workers: "speedup (time)".
    pub(crate) fn table(&self, counts: &[usize]) -> String {
        let by_cell: BTreeMap<(&str, usize), &ResultRow> = self
            .rows
            .iter()
            .map(|r| ((r.backend.as_str(), r.workers), r))
            .collect();
        let mut headers = vec!["backend".to_string()];
        headers.extend(counts.iter().map(|&w| explain::workers_word(w)));
        let mut order: Vec<&str> = self.sequential.iter().map(|r| r.backend.as_str()).collect();
        order.extend(self.backends.iter().map(|(b, _)| *b));
        let rows: Vec<Vec<String>> = order
            .iter()
            .map(|b| {
                let mut row = vec![b.to_string()];
                row.extend(counts.iter().map(|&w| match by_cell.get(&(*b, w)) {
                    Some(r) => match r.speedup {
                        Some(s) => format!("{s:.2}x ({})", explain::ms(r.median_ms)),
                        None => explain::ms(r.median_ms),
                    },
                    None => String::new(),
                }));
                row
            })
            .collect();
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        html::table(&headers, &rows)
    }

    fn summary_row(&self) -> Vec<String> {
        let first = &self.rows[0];
        let speedups = self.curves(|r| r.speedup);
        let at = explain::comparison_point(&speedups, self.cores);
        let best = at.and_then(|at| {
            speedups
                .iter()
                .filter_map(|c| c.at(at).map(|s| (c, s)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(c, s)| (c, s, at))
        });
        let gil = speedups
            .iter()
            .find(|c| c.backend == "gil")
            .and_then(Curve::max);
        vec![
            self.name.to_string(),
            first.kind.clone(),
            first.size.map_or_else(|| "-".into(), thousands),
            self.sequential
                .map_or_else(|| "-".into(), |r| explain::ms(r.median_ms)),
            best.map_or_else(
                || "-".into(),
                |(c, _, at)| format!("{} ({at} workers)", c.backend),
            ),
            best.map_or_else(|| "-".into(), |(_, s, _)| format!("{s:.2}x")),
            best.map_or_else(
                || "-".into(),
                |(_, s, at)| format!("{:.0}%", 100.0 * s / at as f64),
            ),
            best.map_or_else(
                || "-".into(),
                |(c, _, _)| match explain::scaling_stops(&c.points) {
                    Some(k) => explain::workers_word(k),
                    None => "not within the sweep".into(),
                },
            ),
            gil.map_or_else(|| "-".into(), |(_, s)| format!("{s:.2}x")),
        ]
    }
}

/// Writes `out/file`: `series` against workers, titled "`name`: `y_label`"
/// (without the label's parenthesis).
pub(crate) fn workers_chart(
    out: &Path,
    file: &str,
    name: &str,
    y_label: &str,
    percent: bool,
    series: Vec<Series>,
) -> Result<()> {
    let with_errors = series
        .iter()
        .any(|s| s.points.iter().any(|p| p.err.is_some()));
    let svg = chart::line_chart(&LineChart {
        title: format!("{name}: {}", y_label.split(" (").next().unwrap_or(y_label)),
        x_label: "workers".into(),
        y_label: y_label.into(),
        series,
        y_percent: percent,
        x_integer: true,
        dodge: with_errors,
    })?;
    chart::write_svg(&out.join(file), &svg)
}

/// 3000000 -> "3,000,000".
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn sizes_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1200), "1,200");
        assert_eq!(thousands(40_000_000), "40,000,000");
    }
}
