//! The lessons: one page per concept, from the Python idiom the reader knows
//! to the Rust example that does the same and the chart from this machine.
//!
//! Each lesson is static text in its own file (a [`Lesson`]); the charts
//! and the sentences under them are the figures the data pages published
//! (see the `report` module docs for the ids), looked up when the report is
//! generated. A figure that is absent is replaced by a line saying which
//! bench draws it, so every lesson page is written, with or without data.
//!
//! Page order and files: `lessons.html` (the introduction), then
//! `lesson-<n>-<slug>.html` in the order of [`LESSONS`]. The lesson pages
//! stay out of the navigation bar; the introduction and the previous/next
//! links lead through them.
//!
//! [`glossary`] defines every term once and links each page's first use of
//! it; the report appends its page after the lessons.

use std::path::Path;

use super::{Claim, Figure, Page, PageOut, ReportInput, html};
use crate::error::Result;

mod beyond_one_machine;
mod bound;
mod chunks;
mod gil;
pub mod glossary;
mod ipc;
mod locks;
mod many_waits;
mod processes;
mod starts;
mod time_slicing;

/// The introduction page.
pub const INTRO_FILE: &str = "lessons.html";

/// The lessons, in reading order.
pub const LESSONS: [&Lesson; 10] = [
    &time_slicing::LESSON,
    &gil::LESSON,
    &processes::LESSON,
    &chunks::LESSON,
    &ipc::LESSON,
    &starts::LESSON,
    &locks::LESSON,
    &bound::LESSON,
    &many_waits::LESSON,
    &beyond_one_machine::LESSON,
];

/// The introduction, then every lesson: the report's [`super::LESSONS`].
pub const PAGES: &[&dyn Page] = &[
    &Intro,
    &LessonPage(0),
    &LessonPage(1),
    &LessonPage(2),
    &LessonPage(3),
    &LessonPage(4),
    &LessonPage(5),
    &LessonPage(6),
    &LessonPage(7),
    &LessonPage(8),
    &LessonPage(9),
];

/// One lesson's static text. HTML fields are trusted fragments written in
/// this crate; code fields are plain text, escaped when shown.
#[derive(Debug)]
pub struct Lesson {
    /// The file is `lesson-<n>-<slug>.html`.
    pub slug: &'static str,
    pub title: &'static str,
    /// The question the lesson answers, one sentence.
    pub question: &'static str,
    /// The idea, HTML paragraphs.
    pub idea: &'static str,
    /// The Python the reader knows, a few lines.
    pub python: &'static str,
    /// The Rust programs that do the same.
    pub examples: &'static [Example],
    /// The "predict first" question, HTML.
    pub predict: &'static str,
    /// The charts that answer it, in order.
    pub figures: &'static [Wanted],
    /// The answer, HTML, shown after the charts in a `<details>`. It says
    /// how to read the charts; the numbers are in their sentences.
    pub answer: &'static str,
    /// The part of the answer that compares or ranks, computed from the
    /// published figures' numbers (with its branch for when this machine
    /// disagrees), shown first in the `<details>`; `None` when the charts'
    /// own sentences carry every claim.
    pub answer_from_figures: Option<fn(&ReportInput) -> Vec<String>>,
    /// The answer's comparisons as [`Claim`]s of the published figures'
    /// numbers, shown after `answer_from_figures` and published in
    /// [`PageOut::claims`] so the tests check them; empty when the figures
    /// are absent (the figure's own line then says which bench draws it).
    pub answer_claims: Option<fn(&ReportInput) -> Vec<Claim>>,
    /// One or two exercises, HTML.
    pub exercises: &'static [&'static str],
}

/// A Rust program the reader can run.
#[derive(Debug)]
pub struct Example {
    /// The command, e.g. `cargo run --release --example gil`.
    pub command: &'static str,
    /// `examples/<name>.rs` when the command runs an example: the excerpt's
    /// lines come from that file (a test checks it).
    pub source: Option<&'static str>,
    /// What it does and what to look for, HTML.
    pub shows: &'static str,
    /// A few lines of it, verbatim (a line `// ...` marks a cut); may be empty.
    pub excerpt: &'static str,
}

/// A chart a lesson shows.
#[derive(Debug)]
pub struct Wanted {
    /// Figure ids, tried in order: the first one published is shown.
    pub ids: &'static [&'static str],
    /// What to run when it is absent, HTML sentences: one of the consts
    /// below, or the lesson's own.
    pub from: &'static str,
}

