//! The terminal's view of a measurement: the tables `tvp run`, `tvp cores`
//! and `tvp python` print, with the same sentences the HTML pages write
//! from the same numbers.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::backends::Config;
use crate::error::Result;
use crate::python::Comparison;
use crate::python::starts::StartsReport;
use crate::report::explain::{self, words};
use crate::sweep::cores::{CoreSweep, CoreSweepResult, run_core_sweep};
use crate::sweep::memory::{self, CellMemory};
use crate::sweep::{Measurement, Sweep, SweepResult, affinity, run_sweep_with};
use crate::{backends, workloads};

/// Peak memory per (backend, workers) cell.
pub type MemoryCells = BTreeMap<(String, usize), CellMemory>;

/// What `tvp list` prints: every workload and backend with what it
/// teaches, and this machine's default worker counts.
pub fn listing() -> String {
    let mut out = String::from("Workloads (tvp run --workload NAME):\n");
    for w in workloads::REGISTRY {
        let _ = writeln!(
            out,
            "  {:<12} {:<7} {}",
            w.name,
            w.kind.to_string(),
            w.teaches
        );
    }
    out.push_str("\nBackends (tvp run --backend NAME):\n");
    for b in backends::REGISTRY {
        let _ = writeln!(out, "  {:<12} {}", b.name, b.teaches);
        let _ = writeln!(out, "  {:<12} Python: {}", "", b.python);
        let _ = writeln!(out, "  {:<12} --workers N: {}", "", b.worker.knob());
        if let Some(reason) = backends::unavailable(b.name) {
            let _ = writeln!(out, "  {:<12} cannot run here: {reason}", "");
        }
    }
    for g in backends::not_built() {
        let _ = writeln!(
            out,
            "  {:<12} not built in: rebuild with `--features {}` ({})",
            g.name, g.feature, g.needs
        );
    }
    let cores = crate::cores();
    let _ = writeln!(
        out,
        "\nThis machine: {cores} cores usable; default worker counts {:?}",
        crate::sweep::default_workers(cores)
    );
    out
}

/// Runs `sweep`, printing its heading, then its table when it is done:
/// with the memory columns when `memory` (each cell once more, in a fresh
/// process). `Ok(false)` when a checksum disagreed.
pub fn run_workload(sweep: &Sweep, config: &Config, memory: bool, cores: usize) -> Result<bool> {
    let kind = workloads::entry(&sweep.job.workload)?.kind;
    println!(
        "\n{} ({kind}), size {}, workers {:?}:",
        sweep.job.workload, sweep.job.size, sweep.workers
    );
    println!("{}", run_header());
    let mut cells = MemoryCells::new();
    let result = run_sweep_with(sweep, config, |job, m| {
        if memory {
            // The cell runs once more: its own time sets its deadline.
            let config = config.scaled_to(m.median);
            let cell = memory::measure_cell(&config, job, &m.backend, m.workers)?;
            cells.insert((m.backend.clone(), m.workers), cell);
        }
        Ok(())
    })?;
    print!("{}", run_table(&result, &cells, cores));
    if any_noisy(&result) {
        // Half a second more to say whether a shared core is the reason.
        let probe = crate::sweep::core_sharing::probe(crate::sweep::core_sharing::ROUNDS);
        let probes = [(sweep.job.workload.as_str(), probe)];
        if let Some(note) = crate::report::results::core_sharing_note(&probes) {
            println!("\n{}", textwrap::fill(&note, indented()));
        }
    }
    Ok(result.cells.iter().all(|m| m.checksum_ok))
}

/// Runs the core sweep `sweep`, printing a progress line per cell (on
/// stderr) and then its table. `Ok(false)` when a checksum disagreed.
pub fn sweep_cores(sweep: &CoreSweep, config: &Config) -> Result<bool> {
    let kind = workloads::entry(&sweep.job.workload)?.kind;
    println!(
        "\n{} ({kind}), size {}:",
        sweep.job.workload, sweep.job.size
    );
    let total = sweep.cell_count();
    let mut done = 0;
    let result = run_core_sweep(sweep, config, |cell| {
        done += 1;
        eprintln!(
            "  [{done}/{total}] {} on {}: {}",
            cell.backend,
            cell.cpus,
            millis(cell.median)
        );
    })?;
    print!("{}", core_table(&result, &sweep.cores));
    Ok(result.cells.iter().all(|c| c.checksum_ok))
}

