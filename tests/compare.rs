//! `tvp report --compare DIR`: the committed reference report and a
//! made-up 64-core one shown beside a tiny real run, and the errors for a
//! DIR that is missing, has no results, or has results that do not parse.

mod common;

use std::path::{Path, PathBuf};

use common::report::{check_report, criterion_run, options};
use tvp::machine::MachineInfo;
use tvp::report::results::ResultRow;
use tvp::report::{self, Options};

fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/reference")
}

/// A tiny real run in `tmp`, compared with `dir`.
fn compared(tmp: &Path, dir: &Path) -> (Options, tvp::error::Result<report::Outcome>) {
    let (crit, out) = (tmp.join("criterion"), tmp.join("reports"));
    criterion_run(&crit);
    let mut opts = options(&crit, &out);
    opts.compare = Some(dir.to_path_buf());
    let outcome = report::generate(&opts);
    (opts, outcome)
}

fn row(backend: &str, workers: usize, median_ms: f64, seq_ms: f64) -> ResultRow {
    ResultRow {
        workload: "primes".into(),
        kind: "cpu".into(),
        backend: backend.into(),
        workers,
        size: Some(3_000_000),
        quick: false,
        median_ms,
        ci_low_ms: median_ms * 0.99,
        ci_high_ms: median_ms * 1.01,
        speedup: Some(seq_ms / median_ms),
        efficiency: Some(seq_ms / median_ms / workers as f64),
        spread: None,
        previous_change: None,
        speed_change: None,
        core_sharing: None,
    }
}

/// A report directory of a 64-core, 32-physical-core machine whose rayon
/// reached 40x on primes.
fn made_up_64_cores(dir: &Path) {
    let seq = 2_000.0;
    let mut rows = vec![row("sequential", 1, seq, seq)];
    for w in [1, 2, 4, 8, 16, 32, 64, 128] {
        rows.push(row(
            "rayon",
            w,
            seq / (w.min(64) as f64 * 0.625).max(1.0),
            seq,
        ));
        rows.push(row(
            "threads",
            w,
            seq / (w.min(64) as f64 * 0.5).max(1.0),
            seq,
        ));
    }
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(
        dir.join("results.json"),
        serde_json::to_string_pretty(&rows).unwrap(),
    )
    .unwrap();
    let machine = MachineInfo {
        cpu_brand: "Made-up EPYC 64".into(),
        physical_cores: Some(32),
        logical_cores: 64,
        memory_bytes: 256 << 30,
        os: "Linux".into(),
        kernel: "6.1".into(),
        rustc: "rustc 1.95.0".into(),
        git_revision: "made-up".into(),
        date: "2026-11-29T00:00:00Z".into(),
    };
    std::fs::write(
        dir.join("data/machine.json"),
        serde_json::to_string_pretty(&machine).unwrap(),
    )
    .unwrap();
}

#[test]
fn the_reference_report_is_shown_beside_this_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (opts, outcome) = compared(tmp.path(), &reference());
    outcome.unwrap();
    let html = std::fs::read_to_string(opts.out_dir.join("index.html")).unwrap();
    // The reference's own CPU, whichever machine made it.
    let reference_machine: MachineInfo = serde_json::from_str(
        &std::fs::read_to_string(reference().join("data/machine.json")).unwrap(),
    )
    .unwrap();
    for text in [
        "Beside the other machine (2 cores)",
        "reports/reference",
        "What differs and why",
        reference_machine.cpu_brand.as_str(),
        "on 2 cores) on the other machine",
    ] {
        assert!(html.contains(text), "index.html lacks {text}");
    }
    let svg = std::fs::read_to_string(opts.out_dir.join("scaling-primes-speedup.svg")).unwrap();
    assert!(svg.contains("rayon, other machine"), "{svg}");
    assert_eq!(check_report(&opts.out_dir), Vec::<String>::new());
    // This report, too, can now be compared with.
    let saved = std::fs::read_to_string(opts.out_dir.join("data/machine.json")).unwrap();
    let machine: MachineInfo = serde_json::from_str(&saved).unwrap();
    assert_eq!(machine.logical_cores, tvp::cores());
}

#[test]
fn a_64_core_machine_beside_this_one_says_what_differs() {
    let tmp = tempfile::tempdir().unwrap();
    let other = tmp.path().join("big");
    made_up_64_cores(&other);
    // The report's results.json and its data/ name the same report.
    for given in [
        other.clone(),
        other.join("results.json"),
        other.join("data"),
    ] {
        let run = tmp
            .path()
            .join(format!("run-{}", given.display().to_string().len()));
        let (opts, outcome) = compared(&run, &given);
        outcome.unwrap();
        let html = std::fs::read_to_string(opts.out_dir.join("index.html")).unwrap();
        for text in [
            "Beside the other machine (64 cores)",
            "the other machine 64 cores",
            "The other machine runs 2 hardware threads per core (64 logical on 32 physical)",
            "Made-up EPYC 64 there",
            "(rayon on 64 cores) on the other machine",
        ] {
            assert!(
                html.contains(text),
                "{}: index.html lacks {text}",
                given.display()
            );
        }
        let svg = std::fs::read_to_string(opts.out_dir.join("scaling-primes-speedup.svg")).unwrap();
        assert!(svg.contains("rayon, other machine"));
        assert!(svg.contains("64 cores: the other"), "{svg}");
        assert_eq!(check_report(&opts.out_dir), Vec::<String>::new());
    }
}

