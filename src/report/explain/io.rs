//! The IO section's explanations, written from the measured numbers: how far
//! each backend scaled past the cores, what stopped it, and what each worker
//! cost in memory. Pure functions: the report feeds them numbers, tests feed
//! them made-up ones.

use crate::backends::{self, Worker};
use crate::report::explain::words;
use crate::sweep::memory::{CellMemory, mb_per_worker, pss_mb_per_worker};

/// One backend's measurements: `(workers, value)` sorted by workers.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub backend: String,
    pub points: Vec<(usize, f64)>,
}

impl Series {
    pub fn new(backend: &str, mut points: Vec<(usize, f64)>) -> Self {
        points.sort_by_key(|p| p.0);
        Series {
            backend: backend.to_string(),
            points,
        }
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
pub fn speedups(sequential_s: f64, times: &[Series]) -> Vec<Series> {
    times
        .iter()
        .map(|s| {
            let points = s
                .points
                .iter()
                .map(|&(w, t)| (w, sequential_s / t))
                .collect();
            Series::new(&s.backend, points)
        })
        .collect()
}

/// A speedup counts as "past the cores" above this multiple of the core
/// count; below it the work behaved like CPU work.
pub const PAST_CORES: f64 = 1.5;

/// A speedup above this multiple of its worker count is superlinear: the
/// sequential run was slowed by something other than the work.
pub const SUPERLINEAR: f64 = 1.25;

/// The paragraph under an IO workload's speedup chart. `speedups` as from
/// [`speedups`]; the sequential backend, if present, is left out.
pub fn explain_io_scaling(workload: &str, cores: usize, speedups: &[Series]) -> String {
    let curves: Vec<&Series> = speedups
        .iter()
        .filter(|s| s.backend != "sequential" && !s.points.is_empty())
        .collect();
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
    let best = curves
        .iter()
        .filter_map(|s| s.max().map(|m| (s.backend.as_str(), m)))
        .reduce(|a, b| if b.1.1 > a.1.1 { b } else { a });
    if let Some((backend, (workers, x))) = best {
        if x > SUPERLINEAR * workers as f64 {
            text += &format!(
                " The best, {backend}, reached {x:.1}x with {}: more than one sequential \
                 run's worth per worker, so the single worker lost time that more workers took \
                 away, such as a CPU going idle between messages and waking up late. Figures \
                 like this swing from run to run: measure again before relying on them.",
                words::workers(workers)
            );
        } else if x > PAST_CORES * cores as f64 {
            text += &format!(
                " The best, {backend}, reached {x:.1}x with {}, far past the \
                 {cores} cores: the workers spend their time waiting, and a waiting worker \
                 needs no core.",
                words::workers(workers)
            );
        } else {
            text += &format!(
                " The best, {backend}, reached only {x:.1}x (with {}), near or \
                 below the {cores} cores: this work needs a core for each step (system calls, \
                 the kernel's copies, a server on the same cores), so it scales like CPU work.",
                words::workers(workers)
            );
        }
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
    let last_of = |name: &str| {
        curves
            .iter()
            .find(|s| s.backend == name)
            .and_then(|s| s.last())
            .filter(|p| p.0 == top)
            .map(|p| p.1)
    };
    if let (Some(gil), Some(threads)) = (last_of("gil"), last_of("threads")) {
        if gil >= 0.75 * threads {
            text += &format!(
                " The GIL model reached {:.0}% of the threads' speedup: the lock is released \
                 around each blocking call (a sleep, a file or socket operation), as CPython \
                 releases it around IO.",
                100.0 * gil / threads
            );
        } else {
            text += &format!(
                " The GIL model kept only {:.0}% of the threads' speedup: the work between \
                 waits holds the lock, and {top} threads queue for it.",
                100.0 * gil / threads
            );
        }
    }
    text
}

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

/// "8 kB" below 1 MB, "3.1 MB" above.
/// The paragraph under the memory-per-worker chart.
pub fn explain_memory(cells: &[CellMemory]) -> String {
    let per = memory_per_worker(cells);
    if per.is_empty() {
        return "No memory measurements yet: run `cargo bench --bench io`.".into();
    }
    let each: Vec<String> = per
        .iter()
        .map(|(b, w, mb)| format!("{b} {} (from 1 to {w} workers)", words::megabytes(*mb)))
        .collect();
    let pss = uses_pss(cells);
    let mut text = if pss {
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
    };
    if pss {
        // Summed RSS counts the binary and libraries once per child: say by
        // how much it overstates a process.
        let rss = rss_per_worker(cells);
        let process = backends::with_worker(Worker::Process);
        let over: Vec<String> = per
            .iter()
            .filter(|p| process.contains(&p.0.as_str()))
            .filter_map(|(b, _, fair)| {
                let (_, _, summed) = rss.iter().find(|r| &r.0 == b)?;
                Some(format!(
                    "{b} {} against {} in PSS",
                    words::megabytes(*summed),
                    words::megabytes(*fair)
                ))
            })
            .collect();
        if !over.is_empty() {
            text += &format!(
                " Summing each process's peak RSS instead counts the shared binary and \
                 libraries once per child: {} per added worker.",
                over.join(", ")
            );
        }
    }
    let mean = |worker: Worker| {
        let names = backends::with_worker(worker);
        let v: Vec<f64> = per
            .iter()
            .filter(|p| names.contains(&p.0.as_str()))
            .map(|p| p.2)
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    if let (Some(thread), Some(process)) = (mean(Worker::Thread), mean(Worker::Process)) {
        text += &format!(
            " A thread costs its stack pages that were touched and a little bookkeeping \
             ({} on average here); a process is a whole program, with its own heap, its own \
             copy of the binary's writable data and the C library's state ({} each)",
            words::megabytes(thread),
            words::megabytes(process)
        );
        if thread > 0.0 {
            text += &format!(", {:.0} times as much.", process / thread);
        } else {
            text += ".";
        }
    }
    text
}

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
        assert!(
            text.contains("process 4.0 MB against 1.0 MB in PSS"),
            "{text}"
        );
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
    }

    #[test]
    fn latency_like_numbers_say_past_the_cores_and_blame_the_spawns() {
        let times = [
            s("threads", &[(1, 0.128), (8, 0.016), (64, 0.0025)]),
            s("gil", &[(1, 0.130), (8, 0.017), (64, 0.0030)]),
            s("process", &[(1, 0.130), (8, 0.020), (64, 0.100)]),
        ];
        let text = explain_io_scaling("latency", 2, &speedups(0.128, &times));
        assert!(text.contains("At 64 workers on 2 cores"), "{text}");
        assert!(text.contains("threads 51.2x"), "{text}");
        assert!(text.contains("far past the 2 cores"), "{text}");
        assert!(
            text.contains("process peaked at 6.4x with 8 workers"),
            "{text}"
        );
        assert!(text.contains("spawns"), "{text}");
        assert!(text.contains("reached 83%"), "{text}");
    }

    #[test]
    fn a_speedup_beyond_the_worker_count_is_called_superlinear_not_waiting() {
        // tcp on the 2-core VM at 16:02 UTC: 76 ms alone, 5 ms with 2 clients.
        let times = [s("threads", &[(1, 0.129), (2, 0.005), (64, 0.022)])];
        let text = explain_io_scaling("tcp", 2, &speedups(0.076, &times));
        assert!(text.contains("reached 15.2x with 2 workers"), "{text}");
        assert!(
            text.contains("more than one sequential run's worth per worker"),
            "{text}"
        );
        assert!(!text.contains("far past"), "{text}");
    }

    #[test]
    fn cpu_like_numbers_say_it_needs_a_core() {
        let times = [
            s("threads", &[(1, 0.040), (2, 0.030), (64, 0.035)]),
            s("gil", &[(1, 0.040), (2, 0.060), (64, 0.080)]),
        ];
        let text = explain_io_scaling("files", 2, &speedups(0.040, &times));
        assert!(
            text.contains("reached only 1.3x (with 2 workers)"),
            "{text}"
        );
        assert!(text.contains("needs a core"), "{text}");
        assert!(text.contains("kept only 44%"), "{text}");
    }

    #[test]
    fn no_numbers_say_what_to_run() {
        assert!(explain_io_scaling("tcp", 2, &[]).contains("cargo bench"));
        assert!(explain_memory(&[]).contains("cargo bench"));
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
        assert!(text.contains("384 times as much"), "{text}");
        let series = memory_series(&cells);
        assert_eq!(series.len(), 2);
        assert_eq!(
            series[0].points,
            vec![(1, 3200.0 / 1024.0), (64, 3704.0 / 1024.0)]
        );
    }
}
