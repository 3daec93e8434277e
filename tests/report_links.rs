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
        others_share: None,
        confined: None,
        reference_again_ms: None,
        core_sharing: None,
    }
    .write(&crit)
    .unwrap();
    let outcome = report::generate(&options(&crit, &out)).unwrap();
    let lessons = report::LESSONS.len();
    // The front page, the lessons and the glossary.
    assert_eq!(outcome.pages.len(), 1 + lessons + 1, "{:?}", outcome.pages);
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
    // Each page links its own first use of a term to the glossary.
    let unlinked = report::lessons::glossary::unlinked;
    assert!(
        unlinked(&index).contains(&unlinked(sentence)),
        "the lesson repeats the scaling page's sentences"
    );
    // ...and say which bench draws the ones the fixture lacks.
    let locks = std::fs::read_to_string(out.join("lesson-7-locks.html")).unwrap();
    assert!(locks.contains("cargo bench --bench costs"), "{locks}");
    // Every page but the lessons is in the navigation bar; the intro is.
    assert!(
        index.contains("<a href=\"lessons.html\">Lessons</a>"),
        "{index}"
    );
    assert!(!index.contains("<a href=\"lesson-1-time-slicing.html\""));
}

#[test]
fn a_portable_report_links_nothing_outside_its_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("reports"));
    criterion_run(&crit);
    // Criterion's own report exists: a plain report links it...
    std::fs::create_dir_all(crit.join("report")).unwrap();
    std::fs::write(crit.join("report").join("index.html"), "<html></html>").unwrap();
    report::generate(&options(&crit, &out)).unwrap();
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("../criterion/report/index.html"), "{index}");
    assert!(!index.contains(report::CRITERION_REPORT_HOWTO));
    // ...a portable one names it and says how to make it, on every page.
    let portable = tmp.path().join("portable");
    let mut opts = options(&crit, &portable);
    opts.portable = true;
    let outcome = report::generate(&opts).unwrap();
    for page in &outcome.pages {
        let html = std::fs::read_to_string(page).unwrap();
        assert!(!html.contains("href=\"../"), "{}: {html}", page.display());
        assert!(
            html.contains(report::CRITERION_REPORT_HOWTO),
            "{}",
            page.display()
        );
    }
    assert_clean(&portable);
    // Moved away from target/, it still resolves.
    std::fs::remove_dir_all(&crit).unwrap();
    assert_clean(&portable);
}

/// A made-up balance sweep of primes at 2 workers: threads, the pool and
/// process, at 1 and 8 chunks per worker.
fn balance_run() -> tvp::sweep::balance::BalanceRun {
    use tvp::sweep::balance::{BalanceCell, BalanceRun, BalanceWorkload, SCHEMA};
    let cell = |backend: &str, k: usize, ms: f64, busy: [f64; 2]| BalanceCell {
        backend: backend.into(),
        chunks_per_worker: k,
        chunks: 2 * k,
        median_s: ms / 1e3,
        times_s: vec![ms / 1e3; 5],
        busy_s: busy.iter().map(|b| b / 1e3).collect(),
        checksum_ok: true,
    };
    BalanceRun {
        schema: SCHEMA,
        cores: 2,
        workers: 2,
        quick: false,
        repeat: 5,
        chunks: vec![1, 8],
        load_average: None,
        others_share: None,
        elapsed_s: 30.0,
        workloads: vec![BalanceWorkload {
            workload: "primes".into(),
            size: 2_000_000,
            sequential_s: 0.13,
            checksum: 148_933,
            cells: vec![
                cell("threads", 1, 80.0, [79.0, 52.0]),
                cell("threads", 8, 67.0, [66.0, 65.0]),
                cell("pool", 1, 82.0, [79.0, 52.0]),
                cell("pool", 8, 69.0, [66.0, 65.0]),
                cell("process", 1, 85.0, [78.0, 52.0]),
            ],
        }],
    }
}

#[test]
fn a_balance_run_gets_its_page_and_the_lessons_show_its_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    let opts = options(&tmp.path().join("none"), &out);
    tvp::sweep::balance::write(
        &opts.data_dir.join(tvp::sweep::balance::FILE),
        &balance_run(),
    )
    .unwrap();
    let outcome = report::generate(&opts).unwrap();
    assert_eq!(outcome.pages_with_data, 1, "{:?}", outcome.pages);
    assert_clean(&out);
    let page = std::fs::read_to_string(out.join("balance.html")).unwrap();
    assert!(page.contains("<img src=\"balance-primes.svg\""), "{page}");
    assert!(
        page.contains("<img src=\"balance-primes-busy.svg\""),
        "{page}"
    );
    assert!(page.contains("<h2 id=\"primes\">"), "{page}");
    let lesson = std::fs::read_to_string(out.join("lesson-4-chunks.html")).unwrap();
    assert!(
        lesson.contains("<img src=\"balance-primes.svg\""),
        "{lesson}"
    );
    assert!(lesson.contains("balance.html#primes"), "{lesson}");
    // The answer is computed from the charts' numbers: at one chunk per
    // worker, threads' busiest worker ran 79 ms and the mean was 65.5, so
    // the workers waited 13.5 ms of the 80 ms run for the slowest.
    assert!(
        lesson.contains(&html::escape(
            "threads' workers waiting for the slowest one for 17% of the run"
        )),
        "{lesson}"
    );
    // Lesson 3 has the busy times but not the scaling and costs charts.
    let processes = std::fs::read_to_string(out.join("lesson-3-processes.html")).unwrap();
    assert!(
        processes.contains("this report lacks time/primes, costs/spawn-processes"),
        "{processes}"
    );
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
