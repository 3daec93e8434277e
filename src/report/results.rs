//! The scaling results as rows: one per (workload, backend, workers), with
//! the median time, its confidence interval, the speedup over `sequential`
//! and the efficiency. Written to `results.json` and `results.csv` for
//! anyone who wants the numbers without the page.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::criterion::Scan;
use crate::error::{Error, Result};

/// The rows' file name in a report directory.
pub const JSON_FILE: &str = "results.json";

/// One measured cell of the scaling sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRow {
    pub workload: String,
    /// `cpu`, `memory` or `io`.
    pub kind: String,
    pub backend: String,
    pub workers: usize,
    /// Items per run, when the bench recorded it.
    pub size: Option<u64>,
    /// Measured in quick mode.
    pub quick: bool,
    pub median_ms: f64,
    pub ci_low_ms: f64,
    pub ci_high_ms: f64,
    /// The middle half of criterion's samples as a share of their median
    /// ([`crate::sweep::spread`]); above [`crate::sweep::NOISY_SPREAD`]
    /// the cell is marked noisy.
    #[serde(default)]
    pub spread: Option<f64>,
    /// How far the median moved since the previous like run of this group
    /// (same size, mode and cores), as a share: +0.07 is 7% slower now
    /// ([`crate::report::criterion::Benchmark::previous_change`]).
    #[serde(default)]
    pub previous_change: Option<f64>,
    /// How far the machine's own speed moved while this cell's group ran,
    /// as a share: the sequential reference timed again after the group's
    /// last benchmark against its median at the start (+0.3: 30% slower at
    /// the end). The same for every row of a group; `None` when the bench
    /// did not time it again.
    #[serde(default)]
    pub speed_change: Option<f64>,
    /// The core-sharing probe run after this cell's group
    /// ([`crate::report::criterion::RunInfo::core_sharing`]); the same for
    /// every row of a group. Not written to `results.json` or `.csv`: the
    /// run's own file keeps it, and a CSV row has no room for a record.
    #[serde(skip)]
    pub core_sharing: Option<crate::sweep::core_sharing::CoreSharing>,
    /// Sequential median / this median; None without a sequential result.
    pub speedup: Option<f64>,
    /// Speedup / workers: 1.0 means every worker was fully used.
    pub efficiency: Option<f64>,
}

impl ResultRow {
    /// This cell's run-to-run spread as a share of its median, as
    /// [`crate::report::criterion::Benchmark::spread`] gives it, and at
    /// least the [`Self::speed_change`] of its group: a speedup divides by
    /// a reference measured when the machine ran at another speed.
    pub fn spread_of_median(&self) -> f64 {
        super::criterion::run_to_run_spread(
            self.median_ms,
            (self.ci_low_ms, self.ci_high_ms),
            self.previous_change,
        )
        .max(self.speed_change.map_or(0.0, f64::abs))
    }
}

/// A change of the machine's speed within a group ([`ResultRow::speed_change`])
/// larger than this, and than the sequential reference's own interval, is
/// said on the page.
pub const SPEED_CHANGE_NOTE: f64 = 0.05;

