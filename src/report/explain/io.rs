//! The IO section's explanations, written from the measured numbers: how far
//! each backend scaled past the cores, what stopped it, and what each worker
//! cost in memory. Pure functions: the report feeds them numbers, tests feed
//! them made-up ones.

use crate::backends::{self, Worker};
use crate::report::claim::{Claim, Expect, Unit, Value};
use crate::report::explain::words;
use crate::sweep::memory::{CellMemory, mb_per_worker, pss_mb_per_worker};

/// One backend's measurements: `(workers, value)` sorted by workers, and
/// each point's run-to-run spread when known.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub backend: String,
    pub points: Vec<(usize, f64)>,
    /// `(workers, spread)`: the spread as a share of the value (see
    /// [`crate::report::claim::Value::spread`]).
    pub spreads: Vec<(usize, f64)>,
}

impl Series {
    pub fn new(backend: &str, mut points: Vec<(usize, f64)>) -> Self {
        points.sort_by_key(|p| p.0);
        Series {
            backend: backend.to_string(),
            points,
            spreads: Vec::new(),
        }
    }

    pub fn with_spreads(mut self, spreads: Vec<(usize, f64)>) -> Self {
        self.spreads = spreads;
        self
    }

    /// The spread at `workers`, when known.
    pub fn spread(&self, workers: usize) -> Option<f64> {
        self.spreads.iter().find(|s| s.0 == workers).map(|s| s.1)
    }

    /// The value at `workers`.
    pub fn at(&self, workers: usize) -> Option<f64> {
        self.points.iter().find(|p| p.0 == workers).map(|p| p.1)
    }

    /// The value at the largest worker count.
    pub fn last(&self) -> Option<(usize, f64)> {
        self.points.last().copied()
    }

    /// The highest value and its worker count.
    pub fn max(&self) -> Option<(usize, f64)> {
        self.points
            .iter()
            .copied()
            .reduce(|a, b| if b.1 > a.1 { b } else { a })
    }
}

/// Speedups over sequential from times in seconds: `sequential / time`.
/// A speedup's spread is the time's plus the sequential run's
/// (`sequential_spread`), when the time's is known.
pub fn speedups(sequential_s: f64, times: &[Series]) -> Vec<Series> {
    speedups_with_spread(sequential_s, None, times)
}

/// [`speedups`], folding the sequential run's own spread into each point's.
pub fn speedups_with_spread(
    sequential_s: f64,
    sequential_spread: Option<f64>,
    times: &[Series],
) -> Vec<Series> {
    times
        .iter()
        .map(|s| {
            let points = s
                .points
                .iter()
                .map(|&(w, t)| (w, sequential_s / t))
                .collect();
            let spreads = s
                .spreads
                .iter()
                .map(|&(w, x)| (w, x + sequential_spread.unwrap_or(0.0)))
                .collect();
            Series::new(&s.backend, points).with_spreads(spreads)
        })
        .collect()
}

/// A speedup counts as "past the cores" above this multiple of the core
/// count; below it the work behaved like CPU work.
pub const PAST_CORES: f64 = 1.5;

/// The workers' curves of `speedups`: sequential and empty series left out.
fn parallel(speedups: &[Series]) -> Vec<&Series> {
    speedups
        .iter()
        .filter(|s| s.backend != "sequential" && !s.points.is_empty())
        .collect()
}

/// The best speedup of any backend: `(backend, workers, speedup)`.
fn best(curves: &[&Series]) -> Option<(String, usize, f64)> {
    curves
        .iter()
        .filter_map(|s| s.max().map(|(w, x)| (s.backend.clone(), w, x)))
        .reduce(|a, b| if b.2 > a.2 { b } else { a })
}

