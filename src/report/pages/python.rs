//! The "Rust vs Python" page: for each workload, speedup against workers for
//! CPython threads and processes beside Rust threads, processes, the process
//! pool and the gil model (Python at smaller sizes), with an explanation written
//! from the numbers. Reads `data/python_vs_rust.json` in the report
//! directory, written by `cargo bench --bench python` or `tvp python`; the
//! page is left out when that file is absent (no python3).

use std::path::Path;

use crate::error::Result;
use crate::python::compare::{Comparison, Language, WorkloadComparison, label};
use crate::report::chart::{self, Bar, BarChart, LineChart, Mark, Point, Series, Unit};
use crate::report::{Drawn, Figure, Page, PageOut, ReportInput, html};

/// The comparison, relative to the report directory.
pub const DATA_FILE: &str = "data/python_vs_rust.json";

/// The Rust vs Python page (`python.html`).
#[derive(Debug, Clone, Copy)]
pub struct RustVsPython;

impl Page for RustVsPython {
    fn name(&self) -> &'static str {
        "Rust vs Python"
    }

    fn build(&self, input: &ReportInput, out: &Path) -> Result<Option<PageOut>> {
        let path = out.join(DATA_FILE);
        if !path.is_file() {
            return Ok(None);
        }
        if let Some(note) = crate::report::too_large(&path) {
            return Err(crate::error::Error::Data(note));
        }
        let c = crate::python::load_comparison(&path)?;
        let mut notes = Vec::new();
        if c.quick {
            notes.push(
                "The Python comparison was measured in quick mode (smaller sizes, one timed \
                 run): a first look, not figures to quote."
                    .to_string(),
            );
        }
        if c.cores != input.cores {
            notes.push(format!(
                "The Python comparison saw {} cores; the other pages {}.",
                c.cores, input.cores
            ));
        }
        if let Some(w) = c.workloads.iter().find(|w| !w.checksums_ok) {
            notes.push(format!(
                "A checksum disagreed for {}: see {DATA_FILE}.",
                w.workload
            ));
        }
        let mut body = format!(
            "<p>{} ran the same workloads as Rust, item for item with the same checksums \
             (<code>scripts/python</code>), sequentially, with threads \
             (<code>ThreadPoolExecutor</code>), with processes \
             (<code>multiprocessing.Pool</code>, <code>ProcessPoolExecutor</code>) and, for the \
             workloads that wait, on one asyncio event loop (<code>asyncio.gather</code>, a task \
             per worker) beside Rust's <code>async</code>. Rust ran \
             at the scaling page's sizes and CPython at smaller ones, since its loops take longer per item. {} Speedup is the same language's sequential time divided by \
             the backend's; dashed lines are Python, solid lines Rust. All numbers: \
             <a href=\"{DATA_FILE}\">{DATA_FILE}</a>.</p>\n",
            html::escape(&c.python),
            html::escape(&crate::report::explain::python::per_item(&c.workloads)),
        );
        body.push_str(&html::explanation(&[
            crate::report::explain::python::explain_interpreter(
                &c.python,
                c.free_threaded,
                c.gil_enabled,
            ),
        ]));
        body.push_str(&format!("<h2>Speedup at {} workers</h2>\n", c.explained_at));
        body.push_str(&summary(&c));
        let mut drawn = Drawn::new(out);
        let without_gil = c.without_gil();
        for w in &c.workloads {
            let (sentences, claims) =
                crate::report::explain::python::explain_parts(w, c.explained_at, without_gil);
            body.push_str(&format!("<h2>{}</h2>\n", html::escape(&w.workload)));
            body.push_str(
                &drawn.add(
                    Figure::new(
                        format!("python/{}", w.workload),
                        format!("python-{}.svg", w.workload),
                        format!("{}: speedup against workers, Python and Rust", w.workload),
                        speedup_chart(&c, w),
                    )
                    .with_sentences(sentences)
                    .with_claims(claims),
                )?,
            );
        }
        body.push_str(&lost_update_section(out, &mut drawn)?);
        let figures = drawn.into_figures();
        Ok(Some(PageOut {
            claims: Vec::new(),
            file: "python.html".into(),
            title: "Rust vs Python: the same workloads in CPython".into(),
            nav: "Rust vs Python".into(),
            body,
            notes,
            figures,
        }))
    }
}

/// `lost_update.json`, relative to the report directory.
pub const LOST_UPDATE_FILE: &str = "data/lost_update.json";

