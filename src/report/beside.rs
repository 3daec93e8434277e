//! The other run beside this one on every page with numbers
//! (`tvp report --compare`), and the figures file that makes a report
//! comparable.
//!
//! After the data pages are built, [`overlay`] gives each figure of the
//! costs, start-method, IO, memory, waits, balance, cores and Python pages
//! the other run's numbers for the same figure id: a bar chart gets an
//! outline per bar at the other value ([`crate::report::chart::Bar::reference`]),
//! a line chart a lighter dashed line per series the other run also drew.
//! Each compared figure gets one sentence from both runs' numbers (which
//! value differs most, in which direction, or that they agree), labelled
//! when the runs were measured differently (quick against full, other
//! problem sizes). A page whose figures the other run lacks says so once
//! and shows this run only. The scaling page compares its speedups itself.
//!
//! The other run's figures come from its `data/figures.json`, which
//! [`save`] writes into every report; a report written before that file
//! existed has its pages rebuilt from its data files (balance, waits,
//! memory, start methods, Python), and the pages that need criterion's
//! results (costs, cores, IO speedups) say that the other run lacks them.

use std::path::Path;

use crate::error::Result;
use crate::report::chart::{self, Series, Unit};
use crate::report::compare::{
    FIGURES_FILE, FIGURES_SCHEMA, Other, Runs, Saved, SavedFigure, SavedSeries,
};
use crate::report::explain::compare::{self as words_compare, Pair};
use crate::report::explain::words;
use crate::report::page::{Chart, Figure, PageOut, ReportInput};
use crate::report::{DATA_DIR, criterion, html, results};

/// The figure id prefixes this module compares (`speedup/` and the other
/// scaling figures are the scaling page's own).
pub const COMPARED: &[&str] = &[
    "costs/", "balance/", "busy/", "io/", "memory/", "waits/", "cores/", "python/",
];

/// A line chart whose other run has more matching lines than this names
/// them in one legend entry.
const SHARED_LEGEND: usize = 3;

/// What a saved figure keeps of `figure`: its numbers.
pub fn saved(figure: &Figure) -> SavedFigure {
    let (y_unit, x_unit, x_label, bars, series) = match &figure.chart {
        Chart::Bars(c) => (
            c.y_unit,
            Unit::default(),
            String::new(),
            c.bars.iter().map(|b| (b.label.clone(), b.value)).collect(),
            Vec::new(),
        ),
        Chart::Line(c) => (
            c.y_unit,
            c.x_unit,
            c.x_label.clone(),
            Vec::new(),
            c.series
                .iter()
                .map(|s| SavedSeries {
                    label: s.label.clone(),
                    dashed: s.dashed,
                    points: s.points.iter().map(|p| (p.x, p.y)).collect(),
                })
                .collect(),
        ),
    };
    SavedFigure {
        id: figure.id.clone(),
        title: figure.title.clone(),
        y_unit,
        x_label,
        x_unit,
        bars,
        series,
    }
}

/// How this run was measured: its report's rows and data files in `out`,
/// and the benches' run descriptions.
pub fn this_run(input: &ReportInput, out: &Path) -> Runs {
    let rows = results::read_json(&out.join(results::JSON_FILE)).unwrap_or_default();
    let mut runs = Runs::of_report(out, &rows);
    runs.add_benches(&input.scan.runs);
    runs
}

/// Writes `data/figures.json` into `out`: how the run was measured and
/// every figure's numbers, for a later `tvp report --compare`.
pub fn save(figures: &[Figure], runs: &Runs, out: &Path) -> Result<()> {
    let saved = Saved {
        schema: FIGURES_SCHEMA,
        runs: runs.clone(),
        figures: figures
            .iter()
            .filter(|f| !f.id.is_empty())
            .map(saved)
            .collect(),
    };
    crate::sweep::write_json(&out.join(DATA_DIR).join(FIGURES_FILE), &saved)
}

/// The other run's figures: its saved ones, or those its data files
/// rebuild (see the module docs), and how they were found.
fn other_figures(other: &Other) -> (Vec<SavedFigure>, &'static str) {
    if let Some(saved) = &other.saved {
        return (saved.figures.clone(), "its data/figures.json");
    }
    let rebuilt = (|| {
        let tmp = tempfile::tempdir().ok()?;
        let data = tmp.path().join(DATA_DIR);
        std::fs::create_dir_all(&data).ok()?;
        let from = other.dir.join(DATA_DIR);
        for entry in std::fs::read_dir(&from).ok()? {
            let path = entry.ok()?.path();
            if path.extension().is_some_and(|e| e == "json") && super::too_large(&path).is_none() {
                std::fs::copy(&path, data.join(path.file_name()?)).ok()?;
            }
        }
        let input = ReportInput {
            scan: criterion::Scan {
                benchmarks: Vec::new(),
                runs: Vec::new(),
                notes: Vec::new(),
            },
            machine: other.machine.clone(),
            cores: other.machine.logical_cores,
            criterion_dir: tmp.path().join("no-criterion"),
            figures: Vec::new(),
            other: None,
        };
        let mut notes = Vec::new();
        let pages = super::build_pages(super::PAGES, &input, tmp.path(), &mut notes);
        Some(
            pages
                .iter()
                .flat_map(|p| p.figures.iter().map(saved))
                .collect(),
        )
    })();
    (
        rebuilt.unwrap_or_default(),
        "its data files alone: it saved no data/figures.json, so it lacks every figure made \
         from criterion's results",
    )
}