/// The paragraph under an IO workload's speedup chart: the speedups at the
/// most workers, how far the best went against the cores (said from the
/// numbers), and where a backend peaked and fell. `speedups` as from
/// [`speedups`]; the sequential backend, if present, is left out. The
/// comparisons with an expectation behind them are [`io_scaling_claims`].
/// `waits_only` as for [`io_scaling_claims`], whose claim then says how far
/// the best went.
pub fn explain_io_scaling(
    workload: &str,
    cores: usize,
    waits_only: bool,
    speedups: &[Series],
) -> String {
    let curves = parallel(speedups);
    let Some(top) = curves.iter().filter_map(|s| s.last()).map(|p| p.0).max() else {
        return format!("No measurements of `{workload}` yet: run `cargo bench --bench io`.");
    };
    let at_top: Vec<String> = curves
        .iter()
        .filter_map(|s| s.last().filter(|p| p.0 == top).map(|p| (s, p.1)))
        .map(|(s, x)| format!("{} {x:.1}x", s.backend))
        .collect();
    let mut text = format!(
        "At {top} workers on {cores} cores, {workload}'s speedups over sequential were: {}.",
        at_top.join(", ")
    );
    // A pure wait's best, and a best above its workers, are claims.
    if let Some((backend, workers, x)) = best(&curves).filter(|b| !waits_only && b.2 <= b.1 as f64)
    {
        let with = words::workers(workers);
        text += &if x > PAST_CORES * cores as f64 {
            format!(
                " The best, {backend}, reached {x:.1}x with {with}, past the {cores} cores: \
                 the workers spend their time waiting, and a waiting worker needs no core."
            )
        } else {
            format!(
                " The best, {backend}, reached only {x:.1}x (with {with}), near or below the \
                 {cores} cores: this work needs a core for each step (system calls, the \
                 kernel's copies, a server on the same cores), so it scales like CPU work."
            )
        };
    }
    for s in &curves {
        if let (Some((peak_w, peak)), Some((last_w, last))) = (s.max(), s.last()) {
            if last_w > peak_w && last < 0.8 * peak {
                text += &format!(
                    " {} peaked at {peak:.1}x with {} and fell to {last:.1}x at {last_w}{}.",
                    s.backend,
                    words::workers(peak_w),
                    if s.backend == "process" {
                        ": it spawns a process per chunk in every run, so each extra worker \
                         adds a spawn, and past the peak the spawns cost more than the extra \
                         workers save"
                    } else {
                        ": past that point, more workers add switching and contention, not \
                         overlap"
                    }
                );
            }
        }
    }
    text
}