/// The lost update in CPython threads: one bar per way of adding 1, the
/// share of increments lost; or what to run when it was not measured.
fn lost_update_section(out: &Path, drawn: &mut Drawn) -> Result<String> {
    let mut s = String::from(
        "<h2 id=\"lost-update\">The lost update, in CPython</h2>\n<p>Four threads add 1 to \
         one shared counter: plainly, with a call or <code>time.sleep(0)</code> between the \
         read and the write, and under a <code>threading.Lock</code> \
         (<code>scripts/python/lost_update.py</code>).</p>\n",
    );
    let path = out.join(LOST_UPDATE_FILE);
    let l = match crate::python::lost_update::LostUpdate::load(&path) {
        Ok(l) => l,
        Err(e) if path.is_file() => {
            s.push_str(&format!("<p>{}</p>\n", html::escape(&e.to_string())));
            return Ok(s);
        }
        Err(_) => {
            s.push_str(
                "<p>Not measured yet: <code>cargo bench --bench python</code> (or <code>tvp \
                 python</code>) runs it.</p>\n",
            );
            return Ok(s);
        }
    };
    let bars = l
        .cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Bar::new(
                short_label(&c.case, &c.code),
                100.0 * c.lost as f64 / c.expected.max(1) as f64,
                chart::color(i),
            )
        })
        .collect();
    let title = format!(
        "increments lost by {} threads, CPython {}",
        l.threads, l.python
    );
    s.push_str(
        &drawn.add(
            Figure::new(
                "python/lost-update",
                "python-lost-update.svg",
                title.clone(),
                BarChart {
                    title,
                    y_label: "% of increments lost".into(),
                    bars,
                    ..BarChart::default()
                },
            )
            .with_sentences(crate::report::explain::lost_update::explain(&l)),
        )?,
    );
    Ok(s)
}

/// A bar label short enough to sit under its bar; the sentences quote the
/// code in full.
fn short_label(case: &str, code: &str) -> String {
    match case {
        "plain" => "n += 1",
        "call" => "a call in the gap",
        "sleep0" => "sleep(0) in the gap",
        "lock" => "under a Lock",
        _ => code,
    }
    .to_string()
}

/// The backends in the table, in order.
const COLUMNS: &[&str] = &[
    "python-threads",
    "python-pool",
    "python-executor",
    "python-asyncio",
    "threads",
    "process",
    "gil",
    "async",
];

fn summary(c: &Comparison) -> String {
    let mut headers = vec!["workload", "size", "Python sequential", "Rust sequential"];
    headers.extend(COLUMNS.iter().map(|b| label(b)));
    let rows: Vec<Vec<String>> = c
        .workloads
        .iter()
        .map(|w| {
            let mut row = vec![
                w.workload.clone(),
                w.size.to_string(),
                format!("{:.1} ms", w.python_sequential_s * 1e3),
                w.rust_sequential_s
                    .map_or_else(|| "-".into(), |s| format!("{:.2} ms", s * 1e3)),
            ];
            row.extend(COLUMNS.iter().map(|b| {
                w.speedup(b, c.explained_at)
                    .map_or_else(|| "-".into(), |s| format!("{s:.2}x"))
            }));
            row
        })
        .collect();
    html::table(&headers, &rows)
}

/// Python lines take the colour of the Rust backend they correspond to.
fn color_of(backend: &str) -> &str {
    match backend {
        "python-threads" => "threads",
        "python-pool" => "pool",
        "python-executor" => "process",
        "python-asyncio" => "async",
        rust => rust,
    }
}