/// The column headings of [`run_table`].
pub fn run_header() -> String {
    format!(
        "  {:<11} {:>7} {:>6} {:>11} {:>7} {:>12} {:>14} {:>11} {:>9} {:>9} {:>9} {:>10}  checksum",
        "backend",
        "workers",
        "chunks",
        "median",
        "spread",
        "vs 1 worker",
        "vs sequential",
        "efficiency",
        "busy",
        "launch",
        "peak MB",
        "MB/worker"
    )
}

/// What the `chunks` and `busy` columns mean, printed under a table that
/// has them.
pub const RUN_COLUMNS: &str = "chunks: chunks per worker (1 = one static chunk each); busy: the \
     idlest and the busiest worker's time running chunks, as a share of the median run \
     (a low first number with a high second is load imbalance; both low is time spent outside \
     the chunks: spawning, pipes, waiting).";

/// The `spread` column: the middle half of the repeats as a share of the
/// median ([`crate::sweep::spread`]), starred above
/// [`crate::sweep::NOISY_SPREAD`]; `-` with one repeat.
pub fn spread_column(spread: Option<f64>) -> String {
    match spread {
        Some(s) if crate::sweep::is_noisy(spread) => format!("{:.0}%*", 100.0 * s),
        Some(s) => format!("{:.0}%", 100.0 * s),
        None => "-".into(),
    }
}

/// Whether the sequential reference or any cell of `result` is starred
/// noisy in the table.
fn any_noisy(result: &SweepResult) -> bool {
    let noisy = crate::sweep::is_noisy;
    noisy(result.sequential_spread) || result.cells.iter().any(|m| noisy(m.spread))
}

/// Paragraphs under a table: 78 columns, indented as the table is.
fn indented() -> textwrap::Options<'static> {
    textwrap::Options::new(78)
        .initial_indent("  ")
        .subsequent_indent("  ")
}

/// Printed under a table with a starred spread.
pub fn noisy_note() -> String {
    format!(
        "*: noisy. The middle half of its repeats spans more than {:.0}% of its median, so \
         differences of that size may be noise; a noisy sequential reference moves every \
         speedup. Rerun with more repeats (-r) on a quieter machine.",
        100.0 * crate::sweep::NOISY_SPREAD
    )
}

/// The sequential reference, then one row per cell of `result`, then the
/// MPI paragraph when MPI cells were measured (on a machine of `cores`).
pub fn run_table(result: &SweepResult, memory: &MemoryCells, cores: usize) -> String {
    let mut out = format!(
        "  (sequential reference: {}, spread {}, checksum {})\n",
        millis(result.sequential),
        spread_column(result.sequential_spread),
        result.expected_checksum
    );
    for m in &result.cells {
        out.push_str(&run_row(result, m, memory));
        out.push('\n');
    }
    if result.cells.iter().any(|m| m.busy.is_some()) {
        let _ = write!(out, "\n{}\n", textwrap::fill(RUN_COLUMNS, indented()));
    }
    if any_noisy(result) {
        let _ = write!(out, "\n{}\n", textwrap::fill(&noisy_note(), indented()));
    }
    let times = explain::mpi::Times {
        sequential: result.sequential,
        cells: result
            .cells
            .iter()
            .map(|m| explain::mpi::Cell {
                backend: m.backend.clone(),
                workers: m.workers,
                median: m.median,
                launch: m.launch,
            })
            .collect(),
        across_hosts: result.cells.iter().any(|m| {
            m.hosts
                .as_ref()
                .is_some_and(|h| h.iter().any(|x| Some(x) != h.first()))
        }),
    };
    if let Some(text) = explain::mpi::explain_mpi(&times, cores) {
        let _ = write!(out, "\n{}\n", textwrap::fill(&text, indented()));
    }
    out
}