/// The claims under an IO workload's speedup chart:
/// - on a workload of pure waits (`waits_only`, the sleeps of `latency`),
///   the best speedup goes past the cores, since a waiting worker needs
///   none;
/// - a speedup above its worker count, when one is, is checked against
///   that bound (the single worker lost time more workers took away);
/// - `gil` keeps up with `threads` at the most workers, as CPython's GIL
///   is released around a blocking call.
pub fn io_scaling_claims(
    workload: &str,
    cores: usize,
    waits_only: bool,
    quick: bool,
    speedups: &[Series],
) -> Vec<Claim> {
    let curves = parallel(speedups);
    let mut out = Vec::new();
    let quick = quick.then(|| "a run in quick mode (short runs on a busy machine)".to_string());
    if waits_only && let Some((backend, w, x)) = best(&curves) {
        let spread = curves
            .iter()
            .find(|s| s.backend == backend)
            .and_then(|s| s.spread(w));
        out.push(
            Claim::new(
                format!(
                    "work that only waits goes past the cores: {workload}'s best speedup above \
                     the core count"
                ),
                Expect::Ascending,
                vec![
                    Value::new(format!("{cores} cores"), cores as f64, Unit::Speedup),
                    Value::new(
                        format!("{backend} at {}", words::workers(w)),
                        x,
                        Unit::Speedup,
                    )
                    .with_spread(spread),
                ],
            )
            .because("a worker that waits needs no core, so the waits of many workers overlap")
            .reason(Some(
                "starting and waking many workers costs more than the waits they overlap \
                 (the item's wait is short)"
                    .into(),
            ))
            .reason(quick.clone()),
        );
    }
    let above = curves
        .iter()
        .flat_map(|s| s.points.iter().map(move |&(w, x)| (s, w, x)))
        // Only clearly above: a few percent over at one worker is noise.
        .filter(|&(_, w, x)| x > w as f64 * (1.0 + crate::report::claim::TOLERANCE))
        .max_by(|a, b| (a.2 / a.1 as f64).total_cmp(&(b.2 / b.1 as f64)));
    if let Some((s, w, x)) = above {
        out.push(
            Claim::new(
                format!("a speedup on {workload} is at most its worker count"),
                Expect::AtMost,
                vec![
                    Value::new(
                        format!("{} at {}", s.backend, words::workers(w)),
                        x,
                        Unit::Speedup,
                    )
                    .with_spread(s.spread(w)),
                    Value::new("the worker count", w as f64, Unit::Speedup),
                ],
            )
            .tolerance(0.0)
            .because("each worker does at most one sequential run's worth of work at a time")
            .reason(Some(
                "the sequential run lost time that more workers took away, such as a CPU going \
                 idle between waits and waking up late (costly on a virtual machine)"
                    .into(),
            ))
            .reason(quick.clone()),
        );
    }
    let top = curves.iter().filter_map(|s| s.last()).map(|p| p.0).max();
    let at_top = |name: &str| {
        let s = curves.iter().find(|s| s.backend == name)?;
        let (w, x) = s.last().filter(|p| Some(p.0) == top)?;
        Some(
            Value::new(format!("{name} at {}", words::workers(w)), x, Unit::Speedup)
                .with_spread(s.spread(w)),
        )
    };
    if let (Some(threads), Some(gil)) = (at_top("threads"), at_top("gil")) {
        out.push(
            Claim::new(
                format!("gil keeps up with threads on {workload}: about the same speedup"),
                Expect::Level,
                vec![threads, gil],
            )
            .tolerance(GIL_KEEPS_UP)
            .because(
                "the lock is released around each blocking call (a sleep, a file or socket \
                 operation), as CPython releases the GIL around IO",
            )
            .reason(Some(
                "the work between waits holds the lock, and with many threads they queue for it"
                    .into(),
            ))
            .reason(quick),
        );
    }
    out
}

/// How far below the threads' speedup `gil`'s may be and still "keep up":
/// the CPU work between waits holds the lock, so a little is expected.
pub const GIL_KEEPS_UP: f64 = 0.25;

/// Whether every cell has its PSS (measured with `detail`): then the chart,
/// the table and the sentences use PSS, the fair sum across processes;
/// otherwise summed peak RSS.
pub fn uses_pss(cells: &[CellMemory]) -> bool {
    !cells.is_empty() && cells.iter().all(|c| c.pss_kb().is_some())
}

/// A cell's memory in MB: PSS when `pss`, else summed peak RSS.
fn cell_mb(c: &CellMemory, pss: bool) -> f64 {
    match c.pss_kb().filter(|_| pss) {
        Some(kb) => kb as f64 / 1024.0,
        None => c.peak_mb(),
    }
}

/// Memory in MB against workers (PSS when [`uses_pss`], else peak RSS), one
/// series per backend (sequential left out): the memory-per-worker chart's
/// data.
pub fn memory_series(cells: &[CellMemory]) -> Vec<Series> {
    let pss = uses_pss(cells);
    // Backends in the order the cells name them first (the registry's).
    let mut names: Vec<&str> = Vec::new();
    for c in cells {
        if c.backend != "sequential" && !names.contains(&c.backend.as_str()) {
            names.push(&c.backend);
        }
    }
    names
        .into_iter()
        .map(|b| {
            let points = cells
                .iter()
                .filter(|c| c.backend == b)
                .map(|c| (c.workers, cell_mb(c, pss)))
                .collect();
            Series::new(b, points)
        })
        .collect()
}