fn speedup_chart(c: &Comparison, w: &WorkloadComparison) -> LineChart {
    let mut series: Vec<Series> = w
        .series
        .iter()
        .map(|s| {
            let points = s
                .points
                .iter()
                .map(|p| Point::new(p.workers as f64, p.speedup))
                .collect();
            let color = chart::backend_color(color_of(&s.backend));
            match s.language {
                Language::Python => Series::dashed(s.label.clone(), color, points),
                Language::Rust => Series::solid(s.label.clone(), color, points),
            }
        })
        .collect();
    let ideal = c
        .workers
        .iter()
        .map(|&n| Point::new(n as f64, n.min(c.cores) as f64))
        .collect();
    series.push(Series::dashed("ideal", chart::REFERENCE, ideal));
    LineChart {
        title: match w.rust_size {
            Some(rust) if rust != w.size => format!(
                "{}: speedup, CPython (size {}) vs Rust (size {rust})",
                w.workload, w.size
            ),
            _ => format!("{} (size {}): speedup, CPython vs Rust", w.workload, w.size),
        },
        x_label: "workers".into(),
        y_label: "speedup vs the same language's sequential run".into(),
        series,
        x_unit: Unit::Count,
        marks: vec![Mark::cores(c.cores, "this machine")],
        ..LineChart::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::compare::{self, Point as PyPoint, Series as PySeries};
    use crate::report::criterion::Scan;

    fn comparison() -> Comparison {
        let series = |backend: &str, language, speedup: f64| PySeries {
            backend: backend.into(),
            label: label(backend).into(),
            language,
            points: vec![PyPoint {
                workers: 2,
                median_s: 0.5,
                speedup,
            }],
        };
        let w = WorkloadComparison {
            workload: "primes".into(),
            kind: "cpu".into(),
            size: 1000,
            python_sequential_s: 0.4,
            rust_sequential_s: Some(0.01),
            python_checksum: 168,
            rust_checksum: Some(168),
            rust_size: None,
            checksums_ok: true,
            series: vec![
                series("python-threads", Language::Python, 0.97),
                series("python-pool", Language::Python, 1.85),
                series("threads", Language::Rust, 1.98),
            ],
        };
        Comparison {
            schema: compare::SCHEMA,
            python: "CPython 3.11.7".into(),
            free_threaded: false,
            gil_enabled: None,
            cores: 2,
            quick: true,
            workers: vec![1, 2],
            explained_at: 2,
            size_reason: "CPython is slower.".into(),
            workloads: vec![w],
        }
    }

    fn input(dir: &Path) -> ReportInput {
        ReportInput {
            scan: Scan::default(),
            machine: crate::machine::MachineInfo::detect(),
            cores: 2,
            criterion_dir: dir.join("criterion"),
            figures: Vec::new(),
            other: None,
        }
    }

    #[test]
    fn the_terminal_table_shows_speedups_explanations_and_disagreements() {
        let mut c = comparison();
        let text = crate::report::terminal::python_table(&c);
        assert!(
            text.contains("Python multiprocessing.Pool")
                && text.contains("1.85x")
                && text.contains("Python threads reached 0.97x")
                && text.contains("checksums agree"),
            "{text}"
        );
        c.workloads[0].checksums_ok = false;
        assert!(crate::report::terminal::python_table(&c).contains("DISAGREE"));
    }

    #[test]
    fn python_lines_are_dashed_in_their_rust_twin_colour() {
        let c = comparison();
        let chart = speedup_chart(&c, &c.workloads[0]);
        let threads = chart
            .series
            .iter()
            .find(|s| s.label == "Python threads")
            .unwrap();
        assert!(threads.dashed);
        assert_eq!(threads.color, chart::backend_color("threads"));
        let rust = chart
            .series
            .iter()
            .find(|s| s.label == "Rust threads")
            .unwrap();
        assert!(!rust.dashed);
        assert!(chart.series.iter().any(|s| s.label == "ideal"));
    }

    #[test]
    fn the_page_draws_each_workload_with_its_explanation() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        let json = serde_json::to_string(&comparison()).unwrap();
        std::fs::write(dir.path().join(DATA_FILE), json).unwrap();
        let page = RustVsPython
            .build(&input(dir.path()), dir.path())
            .unwrap()
            .unwrap();
        assert_eq!(page.file, "python.html");
        assert!(dir.path().join("python-primes.svg").is_file());
        assert!(
            page.body.contains("Python threads reached 0.97x"),
            "{}",
            page.body
        );
        assert!(page.notes.iter().any(|n| n.contains("quick mode")));
        assert!(
            page.body.contains("Not measured yet"),
            "no lost_update.json yet"
        );
        let lost = serde_json::json!({
            "schema": 1, "python": "3.11.7", "implementation": "CPython", "gil": true,
            "free_threaded_build": false, "threads": 4, "quick": false,
            "cases": [
                {"case": "plain", "code": "n += 1", "per_thread": 10, "expected": 40,
                 "got": 40, "lost": 0, "seconds": 0.1},
                {"case": "call", "code": "v = n; f(); n = v + 1", "per_thread": 10,
                 "expected": 40, "got": 10, "lost": 30, "seconds": 0.1}
            ]
        });
        std::fs::write(dir.path().join(LOST_UPDATE_FILE), lost.to_string()).unwrap();
        let page = RustVsPython
            .build(&input(dir.path()), dir.path())
            .unwrap()
            .unwrap();
        assert!(dir.path().join("python-lost-update.svg").is_file());
        let figure = page
            .figures
            .iter()
            .find(|f| f.id == "python/lost-update")
            .unwrap();
        assert_eq!(figure.bars()[1].value, 75.0);
        assert!(
            page.body.contains("30 of 40 (75%) increments were lost"),
            "{}",
            page.body
        );
    }

    #[test]
    fn without_data_the_page_is_left_out() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            RustVsPython
                .build(&input(dir.path()), dir.path())
                .unwrap()
                .is_none()
        );
    }
}
