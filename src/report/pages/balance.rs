//! The load-balancing page: for primes, mandelbrot and monte_carlo, speedup
//! at the core count against chunks per worker for `threads`, `rayon` and
//! `pool` (with `process`'s one static chunk per child and Python's
//! `Pool.map` beside them), and where each run's time went: computing,
//! waiting for the slowest worker, outside any chunk. Reads
//! `data/balance.json` (`cargo bench --bench balance`) and, when present,
//! the balance sweep in `data/python.json` (`tvp python`); the page is left
//! out without the first.
//!
//! Figures: `balance/<workload>` (speedup against chunks per worker) and
//! `busy/<workload>` (the shares of the run lost to waiting and spent
//! outside the chunks).

use std::path::Path;

use crate::error::Result;
use crate::python::script::PythonReport;
use crate::report::chart::{self, LineChart, Point, Series, Unit};
use crate::report::explain::balance::{self as explain, KCurve, KPoint};
use crate::report::explain::words;
use crate::report::{Drawn, Figure, Page, PageOut, ReportInput, html};
use crate::sweep::balance::{self, BalanceRun, BalanceWorkload};

/// The sweep, relative to the report directory.
pub const DATA_FILE: &str = "data/balance.json";
/// Python's twin, relative to the report directory.
pub const PYTHON_FILE: &str = "data/python.json";

/// The balance page (`balance.html`).
#[derive(Debug, Clone, Copy)]
pub struct Balance;

/// The label of `backend`'s wait for the slowest worker in the
/// `busy/<workload>` figure (lesson 3 reads it by this label).
pub fn waiting_label(backend: &str) -> String {
    format!("{backend}: waiting for the slowest")
}

/// The label of `backend`'s time outside any chunk in `busy/<workload>`.
pub fn outside_label(backend: &str) -> String {
    format!("{backend}: outside chunks")
}

/// The label of Python's line in `balance/<workload>`.
pub const PYTHON_LABEL: &str = "Python Pool.map";

impl Page for Balance {
    fn name(&self) -> &'static str {
        "load balancing"
    }

    fn build(&self, input: &ReportInput, out: &Path) -> Result<Option<PageOut>> {
        let path = out.join(DATA_FILE);
        if !path.is_file() {
            return Ok(None);
        }
        let run = balance::load(&path)?;
        let report = PythonReport::load(&out.join(PYTHON_FILE)).ok();
        let skipped = report.as_ref().is_some_and(|p| p.balance.is_none());
        let python = report.and_then(|p| p.balance.map(|b| (p.python, p.results, b)));
        let mut notes = run_notes(&run, input.cores);
        if skipped {
            notes.push(format!(
                "{PYTHON_FILE} has no balance sweep (run with --no-balance, or skipped on a \
                 busy machine: see the output of `tvp python`), so Python's Pool.map is not \
                 drawn."
            ));
        }
        let noise = explain::noise(typical_spread(&run));
        let measured = explain::Measured {
            noise,
            busy: busy(&run).is_some(),
            quick: run.quick,
        };
        let mut body = intro(&run, noise, python.is_some());
        let mut drawn = Drawn::new(out);
        for w in &run.workloads {
            let teaches = crate::workloads::entry(&w.workload).map_or("", |e| e.teaches);
            body.push_str(&format!(
                "<h2 id=\"{name}\">{name}</h2>\n<p>{}. Sequential: {} at {} items.</p>\n",
                html::escape(&words::capitalise(teaches)),
                words::secs_as_ms(w.sequential_s),
                words::thousands(w.size),
                name = html::escape(&w.workload),
            ));
            let py = python
                .as_ref()
                .and_then(|(_, results, b)| python_curve(&w.workload, results, b));
            if w.cells.iter().any(|c| !c.checksum_ok) {
                notes.push(format!(
                    "{}: a checksum disagreed: see {DATA_FILE}.",
                    w.workload
                ));
            }
            let curves = curves(w);
            body.push_str(
                &drawn.add(
                    Figure::new(
                        format!("balance/{}", w.workload),
                        format!("balance-{}.svg", w.workload),
                        format!(
                            "{}: speedup at {} by chunks per worker",
                            w.workload,
                            words::workers(run.workers)
                        ),
                        speedup_chart(&run, w, &curves, py.as_ref()),
                    )
                    .with_sentences(explain::speedup(
                        &w.workload,
                        run.workers,
                        &swept(&curves),
                        py.as_ref(),
                        noise,
                    ))
                    .with_claims(explain::speedup_claims(
                        &w.workload,
                        run.workers,
                        &swept(&curves),
                        py.as_ref(),
                        &measured,
                    )),
                )?,
            );
            body.push_str(
                &drawn.add(
                    Figure::new(
                        format!("busy/{}", w.workload),
                        format!("balance-{}-busy.svg", w.workload),
                        format!(
                            "{}: where each run's time went, by chunks per worker",
                            w.workload
                        ),
                        busy_chart(w, &curves),
                    )
                    .with_sentences(explain::busy(&swept(&curves), noise)),
                )?,
            );
            body.push_str(&table(w));
        }
        if let Some((version, _, _)) = &python {
            body.push_str(&format!(
                "<p>The dashed Python line: CPython {} running the same workload at its own, \
                 smaller size (<code>scripts/python/bench.py</code>, written by <code>tvp \
                 python</code>), <code>multiprocessing.Pool.map</code> over K chunks per \
                 worker; speedup over Python's own sequential run.</p>\n",
                html::escape(version)
            ));
        }
        let figures = drawn.into_figures();
        Ok(Some(PageOut {
            claims: Vec::new(),
            file: "balance.html".into(),
            title: "Load balancing: chunks per worker".into(),
            nav: "Load balancing".into(),
            body,
            notes,
            figures,
        }))
    }
}

