//! What a page is made of: the [`Page`] trait, the [`PageOut`] it builds,
//! the [`ReportInput`] it reads, and the [`Figure`]s it draws.
//!
//! A figure is a value: the numbers it draws (a [`Chart`]), its sentences
//! and where its SVG goes. A page draws it with [`Drawn::add`], which writes
//! the SVG and returns the HTML for the body; the same value is published
//! in [`PageOut::figures`], so the lessons (and any check of a sentence
//! against its numbers) read the numbers from the value, never from HTML.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::machine::MachineInfo;
use crate::report::chart::{self, Bar, BarChart, LineChart, Series};
use crate::report::{Claim, criterion, html};

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
    /// Every figure the page drew, for later pages (the lessons) to show by
    /// id and to read the numbers of.
    pub figures: Vec<Figure>,
    /// The comparing sentences of the body outside any figure (a lesson's
    /// answer), as data for the tests; the body already shows them.
    pub claims: Vec<Claim>,
}

/// The numbers a figure draws.
#[derive(Debug, Clone)]
pub enum Chart {
    /// Lines over a numeric x axis (each axis linear or log, from the
    /// data).
    Line(LineChart),
    /// One bar per label.
    Bars(BarChart),
}

impl From<LineChart> for Chart {
    fn from(chart: LineChart) -> Self {
        Chart::Line(chart)
    }
}

impl From<BarChart> for Chart {
    fn from(chart: BarChart) -> Self {
        Chart::Bars(chart)
    }
}

impl Chart {
    /// Whether there is nothing to draw.
    pub fn is_empty(&self) -> bool {
        match self {
            Chart::Line(c) => c.series.iter().all(|s| s.points.is_empty()),
            Chart::Bars(c) => c.bars.is_empty(),
        }
    }

    /// The chart as SVG text.
    pub fn svg(&self) -> Result<String> {
        Ok(self.render()?.svg)
    }

    /// The chart drawn, with its plot area and axes (see
    /// [`chart::unreadable`]).
    pub fn render(&self) -> Result<chart::Rendered> {
        match self {
            Chart::Line(c) => chart::render_line(c),
            Chart::Bars(c) => chart::render_bars(c),
        }
    }
}

/// A chart a page drew, with the numbers it drew and the sentences written
/// from them.
#[derive(Debug, Clone)]
pub struct Figure {
    /// A stable id such as `speedup/primes` (see the `report` module docs).
    pub id: String,
    /// The SVG, relative to the report directory.
    pub file: String,
    /// What the chart shows, in a few words (the image's alt text).
    pub title: String,
    pub chart: Chart,
    pub sentences: Vec<String>,
    /// The comparing sentences, as data: drawn after `sentences`, and
    /// checked against their numbers by the tests.
    pub claims: Vec<Claim>,
    /// The page that published it, and that page's notes (how the numbers
    /// were measured); [`crate::report::generate`] fills both in.
    pub page: String,
    pub page_notes: Vec<String>,
}

impl Figure {
    pub fn new(
        id: impl Into<String>,
        file: impl Into<String>,
        title: impl Into<String>,
        chart: impl Into<Chart>,
    ) -> Self {
        Figure {
            id: id.into(),
            file: file.into(),
            title: title.into(),
            chart: chart.into(),
            sentences: Vec::new(),
            claims: Vec::new(),
            page: String::new(),
            page_notes: Vec::new(),
        }
    }

    pub fn with_sentences(mut self, sentences: Vec<String>) -> Self {
        self.sentences = sentences;
        self
    }

    /// Adds comparing sentences as claims.
    pub fn with_claims(mut self, claims: Vec<Claim>) -> Self {
        self.claims.extend(claims);
        self
    }

    /// Every sentence shown under the chart: the plain ones, then the
    /// claims'.
    pub fn all_sentences(&self) -> Vec<String> {
        let mut all = self.sentences.clone();
        all.extend(self.claims.iter().map(Claim::sentence));
        all
    }

    /// The chart and its sentences, as HTML.
    pub fn html(&self) -> String {
        html::figure(&self.file, &self.title, &self.all_sentences())
    }

    /// The lines drawn (none for a bar chart).
    pub fn series(&self) -> &[Series] {
        match &self.chart {
            Chart::Line(c) => &c.series,
            Chart::Bars(_) => &[],
        }
    }

    /// The bars drawn (none for a line chart).
    pub fn bars(&self) -> &[Bar] {
        match &self.chart {
            Chart::Line(_) => &[],
            Chart::Bars(c) => &c.bars,
        }
    }

    /// The line labelled `label`, if drawn.
    pub fn line(&self, label: &str) -> Option<&Series> {
        self.series().iter().find(|s| s.label == label)
    }
}

/// The figures one page draws, in order: each SVG is written into the
/// report directory when it is added.
#[derive(Debug)]
pub struct Drawn<'o> {
    out: &'o Path,
    figures: Vec<Figure>,
}

impl<'o> Drawn<'o> {
    pub fn new(out: &'o Path) -> Self {
        Drawn {
            out,
            figures: Vec::new(),
        }
    }

    /// Writes `figure`'s SVG, keeps the figure, and returns its HTML. A
    /// figure with nothing to draw writes no SVG: its sentences alone are
    /// returned, and it is not published.
    pub fn add(&mut self, figure: Figure) -> Result<String> {
        if figure.chart.is_empty() {
            return Ok(html::explanation(&figure.all_sentences()));
        }
        chart::write_svg(&self.out.join(&figure.file), &figure.chart.svg()?)?;
        let html = figure.html();
        self.figures.push(figure);
        Ok(html)
    }

    /// The figures drawn, in order.
    pub fn into_figures(self) -> Vec<Figure> {
        self.figures
    }
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
    /// The figures the pages in [`crate::report::PAGES`] published: empty
    /// while those are built, filled for the [`crate::report::LESSONS`].
    pub figures: Vec<Figure>,
    /// Another machine's report to show beside this one
    /// (`tvp report --compare`).
    pub other: Option<crate::report::compare::Other>,
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
            other: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::chart::Point;

    fn line(points: Vec<Point>) -> LineChart {
        LineChart {
            title: "t".into(),
            series: vec![Series::solid("threads", chart::color(0), points)],
            ..LineChart::default()
        }
    }

    #[test]
    fn a_drawn_figure_is_written_published_and_keeps_its_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let mut drawn = Drawn::new(dir.path());
        let figure = Figure::new(
            "speedup/primes",
            "a.svg",
            "primes",
            line(vec![Point::new(1.0, 1.0), Point::new(2.0, 1.9)]),
        )
        .with_sentences(vec!["Sentence <one>.".into()]);
        let html = drawn.add(figure).unwrap();
        assert_eq!(
            html,
            html::figure("a.svg", "primes", &["Sentence <one>.".into()])
        );
        assert!(dir.path().join("a.svg").is_file());
        let empty = Figure::new("x/y", "b.svg", "b", line(Vec::new()))
            .with_sentences(vec!["Only words.".into()]);
        assert_eq!(
            drawn.add(empty).unwrap(),
            html::explanation(&["Only words.".into()])
        );
        assert!(!dir.path().join("b.svg").exists());
        let figures = drawn.into_figures();
        assert_eq!(figures.len(), 1);
        assert_eq!(figures[0].line("threads").unwrap().points[1].y, 1.9);
    }
}