fn compare_error(dir: &Path) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let (opts, outcome) = compared(tmp.path(), dir);
    let e = outcome
        .expect_err("a bad --compare DIR is an error")
        .to_string();
    assert!(
        !opts.out_dir.join("index.html").exists(),
        "nothing is written on a bad DIR"
    );
    assert!(e.contains("--compare"), "{e}");
    e
}

#[test]
fn a_bad_compare_dir_is_an_error_that_says_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let e = compare_error(&tmp.path().join("nowhere"));
    assert!(
        e.contains("no such file or directory") && e.contains("reports/reference"),
        "{e}"
    );

    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = compare_error(&empty);
    assert!(
        e.contains("results.json") && e.contains("cargo bench"),
        "{e}"
    );

    let broken = tmp.path().join("broken");
    made_up_64_cores(&broken);
    std::fs::write(broken.join("results.json"), "{\"schema\": 9}").unwrap();
    let e = compare_error(&broken);
    assert!(e.contains("regenerate that report"), "{e}");

    let old = tmp.path().join("old");
    made_up_64_cores(&old);
    std::fs::remove_file(old.join("data/machine.json")).unwrap();
    let e = compare_error(&old);
    assert!(
        e.contains("machine.json") && e.contains("regenerate"),
        "{e}"
    );
}

/// The pages that compare figures beyond the scaling page, when this run
/// has the reference's data files.
const COMPARED_PAGES: &[&str] = &["balance.html", "waits.html", "io.html", "costs.html"];

/// A tiny real run with the committed reference's data files (balance,
/// waits, memory, start methods, Python), compared with `dir`, into `tmp`.
fn compared_with_data(tmp: &Path, dir: &Path) -> Options {
    let (crit, out) = (tmp.join("criterion"), tmp.join("reports"));
    criterion_run(&crit);
    let mut opts = options(&crit, &out);
    opts.data_dir = reference().join("data");
    opts.compare = Some(dir.to_path_buf());
    report::generate(&opts).unwrap();
    opts
}

fn page(opts: &Options, file: &str) -> String {
    std::fs::read_to_string(opts.out_dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn every_page_with_the_references_data_shows_its_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = compared_with_data(tmp.path(), &reference());
    for file in COMPARED_PAGES {
        let html = page(&opts, file);
        // The reference saved its figures (data/figures.json) since
        // 2026-11-29; a report without them is read from its data files.
        let saved = reference().join("data/figures.json").exists();
        assert!(
            html.contains("Beside the other machine (2 cores): ")
                && html.contains("read from its data files alone") != saved,
            "{file} does not introduce the comparison"
        );
        // The same data files here and there: the runs agree.
        assert!(
            html.contains("on the other machine (2 cores)") && html.contains("agree within 10%"),
            "{file} has no compared figure"
        );
    }
    // Its figures are saved for the next comparison.
    let saved: serde_json::Value = serde_json::from_str(&page(&opts, "data/figures.json")).unwrap();
    let ids: Vec<&str> = saved["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    for id in [
        "balance/primes",
        "waits/time",
        "memory/latency",
        "speedup/primes",
    ] {
        assert!(ids.contains(&id), "figures.json lacks {id}: {ids:?}");
    }
    assert_eq!(check_report(&opts.out_dir), Vec::<String>::new());
}

/// Halves every number of every figure in `figures.json`.
fn halve(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match (key.as_str(), v) {
                    ("bars", Value::Array(bars)) => {
                        for bar in bars {
                            bar[1] = (bar[1].as_f64().unwrap() / 2.0).into();
                        }
                    }
                    ("points", Value::Array(points)) => {
                        for p in points {
                            p[1] = (p[1].as_f64().unwrap() / 2.0).into();
                        }
                    }
                    (_, v) => halve(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(halve),
        _ => {}
    }
}

#[test]
fn a_made_up_64_core_run_is_drawn_beside_every_page_from_its_figures() {
    let tmp = tempfile::tempdir().unwrap();
    // A report with figures.json, made into a 64-core machine whose every
    // figure reads half of this run's.
    let first = compared_with_data(&tmp.path().join("first"), &reference());
    let big = tmp.path().join("big");
    made_up_64_cores(&big);
    let mut figures: serde_json::Value =
        serde_json::from_str(&page(&first, "data/figures.json")).unwrap();
    halve(&mut figures["figures"]);
    std::fs::write(
        big.join("data/figures.json"),
        serde_json::to_string(&figures).unwrap(),
    )
    .unwrap();
    let opts = compared_with_data(&tmp.path().join("second"), &big);
    for file in COMPARED_PAGES {
        let html = page(&opts, file);
        assert!(
            html.contains("Beside the other machine (64 cores): ")
                && html.contains("read from its data/figures.json)"),
            "{file} does not introduce the comparison"
        );
        assert!(
            html.contains("on the other machine (64 cores), 2.0x of it")
                && html.contains("differ by more than 10%"),
            "{file} has no compared figure"
        );
    }
    let svg = page(&opts, "balance-primes.svg");
    assert!(
        svg.contains("other machine"),
        "balance-primes.svg has no other line"
    );
    // A bar chart from the data files: outlines, and the key says whose.
    let svg = page(&opts, "python-lost-update.svg");
    assert!(
        svg.contains("outline: the other machine (64 cores)"),
        "python-lost-update.svg has no key"
    );
    assert_eq!(check_report(&opts.out_dir), Vec::<String>::new());
}