/// Rebuilding the report after a bench: `tvp report`.
macro_rules! then_report {
    ($bench:literal) => {
        concat!(
            "Run <code>",
            $bench,
            "</code>, then rebuild the report with <code>cargo run --release -- report</code>."
        )
    };
}

pub const SCALING_BENCH: &str = then_report!("cargo bench --bench scaling");
pub const COSTS_BENCH: &str = then_report!("cargo bench --bench costs");
pub const IO_BENCH: &str = then_report!("cargo bench --bench io");
pub const CORES_BENCH: &str = then_report!("cargo bench --bench cores");
pub const BALANCE_BENCH: &str = then_report!("cargo bench --bench balance");
pub const WAITS_BENCH: &str = then_report!("cargo bench --bench waits");
pub const PYTHON_BENCH: &str = concat!(
    then_report!("cargo bench --bench python"),
    " It needs <code>python3</code>."
);

impl Lesson {
    /// The page's file name; `n` counts from 1.
    pub fn file(&self, n: usize) -> String {
        format!("lesson-{n}-{}.html", self.slug)
    }

    /// The answer's claims from the figures in `input` (see
    /// [`Lesson::answer_claims`]).
    pub fn claims(&self, input: &ReportInput) -> Vec<Claim> {
        self.answer_claims.map_or_else(Vec::new, |f| f(input))
    }

    /// The lesson's body, with the figures found in `input`.
    pub fn body(&self, n: usize, input: &ReportInput) -> String {
        let mut s = format!(
            "<p class=\"question\"><strong>Question.</strong> {}</p>\n{}\n",
            self.question, self.idea
        );
        s.push_str("<h2>In Python</h2>\n");
        s.push_str(&html::code_block(self.python, "python"));
        s.push_str("<h2>In Rust</h2>\n");
        for e in self.examples {
            s.push_str(&html::code_block(e.command, "shell"));
            s.push_str(e.shows);
            s.push('\n');
            if !e.excerpt.is_empty() {
                s.push_str(&html::code_block(e.excerpt, "rust"));
            }
        }
        s.push_str(&format!(
            "<h2>Predict first</h2>\n<div class=\"predict\">{}</div>\n",
            self.predict
        ));
        s.push_str(&format!(
            "<h2>On this machine</h2>\n<p>{} cores; the sentences under each chart are \
             written from its numbers.</p>\n",
            input.cores
        ));
        for wanted in self.figures {
            s.push_str(&figure_or_missing(wanted, input));
        }
        let computed = self
            .answer_from_figures
            .map_or_else(String::new, |f| html::explanation(&f(input)));
        let claims: Vec<String> = self.claims(input).iter().map(Claim::sentence).collect();
        let computed = computed + &html::explanation(&claims);
        s.push_str(&format!(
            "<details>\n<summary>The answer</summary>\n{computed}{}\n</details>\n",
            self.answer
        ));
        s.push_str("<h2>Exercises</h2>\n<ol class=\"exercises\">\n");
        for e in self.exercises {
            s.push_str(&format!("<li>{e}</li>\n"));
        }
        s.push_str("</ol>\n");
        s.push_str(&lesson_links(n));
        s
    }
}

/// The first published figure of `wanted` with a link to its page, or a
/// line saying what draws it.
fn figure_or_missing(wanted: &Wanted, input: &ReportInput) -> String {
    match shown(wanted, input) {
        Some(f) => with_source(f),
        None => format!(
            "<p class=\"missing\">Chart <code>{}</code> is not in this report yet. {}</p>\n",
            html::escape(wanted.ids[0]),
            wanted.from
        ),
    }
}

/// The figure, and a link to the page that drew it (the scaling and
/// balance pages' sections are anchored by workload).
fn with_source(f: &Figure) -> String {
    let mut s = f.html();
    if f.page.is_empty() {
        return s;
    }
    let href = match (f.page.as_str(), f.id.split_once('/')) {
        (page @ ("index.html" | "balance.html"), Some((_, workload))) => {
            format!("{page}#{workload}")
        }
        (page, _) => page.to_string(),
    };
    s.push_str(&format!(
        "<p class=\"source\">Chart <code>{}</code>: <a href=\"{}\">its page</a> has the \
         numbers.</p>\n",
        html::escape(&f.id),
        html::escape(&href),
    ));
    s
}

