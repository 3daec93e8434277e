//! The report: criterion's saved results and the benches' data files ->
//! charts (plotters SVG) and sentences written from the numbers -> HTML
//! pages under `reports/`; and the same numbers as terminal tables.
//!
//! `cargo bench` regenerates it at the end of every bench run, and
//! `tvp report` does so on demand, always from all results present.
//!
//! # What lives where
//! - [`page`]: the [`Page`] trait, [`PageOut`], [`ReportInput`], and the
//!   [`Figure`] value (its numbers, its sentences, its SVG file).
//! - [`pages`]: one file per data page: `scaling` (the index page: CPU and
//!   memory workloads), `balance` (chunks per worker and busy times), `io`
//!   (IO workloads and memory per worker), `waits` (many waits: async tasks,
//!   threads and processes to 10,000), `cores` (the core sweep), `costs`
//!   (spawn, IPC, locks, switches, start methods, serialization; its last two
//!   sections in `starts`), `python` (Rust
//!   vs Python), `mpi` (MPI ranks, feature `mpi`); `workload` holds what the
//!   per-workload pages share.
//! - [`lessons`]: one file per lesson, built after the pages from their
//!   figures.
//! - [`explain`]: sentences written from numbers, one file per topic, and
//!   [`explain::words`], the one place numbers become words.
//! - [`criterion`]: reads criterion's `estimates.json`/`benchmark.json` and
//!   the benches' [`criterion::RunInfo`]; problems become notes, never
//!   panics. [`estimates`]: the costs benches' medians by id.
//! - [`results`]: the scaling rows and their `results.json` / `results.csv`.
//! - [`compare`]: another report read for `tvp report --compare`;
//!   [`beside`]: its figures drawn beside this run's on every page, and
//!   the `data/figures.json` every report writes for that.
//! - [`chart`]: line and bar charts as SVG, one colour per backend;
//!   [`amdahl`]: the fit; [`html`]: the shared layout and helpers.
//! - [`terminal`]: the tables `tvp run`, `tvp cores` and `tvp python` print.
//!
//! # Adding a page
//! 1. Write `src/report/pages/NAME.rs` with a unit struct implementing
//!    [`Page`]. In `build`, read what you need from [`ReportInput`] (the
//!    scan of every criterion result, with `scan.group("your-group")`),
//!    draw each chart as a [`Figure`] with a [`Drawn`] (it writes the SVG
//!    into `out` and returns the HTML for your body), and return a
//!    [`PageOut`] with the body and `drawn.into_figures()`. Return
//!    `Ok(None)` when your data is absent: the page is then left out of the
//!    navigation.
//! 2. Add `pub mod NAME;` to `pages/mod.rs` and one line to [`PAGES`].
//! 3. Write its sentences in `explain/NAME.rs` as functions of plain
//!    numbers, formatting them with [`explain::words`].
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
//!   scaling page ([`Scaling`]).
//! - `costs/<name>` for `costs-<name>.svg`: `costs/spawn-processes`,
//!   `costs/spawn-threads`, `costs/ipc-latency`, `costs/ipc-throughput`,
//!   `costs/locks`, `costs/false-sharing`, `costs/context-switch`,
//!   `costs/start-methods`, `costs/start-methods-python`,
//!   `costs/start-payload`, `costs/serialization`.
//! - `python/<workload>`: the Rust vs Python page, and `python/lost-update`
//!   (four CPython threads adding 1 to one counter); `cores/<workload>`: the
//!   core sweep; `io/<workload>` and `memory/<workload>`: the IO page;
//!   `waits/time` and `waits/memory`: the many-waits page;
//!   `mpi/<workload>`: the MPI page's time chart (computing and launch);
//!   `mpi/exchange`: its chart of the share of a step spent communicating.
//! - `balance/<workload>` (speedup against chunks per worker) and
//!   `busy/<workload>` (each run's wait for the slowest worker and time
//!   outside chunks): the load-balancing page ([`Balance`]).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::machine::MachineInfo;

