//! The report: criterion's saved results -> charts (plotters SVG) and
//! explanations written from the numbers -> HTML pages under `reports/`.
//!
//! `cargo bench` regenerates it at the end of every bench run, and
//! `tvp report` does so on demand, always from all results present.
//!
//! # Files
//! - [`criterion`]: reads criterion's `estimates.json`/`benchmark.json` and
//!   the benches' [`criterion::RunInfo`]; problems become notes, never panics.
//! - [`results`]: the scaling rows and their `results.json` / `results.csv`.
//! - [`chart`]: line and bar charts as SVG, one colour per backend.
//! - [`explain`]: sentences generated from numbers; [`amdahl`]: the fit.
//! - [`html`]: the shared layout (navigation, notes, machine info) and helpers.
//! - one file per page: `scaling.rs` (the index page: CPU and memory
//!   workloads), `io.rs` (IO workloads and memory per worker), `cores.rs`
//!   (the core sweep), `costs.rs` (spawn, IPC, locks), `python.rs` (Rust vs
//!   Python), `mpi.rs` (MPI ranks, feature `mpi`).
//!
//! # Adding a page
//! 1. Write `src/report/NAME.rs` with a unit struct implementing [`Page`].
//!    In `build`, read what you need from [`ReportInput`] (the scan of every
//!    criterion result, with `scan.group("your-group")`), write your SVGs
//!    with [`chart`] into `out`, and return a [`PageOut`] whose `body` is
//!    HTML built with [`html`] helpers. Return `Ok(None)` when your data is
//!    absent: the page is then left out of the navigation.
//! 2. Add `mod NAME;` below and one line to [`PAGES`].
//! 3. Publish the figures other pages may reuse in [`PageOut::figures`]:
//!    list the charts the body drew with [`html::figure`] in one line,
//!    `let figures = figures_in(&body, &[("costs/locks", "costs-locks.svg")]);`
//!    or, per workload, [`workload_figures`]; or build each as a [`Figure`]
//!    and put `figure.html()` in the body.
//!
//! The framework wraps each body in the layout (navigation to every page
//! with a `nav` label, the page's notes, machine info) and writes
//! `out/<file>`.
//!
//! # Figures and the lessons
//! The data pages in [`PAGES`] are built first; every figure they publish
//! is then in [`ReportInput::figures`] (look one up with
//! [`ReportInput::figure`]) while the pages in [`LESSONS`] are built. A
//! lesson shows a figure's chart and sentences by id, or says which bench
//! produces it when it is absent. Figure files sit in the report directory
//! next to every page, so a page links them by their `file` as is.
//!
//! Figure ids are `<topic>/<name>`, lower case, stable across runs (a
//! lesson names them in its source); the per-workload ones end in the
//! workload's registry name:
//! - `speedup/<workload>`, `efficiency/<workload>`, `time/<workload>`: the
//!   scaling page (this file's [`Scaling`]).
//! - `costs/<name>` for `costs-<name>.svg`: `costs/spawn-processes`,
//!   `costs/spawn-threads`, `costs/ipc-latency`, `costs/ipc-throughput`,
//!   `costs/locks`, `costs/context-switch`.
//! - `python/<workload>`: the Rust vs Python page; `cores/<workload>`: the
//!   core sweep; `io/<workload>` and `memory/<workload>`: the IO page;
//!   `mpi/<workload>`: the MPI page's time chart (computing and launch).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::machine::MachineInfo;

pub mod amdahl;
pub mod chart;
mod cores;
mod costs;
pub mod criterion;
pub mod explain;
pub mod html;
mod io;
mod mpi;
mod python;
pub mod results;
mod scaling;

pub mod lessons;
pub use cores::Cores;
pub use costs::Costs;
pub use io::Io;
pub use mpi::Mpi;
pub use python::RustVsPython;
pub use scaling::Scaling;

/// Every page built from results, in navigation order. The first page to
/// claim `index.html` is the front page.
pub const PAGES: &[&dyn Page] = &[&Scaling, &Io, &Cores, &Costs, &RustVsPython, &Mpi];

/// The teaching pages, built after [`PAGES`] from the figures those
/// published; they are written even when no result exists.
pub const LESSONS: &[&dyn Page] = lessons::PAGES;