/// The notes of the pages the lesson's charts come from, once each, without
/// those about another workload ("mandelbrot: ..." under a primes chart).
fn figure_notes(lesson: &Lesson, input: &ReportInput) -> Vec<String> {
    let mut notes: Vec<String> = Vec::new();
    for f in lesson.figures.iter().filter_map(|w| shown(w, input)) {
        let workload = f.id.split_once('/').map_or("", |(_, w)| w);
        let other_workload = |note: &str| {
            crate::workloads::REGISTRY
                .iter()
                .any(|e| e.name != workload && note.starts_with(&format!("{}:", e.name)))
        };
        for n in &f.page_notes {
            if !other_workload(n) && !notes.contains(n) {
                notes.push(n.clone());
            }
        }
    }
    notes
}

/// The y of the point at `x` on the line `label` of figure `id`, if drawn.
fn point_at(input: &ReportInput, id: &str, label: &str, x: f64) -> Option<f64> {
    let line = input.figure(id)?.line(label)?;
    line.points
        .iter()
        .find(|p| (p.x - x).abs() < 1e-9)
        .map(|p| p.y)
}

/// The value of the bar `label` of figure `id`, if drawn.
fn bar(input: &ReportInput, id: &str, label: &str) -> Option<f64> {
    input
        .figure(id)?
        .bars()
        .iter()
        .find(|b| b.label == label)
        .map(|b| b.value)
}

/// One sentence for an answer whose figures are not all in this report:
/// which are missing.
fn missing_figures(missing: &[&str]) -> Vec<String> {
    vec![format!(
        "This answer is computed from the charts' numbers; this report lacks {}: the line \
         where each chart belongs says which bench draws it.",
        missing.join(", ")
    )]
}

/// The figure shown for `wanted`: the first of its ids published.
fn shown<'a>(wanted: &Wanted, input: &'a ReportInput) -> Option<&'a Figure> {
    wanted.ids.iter().find_map(|id| input.figure(id))
}

/// Previous / contents / next, for lesson `n` (from 1).
fn lesson_links(n: usize) -> String {
    let link = |i: usize, before: &str, after: &str| {
        let l = LESSONS[i - 1];
        format!(
            "<a href=\"{}\">{before}{i}. {}{after}</a>",
            l.file(i),
            html::escape(l.title)
        )
    };
    let prev = if n > 1 {
        link(n - 1, "&larr; ", "")
    } else {
        String::from("<span></span>")
    };
    let next = if n < LESSONS.len() {
        link(n + 1, "", " &rarr;")
    } else {
        String::from("<span></span>")
    };
    format!("<nav class=\"lessons\">{prev}<a href=\"{INTRO_FILE}\">All lessons</a>{next}</nav>\n")
}

/// The page of lesson `self.0` (from 0).
#[derive(Debug, Clone, Copy)]
pub struct LessonPage(pub usize);

impl Page for LessonPage {
    fn name(&self) -> &'static str {
        LESSONS[self.0].slug
    }

    fn build(&self, input: &ReportInput, _out: &Path) -> Result<Option<PageOut>> {
        let (n, lesson) = (self.0 + 1, LESSONS[self.0]);
        Ok(Some(PageOut {
            file: lesson.file(n),
            title: format!("Lesson {n}: {}", lesson.title),
            body: lesson.body(n, input),
            notes: figure_notes(lesson, input),
            claims: lesson.claims(input),
            ..PageOut::default()
        }))
    }
}

/// The introduction (`lessons.html`): how to use the lessons, and the list.
#[derive(Debug, Clone, Copy)]
pub struct Intro;

const INTRO: &str = "<p>Short lessons on running work in parallel, for readers who \
know Python's <code>threading</code> and <code>multiprocessing</code>. Each one starts from \
the Python you know, runs a small Rust program that does the same, and shows a chart measured \
on <em>this</em> machine, with sentences written from its numbers.</p>\n\
<p>How to use a lesson: read the question, run the example, then answer the <strong>predict \
first</strong> question <em>before</em> you look at the chart. The answer is folded under the \
chart. The exercises change one thing and rerun.</p>\n\
<p>The charts come from the benches. <code>cargo bench</code> measures everything and rebuilds \
this report; <code>cargo bench -- --quick</code> gives a first look. A chart that was not \
measured yet is replaced by the command that draws it.</p>\n";