/// Each backend's memory per worker at its largest worker count, in MB:
/// `(backend, workers, MB per worker)`, from PSS when [`uses_pss`].
pub fn memory_per_worker(cells: &[CellMemory]) -> Vec<(String, usize, f64)> {
    let slope = if uses_pss(cells) {
        pss_mb_per_worker
    } else {
        mb_per_worker
    };
    per_worker_by(cells, slope)
}

/// [`memory_per_worker`] from summed peak RSS, whatever the cells hold.
pub fn rss_per_worker(cells: &[CellMemory]) -> Vec<(String, usize, f64)> {
    per_worker_by(cells, mb_per_worker)
}

fn per_worker_by(
    cells: &[CellMemory],
    slope: fn(&CellMemory, &CellMemory) -> Option<f64>,
) -> Vec<(String, usize, f64)> {
    let mut out = Vec::new();
    for series in memory_series(cells) {
        let one = cells
            .iter()
            .find(|c| c.backend == series.backend && c.workers == 1);
        let top = cells
            .iter()
            .filter(|c| c.backend == series.backend)
            .max_by_key(|c| c.workers);
        if let Some((one, top)) = one.zip(top) {
            if let Some(mb) = slope(one, top) {
                out.push((series.backend.clone(), top.workers, mb));
            }
        }
    }
    out
}

/// The paragraph under the memory-per-worker chart: what each added worker
/// cost, per backend. The comparisons are [`memory_claims`].
pub fn explain_memory(cells: &[CellMemory]) -> String {
    let per = memory_per_worker(cells);
    if per.is_empty() {
        return "No memory measurements yet: run `cargo bench --bench io`.".into();
    }
    let each: Vec<String> = per
        .iter()
        .map(|(b, w, mb)| format!("{b} {} (from 1 to {w} workers)", words::megabytes(*mb)))
        .collect();
    if uses_pss(cells) {
        format!(
            "Memory of a whole run, parent plus children, as the kernel shares it out (PSS: \
             each shared page divided among the processes that map it), grew per added worker \
             by: {}.",
            each.join(", ")
        )
    } else {
        format!(
            "Peak resident memory of a whole run, parent plus children, grew per added worker \
             by: {}.",
            each.join(", ")
        )
    }
}

/// The claims under the memory-per-worker chart:
/// - a process costs more memory per added worker than a thread (the
///   means of the backends whose workers are each);
/// - with PSS measured, summing each process's RSS counts more per added
///   process than PSS does (the shared binary and libraries once per
///   child).
pub fn memory_claims(cells: &[CellMemory]) -> Vec<Claim> {
    let per = memory_per_worker(cells);
    let mut out = Vec::new();
    let mean = |worker: Worker| {
        let names = backends::with_worker(worker);
        let v: Vec<&(String, usize, f64)> = per
            .iter()
            .filter(|p| names.contains(&p.0.as_str()))
            .collect();
        let label = v.iter().map(|p| p.0.as_str()).collect::<Vec<_>>();
        (!v.is_empty()).then(|| {
            (
                words::and_list(&label),
                v.iter().map(|p| p.2).sum::<f64>() / v.len() as f64,
            )
        })
    };
    if let (Some((threads, thread)), Some((processes, process))) =
        (mean(Worker::Thread), mean(Worker::Process))
    {
        let what = if uses_pss(cells) {
            "PSS"
        } else {
            "summed peak RSS"
        };
        out.push(
            Claim::new(
                "a process costs more memory per added worker than a thread",
                Expect::Ascending,
                vec![
                    Value::new(
                        format!("a thread ({threads}, {what})"),
                        thread * 1024.0,
                        Unit::Kilobytes,
                    ),
                    Value::new(
                        format!("a process ({processes})"),
                        process * 1024.0,
                        Unit::Kilobytes,
                    ),
                ],
            )
            .tolerance(MEMORY_NOISE)
            .because(
                "a thread costs the stack pages it touched and a little bookkeeping; a process \
                 is a whole program, with its own heap, its own copy of the binary's writable \
                 data and the C library's state",
            )
            .reason(Some(
                "a slope over few workers is within the noise of a process's own size, which \
                 moves by a few hundred kB from run to run"
                    .into(),
            )),
        );
    }
    if uses_pss(cells) {
        let rss = rss_per_worker(cells);
        let process = backends::with_worker(Worker::Process);
        for (b, w, fair) in per.iter().filter(|p| process.contains(&p.0.as_str())) {
            let Some((_, _, summed)) = rss.iter().find(|r| &r.0 == b) else {
                continue;
            };
            out.push(
                Claim::new(
                    format!("summing each process's RSS counts more per added {b} worker than PSS"),
                    Expect::Ascending,
                    vec![
                        Value::new(
                            format!("{b} PSS per worker (1 to {w})"),
                            fair * 1024.0,
                            Unit::Kilobytes,
                        ),
                        Value::new("summed RSS", summed * 1024.0, Unit::Kilobytes),
                    ],
                )
                .tolerance(MEMORY_NOISE)
                .because(
                    "RSS counts the shared binary and libraries once per child; PSS divides \
                     each shared page among the processes that map it",
                )
                .reason(Some(
                    "the children share little with each other (a static binary with few \
                     shared pages)"
                        .into(),
                )),
            );
        }
    }
    out
}