/// Sets every row's [`ResultRow::speed_change`] from the reference timed
/// again at the group's end (`again_ms`) and the `sequential` row, and
/// returns the sentence to show when the change is larger than
/// [`SPEED_CHANGE_NOTE`] and than the reference's own interval.
fn speed_change(rows: &mut [ResultRow], again_ms: Option<f64>) -> Option<String> {
    use crate::report::explain::words;
    let again = again_ms.filter(|a| *a > 0.0)?;
    let start = rows.iter().find(|r| r.backend == "sequential")?;
    if start.median_ms <= 0.0 {
        return None;
    }
    // Its own noise only, not a speed change set before.
    let interval = super::criterion::run_to_run_spread(
        start.median_ms,
        (start.ci_low_ms, start.ci_high_ms),
        start.previous_change,
    );
    let start_ms = start.median_ms;
    // Memory-bound work also depends on where its data landed: each
    // measurement allocates the data afresh. On the 2-core VM stream moved
    // by 33%, 1% and -9% in three full runs (and 56% in a quick one) where
    // the CPU workloads moved by at most 6.4%.
    let cause = if start.kind == "memory" {
        "The code and its input were the same both times, so the difference is in the machine: \
         its speed (on a virtual machine, the host's other work; on a laptop, heat or power \
         limits) or, for memory-bound work like this, where the freshly allocated data landed \
         in memory"
    } else {
        "The code and its input were the same both times, so the difference is in the machine \
         (on a virtual machine, the host's other work; on a laptop, heat or power limits)"
    };
    let change = again / start_ms - 1.0;
    for row in rows.iter_mut() {
        row.speed_change = Some(change);
    }
    if change.abs() <= SPEED_CHANGE_NOTE.max(interval) {
        return None;
    }
    Some(format!(
        "the sequential reference took {} at the start of this group and {} when timed again \
         after its last benchmark: the same code took {} {} time at the end. {}. Every \
         speedup here divides by that reference, so each is uncertain by about {}, and the \
         claims on this page count that as noise.",
        words::ms(start_ms),
        words::ms(again),
        words::percent(change.abs()),
        if change > 0.0 { "more" } else { "less" },
        cause,
        words::plus_minus(change.abs()),
    ))
}

/// " on CPU 3" for a probe pinned to CPU 3 when `named` (the machine has
/// more than one core to tell apart); empty otherwise.
pub fn on_cpu(probe: &crate::sweep::core_sharing::CpuProbe, named: bool) -> String {
    match probe.cpu {
        Some(cpu) if named => format!(" on CPU {cpu}"),
        _ => String::new(),
    }
}

/// The note for the groups whose core-sharing probe found a core shared
/// ([`crate::sweep::core_sharing::CpuProbe::shared`]), each given as
/// (workload, probe); `None` when none did.
pub fn core_sharing_note(
    probes: &[(&str, crate::sweep::core_sharing::CoreSharing)],
) -> Option<String> {
    use crate::report::explain::words;
    let shared: Vec<_> = probes.iter().filter(|(_, p)| p.shared()).collect();
    let rounds = shared.first()?.1.rounds;
    let many_cpus = probes.iter().any(|(_, p)| p.cpus.len() > 1);
    let names: Vec<&str> = shared.iter().map(|(w, _)| *w).collect();
    let items: Vec<String> = shared
        .iter()
        .filter_map(|(w, p)| {
            let worst = p.worst()?;
            let cpu = on_cpu(worst, many_cpus);
            let count = p.shared_cpus().len();
            let cores = if count > 1 {
                format!(
                    " ({count} of {} cores shared, this one the most)",
                    p.cpus.len()
                )
            } else {
                String::new()
            };
            Some(format!(
                "{w} {} against {}{cpu}{cores}",
                words::percent(worst.independent_slowdown),
                words::percent(worst.chain_slowdown)
            ))
        })
        .collect();
    let items: Vec<&str> = items.iter().map(String::as_str).collect();
    let several = shared
        .iter()
        .map(|(_, p)| p.shared_cpus().len())
        .sum::<usize>()
        > 1;
    Some(format!(
        "The core-sharing probe after each group timed the same multiplies {rounds} times{}, \
         as one chain, each waiting for the one before, and as independent operations. After \
         {}, the independent ones' slowest runs took far longer than their fastest while the \
         chain's did not: {}. Something else took {} execution units at times: a hyperthread \
         sibling or, on a virtual machine, possibly another guest's work, which this machine \
         cannot see. Work made of independent operations slows from run to run when that \
         happens, and a chain hardly does, so two workloads can repeat differently here.",
        if many_cpus {
            " on each core at once"
        } else {
            ""
        },
        words::and_list(&names),
        words::and_list(&items),
        match (many_cpus, several) {
            (false, _) => "this core's",
            (true, false) => "that core's",
            (true, true) => "those cores'",
        },
    ))
}

/// Below this share of a core for a single-threaded run, the machine was busy.
pub const BUSY_SHARE: f64 = 0.9;

/// Above this share of the machine's CPU time used by other programs while
/// a group was measured ([`crate::report::criterion::RunInfo::others_share`]),
/// the machine was busy.
pub const OTHERS_SHARE: f64 = 0.1;