impl Page for Intro {
    fn name(&self) -> &'static str {
        "lessons"
    }

    fn build(&self, input: &ReportInput, _out: &Path) -> Result<Option<PageOut>> {
        let mut body = String::from(INTRO);
        body.push_str("<ol class=\"lesson-list\">\n");
        for (i, l) in LESSONS.iter().enumerate() {
            let have = l
                .figures
                .iter()
                .filter(|w| shown(w, input).is_some())
                .count();
            body.push_str(&format!(
                "<li><a href=\"{}\">{}</a>: {} <span class=\"have\">({have} of {} charts \
                 measured here)</span></li>\n",
                l.file(i + 1),
                html::escape(l.title),
                l.question,
                l.figures.len()
            ));
        }
        body.push_str("</ol>\n");
        body.push_str(
            "<p>The numbers behind every chart: the <a href=\"index.html\">scaling page</a> \
             and the other pages in the navigation bar.</p>\n",
        );
        Ok(Some(PageOut {
            file: INTRO_FILE.into(),
            title: "Lessons: threads, pools and processes, measured here".into(),
            nav: "Lessons".into(),
            body,
            ..PageOut::default()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::chart::LineChart;
    use crate::report::criterion::Scan;

    fn input(figures: Vec<Figure>) -> ReportInput {
        ReportInput {
            scan: Scan::default(),
            machine: crate::machine::MachineInfo::detect(),
            cores: 2,
            criterion_dir: Default::default(),
            figures,
            other: None,
        }
    }

    /// A line figure `id` with one line per `(label, ys)`, the ys at `xs`.
    pub(super) fn line_figure(id: &str, xs: &[f64], lines: &[(&str, &[f64])]) -> Figure {
        use crate::report::chart::{Point, Series, color};
        let series = lines
            .iter()
            .map(|(label, ys)| {
                let points = xs
                    .iter()
                    .zip(*ys)
                    .map(|(&x, &y)| Point::new(x, y))
                    .collect();
                Series::solid(*label, color(0), points)
            })
            .collect();
        let chart = LineChart {
            series,
            ..LineChart::default()
        };
        Figure::new(id, "f.svg", id, chart)
    }

    /// Every figure id the lessons ask for, each drawn with one sentence.
    fn every_figure() -> Vec<Figure> {
        LESSONS
            .iter()
            .flat_map(|l| l.figures.iter().map(|w| w.ids[0]))
            .map(|id| {
                Figure::new(
                    id,
                    format!("{}.svg", id.replace('/', "-")),
                    id,
                    LineChart::default(),
                )
                .with_sentences(vec![format!("Measured sentence for {id}.")])
            })
            .map(|f| Figure {
                page: "index.html".into(),
                ..f
            })
            .collect()
    }

    fn page(i: usize, input: &ReportInput) -> PageOut {
        LessonPage(i)
            .build(input, Path::new("unused"))
            .unwrap()
            .unwrap()
    }

    #[test]
    fn every_lesson_has_its_parts() {
        let input = input(Vec::new());
        for (i, lesson) in LESSONS.iter().enumerate() {
            let p = page(i, &input);
            assert_eq!(p.file, format!("lesson-{}-{}.html", i + 1, lesson.slug));
            assert!(p.nav.is_empty(), "lessons stay out of the navigation bar");
            let first_python_line = lesson.python.lines().next().unwrap();
            for part in [
                "<h2>In Python</h2>",
                &html::escape(first_python_line),
                "<h2>In Rust</h2>",
                "cargo run",
                "<h2>Predict first</h2>",
                lesson.predict,
                "<details>",
                lesson.answer,
                "<h2>Exercises</h2>",
                INTRO_FILE,
            ] {
                assert!(p.body.contains(part), "lesson {} lacks {part}", i + 1);
            }
            assert!(
                (1..=2).contains(&lesson.exercises.len()),
                "lesson {}: one or two exercises",
                i + 1
            );
            for e in lesson.exercises {
                assert!(p.body.contains(e));
            }
            for e in lesson.examples {
                assert!(
                    p.body
                        .contains(&html::escape(e.command.lines().last().unwrap()))
                );
            }
            // The answer comes after the charts.
            let (charts, answer) = (p.body.find("On this machine"), p.body.find("<details>"));
            assert!(charts < answer, "lesson {}", i + 1);
        }
    }

    #[test]
    fn present_figures_are_embedded_with_their_sentences() {
        let figures = every_figure();
        let input = input(figures.clone());
        for (i, lesson) in LESSONS.iter().enumerate() {
            let p = page(i, &input);
            for w in lesson.figures {
                let f = figures.iter().find(|f| f.id == w.ids[0]).unwrap();
                assert!(
                    p.body.contains(&format!("<img src=\"{}\"", f.file)),
                    "lesson {} lacks {}",
                    i + 1,
                    f.id
                );
                assert!(p.body.contains(&f.sentences[0]));
            }
            assert!(!p.body.contains("is not in this report yet"));
        }
        let intro = Intro.build(&input, Path::new("unused")).unwrap().unwrap();
        assert!(!intro.body.contains("(0 of"), "{}", intro.body);
    }

    #[test]
    fn absent_figures_say_which_bench_draws_them() {
        let input = input(Vec::new());
        for (i, lesson) in LESSONS.iter().enumerate() {
            let p = page(i, &input);
            assert!(!p.body.contains("<img"), "lesson {}", i + 1);
            for w in lesson.figures {
                assert!(
                    p.body.contains(&format!(
                        "Chart <code>{}</code> is not in this report yet. {}",
                        w.ids[0], w.from
                    )),
                    "lesson {}: {}",
                    i + 1,
                    w.ids[0]
                );
            }
        }
        assert!(SCALING_BENCH.contains("cargo bench --bench scaling"));
    }

    #[test]
    fn a_later_id_stands_in_for_an_absent_one() {
        let wanted = Wanted {
            ids: &["io/latency", "speedup/latency"],
            from: "Run it.",
        };
        let stand_in = Figure::new(
            "speedup/latency",
            "scaling-latency-speedup.svg",
            "latency",
            LineChart::default(),
        );
        let html = figure_or_missing(&wanted, &input(vec![stand_in]));
        assert!(
            html.contains("<img src=\"scaling-latency-speedup.svg\""),
            "{html}"
        );
        let html = figure_or_missing(&wanted, &input(Vec::new()));
        assert!(html.contains("Chart <code>io/latency</code> is not in this report yet. Run it."));
    }

    #[test]
    fn notes_of_the_charts_page_come_along_except_other_workloads() {
        let figure = Figure {
            page: "index.html".into(),
            page_notes: vec![
                "Measured in quick mode.".into(),
                "primes: a busy machine.".into(),
                "mandelbrot: a busy machine.".into(),
            ],
            ..Figure::new("speedup/primes", "p.svg", "p", LineChart::default())
        };
        let p = page(1, &input(vec![figure]));
        assert_eq!(
            p.notes,
            ["Measured in quick mode.", "primes: a busy machine."]
        );
        assert!(p.body.contains("href=\"index.html#primes\""));
    }

    /// The source of `examples/<name>.rs`.
    fn example_source(name: &str) -> &'static str {
        match name {
            "deadlock" => include_str!("../../../examples/deadlock.rs"),
            "false_sharing" => include_str!("../../../examples/false_sharing.rs"),
            "gil" => include_str!("../../../examples/gil.rs"),
            "lock" => include_str!("../../../examples/lock.rs"),
            "pipe" => include_str!("../../../examples/pipe.rs"),
            "pool" => include_str!("../../../examples/pool.rs"),
            "chunks" => include_str!("../../../examples/chunks.rs"),
            "process" => include_str!("../../../examples/process.rs"),
            "queue_lock" => include_str!("../../../examples/queue_lock.rs"),
            "rlock" => include_str!("../../../examples/rlock.rs"),
            "start" => include_str!("../../../examples/start.rs"),
            "time_slicing" => include_str!("../../../examples/time_slicing.rs"),
            "async_wait" => include_str!("../../../examples/async_wait.rs"),
            other => panic!("no example {other}"),
        }
    }

    #[test]
    fn excerpts_are_verbatim_from_their_examples() {
        for lesson in LESSONS {
            for e in lesson.examples {
                let Some(name) = e.source else {
                    assert!(
                        e.excerpt.is_empty(),
                        "{}: an excerpt needs a source",
                        e.command
                    );
                    continue;
                };
                assert!(
                    e.command.contains(&format!("--example {name}")),
                    "{}",
                    e.command
                );
                let source: Vec<&str> = example_source(name).lines().map(str::trim).collect();
                for line in e.excerpt.lines().map(str::trim) {
                    assert!(
                        line == "// ..." || source.contains(&line),
                        "examples/{name}.rs has no line {line:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn files_are_distinct_and_the_intro_links_them_in_order() {
        let input = input(Vec::new());
        let intro = Intro.build(&input, Path::new("unused")).unwrap().unwrap();
        assert_eq!(intro.file, INTRO_FILE);
        assert_eq!(intro.nav, "Lessons");
        let mut at = 0;
        for (i, l) in LESSONS.iter().enumerate() {
            let href = format!("href=\"{}\"", l.file(i + 1));
            let found = intro.body[at..].find(&href).expect(&href);
            at += found;
        }
        let mut files: Vec<String> = (0..LESSONS.len()).map(|i| page(i, &input).file).collect();
        files.dedup();
        assert_eq!(files.len(), LESSONS.len());
        assert_eq!(PAGES.len(), LESSONS.len() + 1);
    }
}
