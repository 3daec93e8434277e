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
//!   Python).
//!
//! # Adding a page
//! 1. Write `src/report/NAME.rs` with a unit struct implementing [`Page`].
//!    In `build`, read what you need from [`ReportInput`] (the scan of every
//!    criterion result, with `scan.group("your-group")`), write your SVGs
//!    with [`chart`] into `out`, and return a [`PageOut`] whose `body` is
//!    HTML built with [`html`] helpers. Return `Ok(None)` when your data is
//!    absent: the page is then left out of the navigation.
//! 2. Add `mod NAME;` below and one line to [`PAGES`].
//!
//! The framework wraps each body in the layout (navigation to every page,
//! the page's notes, machine info) and writes `out/<file>`.

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
mod python;
pub mod results;
mod scaling;

pub use cores::Cores;
pub use costs::Costs;
pub use io::Io;
pub use python::RustVsPython;
pub use scaling::Scaling;

/// Every page, in navigation order. The first page to claim `index.html`
/// is the front page.
pub const PAGES: &[&dyn Page] = &[&Scaling, &Io, &Cores, &Costs, &RustVsPython];

/// One page of the report.
pub trait Page: Sync {
    /// A short name, used in notes when the page fails.
    fn name(&self) -> &'static str;
    /// Builds the page from `input`, writing any files it links (charts,
    /// data) into `out`. `Ok(None)` when its data is absent.
    fn build(&self, input: &ReportInput, out: &Path) -> Result<Option<PageOut>>;
}

/// What a page built.
#[derive(Debug, Clone)]
pub struct PageOut {
    /// The HTML file, relative to the report directory, e.g. `index.html`.
    pub file: String,
    pub title: String,
    /// The label in the navigation bar.
    pub nav: String,
    /// The page's HTML, without the layout.
    pub body: String,
    /// Notes shown at the top of the page.
    pub notes: Vec<String>,
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
}

/// Where to read and write.
#[derive(Debug, Clone)]
pub struct Options {
    pub criterion_dir: PathBuf,
    pub out_dir: PathBuf,
}

impl Options {
    /// The defaults for a project directory: criterion's output dir (see
    /// [`criterion::default_dir`]) and `<project>/reports`.
    pub fn for_project(project: &Path) -> Self {
        Options {
            criterion_dir: criterion::default_dir(project),
            out_dir: project.join("reports"),
        }
    }
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
    let scan = criterion::scan(&options.criterion_dir);
    let cores = scan
        .runs
        .iter()
        .filter_map(|r| r.cores)
        .max()
        .unwrap_or_else(crate::cores);
    let input = ReportInput {
        scan,
        machine: MachineInfo::detect(),
        cores,
        criterion_dir: options.criterion_dir.clone(),
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
    let mut built = Vec::new();
    for page in PAGES {
        match page.build(&input, out) {
            Ok(Some(p)) => {
                notes.extend(p.notes.iter().cloned());
                built.push(p);
            }
            Ok(None) => {}
            Err(e) => notes.push(format!("The {} page could not be built: {e}", page.name())),
        }
    }
    let pages_with_data = built.len();
    if let Some(i) = built.iter().position(|p| p.file == "index.html") {
        let front = built.remove(i);
        built.insert(0, front);
    } else {
        built.insert(0, placeholder_front_page(&built));
    }
    let mut nav: Vec<html::NavLink> = built
        .iter()
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

/// The front page when the scaling results are absent.
fn placeholder_front_page(others: &[PageOut]) -> PageOut {
    let body = if others.is_empty() {
        "<p>No results to show yet. Run <code>cargo bench</code> or, for a first look, \
         <code>cargo bench -- --quick</code>, then open this page again.</p>\n"
            .to_string()
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
        notes: Vec::new(),
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
