//! What the per-workload pages share (the scaling, IO and MPI pages): one
//! workload's result rows arranged by backend, its heading, its lines and
//! its table, and the chart against workers they all draw.

use std::collections::BTreeMap;

use crate::report::chart::{self, LineChart, Mark, Point, Series, Unit};
use crate::report::explain::scaling::Curve;
use crate::report::explain::words;
use crate::report::html;
use crate::report::results::ResultRow;

/// One workload's rows, arranged for charts and tables.
pub(crate) struct Workload<'a> {
    pub(crate) name: &'a str,
    pub(crate) rows: &'a [ResultRow],
    pub(crate) cores: usize,
    /// Rows per backend (registry order), without sequential.
    pub(crate) backends: Vec<(&'a str, Vec<&'a ResultRow>)>,
    pub(crate) sequential: Option<&'a ResultRow>,
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

    pub(crate) fn curves(&self, value: impl Fn(&ResultRow) -> Option<f64>) -> Vec<Curve> {
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
            first.size.map_or(String::new(), |n| format!(
                ", {} items",
                words::thousands(n)
            )),
            html::escape(teaches)
        )
    }

    /// One speedup line per backend (0 where there is no speedup).
    pub(crate) fn speedup_series(&self) -> Vec<Series> {
        self.backend_series(|r| Point::new(r.workers as f64, r.speedup.unwrap_or(0.0)))
    }

    /// Backend x workers: "speedup (time)".
    pub(crate) fn table(&self, counts: &[usize]) -> String {
        let by_cell: BTreeMap<(&str, usize), &ResultRow> = self
            .rows
            .iter()
            .map(|r| ((r.backend.as_str(), r.workers), r))
            .collect();
        let mut headers = vec!["backend".to_string()];
        headers.extend(counts.iter().map(|&w| words::workers(w)));
        let mut order: Vec<&str> = self.sequential.iter().map(|r| r.backend.as_str()).collect();
        order.extend(self.backends.iter().map(|(b, _)| *b));
        let rows: Vec<Vec<String>> = order
            .iter()
            .map(|b| {
                let mut row = vec![b.to_string()];
                row.extend(counts.iter().map(|&w| match by_cell.get(&(*b, w)) {
                    Some(r) => {
                        let cell = match r.speedup {
                            Some(s) => format!("{s:.2}x ({})", words::ms(r.median_ms)),
                            None => words::ms(r.median_ms),
                        };
                        if crate::sweep::is_noisy(r.spread) {
                            format!("{cell} *")
                        } else {
                            cell
                        }
                    }
                    None => String::new(),
                }));
                row
            })
            .collect();
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        let mut table = html::table(&headers, &rows);
        if let Some(widest) = self
            .rows
            .iter()
            .filter(|r| crate::sweep::is_noisy(r.spread))
            .filter_map(|r| r.spread)
            .max_by(f64::total_cmp)
        {
            table.push_str(&format!(
                "<p class=\"explain\">* noisy: the middle half of its samples spans more than \
                 {} of its median (up to {} here), so differences that small between cells \
                 may be noise. Measure again on a quiet machine.</p>\n",
                words::percent(crate::sweep::NOISY_SPREAD),
                words::percent(widest)
            ));
        }
        table
    }
}

/// `series` against workers, titled "`name`: `y_label`" (without the
/// label's parenthesis), with this machine's `cores` marked.
pub(crate) fn workers_chart(
    name: &str,
    y_label: &str,
    y_unit: Unit,
    series: Vec<Series>,
    cores: usize,
) -> LineChart {
    let with_errors = series
        .iter()
        .any(|s| s.points.iter().any(|p| p.err.is_some()));
    LineChart {
        title: format!("{name}: {}", y_label.split(" (").next().unwrap_or(y_label)),
        x_label: "workers".into(),
        y_label: y_label.into(),
        series,
        x_unit: Unit::Count,
        y_unit,
        marks: vec![Mark::cores(cores, "this machine")],
        dodge: with_errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(backend: &str, workers: usize, median_ms: f64, spread: Option<f64>) -> ResultRow {
        ResultRow {
            workload: "primes".into(),
            kind: "cpu".into(),
            backend: backend.into(),
            workers,
            size: Some(1000),
            quick: false,
            median_ms,
            ci_low_ms: median_ms,
            ci_high_ms: median_ms,
            spread,
            previous_change: None,
            speed_change: None,
            core_sharing: None,
            speedup: Some(100.0 / median_ms),
            efficiency: None,
        }
    }

    #[test]
    fn noisy_cells_are_starred_and_the_table_says_why() {
        let rows = [
            row("sequential", 1, 100.0, Some(0.01)),
            row("threads", 2, 50.0, Some(0.25)),
            row("rayon", 2, 52.0, None),
        ];
        let table = Workload::new("primes", &rows, 2).table(&[1, 2]);
        assert!(table.contains("2.00x (50.0 ms) *"), "{table}");
        assert!(table.contains("1.92x (52.0 ms)<"), "{table}");
        assert!(
            table.contains("more than 10% of its median (up to 25% here)"),
            "{table}"
        );
        let quiet = [row("sequential", 1, 100.0, Some(0.01))];
        let table = Workload::new("primes", &quiet, 2).table(&[1]);
        assert!(!table.contains('*') && !table.contains("noisy"), "{table}");
    }
}
