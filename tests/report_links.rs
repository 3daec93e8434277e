//! Every page of a generated report, lessons included, links only to files
//! that exist (images, SVGs, pages, anchors) and loads nothing from the
//! network. `scripts/check-report.sh` runs the same check on `reports/`
//! (through `TVP_CHECK_REPORT_DIR`), then opens every page in Chromium.

mod common;

use std::path::Path;

use common::report::{CELLS, check_report, criterion_run, html_pages, options};
use tvp::report::criterion::RunInfo;
use tvp::report::{self, html};

fn assert_clean(dir: &Path) {
    let problems = check_report(dir);
    assert!(
        problems.is_empty(),
        "{} problem(s) in {}:\n{}",
        problems.len(),
        dir.display(),
        problems.join("\n")
    );
}

#[test]
fn every_page_of_a_generated_report_resolves_offline() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("reports"));
    criterion_run(&crit);
    RunInfo {
        group: "primes".into(),
        kind: "cpu".into(),
        size: 1000,
        quick: true,
        ids: CELLS
            .iter()
            .map(|&(b, w, _)| (b.to_string(), w.to_string()))
            .collect(),
        date: "2026-01-01T00:00:00Z".into(),
        cores: Some(2),
        cpu_share: Some(0.9),
        confined: None,
    }
    .write(&crit)
    .unwrap();
    let outcome = report::generate(&options(&crit, &out)).unwrap();
    let lessons = report::LESSONS.len();
    assert_eq!(outcome.pages.len(), 1 + lessons, "{:?}", outcome.pages);
    assert_eq!(html_pages(&out).len(), outcome.pages.len());
    assert_clean(&out);
    // The quick-mode note is on the front page once, and on the lessons
    // that show a primes chart.
    let quick: Vec<&String> = outcome
        .notes
        .iter()
        .filter(|n| n.contains("quick mode"))
        .collect();
    assert_eq!(quick.len(), 1, "{:?}", outcome.notes);

    // The lessons show the fixture's charts (primes) and their sentences...
    let gil = std::fs::read_to_string(out.join("lesson-2-gil.html")).unwrap();
    assert!(
        gil.contains("<img src=\"scaling-primes-speedup.svg\""),
        "{gil}"
    );
    assert!(gil.contains("index.html#primes"));
    assert!(gil.contains(&html::prose(quick[0])), "{gil}");
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    let sentence = gil
        .split("<p class=\"explain\">")
        .nth(1)
        .and_then(|s| s.split("</p>").next())
        .unwrap();
    assert!(
        index.contains(sentence),
        "the lesson repeats the scaling page's sentences"
    );
    // ...and say which bench draws the ones the fixture lacks.
    let locks = std::fs::read_to_string(out.join("lesson-5-locks.html")).unwrap();
    assert!(locks.contains("cargo bench --bench costs"), "{locks}");
    // Every page but the lessons is in the navigation bar; the intro is.
    assert!(
        index.contains("<a href=\"lessons.html\">Lessons</a>"),
        "{index}"
    );
    assert!(!index.contains("<a href=\"lesson-1-time-slicing.html\""));
}

#[test]
fn a_report_without_results_still_resolves() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    report::generate(&options(&tmp.path().join("none"), &out)).unwrap();
    assert_clean(&out);
    let intro = std::fs::read_to_string(out.join("lessons.html")).unwrap();
    assert!(intro.contains("(0 of 2 charts measured here)"), "{intro}");
}

#[test]
fn the_checker_finds_broken_pages() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("ok.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>",
    )
    .unwrap();
    std::fs::write(
        dir.join("remote.svg"),
        "<svg><image href=\"https://x.org/a.png\"/></svg>",
    )
    .unwrap();
    std::fs::write(
        dir.join("a.html"),
        "<h1>A</h1><h2 id=\"here\">x</h2><img src=\"ok.svg\"><a href=\"#here\">in</a>\
         <a href=\"https://example.org\">out</a>",
    )
    .unwrap();
    std::fs::write(
        dir.join("b.html"),
        "<p>no heading</p><img src=\"gone.svg\"><img src=\"remote.svg\">\
         <script src=\"https://cdn.example/x.js\"></script><a href=\"a.html#nowhere\">x</a>\
         <a href=\"#missing\">y</a><div style=\"background: url('http://x/y.png')\"></div>",
    )
    .unwrap();
    let problems = check_report(dir);
    let expect = [
        "b.html: no <h1>",
        "gone.svg\"> points to a missing file",
        "remote.svg loads https://x.org/a.png",
        "loads https://cdn.example/x.js from the network",
        "a.html has no element id=\"nowhere\"",
        "no element id=\"missing\"",
        "loads http://x/y.png",
    ];
    for e in expect {
        assert!(
            problems.iter().any(|p| p.contains(e)),
            "missed {e}: {problems:#?}"
        );
    }
    assert_eq!(problems.len(), expect.len(), "{problems:#?}");
    assert!(
        problems.iter().all(|p| p.starts_with("b.html")),
        "a.html is fine"
    );
}

/// `scripts/check-report.sh` points this at `reports/`; without the
/// variable there is nothing to check.
#[test]
fn the_report_named_by_tvp_check_report_dir_resolves() {
    let Some(dir) = std::env::var_os("TVP_CHECK_REPORT_DIR") else {
        eprintln!("TVP_CHECK_REPORT_DIR is not set: no report directory to check");
        return;
    };
    let dir = Path::new(&dir);
    assert!(
        dir.join("index.html").is_file(),
        "{} has no index.html: run `cargo run --release -- report` first",
        dir.display()
    );
    assert_clean(dir);
    println!(
        "checked {} pages in {}",
        html_pages(dir).len(),
        dir.display()
    );
}