/// What the page says first: what K is, what was measured and how.
fn intro(run: &BalanceRun, noise: f64, python: bool) -> String {
    format!(
        "<p>A backend cuts a job into K chunks per worker. With K = 1 each worker gets one \
         static chunk, and when items cost different amounts the worker with the costliest \
         chunk finishes last while the others wait. With more chunks a worker that finishes \
         early takes the next one, so the wait shrinks; but every chunk is handed out \
         (<code>threads</code>: an atomic counter; <code>rayon</code>: work stealing; \
         <code>pool</code>: a request and a reply through a pipe), and past some K that costs \
         more than it balances. <code>process</code> starts one child per chunk, so it has \
         one chunking only: one static chunk per child (a single point at K = 1).</p>\n\
         <p>Measured at {workers} ({cores} cores here), each cell the median of {repeat} \
         runs after one warm-up, timed by <code>cargo bench --bench balance</code> (not \
         criterion: {cells} cells must fit in about a minute), on jobs smaller than the \
         scaling page's{quick} (each section gives its size and sequential time). Each worker records the time it spent running \
         chunks; the second chart splits every median run into computing, <em>waiting for \
         the slowest worker</em> (the busiest worker's busy time minus the average: load \
         imbalance) and <em>outside chunks</em> (the run's time minus the busiest worker's: \
         starting workers, handing out chunks, pipes). Differences below {noise} count as \
         none here: the larger of {matters} and the typical spread between a cell's \
         runs.{python}</p>\n\
         <p>All numbers: <a href=\"{DATA_FILE}\">{DATA_FILE}</a>. <code>cargo run --release \
         -- run --chunks-per-worker K</code> runs any backend at one chunking and prints \
         each worker's busy share.</p>\n",
        workers = words::workers(run.workers),
        cores = run.cores,
        repeat = run.repeat,
        cells = run.workloads.iter().map(|w| w.cells.len()).sum::<usize>(),
        quick = if run.quick {
            ", smaller still in quick mode"
        } else {
            ""
        },
        noise = words::percent(noise),
        matters = words::percent(explain::MATTERS),
        python = if python {
            " Python's <code>Pool.map</code> is dashed."
        } else {
            ""
        },
    )
}

