//! The report, built from a tiny real criterion run (so a change in
//! criterion's output format fails here), and from missing, partial and
//! corrupt data (a note, never a panic). No timing is asserted: the fixture
//! only has to exist.

mod common;

use std::path::Path;
use std::process::Command;

use common::report::{CELLS, check_report, criterion_group, criterion_run, options};
use tvp::report::criterion::{RunInfo, scan};
use tvp::report::{self, results};
use tvp::sweep::memory::{CellMemory, MemoryReport, SCHEMA};

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
        !out.join("io.html").exists() && !index.contains("io.html"),
        "no IO data, no IO page"
    );
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
        others_share: None,
        confined: None,
        reference_again_ms: None,
        core_sharing: None,
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

/// `tvp report` from `criterion_dir` into `out`, with no data files but
/// those already in `out/data` (not the project's own reports/data).
fn tvp_report(criterion_dir: &Path, out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tvp"))
        .args(["report", "--criterion-dir"])
        .arg(criterion_dir)
        .arg("--out")
        .arg(out)
        .arg("--data-dir")
        .arg(out.join("data"))
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

/// IO cells, shaped like the io bench's: group `latency`, past the cores.
const IO_CELLS: &[(&str, usize, u64)] = &[
    ("sequential", 1, 8000),
    ("threads", 1, 8100),
    ("threads", 4, 2100),
    ("threads", 16, 600),
    ("process", 1, 9000),
    ("process", 16, 3000),
];

/// A small memory report in `out/data/memory.json`: threads add 8 kB per
/// worker, processes 3 MB.
fn write_memory_report(out: &Path) {
    let cell = CellMemory::with_peak;
    MemoryReport {
        schema: SCHEMA,
        workload: "latency".into(),
        size: 64,
        cores: 2,
        cells: vec![
            cell("sequential", 1, 3000),
            cell("threads", 1, 3000),
            cell("threads", 16, 3000 + 15 * 8),
            cell("process", 1, 6000),
            cell("process", 16, 6000 + 15 * 3072),
        ],
    }
    .write(&out.join("data").join("memory.json"))
    .unwrap();
}

#[test]
fn io_page_from_a_fixture_has_its_charts_and_sentences() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("reports"));
    criterion_run(&crit);
    criterion_group(&crit, "latency", IO_CELLS);
    write_memory_report(&out);
    let outcome = report::generate(&options(&crit, &out)).unwrap();
    assert_eq!(outcome.pages_with_data, 2, "{:?}", outcome.notes);
    let io = std::fs::read_to_string(out.join("io.html")).unwrap();
    for text in [
        "io-latency-speedup.svg",
        "At 16 workers on",
        "speedups over sequential were: threads",
        "io-memory-latency.svg",
        "Memory per worker",
        "threads 8 kB (from 1 to 16 workers)",
        "process 3.0 MB",
        "As expected, a process costs more memory per added worker than a thread",
        "data/memory.json",
    ] {
        assert!(io.contains(text), "io.html lacks {text}");
    }
    for chart in ["io-latency-speedup.svg", "io-memory-latency.svg"] {
        let svg = std::fs::read_to_string(out.join(chart)).unwrap();
        assert!(svg.starts_with("<svg"), "{chart}");
    }
    // The ideal line is in the speedup chart.
    let svg = std::fs::read_to_string(out.join("io-latency-speedup.svg")).unwrap();
    assert!(svg.contains("ideal"));
    // The index shows the CPU workload and links to the IO page instead.
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("id=\"primes\""));
    assert!(
        !index.contains("id=\"latency\""),
        "IO workloads are not on the index"
    );
    assert!(index.contains("href=\"io.html\""));
    assert!(!io.contains("http://") && !io.contains("https://"));
    assert_links_exist(&out);
}

#[test]
fn cli_report_elsewhere_copies_the_benches_data_files_in() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, bench_out) = (tmp.path().join("criterion"), tmp.path().join("reports"));
    criterion_run(&crit);
    write_memory_report(&bench_out);
    let elsewhere = tmp.path().join("elsewhere");
    let run = Command::new(env!("CARGO_BIN_EXE_tvp"))
        .args(["report", "--criterion-dir"])
        .arg(&crit)
        .arg("--out")
        .arg(&elsewhere)
        .arg("--data-dir")
        .arg(bench_out.join("data"))
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    assert_eq!(
        std::fs::read(elsewhere.join("data/memory.json")).unwrap(),
        std::fs::read(bench_out.join("data/memory.json")).unwrap()
    );
    let io = std::fs::read_to_string(elsewhere.join("io.html")).unwrap();
    assert!(io.contains("io-memory-latency.svg"), "{io}");
    assert_links_exist(&elsewhere);
    // Writing over the data folder itself copies nothing and still works.
    let again = report::generate(&options(&crit, &bench_out)).unwrap();
    assert_eq!(again.pages_with_data, 2, "{:?}", again.notes);
}

#[test]
fn io_page_with_only_memory_or_broken_memory_data() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("reports"));
    // Only the memory report: a page with the memory chart, no panic.
    write_memory_report(&out);
    let outcome = report::generate(&options(&crit, &out)).unwrap();
    assert_eq!(outcome.pages_with_data, 1, "{:?}", outcome.notes);
    let io = std::fs::read_to_string(out.join("io.html")).unwrap();
    assert!(io.contains("io-memory-latency.svg"));
    assert!(!io.contains("io-latency-speedup.svg"));
    assert_links_exist(&out);
    // A broken memory report: a note, not a panic, and no link to a chart.
    let other = tmp.path().join("other");
    std::fs::create_dir_all(other.join("data")).unwrap();
    std::fs::write(other.join("data").join("memory.json"), "{\"schema\": ").unwrap();
    criterion_group(&crit, "latency", IO_CELLS);
    let outcome = report::generate(&options(&crit, &other)).unwrap();
    assert!(
        outcome
            .notes
            .iter()
            .any(|n| n.contains("not a memory report")),
        "{:?}",
        outcome.notes
    );
    let io = std::fs::read_to_string(other.join("io.html")).unwrap();
    assert!(io.contains("io-latency-speedup.svg"));
    assert!(!io.contains("io-memory-latency.svg"));
    assert_links_exist(&other);
}