fn run_row(result: &SweepResult, m: &Measurement, memory: &MemoryCells) -> String {
    let vs_seq = result.speedup_vs_sequential(m);
    let vs_one = result
        .speedup_vs_one_worker(m)
        .map_or_else(|| "-".to_string(), |s| format!("{s:.2}x"));
    let check = if m.checksum_ok {
        "ok".to_string()
    } else {
        format!("WRONG ({} != {})", m.checksum, result.expected_checksum)
    };
    let cell = memory.get(&(m.backend.clone(), m.workers));
    let peak = cell.map_or_else(|| "-".to_string(), |c| format!("{:.1}", c.peak_mb()));
    let per_worker = cell
        .zip(memory.get(&(m.backend.clone(), 1)))
        .and_then(|(cell, one)| memory::mb_per_worker(one, cell))
        .map_or_else(|| "-".to_string(), |mb| format!("{mb:.3}"));
    // Only backends that measure it (mpi) have a launch cost apart.
    let launch = m.launch.map_or_else(|| "-".to_string(), millis);
    // Only backends whose workers may sit on other hosts (mpi) say where.
    let hosts = m
        .hosts
        .as_deref()
        .map_or_else(String::new, |h| format!("  on {}", placement(h)));
    let chunks = m
        .chunks_per_worker
        .map_or_else(|| "-".to_string(), |k| k.to_string());
    let busy = m.busy_range().map_or_else(|| "-".to_string(), busy_column);
    format!(
        "  {:<11} {:>7} {chunks:>6} {:>11} {:>7} {:>12} {:>13.2}x {:>10.0}% {busy:>9} {launch:>9} {peak:>9} {per_worker:>10}  {check}{hosts}",
        m.backend,
        m.workers,
        millis(m.median),
        spread_column(m.spread),
        vs_one,
        vs_seq,
        100.0 * vs_seq / m.workers as f64,
    )
}