/// How a value in `unit` reads.
fn format(unit: Unit) -> impl Fn(f64) -> String {
    move |v| match unit {
        Unit::Nanos => words::ns(v),
        Unit::Micros => words::ns(v * 1e3),
        Unit::Millis => words::ns(v * 1e6),
        Unit::Bytes => words::bytes_approx(v.max(0.0).round() as u64),
        Unit::Percent => words::percent(v),
        Unit::Count => words::thousands(v.max(0.0).round() as u64),
        Unit::Plain => words::plain(v),
    }
}

/// Whether two x values are the same point.
fn same_x(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// `figure` with `theirs` drawn beside it, and the values both runs have;
/// `None` when no bar or line matches.
fn overlaid(figure: &Figure, theirs: &SavedFigure, other_name: &str) -> Option<(Chart, Vec<Pair>)> {
    let mut pairs = Vec::new();
    match &figure.chart {
        Chart::Bars(c) => {
            let mut c = c.clone();
            for bar in &mut c.bars {
                if let Some(&(_, there)) = theirs.bars.iter().find(|(l, _)| *l == bar.label) {
                    bar.reference = Some(there);
                    pairs.push(Pair::new(bar.label.clone(), bar.value, there));
                }
            }
            c.reference_label = other_name.to_string();
            (!pairs.is_empty()).then_some((Chart::Bars(c), pairs))
        }
        Chart::Line(c) => {
            let mut c = c.clone();
            let x_unit = c.x_unit;
            let x_label = c.x_label.to_lowercase();
            let matched = c
                .series
                .iter()
                .filter(|s| !s.dashed && theirs.series.iter().any(|t| t.label == s.label))
                .count();
            // Past a few lines, one legend entry names all the other run's.
            let shared = matched > SHARED_LEGEND;
            for ours in c.series.clone().iter().filter(|s| !s.dashed) {
                let Some(t) = theirs
                    .series
                    .iter()
                    .find(|t| !t.dashed && t.label == ours.label)
                else {
                    continue;
                };
                for p in &ours.points {
                    if let Some(&(_, y)) = t.points.iter().find(|q| same_x(q.0, p.x)) {
                        pairs.push(Pair::new(
                            format!("{} at {} {x_label}", ours.label, x_unit.label(p.x)),
                            p.y,
                            y,
                        ));
                    }
                }
                c.series.push(Series::dashed(
                    if shared {
                        String::new()
                    } else {
                        format!("{}, other machine", ours.label)
                    },
                    chart::lighter(ours.color),
                    t.points
                        .iter()
                        .map(|&(x, y)| chart::Point::new(x, y))
                        .collect(),
                ));
            }
            if shared {
                c.series.push(Series::dashed(
                    format!("lighter dashed: {other_name}"),
                    chart::REFERENCE,
                    Vec::new(),
                ));
            }
            (!pairs.is_empty()).then_some((Chart::Line(c), pairs))
        }
    }
}

/// Draws the other run beside every figure of `pages` it also drew (see
/// the module docs), rewriting those figures' SVGs in `out`.
pub fn overlay(pages: &mut [PageOut], input: &ReportInput, out: &Path) {
    let Some(other) = &input.other else {
        return;
    };
    let (theirs, from) = other_figures(other);
    let here = this_run(input, out);
    let name = other.name();
    for page in pages.iter_mut().filter(|p| p.file != "index.html") {
        let mut compared = Vec::new();
        let mut lacking = Vec::new();
        for figure in page
            .figures
            .iter_mut()
            .filter(|f| COMPARED.iter().any(|c| f.id.starts_with(c)))
        {
            let Some((chart, pairs)) = theirs
                .iter()
                .find(|t| t.id == figure.id)
                .and_then(|t| overlaid(figure, t, &name))
            else {
                lacking.push(figure.title.clone());
                continue;
            };
            let unlike = here.unlike(&other.runs, &figure.id);
            let unit = match &chart {
                Chart::Bars(c) => c.y_unit,
                Chart::Line(c) => c.y_unit,
            };
            let sentence = words_compare::figure(
                &figure.title,
                &pairs,
                &format(unit),
                &name,
                unlike.as_deref(),
            );
            let before = figure.html();
            let mut updated = figure.clone();
            updated.chart = chart;
            updated.sentences.extend(sentence);
            let svg = match updated.chart.svg() {
                Ok(svg) => svg,
                Err(e) => {
                    page.notes.push(format!(
                        "{} could not be drawn beside {name}: {e}",
                        figure.title
                    ));
                    continue;
                }
            };
            if let Err(e) = chart::write_svg(&out.join(&updated.file), &svg) {
                page.notes.push(format!("{}: {e}", figure.title));
                continue;
            }
            let after = updated.html();
            if page.body.contains(&before) {
                page.body = page.body.replacen(&before, &after, 1);
            } else if let Some(sentence) = updated.sentences.last() {
                // The page wrote its own caption: the sentence goes at the
                // end of the figure's, or after the page when it has none.
                let img = format!("<img src=\"{}\"", html::escape(&updated.file));
                let end = page
                    .body
                    .find(&img)
                    .and_then(|at| page.body[at..].find("</figcaption>").map(|e| at + e));
                let text = html::explanation(std::slice::from_ref(sentence));
                match end {
                    Some(e) => page.body.insert_str(e, &text),
                    None => page.body.push_str(&text),
                }
            }
            compared.push(figure.title.clone());
            *figure = updated;
        }
        if compared.is_empty() && lacking.is_empty() {
            continue;
        }
        let said = if compared.is_empty() {
            format!(
                "Beside {name}: it has none of this page's figures, so this page shows this run \
                 only (its figures were read from {from})."
            )
        } else if lacking.is_empty() {
            format!(
                "Beside {name}: each chart draws its numbers too, bars as outlines and lines \
                 lighter and dashed, and says which value differs most (its figures were read \
                 from {from})."
            )
        } else {
            format!(
                "Beside {name}: each chart it also drew shows its numbers too, bars as outlines \
                 and lines lighter and dashed; it lacks {}, which show this run only (its \
                 figures were read from {from}).",
                words::and_list(&lacking.iter().map(String::as_str).collect::<Vec<_>>())
            )
        };
        page.body = format!(
            "<p class=\"compare\">{}</p>\n{}",
            html::escape(&said),
            page.body
        );
    }
}

/// Whether this run (its report in `out`) and `other` were measured
/// alike, as a sentence for the page that introduces the comparison.
pub fn like_for_like(input: &ReportInput, other: &Other, out: &Path) -> String {
    let here = this_run(input, out);
    words_compare::like_for_like(
        here.unlike_anywhere(&other.runs).as_deref(),
        "the other machine",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::datasets::{self, DataSet};

    /// `set` rendered into `dir` as a report another one can be compared
    /// with: its machine (`set.cores` cores), its results.json and, when
    /// `with_figures`, its figures file.
    fn report_of(set: &DataSet, dir: &Path, with_figures: bool) {
        let (pages, _) = datasets::render(set, dir);
        let mut machine = crate::machine::MachineInfo::detect();
        machine.logical_cores = set.cores;
        machine.physical_cores = Some(set.cores);
        crate::report::compare::write_machine(&machine, &dir.join(DATA_DIR)).unwrap();
        if with_figures {
            let figures: Vec<Figure> = pages.iter().flat_map(|p| p.figures.clone()).collect();
            let rows = results::read_json(&dir.join(results::JSON_FILE)).unwrap_or_default();
            let mut runs = Runs::of_report(dir, &rows);
            runs.add_benches(&set.scan.runs);
            save(&figures, &runs, dir).unwrap();
        }
    }

    /// `set`'s pages built beside the report in `other`.
    fn beside(set: &DataSet, out: &Path, other: &Path) -> Vec<PageOut> {
        let data = out.join(DATA_DIR);
        std::fs::create_dir_all(&data).unwrap();
        for (name, text) in &set.data {
            std::fs::write(data.join(name), text).unwrap();
        }
        let mut input = ReportInput {
            scan: set.scan.clone(),
            machine: crate::machine::MachineInfo::detect(),
            cores: set.cores,
            criterion_dir: std::path::PathBuf::new(),
            figures: Vec::new(),
            other: Some(Other::read(other).unwrap()),
        };
        let mut notes = Vec::new();
        crate::report::build_report(&mut input, out, &mut notes).0
    }

    fn compared_figures(pages: &[PageOut]) -> Vec<&Figure> {
        pages
            .iter()
            .filter(|p| !p.nav.is_empty())
            .flat_map(|p| p.figures.iter())
            .filter(|f| COMPARED.iter().any(|c| f.id.starts_with(c)))
            .collect()
    }

    #[test]
    fn every_figure_of_every_page_is_drawn_beside_a_saved_64_core_run() {
        let tmp = tempfile::tempdir().unwrap();
        let big = tmp.path().join("big");
        report_of(&datasets::many_cores(), &big, true);
        let pages = beside(&datasets::reference(), &tmp.path().join("here"), &big);
        let figures = compared_figures(&pages);
        let topics: std::collections::BTreeSet<&str> = figures
            .iter()
            .map(|f| f.id.split('/').next().unwrap())
            .collect();
        for topic in ["costs", "balance", "busy", "io", "memory", "cores"] {
            assert!(topics.contains(topic), "{topic}: {topics:?}");
        }
        for f in &figures {
            let said = f.sentences.last().unwrap();
            assert!(
                said.contains("on the other machine (64 cores)"),
                "{}: {said}",
                f.id
            );
            match &f.chart {
                Chart::Bars(c) => {
                    assert!(c.bars.iter().any(|b| b.reference.is_some()), "{}", f.id);
                    assert_eq!(c.reference_label, "the other machine (64 cores)");
                }
                Chart::Line(c) => assert!(
                    c.series.iter().any(|s| s.dashed
                        && (s.label.ends_with("other machine") || s.label.ends_with("(64 cores)"))),
                    "{}",
                    f.id
                ),
            }
            let svg = std::fs::read_to_string(tmp.path().join("here").join(&f.file)).unwrap();
            assert!(
                svg == f.chart.svg().unwrap(),
                "{}: the SVG was redrawn",
                f.id
            );
        }
        // The cores sweep ran to 128 workers there, to 4 here: the sentence
        // names a value both measured.
        for p in pages
            .iter()
            .filter(|p| !compared_figures(std::slice::from_ref(p)).is_empty())
        {
            assert!(
                p.body.contains("Beside the other machine (64 cores)"),
                "{}",
                p.file
            );
            for f in &p.figures {
                if let Some(said) = f.sentences.last() {
                    assert!(
                        !said.contains("other machine (64 cores)")
                            || p.body.contains(&html::escape(
                                said.split("measured, ").last().unwrap_or(said)
                            )),
                        "{}: the body shows {said}",
                        p.file
                    );
                }
            }
        }
    }

    #[test]
    fn a_report_without_figures_is_rebuilt_from_its_data_files() {
        let tmp = tempfile::tempdir().unwrap();
        let old = tmp.path().join("old");
        report_of(&datasets::reference(), &old, false);
        let pages = beside(&datasets::reference(), &tmp.path().join("here"), &old);
        let page = |file: &str| pages.iter().find(|p| p.file == file).unwrap();
        // Balance comes from balance.json: compared, and alike.
        let balance = page("balance.html");
        assert!(
            balance.body.contains("read from its data files alone"),
            "{}",
            balance.body
        );
        let f = balance
            .figures
            .iter()
            .find(|f| f.id.starts_with("balance/"))
            .unwrap();
        assert!(
            f.sentences.last().unwrap().contains("agree within 10%"),
            "{:?}",
            f.sentences
        );
        // The core sweep is criterion's only: said once, drawn as this run.
        let cores = page("cores.html");
        assert_eq!(cores.body.matches("has none of this page").count(), 1);
        assert!(compared_figures(std::slice::from_ref(cores))
            .iter()
            .all(|f| matches!(&f.chart, Chart::Line(c) if c.series.iter().all(|s| !s.label.ends_with("other machine")))));
    }

    #[test]
    fn a_figure_across_unlike_runs_is_labelled() {
        let tmp = tempfile::tempdir().unwrap();
        let big = tmp.path().join("big");
        report_of(&datasets::many_cores(), &big, true);
        // The other run in full mode with larger problems.
        let path = big.join(DATA_DIR).join(FIGURES_FILE);
        let mut saved: Saved =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        saved.runs.quick = Some(false);
        for size in saved.runs.sizes.values_mut() {
            *size *= 2;
        }
        crate::sweep::write_json(&path, &saved).unwrap();
        let pages = beside(&datasets::reference(), &tmp.path().join("here"), &big);
        for f in compared_figures(&pages) {
            let said = f.sentences.last().unwrap();
            assert!(
                said.starts_with("Unlike runs (quick mode here, full mode there"),
                "{}: {said}",
                f.id
            );
        }
        let front = pages.iter().find(|p| p.file == "index.html").unwrap();
        assert!(
            front
                .body
                .contains("were not measured alike (quick mode here")
        );
        let balance = pages.iter().find(|p| p.file == "balance.html").unwrap();
        let f = balance
            .figures
            .iter()
            .find(|f| f.id == "balance/primes")
            .unwrap();
        assert!(
            f.sentences.last().unwrap().contains("primes sized"),
            "{:?}",
            f.sentences
        );
    }
}
