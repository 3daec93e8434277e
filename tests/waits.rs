//! The many-waits sweep end to end at a tiny scale (a real run, its memory
//! cells in fresh processes, the page and the lesson it feeds), and the page
//! from made-up reports: one as expected and one with every expectation
//! reversed, whose sentences must say so. No timing assertions.

mod common;

use std::path::Path;
use std::time::Duration;

use common::report::{check_report, options};
use tvp::backends::Config;
use tvp::report;
use tvp::sweep::memory::{CellMemory, Detail};
use tvp::sweep::smaps::{Stacks, Usage};
use tvp::sweep::waits::{self, Cap, MemoryCell, Plan, TimeCell, WaitsReport};

fn config() -> Config {
    Config::new(env!("CARGO_BIN_EXE_tvp"))
}

fn page(out: &Path) -> String {
    std::fs::read_to_string(out.join("waits.html")).unwrap()
}

#[test]
fn a_tiny_sweep_measures_checks_and_draws_the_page_and_the_lesson() {
    let plan = Plan {
        concurrency: vec![1, 8, 100],
        waits_per_task: 1,
        variants: waits::variants()
            .into_iter()
            .filter(|v| ["async", "threads", "pool"].contains(&v.backend.as_str()))
            .collect(),
        time_cap: Duration::from_secs(30),
        memory_wait: waits::QUICK_MEMORY_WAIT,
        quick: false,
    };
    let mut lines = Vec::new();
    let report = waits::run(&plan, &config(), |l| lines.push(l.to_string())).unwrap();
    assert!(report.times.iter().all(|c| c.checksum_ok), "{lines:?}");
    // Every line reached 100 (no cap that low) and was measured at 1, 100.
    for v in &plan.variants {
        let at: Vec<usize> = report
            .memory_line(&v.label)
            .iter()
            .map(|c| c.concurrency)
            .collect();
        assert_eq!(at, [1, 100], "{}: {lines:?}", v.label);
    }
    for cell in &report.memory {
        let d = cell.memory.detail.as_ref().expect("detail was asked for");
        assert!(
            d.peak.pss_kb > 0 && d.peak.pss_kb <= d.peak.rss_kb,
            "{cell:?}"
        );
    }
    // 100 threads alive at once, their stacks found, mostly not resident.
    let threads = report
        .memory
        .iter()
        .find(|c| c.variant.contains("64 KiB") && c.concurrency == 100);
    let d = threads.unwrap().memory.detail.as_ref().unwrap();
    assert!(d.max_threads >= 100, "{d:?}");
    let stacks = d.stacks.expect("stacks read");
    assert!(
        stacks.count >= 100 && stacks.resident_kb < stacks.reserved_kb,
        "{stacks:?}"
    );
    // The pool's 100 children were all seen.
    let pool = report
        .memory
        .iter()
        .find(|c| c.variant == "pool" && c.concurrency == 100);
    assert_eq!(
        pool.unwrap().memory.detail.as_ref().unwrap().max_children,
        100
    );

    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("reports"));
    report.write(&out.join(waits::FILE)).unwrap();
    let outcome = report::generate(&options(&crit, &out)).unwrap();
    assert_eq!(outcome.pages_with_data, 1, "{:?}", outcome.notes);
    let html = page(&out);
    for text in [
        "waits-time.svg",
        "waits-memory.svg",
        "At 100 concurrent waits, <code>async</code> took",
        "Memory per concurrent wait",
        "per task (1 to 100)",
        "N concurrent tasks, not threads",
    ] {
        assert!(html.contains(text), "waits.html lacks {text}");
    }
    let svg = std::fs::read_to_string(out.join("waits-time.svg")).unwrap();
    assert!(
        svg.contains("(log scale)") && svg.contains("ideal"),
        "{svg}"
    );
    let lesson = std::fs::read_to_string(out.join("lesson-9-many-waits.html")).unwrap();
    assert!(lesson.contains("<img src=\"waits-time.svg\""), "{lesson}");
    assert!(lesson.contains("<img src=\"waits-memory.svg\""), "{lesson}");
    assert_eq!(check_report(&out), Vec::<String>::new());
}

fn time(variant: &str, concurrency: usize, median_ms: f64) -> TimeCell {
    TimeCell {
        variant: variant.into(),
        concurrency,
        items: concurrency as u64 * 10,
        prepare_ms: 0.0,
        runs_ms: vec![median_ms],
        median_ms,
        checksum_ok: true,
    }
}