/// One page of the report.
pub trait Page: Sync {
    /// A short name, used in notes when the page fails.
    fn name(&self) -> &'static str;
    /// Builds the page from `input`, writing any files it links (charts,
    /// data) into `out`. `Ok(None)` when its data is absent.
    fn build(&self, input: &ReportInput, out: &Path) -> Result<Option<PageOut>>;
}

/// What a page built.
#[derive(Debug, Clone, Default)]
pub struct PageOut {
    /// The HTML file, relative to the report directory, e.g. `index.html`.
    pub file: String,
    pub title: String,
    /// The label in the navigation bar; empty leaves the page out of it
    /// (the lessons link each other instead).
    pub nav: String,
    /// The page's HTML, without the layout.
    pub body: String,
    /// Notes shown at the top of the page.
    pub notes: Vec<String>,
    /// Figures later pages (the lessons) may show, by id.
    pub figures: Vec<Figure>,
}

/// A chart a page drew, with the sentences written from its numbers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figure {
    /// A stable id such as `speedup/primes` (see the module docs).
    pub id: String,
    /// The SVG, relative to the report directory.
    pub file: String,
    pub alt: String,
    pub sentences: Vec<String>,
    /// The page that published it, and that page's notes (how the numbers
    /// were measured); [`generate`] fills both in.
    pub page: String,
    pub page_notes: Vec<String>,
}

impl Figure {
    pub fn new(id: impl Into<String>, file: impl Into<String>, alt: impl Into<String>) -> Self {
        Figure {
            id: id.into(),
            file: file.into(),
            alt: alt.into(),
            ..Figure::default()
        }
    }

    pub fn with_sentences(mut self, sentences: Vec<String>) -> Self {
        self.sentences = sentences;
        self
    }

    /// The chart and its sentences, as [`html::figure`] writes them.
    pub fn html(&self) -> String {
        html::figure(&self.file, &self.alt, &self.sentences)
    }
}

/// The figures that [`html::figure`] wrote into `body`, as `(id, file)`
/// pairs name them; a file not in the body is left out. For pages that
/// write their figures as HTML straight away.
pub fn figures_in<I: AsRef<str>, F: AsRef<str>>(body: &str, ids: &[(I, F)]) -> Vec<Figure> {
    ids.iter()
        .filter_map(|(id, file)| {
            let (alt, sentences) = html::parse_figure(body, file.as_ref())?;
            Some(Figure::new(id.as_ref(), file.as_ref(), alt).with_sentences(sentences))
        })
        .collect()
}

/// [`figures_in`] for per-workload charts: for every registered workload
/// `w` and every `(topic, file)` pair, the figure `topic/w` drawn in `file`
/// with `{}` replaced by `w`, e.g. `("speedup", "scaling-{}-speedup.svg")`.
pub fn workload_figures(body: &str, charts: &[(&str, &str)]) -> Vec<Figure> {
    let ids: Vec<(String, String)> = crate::workloads::REGISTRY
        .iter()
        .flat_map(|e| {
            charts
                .iter()
                .map(|(topic, file)| (format!("{topic}/{}", e.name), file.replace("{}", e.name)))
        })
        .collect();
    figures_in(body, &ids)
}

/// Everything a page may use.
#[derive(Debug)]
pub struct ReportInput {
    pub scan: criterion::Scan,
    pub machine: MachineInfo,
    /// The core count the results were measured with (from the benches'
    /// run info, else this machine's).
    pub cores: usize,
    pub criterion_dir: PathBuf,
    /// The figures the pages in [`PAGES`] published: empty while those are
    /// built, filled for the [`LESSONS`].
    pub figures: Vec<Figure>,
}

impl ReportInput {
    /// The published figure `id`, if a page drew it.
    pub fn figure(&self, id: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.id == id)
    }
}

#[cfg(test)]
impl ReportInput {
    /// An input of made-up `benchmarks` and `runs` on a 2-core machine.
    pub(crate) fn made_up(
        benchmarks: Vec<criterion::Benchmark>,
        runs: Vec<criterion::RunInfo>,
    ) -> Self {
        ReportInput {
            scan: criterion::Scan {
                benchmarks,
                runs,
                notes: Vec::new(),
            },
            machine: MachineInfo::detect(),
            cores: 2,
            criterion_dir: PathBuf::new(),
            figures: Vec::new(),
        }
    }
}