/// Where the workers ran, host by host in order of first rank, with the
/// ranks on each: `tvp-sim-1[0] tvp-sim-2[1]`, `node1[0-3] node2[4-7]`,
/// `a[0,2] b[1]`.
pub fn placement(hosts: &[String]) -> String {
    let mut order: Vec<(&str, Vec<usize>)> = Vec::new();
    for (rank, host) in hosts.iter().enumerate() {
        match order.iter_mut().find(|(h, _)| *h == host.as_str()) {
            Some((_, ranks)) => ranks.push(rank),
            None => order.push((host, vec![rank])),
        }
    }
    order
        .iter()
        .map(|(host, ranks)| {
            let (first, last) = (ranks[0], ranks[ranks.len() - 1]);
            let listed = if ranks.len() == 1 {
                first.to_string()
            } else if last - first + 1 == ranks.len() {
                format!("{first}-{last}")
            } else {
                ranks
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            };
            format!("{host}[{listed}]")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The idlest and busiest worker's shares of a run: "61-99%".
pub fn busy_column((idlest, busiest): (f64, f64)) -> String {
    format!("{:.0}-{:.0}%", 100.0 * idlest, 100.0 * busiest)
}

/// A duration as the tables show it: "12.3 ms".
pub fn millis(d: std::time::Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// Backend x core count, the speedup from 1 core to the most, then the
/// sentences of the one-core panel and the chart summary.
pub fn core_table(result: &CoreSweepResult, counts: &[usize]) -> String {
    let mut out = String::new();
    let most = counts.last().copied().unwrap_or(1);
    let _ = write!(out, "  {:<11} {:>7}", "backend", "workers");
    for &k in counts {
        let _ = write!(out, " {:>11}", affinity::count_cores(k));
    }
    let _ = writeln!(out, " {:>12}  checksum", format!("1->{most} cores"));
    let lines = result.lines();
    for line in &lines {
        let _ = write!(out, "  {:<11} {:>7}", line.backend, line.workers);
        for &k in counts {
            let cell = result.cell(&line.backend, k);
            let _ = write!(
                out,
                " {:>11}",
                cell.map_or_else(|| "-".into(), |c| millis(c.median))
            );
        }
        let speedup = line
            .speedup(most)
            .map_or_else(|| "-".to_string(), |s| format!("{s:.2}x"));
        let wrong: Vec<String> = result
            .cells
            .iter()
            .filter(|c| c.backend == line.backend && !c.checksum_ok)
            .map(|c| {
                format!(
                    "WRONG at {} ({})",
                    affinity::count_cores(c.cores),
                    c.checksum
                )
            })
            .collect();
        let check = if wrong.is_empty() {
            "ok".to_string()
        } else {
            wrong.join(", ")
        };
        let _ = writeln!(out, " {speedup:>12}  {check}");
    }
    for (heading, sentences) in [
        ("One core", explain::cores::one_core_panel(&lines)),
        ("Across cores", explain::cores::chart_summary(&lines)),
    ] {
        if !sentences.is_empty() {
            let _ = writeln!(out, "  {heading}:");
            for sentence in sentences {
                let _ = writeln!(out, "  - {sentence}");
            }
        }
    }
    out
}

/// A plain-text table of speedups, one block per workload, with the
/// explanation under it.
pub fn python_table(c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} (smaller sizes) vs Rust (the scaling bench's sizes), {} cores; speedup over the same language's sequential run{}",
        c.python,
        c.cores,
        if c.quick { " (quick)" } else { "" }
    );
    for w in &c.workloads {
        let rust_seq = match (w.rust_sequential_s, w.rust_size) {
            (Some(s), Some(size)) => format!("{} at size {size}", words::secs_as_ms(s)),
            _ => "-".into(),
        };
        let _ = writeln!(
            out,
            "\n{} ({}): sequential Python {} at size {}, Rust {rust_seq}; checksums {}",
            w.workload,
            w.kind,
            words::secs_as_ms(w.python_sequential_s),
            w.size,
            if w.checksums_ok { "agree" } else { "DISAGREE" }
        );
        let _ = write!(out, "  {:<30}", "backend \\ workers");
        for n in &c.workers {
            let _ = write!(out, " {n:>6}");
        }
        out.push('\n');
        for s in &w.series {
            let _ = write!(out, "  {:<30}", s.label);
            for &n in &c.workers {
                match s.points.iter().find(|p| p.workers == n) {
                    Some(p) => {
                        let _ = write!(out, " {:>5.2}x", p.speedup);
                    }
                    None => {
                        let _ = write!(out, " {:>6}", "-");
                    }
                }
            }
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "  {}",
            explain::python::explain(w, c.explained_at, c.without_gil())
        );
    }
    out
}

/// CPython's start methods and pickling as `tvp python` prints them: one
/// line per start, one per payload size, then the sentences the costs page
/// writes from the same numbers.
pub fn python_starts_table(r: &StartsReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{} {}: start a process, get one answer (median of {}){}",
        r.implementation,
        r.python,
        r.repeat,
        if r.quick { " (quick)" } else { "" }
    );
    let or_nothing = |bytes: u64| {
        if bytes == 0 {
            "nothing".to_string()
        } else {
            words::bytes(bytes)
        }
    };
    for s in &r.starts {
        let _ = writeln!(
            out,
            "  {:<10} parent {:>8} touched, payload {:>7}: {}",
            s.method,
            or_nothing(s.parent_mib << 20),
            or_nothing(s.payload_bytes),
            words::secs_as_ms(s.median_s)
        );
    }
    let _ = writeln!(
        out,
        "Pool.apply round trips, the payload pickled both ways:"
    );
    for p in &r.pickling {
        let _ = writeln!(
            out,
            "  {:>8}: {}",
            words::bytes(p.bytes),
            words::ns(p.median_s * 1e9)
        );
    }
    let c = explain::starts::StartCosts::from_python(r);
    let rust = explain::starts::StartCosts::default();
    for line in explain::starts::explain_python(r, &c, &rust)
        .into_iter()
        .chain(explain::starts::explain_payload(&rust, Some(&c)))
    {
        let _ = writeln!(out, "  - {line}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_lists_each_host_with_its_ranks() {
        let hosts = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(placement(&hosts(&["h1", "h2"])), "h1[0] h2[1]");
        assert_eq!(
            placement(&hosts(&["a", "a", "a", "b", "b"])),
            "a[0-2] b[3-4]"
        );
        assert_eq!(placement(&hosts(&["a", "b", "a"])), "a[0,2] b[1]");
        assert_eq!(placement(&[]), "");
    }

    #[test]
    fn the_python_starts_table_lists_every_cell_and_its_sentences() {
        let r = StartsReport::parse(
            r#"{"schema": 1, "python": "3.11.7", "implementation": "CPython",
            "system": "Linux", "default_start_method": "fork", "start_methods": ["fork", "spawn"],
            "quick": true, "repeat": 2, "payload_bytes": 16777216,
            "starts": [
              {"method": "fork", "parent_mib": 0, "parent_rss_mib": 30.0, "payload_bytes": 0,
               "median_s": 0.002, "times_s": [0.002]},
              {"method": "spawn", "parent_mib": 256, "parent_rss_mib": 290.0,
               "payload_bytes": 16777216, "median_s": 0.2, "times_s": [0.2]}],
            "pickling": [{"bytes": 4096, "median_s": 0.0001, "times_s": [0.0001]}],
            "elapsed_s": 3.0}"#,
        )
        .unwrap();
        let table = python_starts_table(&r);
        for line in [
            "CPython 3.11.7: start a process, get one answer (median of 2) (quick)",
            "fork       parent  nothing touched, payload nothing: 2.00 ms",
            "spawn      parent  256 MiB touched, payload  16 MiB: 200 ms",
            "   4 KiB: 100 µs",
            "starts processes with fork by default",
        ] {
            assert!(table.contains(line), "missing {line:?} in\n{table}");
        }
    }
}
