//! The report, built from a tiny real criterion run (so a change in
//! criterion's output format fails here), and from missing, partial and
//! corrupt data (a note, never a panic). No timing is asserted: the fixture
//! only has to exist.

mod common;

use std::path::Path;
use std::process::Command;

use common::report::{CELLS, check_report, criterion_run, options};
use tvp::report::criterion::{RunInfo, scan};
use tvp::report::{self, results};

fn assert_links_exist(out: &Path) {
    let problems = check_report(out);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn criterion_output_is_read_field_by_field() {
    let tmp = tempfile::tempdir().unwrap();
    criterion_run(tmp.path());
    let scan = scan(tmp.path());
    assert!(scan.notes.is_empty(), "{:?}", scan.notes);
    assert_eq!(scan.benchmarks.len(), CELLS.len());
    for &(backend, workers, _) in CELLS {
        let b = scan
            .benchmarks
            .iter()
            .find(|b| {
                b.function.as_deref() == Some(backend) && b.value == Some(workers.to_string())
            })
            .unwrap_or_else(|| panic!("{backend}/{workers} not found"));
        assert_eq!(b.group, "primes");
        assert!(b.median_ns > 0.0 && b.mean_ns > 0.0);
        assert!(
            b.ci_low_ns <= b.median_ns && b.median_ns <= b.ci_high_ns,
            "{b:?}"
        );
        assert!(b.confidence_level > 0.5 && b.confidence_level < 1.0);
    }
}

#[test]
fn report_from_a_real_criterion_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("reports"));
    criterion_run(&crit);
    let outcome = report::generate(&options(&crit, &out)).unwrap();
    assert_eq!(outcome.pages_with_data, 1, "{:?}", outcome.notes);
    assert_eq!(outcome.benchmarks, CELLS.len());
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    for text in [
        "primes",
        "Summary",
        "Machine",
        "results.csv",
        "scaling-primes-speedup.svg",
    ] {
        assert!(index.contains(text), "index.html lacks {text}");
    }
    for chart in ["speedup", "efficiency", "time"] {
        let svg = std::fs::read_to_string(out.join(format!("scaling-primes-{chart}.svg"))).unwrap();
        assert!(svg.starts_with("<svg"), "{chart}");
    }
    assert!(
        !index.contains("http://") && !index.contains("https://"),
        "the page must work offline"
    );
    assert_links_exist(&out);
}

#[test]
fn json_and_csv_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("reports"));
    criterion_run(&crit);
    report::generate(&options(&crit, &out)).unwrap();
    let (rows, notes) = results::workload_rows(&scan(&crit), "primes", "cpu");
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(rows.len(), CELLS.len());
    assert_eq!(rows[0].backend, "sequential");
    assert_eq!(rows[0].speedup, Some(1.0));
    assert!(rows.iter().all(|r| r.efficiency.is_some()));
    assert_eq!(results::read_json(&out.join("results.json")).unwrap(), rows);
    assert_eq!(results::read_csv(&out.join("results.csv")).unwrap(), rows);
    // A row without a speedup survives the CSV's empty field.
    let mut no_speedup = rows.clone();
    no_speedup[1].speedup = None;
    no_speedup[1].efficiency = None;
    let csv = tmp.path().join("again.csv");
    results::write_csv(&no_speedup, &csv).unwrap();
    assert_eq!(results::read_csv(&csv).unwrap(), no_speedup);
}

#[test]
fn missing_data_gives_a_page_that_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    let outcome = report::generate(&options(&tmp.path().join("nothing-here"), &out)).unwrap();
    assert_eq!(outcome.pages_with_data, 0);
    assert!(
        outcome.notes.iter().any(|n| n.contains("cargo bench")),
        "{:?}",
        outcome.notes
    );
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("No results to show yet"));
    assert_links_exist(&out);
}

#[test]
fn partial_and_corrupt_data_give_notes_and_the_rest_of_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("reports"));
    criterion_run(&crit);
    let cell = |b: &str, w: usize| crit.join("primes").join(b).join(w.to_string()).join("new");
    // Interrupted: no estimates. Corrupt: cut in half. Wrong shape: valid JSON.
    std::fs::remove_file(cell("threads", 4).join("estimates.json")).unwrap();
    let est = cell("threads", 2).join("estimates.json");
    let text = std::fs::read_to_string(&est).unwrap();
    std::fs::write(&est, &text[..text.len() / 2]).unwrap();
    std::fs::write(cell("gil", 2).join("benchmark.json"), "{\"group\": 1}").unwrap();
    std::fs::write(crit.join("primes").join("tvp-run.json"), "not json").unwrap();

    let outcome = report::generate(&options(&crit, &out)).unwrap();
    let notes = outcome.notes.join("\n");
    assert!(notes.contains("estimates.json is missing"), "{notes}");
    assert!(
        notes.contains("estimates.json is not in the expected format"),
        "{notes}"
    );
    assert!(
        notes.contains("benchmark.json is not in the expected format"),
        "{notes}"
    );
    assert!(notes.contains("tvp-run.json"), "{notes}");
    assert_eq!(outcome.benchmarks, 2);
    assert_eq!(outcome.pages_with_data, 1);
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        index.contains("estimates.json is missing"),
        "the page shows the notes"
    );
    assert_links_exist(&out);

    // Without the sequential baseline there are no speedups, and a note says why.
    std::fs::remove_dir_all(crit.join("primes").join("sequential")).unwrap();
    let outcome = report::generate(&options(&crit, &out)).unwrap();
    assert!(
        outcome
            .notes
            .iter()
            .any(|n| n.contains("no sequential result")),
        "{:?}",
        outcome.notes
    );
    assert_links_exist(&out);
}

#[test]
fn results_the_latest_run_did_not_measure_are_left_out() {
    let tmp = tempfile::tempdir().unwrap();
    let crit = tmp.path().join("criterion");
    criterion_run(&crit);
    let ids = CELLS
        .iter()
        .filter(|c| c.2 != 2050)
        .map(|&(b, w, _)| (b.to_string(), w.to_string()))
        .collect();
    RunInfo {
        group: "primes".into(),
        kind: "cpu".into(),
        size: 1000,
        quick: true,
        ids,
        date: "2026-01-01T00:00:00Z".into(),
        cores: Some(2),
        cpu_share: Some(0.55),
    }
    .write(&crit)
    .unwrap();
    let (rows, notes) = results::workload_rows(&scan(&crit), "primes", "cpu");
    assert_eq!(rows.len(), CELLS.len() - 1);
    assert!(rows.iter().all(|r| r.quick && r.size == Some(1000)));
    assert!(
        notes.iter().any(|n| n.contains("left out 1 older result")),
        "{notes:?}"
    );
}

fn tvp_report(criterion_dir: &Path, out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tvp"))
        .args(["report", "--criterion-dir"])
        .arg(criterion_dir)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn cli_report_with_data_exits_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("reports"));
    criterion_run(&crit);
    let run = tvp_report(&crit, &out);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout.contains("index.html") && stdout.contains("5 benchmarks"),
        "{stdout}"
    );
    assert!(out.join("results.csv").exists());
}

#[test]
fn cli_report_without_data_explains_and_exits_3() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    let run = tvp_report(&tmp.path().join("empty"), &out);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("no results") && stderr.contains("cargo bench"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.join("index.html").exists());
}