/// A difference in memory per worker below this share counts as none: a
/// process's own size moves by a few hundred kB from run to run.
pub const MEMORY_NOISE: f64 = 0.1;

#[cfg(test)]
mod tests {
    use super::*;

    fn s(backend: &str, points: &[(usize, f64)]) -> Series {
        Series::new(backend, points.to_vec())
    }

    fn pss_cell(backend: &str, workers: usize, rss_kb: u64, pss_kb: Option<u64>) -> CellMemory {
        let mut c = CellMemory::with_peak(backend, workers, rss_kb);
        c.detail = pss_kb.map(|pss_kb| crate::sweep::memory::Detail {
            peak: crate::sweep::smaps::Usage {
                rss_kb,
                pss_kb,
                ..Default::default()
            },
            parent: Default::default(),
            max_threads: 0,
            max_children: 0,
            stack_kb: 0,
            stacks: None,
            kernel_kb: None,
            samples: 1,
        });
        c
    }

    #[test]
    fn memory_per_worker_uses_pss_when_every_cell_has_it() {
        // A process child: 4 MB of RSS, of which 3 MB shared with the others.
        let with = [
            pss_cell("threads", 1, 4096, Some(4096)),
            pss_cell("threads", 5, 4096 + 4 * 64, Some(4096 + 4 * 64)),
            pss_cell("process", 1, 8192, Some(5120)),
            pss_cell("process", 5, 8192 + 4 * 4096, Some(5120 + 4 * 1024)),
        ];
        assert!(uses_pss(&with));
        let per = memory_per_worker(&with);
        assert_eq!(per[1], ("process".to_string(), 5, 1.0));
        let text = explain_memory(&with);
        assert!(text.contains("(PSS:"), "{text}");
        assert!(text.contains("process 1.0 MB"), "{text}");
        let claims = memory_claims(&with);
        let rss = claims.last().unwrap();
        assert_eq!(rss.outcome(), Outcome::Agrees);
        assert!(
            rss.sentence()
                .contains("process PSS per worker (1 to 5) 1.0 MB and summed RSS 4.0 MB"),
            "{}",
            rss.sentence()
        );
        // Reversed: PSS above the summed RSS.
        let mut odd = with.clone();
        odd[3] = pss_cell("process", 5, 8192 + 4 * 1024, Some(5120 + 4 * 4096));
        let claims = memory_claims(&odd);
        assert_eq!(claims.last().unwrap().outcome(), Outcome::Contradicts);
        // One cell without it: summed RSS throughout, and no PSS named.
        let mut without = with.clone();
        without[0].detail = None;
        assert!(!uses_pss(&without));
        assert_eq!(memory_per_worker(&without)[1].2, 4.0);
        let text = explain_memory(&without);
        assert!(
            text.starts_with("Peak resident memory") && !text.contains("PSS"),
            "{text}"
        );
        assert!(
            memory_claims(&without)
                .iter()
                .all(|c| !c.expected.contains("PSS"))
        );
    }