/// Where to read and write.
#[derive(Debug, Clone)]
pub struct Options {
    pub criterion_dir: PathBuf,
    pub out_dir: PathBuf,
    /// Where the benches wrote their data files (memory, MPI launches,
    /// Python). Pages read and link them in `out_dir/data`, so from
    /// anywhere else they are copied there first.
    pub data_dir: PathBuf,
}

impl Options {
    /// The defaults for a project directory: criterion's output dir (see
    /// [`criterion::default_dir`]), `<project>/reports` and
    /// `<project>/reports/data`.
    pub fn for_project(project: &Path) -> Self {
        Options {
            criterion_dir: criterion::default_dir(project),
            out_dir: project.join("reports"),
            data_dir: project.join("reports").join(DATA_DIR),
        }
    }
}

/// The report's data folder, inside the report directory.
pub const DATA_DIR: &str = "data";

/// Copies the `.json` files of `from` into `to` (made if missing), unless
/// they are the same folder. A missing `from` copies nothing: the pages then
/// say which bench writes what they miss.
fn copy_data(from: &Path, to: &Path) -> Result<()> {
    let same = matches!((from.canonicalize(), to.canonicalize()), (Ok(a), Ok(b)) if a == b);
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(());
    };
    if same {
        return Ok(());
    }
    let copy_error = |e| {
        Error::io(
            format!("copying {} into {}", from.display(), to.display()),
            e,
        )
    };
    std::fs::create_dir_all(to).map_err(copy_error)?;
    for entry in entries {
        let path = entry.map_err(copy_error)?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "json") {
            let name = path.file_name().expect("a file has a name");
            std::fs::copy(&path, to.join(name)).map_err(copy_error)?;
        }
    }
    Ok(())
}

/// What [`generate`] wrote.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The HTML pages, the front page first.
    pub pages: Vec<PathBuf>,
    /// Benchmarks read from criterion's output.
    pub benchmarks: usize,
    /// Pages built from data (the placeholder front page is not one).
    pub pages_with_data: usize,
    /// Every note (problems with the data), also shown on the front page.
    pub notes: Vec<String>,
}

/// Reads every result under `options.criterion_dir` and writes the report
/// into `options.out_dir`. Missing or broken data gives notes on the page;
/// only failing to write the report is an error.
pub fn generate(options: &Options) -> Result<Outcome> {
    let out = &options.out_dir;
    std::fs::create_dir_all(out).map_err(|e| {
        Error::io(
            format!("creating the report directory {}", out.display()),
            e,
        )
    })?;
    copy_data(&options.data_dir, &out.join(DATA_DIR))?;
    let scan = criterion::scan(&options.criterion_dir);
    let cores = scan
        .runs
        .iter()
        .filter_map(|r| r.cores)
        .max()
        .unwrap_or_else(crate::cores);
    let mut input = ReportInput {
        scan,
        machine: MachineInfo::detect(),
        cores,
        criterion_dir: options.criterion_dir.clone(),
        figures: Vec::new(),
    };
    let mut notes = input.scan.notes.clone();
    for run in &input.scan.runs {
        if let Some(confined) = &run.confined {
            notes.push(format!(
                "`{}` was measured with the whole bench {confined}.",
                run.group
            ));
        }
    }
    let mut built = build_pages(PAGES, &input, out, &mut notes);
    // The lessons repeat their charts' notes: only the data pages' count.
    notes.extend(built.iter().flat_map(|p| p.notes.iter().cloned()));
    let pages_with_data = built.len();
    if let Some(i) = built.iter().position(|p| p.file == "index.html") {
        let front = built.remove(i);
        built.insert(0, front);
    } else {
        built.insert(0, placeholder_front_page(&built));
    }
    input.figures = built
        .iter()
        .flat_map(|p| {
            p.figures.iter().map(|f| Figure {
                page: p.file.clone(),
                page_notes: p.notes.clone(),
                ..f.clone()
            })
        })
        .collect();
    built.extend(build_pages(LESSONS, &input, out, &mut notes));
    let mut nav: Vec<html::NavLink> = built
        .iter()
        .filter(|p| !p.nav.is_empty())
        .map(|p| html::NavLink {
            href: p.file.clone(),
            label: p.nav.clone(),
        })
        .collect();
    if let Some(href) = criterion_report_link(&options.criterion_dir, out) {
        nav.push(html::NavLink {
            href,
            label: "criterion's own report".into(),
        });
    }
    let mut pages = Vec::new();
    for (i, p) in built.iter().enumerate() {
        // The front page lists every note; the others their own.
        let page_notes = if i == 0 { &notes } else { &p.notes };
        let text = html::page(&p.title, &nav, &p.file, page_notes, &p.body, &input.machine);
        let path = out.join(&p.file);
        std::fs::write(&path, text)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        pages.push(path);
    }
    Ok(Outcome {
        pages,
        benchmarks: input.scan.benchmarks.len(),
        pages_with_data,
        notes,
    })
}