/// The rows of one workload's group, ordered by backend (registry order)
/// then workers, and notes on what was left out.
pub fn workload_rows(scan: &Scan, workload: &str, kind: &str) -> (Vec<ResultRow>, Vec<String>) {
    let mut notes = Vec::new();
    let run = scan.run(workload);
    let mut rows = Vec::new();
    let mut stale = 0;
    for b in scan.group(workload) {
        if run.is_some_and(|r| !r.measured(b)) {
            stale += 1;
            continue;
        }
        let (Some(backend), Some(workers)) = (&b.function, &b.value) else {
            notes.push(format!(
                "{workload}: skipped a result without a backend and worker count ({}).",
                b.dir.display()
            ));
            continue;
        };
        let Ok(workers) = workers.parse::<usize>() else {
            notes.push(format!(
                "{workload}/{backend}: `{workers}` is not a worker count; skipped."
            ));
            continue;
        };
        rows.push(ResultRow {
            workload: workload.to_string(),
            kind: run.map_or_else(|| kind.to_string(), |r| r.kind.clone()),
            backend: backend.clone(),
            workers,
            size: run.map(|r| r.size),
            quick: run.is_some_and(|r| r.quick),
            median_ms: b.median_ns / 1e6,
            ci_low_ms: b.ci_low_ns / 1e6,
            ci_high_ms: b.ci_high_ns / 1e6,
            spread: b.sample_spread,
            previous_change: b.previous_change,
            speed_change: None,
            core_sharing: run.and_then(|r| r.core_sharing.clone()),
            speedup: None,
            efficiency: None,
        });
    }
    if let Some(share) = run
        .and_then(|r| r.others_share)
        .filter(|&s| s > OTHERS_SHARE)
    {
        notes.push(format!(
            "{workload}: while it was measured, other programs used {:.0}% of this machine's \
             CPU time (all cores, from /proc/stat): its numbers are noisy and understate the \
             machine. Measure again on a quiet machine.",
            100.0 * share
        ));
    }
    if let Some(share) = run.and_then(|r| r.cpu_share).filter(|&s| s < BUSY_SHARE) {
        notes.push(format!(
            "{workload}: its sequential reference run got only {:.0}% of a core: other \
             programs were using the CPU, so these numbers are noisy and understate the \
             machine. Measure again on a quiet machine.",
            100.0 * share
        ));
    }
    if let Some(note) = speed_change(&mut rows, run.and_then(|r| r.reference_again_ms)) {
        notes.push(format!("{workload}: {note}"));
    }
    if stale > 0 {
        notes.push(format!(
            "{workload}: left out {stale} older result(s) that its latest run did not measure."
        ));
    }
    let order = |name: &str| {
        crate::backends::REGISTRY
            .iter()
            .position(|e| e.name == name)
            .unwrap_or(usize::MAX)
    };
    rows.sort_by(|a, b| {
        (order(&a.backend), &a.backend, a.workers).cmp(&(order(&b.backend), &b.backend, b.workers))
    });
    let sequential = rows
        .iter()
        .find(|r| r.backend == "sequential")
        .map(|r| r.median_ms);
    match sequential {
        Some(seq) => {
            for r in &mut rows {
                let s = seq / r.median_ms;
                r.speedup = Some(s);
                r.efficiency = Some(s / r.workers as f64);
            }
        }
        None if !rows.is_empty() => notes.push(format!(
            "{workload}: no sequential result, so no speedups. Run `cargo bench --bench scaling`."
        )),
        None => {}
    }
    (rows, notes)
}

/// Writes `rows` as pretty JSON.
pub fn write_json(rows: &[ResultRow], path: &Path) -> Result<()> {
    let text = serde_json::to_string_pretty(rows).expect("result rows always serialise");
    super::write_atomic(path, text.as_bytes())
}

/// Reads rows written by [`write_json`].
pub fn read_json(path: &Path) -> Result<Vec<ResultRow>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    serde_json::from_str(&text).map_err(|e| Error::Data(format!("{}: {e}", path.display())))
}