    use crate::report::claim::Outcome;

    #[test]
    fn latency_like_numbers_go_past_the_cores_and_blame_the_spawns() {
        let times = [
            s("threads", &[(1, 0.128), (8, 0.016), (64, 0.0025)]),
            s("gil", &[(1, 0.130), (8, 0.017), (64, 0.0030)]),
            s("process", &[(1, 0.130), (8, 0.020), (64, 0.100)]),
        ];
        let ups = speedups(0.128, &times);
        let text = explain_io_scaling("latency", 2, true, &ups);
        assert!(text.contains("At 64 workers on 2 cores"), "{text}");
        assert!(text.contains("threads 51.2x"), "{text}");
        // The claim says how far the best went, not the paragraph.
        assert!(!text.contains("The best"), "{text}");
        assert!(
            text.contains("process peaked at 6.4x with 8 workers"),
            "{text}"
        );
        assert!(text.contains("spawns"), "{text}");
        let claims = io_scaling_claims("latency", 2, true, false, &ups);
        let past = &claims[0];
        assert_eq!(past.outcome(), Outcome::Agrees);
        assert!(
            past.sentence()
                .contains("2 cores 2.00x and threads at 64 workers 51.20x"),
            "{}",
            past.sentence()
        );
        let gil = claims.last().unwrap();
        assert!(gil.expected.starts_with("gil keeps up"), "{gil:?}");
        // gil 42.7x against threads 51.2x: within the quarter it may lose.
        assert_eq!(gil.outcome(), Outcome::Agrees, "{}", gil.sentence());
        for c in &claims {
            c.check(&c.sentence()).unwrap();
        }
        // Reversed: the many workers slower than sequential.
        let slow = [s("threads", &[(1, 0.128), (64, 0.500)])];
        let claims = io_scaling_claims("latency", 2, true, true, &speedups(0.128, &slow));
        assert_eq!(claims[0].outcome(), Outcome::Contradicts);
        assert!(
            claims[0].sentence().contains("quick mode"),
            "{}",
            claims[0].sentence()
        );
        // A process that does not fall is not said to.
        let flat = [s("process", &[(1, 0.130), (8, 0.020), (64, 0.019)])];
        let text = explain_io_scaling("latency", 2, true, &speedups(0.128, &flat));
        assert!(!text.contains("peaked"), "{text}");
    }

    #[test]
    fn a_speedup_beyond_the_worker_count_is_checked_against_it() {
        // tcp on the 2-core VM at 16:02 UTC: 76 ms alone, 5 ms with 2 clients.
        let times = [s("threads", &[(1, 0.129), (2, 0.005), (64, 0.022)])];
        let ups = speedups(0.076, &times);
        let text = explain_io_scaling("tcp", 2, false, &ups);
        assert!(!text.contains("The best"), "{text}");
        let claims = io_scaling_claims("latency", 2, false, false, &ups);
        let bound = &claims[0];
        assert_eq!(bound.expect, Expect::AtMost);
        assert_eq!(bound.outcome(), Outcome::Contradicts);
        let sentence = bound.sentence();
        assert!(
            sentence.contains("threads at 2 workers 15.20x"),
            "{sentence}"
        );
        assert!(sentence.contains("waking up late"), "{sentence}");
        bound.check(&sentence).unwrap();
        // Within the bound: no claim about it.
        let times = [s("threads", &[(1, 0.080), (2, 0.040)])];
        assert!(io_scaling_claims("latency", 2, false, false, &speedups(0.076, &times)).is_empty());
    }