pub mod amdahl;
pub mod beside;
pub mod chart;
pub mod claim;
pub mod compare;
pub mod criterion;
#[cfg(test)]
pub(crate) mod datasets;
pub mod estimates;
pub mod explain;
pub mod html;
pub mod lessons;
pub mod page;
pub mod pages;
#[cfg(test)]
mod readable;
pub mod results;
pub mod terminal;

pub use claim::{Claim, Expect, Unit, Value};
pub use page::{Chart, Drawn, Figure, Page, PageOut, ReportInput};
pub use pages::balance::Balance;
pub use pages::cores::Cores;
pub use pages::costs::Costs;
pub use pages::io::Io;
pub use pages::mpi::Mpi;
pub use pages::python::RustVsPython;
pub use pages::scaling::Scaling;
pub use pages::waits::Waits;

/// Every page built from results, in navigation order. The first page to
/// claim `index.html` is the front page.
pub const PAGES: &[&dyn Page] = &[
    &Scaling,
    &Balance,
    &Io,
    &Waits,
    &Cores,
    &Costs,
    &RustVsPython,
    &Mpi,
];

/// The teaching pages, built after [`PAGES`] from the figures those
/// published; they are written even when no result exists.
pub const LESSONS: &[&dyn Page] = lessons::PAGES;

/// Where to read and write.
#[derive(Debug, Clone)]
pub struct Options {
    pub criterion_dir: PathBuf,
    pub out_dir: PathBuf,
    /// Where the benches wrote their data files (memory, MPI launches,
    /// Python). Pages read and link them in `out_dir/data`, so from
    /// anywhere else they are copied there first.
    pub data_dir: PathBuf,
    /// A report to commit or send (`tvp report --portable`): no link leaves
    /// `out_dir`, so criterion's own report, which lives under `target/`,
    /// is named in words instead of linked.
    pub portable: bool,
    /// Another report to show beside this one (`tvp report --compare`):
    /// its directory, `data/` or `results.json`. See [`compare`].
    pub compare: Option<PathBuf>,
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
            portable: false,
            compare: None,
        }
    }
}

/// The report's data folder, inside the report directory.
pub const DATA_DIR: &str = "data";

/// The largest input file the report reads. Criterion's files are a few kB
/// and the benches' data files tens of kB: anything past this is damaged or
/// not ours, and is refused with a note instead of read into memory.
pub const MAX_INPUT_BYTES: u64 = 16 << 20;

/// The note for an input file larger than [`MAX_INPUT_BYTES`], or `None`
/// when its size is fine (or it cannot be read: the reader says so).
pub fn too_large(path: &Path) -> Option<String> {
    let len = std::fs::metadata(path).ok()?.len();
    (len > MAX_INPUT_BYTES).then(|| {
        format!(
            "{} is {}, far larger than any file the benches write (at most {}), so it was \
             not read: it is damaged or not ours; delete it and run the bench again",
            path.display(),
            explain::words::bytes_approx(len),
            explain::words::bytes_approx(MAX_INPUT_BYTES)
        )
    })
}