fn memory(
    variant: &str,
    concurrency: usize,
    pss_kb: u64,
    threads: u64,
    stacks: Option<Stacks>,
) -> MemoryCell {
    let usage = Usage {
        rss_kb: pss_kb + 2_000,
        pss_kb,
        uss_kb: pss_kb - 100,
        vm_size_kb: 200_000 + 2_052 * threads,
        threads,
        processes: 1,
    };
    let mut cell = CellMemory::with_peak(variant, concurrency, pss_kb);
    cell.detail = Some(Detail {
        peak: usage,
        parent: usage,
        max_threads: threads,
        max_children: 0,
        stack_kb: 2048,
        stacks,
        kernel_kb: Some(16 * threads as i64),
        samples: 10,
    });
    MemoryCell {
        variant: variant.into(),
        concurrency,
        wait_ms: 300,
        memory: cell,
    }
}

/// A report as this machine measured it (figures from one run on the
/// 2-core VM), or with every expectation reversed.
fn made_up(reversed: bool) -> WaitsReport {
    let variants: Vec<_> = waits::variants()
        .into_iter()
        .filter(|v| {
            ["async", "threads", "process"].contains(&v.backend.as_str())
                && v.thread_stack.is_none()
        })
        .collect();
    let threads = variants[1].label.clone();
    let (a, t) = if reversed {
        (3_000.0, 40.0)
    } else {
        (36.0, 1_500.0)
    };
    let stacks = |n| Stacks {
        count: n,
        reserved_kb: 2048 * n,
        resident_kb: if reversed { 1_900 * n } else { 8 * n },
    };
    let (task_kb, thread_kb, process_kb) = if reversed {
        (900, 10, 400)
    } else {
        (1, 10, 280)
    };
    WaitsReport {
        schema: waits::SCHEMA,
        workload: "latency".into(),
        wait_ms: 2,
        waits_per_task: 10,
        cores: 2,
        quick: false,
        times: vec![
            time("async", 1, 31.0),
            time("async", 10_000, a),
            time(&threads, 1, 21.0),
            time(&threads, 10_000, t),
            time("process", 1, 30.0),
            time("process", 100, 560.0),
        ],
        caps: vec![Cap {
            variant: "process".into(),
            concurrency: 1_000,
            limit: Some(
                "`process` at 1000 workers on `latency` needs 2000 open files, but ...".into(),
            ),
            predicted_s: None,
            from: Some(100),
            from_s: Some(0.56),
            cap_s: 4.0,
        }],
        memory: vec![
            memory("async", 1, 2_800, 3, None),
            memory("async", 10_000, 2_800 + 10_000 * task_kb, 3, None),
            memory(&threads, 1, 2_800, 4, Some(stacks(3))),
            memory(
                &threads,
                10_000,
                2_800 + 10_000 * thread_kb,
                10_003,
                Some(stacks(10_002)),
            ),
            memory("process", 1, 3_300, 3, None),
            memory("process", 100, 3_300 + 100 * process_kb, 3, None),
        ],
        variants,
        open_files: Some(20_000),
        threads_max: Some(192_730),
        memory_total_kb: 24 << 20,
        elapsed_s: 40.0,
    }
}

#[test]
fn the_page_says_what_was_expected_and_what_was_not() {
    for (reversed, words) in [
        (
            false,
            &[
                "1.8x the ideal",
                "As expected, a task costs less memory per wait than a thread",
                "a thread cost",
                "address space reserved",
                "needs 2000 open files",
            ][..],
        ),
        (
            true,
            &[
                "a run within twice the ideal, but measured otherwise",
                "Expected that a task costs less memory per wait than a thread",
                "Not what was expected",
            ][..],
        ),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("reports"));
        made_up(reversed).write(&out.join(waits::FILE)).unwrap();
        report::generate(&options(&crit, &out)).unwrap();
        let html = page(&out);
        for w in words {
            assert!(
                html.contains(w),
                "reversed={reversed}: waits.html lacks {w}"
            );
        }
        assert!(html.contains("not run: a limit"), "the cap is in the table");
        assert_eq!(check_report(&out), Vec::<String>::new());
    }
}

#[test]
fn a_broken_waits_file_is_a_note_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let (crit, out) = (tmp.path().join("criterion"), tmp.path().join("reports"));
    std::fs::create_dir_all(out.join("data")).unwrap();
    std::fs::write(out.join(waits::FILE), "{\"schema\": 1").unwrap();
    let outcome = report::generate(&options(&crit, &out)).unwrap();
    assert!(
        outcome
            .notes
            .iter()
            .any(|n| n.contains("Many waits") && n.contains("cargo bench --bench waits")),
        "{:?}",
        outcome.notes
    );
    assert!(!out.join("waits.html").exists());
}