/// Notes on how the sweep was measured.
fn run_notes(run: &BalanceRun, report_cores: usize) -> Vec<String> {
    let mut notes = Vec::new();
    if run.quick {
        notes.push(
            "The balance sweep was measured in quick mode (smaller jobs, fewer chunkings and \
             runs): a first look, not figures to quote."
                .to_string(),
        );
    }
    if run.cores != report_cores {
        notes.push(format!(
            "The balance sweep saw {} cores; the other pages {report_cores}.",
            run.cores
        ));
    }
    if let Some(why) = busy(run) {
        notes.push(format!(
            "The machine was busy while the balance sweep ran ({why}): other programs took \
             turns on the cores, so its speedups are low and its runs vary."
        ));
    }
    notes
}

/// Why the machine counts as busy during the sweep, when it does: other
/// programs took more than [`crate::report::results::OTHERS_SHARE`] of its
/// CPU time, or, in a file without that share, the load average was above
/// the cores.
fn busy(run: &BalanceRun) -> Option<String> {
    match run.others_share {
        Some(share) => (share > crate::report::results::OTHERS_SHARE).then(|| {
            format!(
                "other programs used {:.0}% of this machine's CPU time while it ran (all cores, \
                 from /proc/stat)",
                100.0 * share
            )
        }),
        None => run
            .load_average
            .filter(|&l| l > run.cores as f64)
            .map(|l| format!("the load average was {l:.1} on {} cores", run.cores)),
    }
}

/// The median of every cell's run-to-run spread.
fn typical_spread(run: &BalanceRun) -> f64 {
    let mut spreads: Vec<f64> = run
        .workloads
        .iter()
        .flat_map(|w| w.cells.iter().map(balance::BalanceCell::spread))
        .collect();
    spreads.sort_by(f64::total_cmp);
    spreads.get(spreads.len() / 2).copied().unwrap_or(0.0)
}

/// Every backend measured on `w`, in the sweep's order, as curves over K.
fn curves(w: &BalanceWorkload) -> Vec<KCurve> {
    let mut names: Vec<&str> = Vec::new();
    for c in &w.cells {
        if !names.contains(&c.backend.as_str()) {
            names.push(&c.backend);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let points = w
                .line(name)
                .into_iter()
                .map(|c| {
                    let split = c.split();
                    KPoint {
                        k: c.chunks_per_worker,
                        speedup: c.speedup(w.sequential_s),
                        waiting: split.map(|s| s.waiting),
                        outside: split.map(|s| s.outside),
                    }
                })
                .collect();
            // Half the range of a cell's runs, as a share of its median.
            let spreads = w
                .line(name)
                .into_iter()
                .map(|c| (c.chunks_per_worker, c.spread() / 2.0))
                .collect();
            KCurve::new(name, points).with_spreads(spreads)
        })
        .collect()
}

/// The curves swept over chunkings (not `process`'s single point).
fn swept(curves: &[KCurve]) -> Vec<KCurve> {
    curves
        .iter()
        .filter(|c| balance::BACKENDS.contains(&c.backend.as_str()))
        .cloned()
        .collect()
}

/// Python's `Pool.map` speedups over K, against python-seq at the same
/// size.
fn python_curve(
    workload: &str,
    results: &[crate::python::script::PythonResult],
    b: &crate::python::script::PythonBalance,
) -> Option<KCurve> {
    let rows: Vec<_> = b
        .results
        .iter()
        .filter(|r| r.workload == workload && r.checksum_ok)
        .collect();
    let size = rows.first()?.size;
    let seq = results
        .iter()
        .find(|r| r.workload == workload && r.backend == "python-seq" && r.size == size)?;
    let points = rows
        .iter()
        .map(|r| KPoint {
            k: r.chunks_per_worker,
            speedup: seq.median_s / r.median_s,
            waiting: None,
            outside: None,
        })
        .collect();
    Some(KCurve::new("python-pool", points))
}