/// Writes the project's report at the end of a bench and says where, with
/// its notes when `with_notes`. A failure is printed, not fatal: the
/// measurements are saved already.
pub fn write_after_bench(project: &Path, with_notes: bool) {
    match generate(&Options::for_project(project)) {
        Ok(outcome) => {
            println!(
                "report: {} ({} benchmarks read)",
                outcome.pages[0].display(),
                outcome.benchmarks
            );
            if with_notes {
                for note in &outcome.notes {
                    println!("report note: {note}");
                }
            }
        }
        Err(e) => eprintln!("report: could not write it: {e}"),
    }
}

/// Builds `pages` in order, keeping those with data; failures go to
/// `notes`.
fn build_pages(
    pages: &[&dyn Page],
    input: &ReportInput,
    out: &Path,
    notes: &mut Vec<String>,
) -> Vec<PageOut> {
    let mut built = Vec::new();
    for page in pages {
        match page.build(input, out) {
            Ok(Some(p)) => built.push(p),
            Ok(None) => {}
            Err(e) => notes.push(format!("The {} page could not be built: {e}", page.name())),
        }
    }
    built
}

/// The front page when the scaling results are absent.
fn placeholder_front_page(others: &[PageOut]) -> PageOut {
    let body = if others.is_empty() {
        format!(
            "<p>No results to show yet. Run <code>cargo bench</code> or, for a first look, \
             <code>cargo bench -- --quick</code>, then open this page again. Meanwhile the \
             <a href=\"{}\">lessons</a> say what the charts will show.</p>\n",
            lessons::INTRO_FILE
        )
    } else {
        "<p>The scaling results are missing: run <code>cargo bench --bench scaling</code>. \
         The other pages are in the navigation above.</p>\n"
            .to_string()
    };
    PageOut {
        file: "index.html".into(),
        title: "threads-vs-processes: report".into(),
        nav: "Overview".into(),
        body,
        ..PageOut::default()
    }
}

/// A relative link from the report directory to criterion's HTML report,
/// if that report exists.
fn criterion_report_link(criterion_dir: &Path, out: &Path) -> Option<String> {
    let report = criterion_dir.join("report").join("index.html");
    if !report.is_file() {
        return None;
    }
    let report = std::path::absolute(&report).ok()?;
    let out = std::path::absolute(out).ok()?;
    let rel = pathdiff::diff_paths(&report, &out)?;
    Some(rel.to_string_lossy().replace('\\', "/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_written_as_html_are_published_by_id() {
        let body = format!(
            "<h2>x</h2>{}{}",
            html::figure("costs-locks.svg", "locks", &["Sentence one.".into()]),
            html::figure("costs-spawn.svg", "spawn", &[])
        );
        let found = figures_in(
            &body,
            &[
                ("costs/locks", "costs-locks.svg"),
                ("costs/absent", "costs-absent.svg"),
                ("costs/spawn", "costs-spawn.svg"),
            ],
        );
        assert_eq!(
            found,
            vec![
                Figure::new("costs/locks", "costs-locks.svg", "locks")
                    .with_sentences(vec!["Sentence one.".into()]),
                Figure::new("costs/spawn", "costs-spawn.svg", "spawn"),
            ]
        );
        assert_eq!(
            found[0].html(),
            html::figure("costs-locks.svg", "locks", &["Sentence one.".into()])
        );
    }
}