/// Reads an input file of at most [`MAX_INPUT_BYTES`]; the error is a
/// sentence for a note.
pub fn read_input(path: &Path) -> std::result::Result<String, String> {
    use std::io::Read;
    if let Some(note) = too_large(path) {
        return Err(note);
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read it ({e})"))?;
    let mut text = String::new();
    // `take`: the file may grow after the size check (or be a device).
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read it ({e})"))?;
    if text.len() as u64 > MAX_INPUT_BYTES {
        return Err(format!(
            "{} grew past {} while it was read: it was not used",
            path.display(),
            explain::words::bytes_approx(MAX_INPUT_BYTES)
        ));
    }
    Ok(text)
}

/// Writes `contents` to `path` whole or not at all: into a temp file in the
/// same folder, then renamed over `path`. A full disk or a write error
/// leaves the old file (or none), never a truncated one, and no temp file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let failed = |e| Error::io(format!("writing {}", path.display()), e);
    let mut file = tempfile::Builder::new()
        .prefix(".tvp-write-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(failed)?;
    // Through the `File`: NamedTempFile's own writes wrap the OS error with
    // its path, which hides its errno (and so its hint).
    file.as_file_mut().write_all(contents).map_err(failed)?;
    file.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

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
            if too_large(&path).is_some() {
                // The page that reads it says so; a copy would only double it.
                continue;
            }
            let bytes = std::fs::read(&path).map_err(copy_error)?;
            write_atomic(&to.join(name), &bytes)?;
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
    // Read before anything is written: a wrong DIR leaves the report as it was.
    let other = options
        .compare
        .as_deref()
        .map(compare::Other::read)
        .transpose()?;
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
        other,
    };
    // For a later `tvp report --compare` of this report.
    compare::write_machine(&input.machine, &out.join(DATA_DIR))?;
    let mut notes = Vec::new();
    let (built, pages_with_data) = build_report(&mut input, out, &mut notes);
    // Every figure's numbers, for a later `--compare` of any page.
    beside::save(&input.figures, &beside::this_run(&input, out), out)?;
    let mut nav: Vec<html::NavLink> = built
        .iter()
        .filter(|p| !p.nav.is_empty())
        .map(|p| html::NavLink {
            href: p.file.clone(),
            label: p.nav.clone(),
        })
        .collect();
    let criterion_link =
        criterion_report_link(&options.criterion_dir, out).filter(|_| !options.portable);
    let footer = match criterion_link {
        Some(href) => {
            nav.push(html::NavLink {
                href,
                label: "criterion's own report".into(),
            });
            ""
        }
        None => CRITERION_REPORT_HOWTO,
    };
    let mut pages = Vec::new();
    for (i, p) in built.iter().enumerate() {
        // The front page lists every note; the others their own.
        let page_notes = if i == 0 { &notes } else { &p.notes };
        let text = html::page(
            &p.title,
            &nav,
            &p.file,
            page_notes,
            &p.body,
            &input.machine,
            footer,
        );
        let path = out.join(&p.file);
        write_atomic(&path, text.as_bytes())?;
        pages.push(path);
    }
    Ok(Outcome {
        pages,
        benchmarks: input.scan.benchmarks.len(),
        pages_with_data,
        notes,
    })
}

/// Builds every page from `input`: the data pages in [`PAGES`], the front
/// page first (a placeholder when the scaling results are absent), then the
/// [`LESSONS`] from the figures those published (left in `input.figures`),
/// then the glossary, with every page's first use of a term linked to it
/// (see [`lessons::glossary`]).
/// Writes the charts into `out`, not the pages; the data's notes go to
/// `notes`. Also returns how many data pages were built (the placeholder
/// front page is not one).
pub fn build_report(
    input: &mut ReportInput,
    out: &Path,
    notes: &mut Vec<String>,
) -> (Vec<PageOut>, usize) {
    notes.extend(input.scan.notes.iter().cloned());
    for run in &input.scan.runs {
        if let Some(confined) = &run.confined {
            notes.push(format!(
                "`{}` was measured with the whole bench {confined}.",
                run.group
            ));
        }
    }
    let mut built = build_pages(PAGES, input, out, notes);
    beside::overlay(&mut built, input, out);
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
    built.extend(build_pages(LESSONS, input, out, notes));
    lessons::glossary::add_to_report(&mut built);
    (built, pages_with_data)
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

/// The footer's words when criterion's report is not linked: it is missing,
/// or the report is [`Options::portable`].
pub const CRITERION_REPORT_HOWTO: &str = "Criterion's own report, with every sample of \
     every benchmark, is not linked from this report. <code>cargo bench</code> skips it to \
     stay within its time; <code>cargo bench --bench scaling -- --plotting-backend \
     plotters</code> writes it to <code>target/criterion/report/index.html</code>.";

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