fn speedup_chart(
    run: &BalanceRun,
    w: &BalanceWorkload,
    curves: &[KCurve],
    python: Option<&KCurve>,
) -> LineChart {
    let mut series: Vec<Series> = curves
        .iter()
        .map(|c| {
            let points = c
                .points
                .iter()
                .map(|p| Point::new(p.k as f64, p.speedup))
                .collect();
            Series::solid(&c.backend, chart::backend_color(&c.backend), points)
        })
        .collect();
    if let Some(py) = python {
        let points = py
            .points
            .iter()
            .map(|p| Point::new(p.k as f64, p.speedup))
            .collect();
        series.push(Series::dashed(
            PYTHON_LABEL,
            chart::backend_color("pool"),
            points,
        ));
    }
    let ks: Vec<f64> = run.chunks.iter().map(|&k| k as f64).collect();
    if let (Some(&lo), Some(&hi)) = (ks.first(), ks.last()) {
        series.push(Series::dashed(
            format!("ideal, {}x", run.workers),
            chart::REFERENCE,
            vec![
                Point::new(lo, run.workers as f64),
                Point::new(hi, run.workers as f64),
            ],
        ));
    }
    LineChart {
        title: format!("{}: speedup at {}", w.workload, words::workers(run.workers)),
        x_label: "chunks per worker".into(),
        y_label: "speedup over sequential".into(),
        series,
        x_unit: Unit::Count,
        ..LineChart::default()
    }
}

fn busy_chart(w: &BalanceWorkload, curves: &[KCurve]) -> LineChart {
    let mut series = Vec::new();
    for c in curves {
        let color = chart::backend_color(&c.backend);
        let line = |f: fn(&KPoint) -> Option<f64>| -> Vec<Point> {
            c.points
                .iter()
                .filter_map(|p| Some(Point::new(p.k as f64, f(p)?)))
                .collect()
        };
        series.push(Series::solid(
            waiting_label(&c.backend),
            color,
            line(|p| p.waiting),
        ));
        series.push(Series::dashed(
            outside_label(&c.backend),
            color,
            line(|p| p.outside),
        ));
    }
    LineChart {
        title: format!("{}: share of each run", w.workload),
        x_label: "chunks per worker".into(),
        y_label: "share of the run".into(),
        series,
        x_unit: Unit::Count,
        y_unit: Unit::Percent,
        ..LineChart::default()
    }
}