    #[test]
    fn cpu_like_numbers_say_it_needs_a_core_and_gil_falls_behind() {
        let times = [
            s("threads", &[(1, 0.040), (2, 0.030), (64, 0.035)]),
            s("gil", &[(1, 0.040), (2, 0.060), (64, 0.080)]),
        ];
        let ups = speedups(0.040, &times);
        let text = explain_io_scaling("files", 2, false, &ups);
        assert!(
            text.contains("reached only 1.3x (with 2 workers)"),
            "{text}"
        );
        assert!(text.contains("needs a core"), "{text}");
        let text = explain_io_scaling("files", 1, false, &ups);
        assert!(!text.contains("past the 1 cores"), "{text}");
        let claims = io_scaling_claims("latency", 2, false, false, &ups);
        assert_eq!(claims.len(), 1, "{claims:?}");
        assert_eq!(claims[0].outcome(), Outcome::Contradicts);
        let sentence = claims[0].sentence();
        assert!(
            sentence.contains("threads at 64 workers 1.14x and gil at 64 workers 0.50x"),
            "{sentence}"
        );
        assert!(sentence.contains("queue for it"), "{sentence}");
        // Spreads widen the noise: the same gap is then within it.
        let spread: Vec<Series> = ups
            .iter()
            .map(|x| x.clone().with_spreads(vec![(64, 0.5)]))
            .collect();
        let claims = io_scaling_claims("latency", 2, false, false, &spread);
        assert_eq!(claims[0].outcome(), Outcome::Agrees);
    }

    #[test]
    fn no_numbers_say_what_to_run() {
        assert!(explain_io_scaling("tcp", 2, false, &[]).contains("cargo bench"));
        assert!(explain_memory(&[]).contains("cargo bench"));
        assert!(io_scaling_claims("latency", 2, true, false, &[]).is_empty());
        assert!(memory_claims(&[]).is_empty());
    }

    fn cell(backend: &str, workers: usize, peak_kb: u64) -> CellMemory {
        CellMemory::with_peak(backend, workers, peak_kb)
    }

    #[test]
    fn memory_is_explained_per_worker() {
        let cells = [
            cell("sequential", 1, 3200),
            cell("threads", 1, 3200),
            cell("threads", 64, 3200 + 63 * 8),
            cell("pool", 1, 6400),
            cell("pool", 64, 6400 + 63 * 3072),
        ];
        assert_eq!(
            memory_per_worker(&cells),
            vec![
                ("threads".into(), 64, 8.0 / 1024.0),
                ("pool".into(), 64, 3.0)
            ]
        );
        let text = explain_memory(&cells);
        assert!(
            text.contains("threads 8 kB (from 1 to 64 workers)"),
            "{text}"
        );
        assert!(text.contains("pool 3.0 MB"), "{text}");
        let claims = memory_claims(&cells);
        assert_eq!(claims.len(), 1);
        assert_eq!(claims[0].outcome(), Outcome::Agrees);
        let sentence = claims[0].sentence();
        assert!(
            sentence.contains(
                "a thread (threads, summed peak RSS) 8.00 kB and a process (pool) 3.0 MB"
            ),
            "{sentence}"
        );
        claims[0].check(&sentence).unwrap();
        // Reversed: threads grew more than processes.
        let reversed = [
            cell("threads", 1, 3200),
            cell("threads", 64, 3200 + 63 * 3072),
            cell("pool", 1, 6400),
            cell("pool", 64, 6400 + 63 * 8),
        ];
        let claims = memory_claims(&reversed);
        assert_eq!(claims[0].outcome(), Outcome::Contradicts);
        assert!(
            claims[0]
                .sentence()
                .starts_with("Expected that a process costs more")
        );
        let series = memory_series(&cells);
        assert_eq!(series.len(), 2);
        assert_eq!(
            series[0].points,
            vec![(1, 3200.0 / 1024.0), (64, 3704.0 / 1024.0)]
        );
    }
}