/// Writes `rows` as CSV with a header line; a missing speedup is an empty field.
pub fn write_csv(rows: &[ResultRow], path: &Path) -> Result<()> {
    let data = |e: csv::Error| Error::Data(format!("writing {}: {e}", path.display()));
    let mut out = csv::Writer::from_writer(Vec::new());
    for row in rows {
        out.serialize(row).map_err(data)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| Error::Data(format!("writing {}: {e}", path.display())))?;
    super::write_atomic(path, &bytes)
}

/// Reads rows written by [`write_csv`].
pub fn read_csv(path: &Path) -> Result<Vec<ResultRow>> {
    let data = |e: csv::Error| Error::Data(format!("reading {}: {e}", path.display()));
    let mut input = csv::Reader::from_path(path).map_err(data)?;
    input
        .deserialize()
        .collect::<std::result::Result<_, _>>()
        .map_err(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(backend: &str, workers: usize, median_ms: f64) -> ResultRow {
        ResultRow {
            workload: "primes".into(),
            kind: "cpu".into(),
            backend: backend.into(),
            workers,
            size: Some(1_000),
            quick: false,
            median_ms,
            ci_low_ms: median_ms * 0.99,
            ci_high_ms: median_ms * 1.01,
            spread: None,
            previous_change: None,
            speed_change: None,
            core_sharing: None,
            speedup: None,
            efficiency: None,
        }
    }

    #[test]
    fn a_reference_slower_at_the_end_is_said_and_counted_as_noise() {
        let mut rows = vec![row("sequential", 1, 100.0), row("threads", 2, 55.0)];
        let note = speed_change(&mut rows, Some(140.0)).expect("a 40% change is said");
        assert!(note.contains("100 ms at the start"), "{note}");
        assert!(note.contains("140 ms when timed again"), "{note}");
        assert!(note.contains("took 40% more time"), "{note}");
        assert!(note.contains("±40%"), "{note}");
        for r in &rows {
            assert!((r.speed_change.unwrap() - 0.4).abs() < 1e-9);
            assert!(
                r.spread_of_median() >= 0.4 - 1e-9,
                "{}",
                r.spread_of_median()
            );
        }
        let note = speed_change(&mut rows, Some(70.0)).expect("a 30% change is said");
        assert!(note.contains("took 30% less time"), "{note}");
        assert!(!note.contains("where the freshly allocated data"), "{note}");
        let mut memory = vec![row("sequential", 1, 100.0)];
        memory[0].kind = "memory".into();
        let note = speed_change(&mut memory, Some(133.0)).expect("a 33% change is said");
        assert!(
            note.contains("where the freshly allocated data landed"),
            "{note}"
        );
    }

    #[test]
    fn a_change_within_the_reference_interval_or_five_percent_is_not_said() {
        let mut rows = vec![row("sequential", 1, 100.0), row("threads", 2, 55.0)];
        assert_eq!(speed_change(&mut rows, Some(103.0)), None);
        assert!(rows.iter().all(|r| r.speed_change.is_some()));
        let mut wide = vec![row("sequential", 1, 100.0)];
        wide[0].ci_low_ms = 80.0;
        wide[0].ci_high_ms = 120.0;
        assert_eq!(speed_change(&mut wide, Some(108.0)), None);
        let mut none = vec![row("threads", 2, 55.0)];
        assert_eq!(speed_change(&mut none, Some(108.0)), None);
        assert_eq!(none[0].speed_change, None);
    }

    #[test]
    fn a_shared_core_found_by_the_probe_is_said_with_both_loops() {
        use crate::sweep::core_sharing::{CoreSharing, CpuProbe};
        let cpu = |cpu, independent_slowdown, chain_slowdown| CpuProbe {
            cpu: Some(cpu),
            independent_slowdown,
            chain_slowdown,
        };
        let probe = |cpus: Vec<CpuProbe>| CoreSharing { cpus, rounds: 30 };
        // One core: no CPU to name.
        let note = core_sharing_note(&[("primes", probe(vec![cpu(0, 0.28, 0.02)]))]).expect("said");
        assert!(
            note.starts_with(
                "The core-sharing probe after each group timed the same multiplies 30 times, as \
                 one chain"
            ),
            "{note}"
        );
        assert!(
            note.contains(
                "After primes, the independent ones' slowest runs took far longer than their \
                 fastest while the chain's did not: primes 28% against 2%. Something else took \
                 this core's"
            ),
            "{note}"
        );
        // Two cores, two groups: the most shared core of each group named.
        let both = core_sharing_note(&[
            (
                "primes",
                probe(vec![cpu(0, 0.03, 0.02), cpu(1, 0.28, 0.02)]),
            ),
            (
                "mandelbrot",
                probe(vec![cpu(0, 0.03, 0.02), cpu(1, 0.03, 0.02)]),
            ),
            (
                "stream",
                probe(vec![cpu(0, 0.14, 0.03), cpu(1, 0.19, 0.01)]),
            ),
        ])
        .expect("said");
        assert!(
            both.contains("30 times on each core at once, as one chain")
                && both.contains(
                    "After primes and stream, the independent ones' slowest runs took far \
                     longer than their fastest while the chain's did not: primes 28% against \
                     2% on CPU 1 and stream 19% against 1% on CPU 1 (2 of 2 cores shared, this \
                     one the most). Something else took those cores'"
                ),
            "{both}"
        );
        let one = core_sharing_note(&[(
            "primes",
            probe(vec![cpu(0, 0.03, 0.02), cpu(1, 0.28, 0.02)]),
        )])
        .expect("said");
        assert!(
            one.contains("primes 28% against 2% on CPU 1. Something else took that core's"),
            "{one}"
        );
        let quiet = |a, b| probe(vec![cpu(0, a, b)]);
        assert_eq!(core_sharing_note(&[("primes", quiet(0.03, 0.02))]), None);
        assert_eq!(core_sharing_note(&[("primes", quiet(0.28, 0.25))]), None);
        assert_eq!(core_sharing_note(&[]), None);
    }

    #[test]
    fn every_row_of_a_group_carries_its_probe() {
        use crate::report::criterion::{Benchmark, RunInfo, Scan};
        use crate::sweep::core_sharing::{CoreSharing, CpuProbe};
        let benchmarks = vec![
            Benchmark::exact("primes", "sequential", Some("1"), 100e6),
            Benchmark::exact("primes", "threads", Some("2"), 55e6),
        ];
        let ids = benchmarks
            .iter()
            .map(|b| (b.function.clone().unwrap(), b.value.clone().unwrap()))
            .collect();
        let probe = CoreSharing {
            cpus: vec![CpuProbe {
                cpu: Some(0),
                independent_slowdown: 0.28,
                chain_slowdown: 0.02,
            }],
            rounds: 30,
        };
        let run = RunInfo {
            core_sharing: Some(probe.clone()),
            ..RunInfo::now("primes", "cpu", 1_000, false, ids)
        };
        let scan = Scan {
            benchmarks,
            runs: vec![run],
            notes: Vec::new(),
        };
        let (rows, _) = workload_rows(&scan, "primes", "cpu");
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r.core_sharing.as_ref() == Some(&probe)));
        // The rows' files leave it out.
        let text = serde_json::to_string(&rows[0]).unwrap();
        assert!(!text.contains("core_sharing"), "{text}");
        let back: ResultRow = serde_json::from_str(&text).unwrap();
        assert_eq!(back.core_sharing, None);
    }

    #[test]
    fn rows_with_and_without_their_optional_figures_share_one_csv() {
        let mut rows = vec![row("sequential", 1, 100.0), row("threads", 2, 55.0)];
        rows[0].spread = Some(0.02);
        rows[0].speed_change = Some(0.1);
        rows[1].previous_change = Some(-0.03);
        rows[1].speedup = Some(1.8);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.csv");
        write_csv(&rows, &path).unwrap();
        assert_eq!(read_csv(&path).unwrap(), rows);
        // Older results.json files without these fields still read.
        let old = r#"[{"workload":"primes","kind":"cpu","backend":"threads","workers":2,
            "size":1000,"quick":false,"median_ms":55.0,"ci_low_ms":54.0,"ci_high_ms":56.0,
            "speedup":1.8,"efficiency":0.9}]"#;
        let back: Vec<ResultRow> = serde_json::from_str(old).unwrap();
        assert_eq!(back[0].spread, None);
        assert_eq!(back[0].speed_change, None);
    }
}