/// Per backend: one static chunk per worker, the best chunking, the most
/// chunks, and the busy shares at each.
fn table(w: &BalanceWorkload) -> String {
    let speed = |c: Option<&balance::BalanceCell>| {
        c.map_or_else(
            || "-".to_string(),
            |c| words::speedup(Some(c.speedup(w.sequential_s))),
        )
    };
    let busy = |c: Option<&balance::BalanceCell>| {
        c.and_then(balance::BalanceCell::busy_range)
            .map_or_else(|| "-".to_string(), crate::report::terminal::busy_column)
    };
    let mut names: Vec<&str> = Vec::new();
    for c in &w.cells {
        if !names.contains(&c.backend.as_str()) {
            names.push(&c.backend);
        }
    }
    let rows: Vec<Vec<String>> = names
        .iter()
        .map(|&name| {
            let line = w.line(name);
            let one = line.iter().copied().find(|c| c.chunks_per_worker == 1);
            let best = line.iter().copied().reduce(|a, b| {
                if b.speedup(w.sequential_s) > a.speedup(w.sequential_s) {
                    b
                } else {
                    a
                }
            });
            let last = line.last().copied();
            vec![
                name.to_string(),
                speed(one),
                busy(one),
                best.map_or_else(|| "-".into(), |c| c.chunks_per_worker.to_string()),
                speed(best),
                busy(best),
                last.map_or_else(|| "-".into(), |c| c.chunks_per_worker.to_string()),
                speed(last),
                busy(last),
            ]
        })
        .collect();
    html::table(
        &[
            "backend",
            "K = 1",
            "busy at 1",
            "best K",
            "at best",
            "busy at best",
            "most K",
            "at most",
            "busy at most",
        ],
        &rows,
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::sweep::balance::{BalanceCell, SCHEMA};

    fn cell(backend: &str, k: usize, ms: f64, busy: &[f64]) -> BalanceCell {
        BalanceCell {
            backend: backend.into(),
            chunks_per_worker: k,
            chunks: 2 * k,
            median_s: ms / 1e3,
            times_s: vec![ms / 1e3; 3],
            busy_s: busy.iter().map(|b| b / 1e3).collect(),
            checksum_ok: true,
        }
    }

    /// A made-up sweep of primes at 2 workers, 100 ms sequentially.
    pub(crate) fn made_up_run() -> BalanceRun {
        BalanceRun {
            schema: SCHEMA,
            cores: 2,
            workers: 2,
            quick: false,
            repeat: 5,
            chunks: vec![1, 8, 256],
            load_average: None,
            others_share: None,
            elapsed_s: 10.0,
            workloads: vec![BalanceWorkload {
                workload: "primes".into(),
                size: 1_000,
                sequential_s: 0.1,
                checksum: 168,
                cells: vec![
                    cell("threads", 1, 62.0, &[61.0, 40.0]),
                    cell("threads", 8, 52.0, &[51.0, 50.0]),
                    cell("threads", 256, 52.5, &[51.0, 51.0]),
                    cell("pool", 1, 64.0, &[61.0, 40.0]),
                    cell("pool", 8, 53.0, &[50.0, 49.0]),
                    cell("pool", 256, 70.0, &[40.0, 40.0]),
                    cell("process", 1, 66.0, &[60.0, 40.0]),
                ],
            }],
        }
    }

    /// The figures of the page drawn from [`made_up_run`], for the lessons'
    /// tests.
    pub(crate) fn made_up_figures() -> Vec<crate::report::Figure> {
        build(&made_up_run()).1.figures
    }

    fn build(run: &BalanceRun) -> (tempfile::TempDir, PageOut) {
        let dir = tempfile::tempdir().unwrap();
        balance::write(&dir.path().join(DATA_FILE), run).unwrap();
        let input = ReportInput::made_up(Vec::new(), Vec::new());
        let page = Balance.build(&input, dir.path()).unwrap().unwrap();
        (dir, page)
    }

    #[test]
    fn without_data_there_is_no_page() {
        let dir = tempfile::tempdir().unwrap();
        let input = ReportInput::made_up(Vec::new(), Vec::new());
        assert!(Balance.build(&input, dir.path()).unwrap().is_none());
    }

    #[test]
    fn the_page_draws_both_figures_with_their_numbers_and_sentences() {
        let (dir, page) = build(&made_up_run());
        assert_eq!(page.file, "balance.html");
        let ids: Vec<&str> = page.figures.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["balance/primes", "busy/primes"]);
        for f in &page.figures {
            assert!(dir.path().join(&f.file).is_file(), "{}", f.file);
        }
        let speed = &page.figures[0];
        let pool = speed.line("pool").unwrap();
        assert!((pool.points[1].y - 0.1 / 0.053).abs() < 1e-9);
        assert_eq!(speed.line("process").unwrap().points.len(), 1);
        let text = speed.sentences.join(" ");
        assert!(
            text.contains("threads 1.92x at 8 chunks per worker (1.61x with 1 static chunk"),
            "{text}"
        );
        let claims: Vec<String> = speed.claims.iter().map(|c| c.sentence()).collect();
        let claims = claims.join(" ");
        assert!(
            claims.contains("As expected, past its default chunking, many chunks cost pool"),
            "{claims}"
        );
        assert!(page.body.contains("many chunks cost pool"), "{}", page.body);
        let busy = &page.figures[1];
        let wait = busy.line(&waiting_label("process")).unwrap();
        // Busy 60 and 40 ms of a 66 ms run: the mean is 50, so 10 ms waiting.
        assert!((wait.points[0].y - 10.0 / 66.0).abs() < 1e-9, "{wait:?}");
        assert!(busy.line(&outside_label("pool")).is_some());
        assert!(page.body.contains("busy at best"), "{}", page.body);
        assert!(page.body.contains("65-98%"), "{}", page.body);
    }

    #[test]
    fn python_s_pool_map_is_drawn_dashed_beside_the_rust_pool() {
        let dir = tempfile::tempdir().unwrap();
        let run = made_up_run();
        balance::write(&dir.path().join(DATA_FILE), &run).unwrap();
        let python = serde_json::json!({
            "schema": 1, "python": "3.11.7", "implementation": "CPython",
            "machine": {"cores": 2, "cpu_count": 2, "system": "Linux", "arch": "x86_64",
                        "start_method": "fork"},
            "quick": false, "repeat": 3, "workers": [1, 2],
            "sizes": {"primes": 300}, "kinds": {"primes": "cpu"}, "size_reason": "slow",
            "elapsed_s": 1.0,
            "results": [{"workload": "primes", "backend": "python-seq", "workers": 1,
                         "size": 300, "median_s": 0.3, "times_s": [0.3], "checksum": 62,
                         "checksum_ok": true}],
            "balance": {"workers": 2, "chunks": [1, 4], "repeat": 3, "results": [
                {"workload": "primes", "workers": 2, "chunks_per_worker": 1, "chunks": 2,
                 "size": 300, "median_s": 0.2, "times_s": [0.2], "checksum": 62,
                 "checksum_ok": true},
                {"workload": "primes", "workers": 2, "chunks_per_worker": 4, "chunks": 8,
                 "size": 300, "median_s": 0.16, "times_s": [0.16], "checksum": 62,
                 "checksum_ok": true}]}
        });
        std::fs::write(dir.path().join(PYTHON_FILE), python.to_string()).unwrap();
        let input = ReportInput::made_up(Vec::new(), Vec::new());
        let page = Balance.build(&input, dir.path()).unwrap().unwrap();
        let speed = &page.figures[0];
        let py = speed.line(PYTHON_LABEL).unwrap();
        assert!(py.dashed);
        assert_eq!(py.points.len(), 2);
        assert!((py.points[1].y - 0.3 / 0.16).abs() < 1e-9);
        let text = speed.sentences.join(" ");
        assert!(
            text.contains("Pool.map (dashed) was fastest at 4 chunks per worker: 1.88x"),
            "{text}"
        );
        assert!(page.body.contains("CPython 3.11.7"));
    }

    #[test]
    fn a_busy_quick_run_says_so() {
        let run = BalanceRun {
            quick: true,
            load_average: Some(9.5),
            ..made_up_run()
        };
        let (_dir, page) = build(&run);
        let notes = page.notes.join(" ");
        assert!(notes.contains("quick mode"), "{notes}");
        assert!(
            notes.contains("the load average was 9.5 on 2 cores"),
            "{notes}"
        );
        // The load average lags (the waits bench's threads just before):
        // with other programs' share measured, that decides.
        let quiet = BalanceRun {
            load_average: Some(10.5),
            others_share: Some(0.02),
            ..made_up_run()
        };
        let (_dir, page) = build(&quiet);
        assert!(!page.notes.join(" ").contains("busy"), "{:?}", page.notes);
        let busy = BalanceRun {
            others_share: Some(0.3),
            ..made_up_run()
        };
        let (_dir, page) = build(&busy);
        let notes = page.notes.join(" ");
        assert!(
            notes.contains("other programs used 30% of this machine's CPU time"),
            "{notes}"
        );
    }
}
