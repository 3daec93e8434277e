//! Sentences written from the measured numbers, for the table, the JSON and
//! the report. Pure functions of a [`WorkloadComparison`].

use crate::python::compare::WorkloadComparison;
use crate::report::claim::{Claim, Expect, Unit, Value};
use crate::report::explain::words;

/// A speedup at least this large counts as "sped up"; below it, noise and
/// overheads can explain the difference from 1x.
pub const SPED_UP: f64 = 1.3;

/// Rust processes this far behind Rust threads are said to lag.
const LAG: f64 = 0.75;

/// Below this much sequential work, overheads can explain a missing speedup:
/// handing tasks to Python worker processes, starting Rust threads (tens of
/// microseconds each) and starting Rust child processes (about a millisecond
/// each). Above it, a missing speedup means the cores were busy.
const SMALL_FOR_PYTHON_PROCESSES: f64 = 0.05;
const SMALL_FOR_RUST_THREADS: f64 = 0.005;
const SMALL_FOR_RUST_PROCESSES: f64 = 0.05;

/// The cause named when a backend that should speed up did not and the
/// work was not tiny; rerun on a quiet machine.
const BUSY_CAUSE: &str = "cores busy with other programs";

/// An event loop this far below threads' speedup is said to trail them.
const TRAILS: f64 = 0.75;

/// The sentence on asyncio (and Rust's `async`) beside Python threads, for a
/// workload that waits, at `at` tasks.
fn explain_asyncio(
    asyncio: Option<f64>,
    threads: Option<f64>,
    rust_async: Option<f64>,
    at: usize,
) -> String {
    let Some(asyncio) = asyncio else {
        return String::new();
    };
    let mut out = format!(
        " On one thread, an asyncio event loop with {at} tasks reached {}",
        words::speedup(Some(asyncio))
    );
    if let Some(rust) = rust_async {
        out += &format!(
            " (Rust's `async`, tokio on one thread: {})",
            words::speedup(Some(rust))
        );
    }
    match threads {
        Some(t) if asyncio >= TRAILS * t => {
            out += &format!(
                ", as far as {at} threads ({}): the loop overlaps the waits without a thread \
                 per wait.",
                words::speedup(Some(t))
            );
        }
        Some(t) => {
            out += &format!(
                ", behind {at} threads ({}): expected about the same, since both overlap the \
                 waits; the loop's own work per wait (a pass through the selector for every \
                 read) is in CPython's bytecode, under the same GIL as the rest.",
                words::speedup(Some(t))
            );
        }
        None => out.push('.'),
    }
    out
}

/// Where the CPython docs give the free-threaded build's single-threaded
/// cost, and what they say, quoted.
pub const FREE_THREADED_SOURCE: &str = "What's New In Python 3.14 (docs.python.org/3/whatsnew/3.14.html), \
     Free-threaded mode improvements";
pub const FREE_THREADED_COST: &str = "The performance penalty on single-threaded code in \
     free-threaded mode is now roughly 5-10%, depending on the platform and C compiler used.";

/// The sentence on the interpreter measured: a free-threaded build whose
/// threads ran without the GIL, one that kept the GIL, or a GIL build, with
/// the free-threaded build's cost from the CPython docs.
pub fn explain_interpreter(python: &str, free_threaded: bool, gil_enabled: Option<bool>) -> String {
    match (free_threaded, gil_enabled) {
        (true, Some(false)) => format!(
            "{python} is a free-threaded build and ran without the GIL \
             (sys._is_gil_enabled() was False): its threads lines are labelled free-threaded, \
             and on CPU work they may speed up with the cores as Rust threads do. The CPython \
             docs put the price on one thread at: \"{FREE_THREADED_COST}\" ({FREE_THREADED_SOURCE})."
        ),
        (true, _) => format!(
            "{python} is a free-threaded build, but the GIL was on (PYTHON_GIL=1, or an \
             extension that needs it): its threads behave as under a GIL build."
        ),
        (false, _) => format!(
            "{python} is a build with the GIL{}. CPython 3.13 and later also ship a \
             free-threaded build (python3.13t, python3.14t; point TVP_PYTHON at one to measure \
             it here), whose threads run Python code in parallel. Its price on one thread, in \
             the CPython docs' words: \"{FREE_THREADED_COST}\" ({FREE_THREADED_SOURCE}).",
            match gil_enabled {
                Some(true) => " (sys._is_gil_enabled() was True)",
                _ => "",
            }
        ),
    }
}

/// What the numbers of `w` at `at` workers say, in a few sentences: the
/// sentences of [`explain_parts`] and then its claims', for the terminal.
/// `without_gil`: the interpreter ran its threads without a GIL.
pub fn explain(w: &WorkloadComparison, at: usize, without_gil: bool) -> String {
    let (sentences, claims) = explain_parts(w, at, without_gil);
    let mut out = sentences;
    out.extend(claims.iter().map(Claim::sentence));
    out.join(" ")
}

/// The best of Python's two process pools at `at` workers, with its label.
fn python_processes(w: &WorkloadComparison, at: usize) -> Option<(String, f64)> {
    [
        ("multiprocessing.Pool", w.speedup("python-pool", at)),
        ("ProcessPoolExecutor", w.speedup("python-executor", at)),
    ]
    .into_iter()
    .filter_map(|(pool, s)| {
        Some((
            format!("Python processes ({pool}) at {}", words::workers(at)),
            s?,
        ))
    })
    .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// The claims of `w` at `at` workers: on CPU work, Python threads at
/// sequential speed (or, `without_gil`, faster), Python processes ahead of
/// Python threads, Rust threads ahead of the Rust gil model; on waiting
/// work, Python threads as far as processes. Each names only the reasons
/// the data supports.
pub fn claims(w: &WorkloadComparison, at: usize, without_gil: bool) -> Vec<Claim> {
    let mut out = Vec::new();
    if at < 2 {
        return out;
    }
    let s = |backend: &str| w.speedup(backend, at);
    let threads_label = format!("Python threads at {}", words::workers(at));
    let sequential = Value::new("sequential", 1.0, Unit::Speedup);
    let threads = s("python-threads");
    let processes = python_processes(w, at);
    if w.kind == "io" {
        if let (Some(t), Some((label, p))) = (threads, processes) {
            out.push(
                // At least as well: processes add a start and pipes to
                // the same overlapped waits, so threads ahead of them is
                // the expectation met, not a surprise (tcp on the 2-core VM:
                // threads 2.99x, ProcessPoolExecutor 1.91x).
                Claim::new(
                    "Python threads overlap waits at least as well as Python processes do",
                    Expect::AtMost,
                    vec![
                        Value::new(label, p, Unit::Speedup),
                        Value::new(threads_label, t, Unit::Speedup),
                    ],
                )
                .tolerance(LEVEL)
                .because(
                    "waiting releases the GIL, so threads overlap the waits without starting a \
                     second interpreter",
                ),
            );
        }
        return out;
    }
    // A one-worker cell well above sequential: the sequential run was slowed.
    let slowed = |backend: &str, name: &str| {
        w.speedup(backend, 1)
            .filter(|&one| one >= SPED_UP)
            .map(|one| {
                format!(
                    "a sequential run that was slowed: {name} with one worker, the same work, \
                     already ran at {} of its speed",
                    words::speedup(Some(one))
                )
            })
    };
    if let Some(t) = threads {
        let threads_value = Value::new(threads_label.clone(), t, Unit::Speedup);
        out.push(
            if without_gil {
                Claim::new(
                    "without the GIL, Python threads speed up CPU work",
                    Expect::Ascending,
                    vec![sequential.clone(), threads_value],
                )
                .because("a free-threaded interpreter runs each thread's bytecode on its own core")
                .reason(
                    (w.python_sequential_s < SMALL_FOR_PYTHON_PROCESSES).then(|| {
                        format!(
                            "one run was only {} of work, close to the cost of starting threads",
                            words::secs_as_ms(w.python_sequential_s)
                        )
                    }),
                )
            } else {
                Claim::new(
                    "Python threads stay at sequential speed on CPU work",
                    Expect::AtMost,
                    vec![threads_value, sequential.clone()],
                )
                .because("the GIL lets one thread run bytecode at a time")
                .reason(slowed("python-threads", "Python threads"))
            }
            .tolerance(SPED_UP - 1.0),
        );
    }
    if let (Some(t), Some((label, p)), false) = (threads, processes, without_gil) {
        out.push(
            Claim::new(
                "Python processes finish CPU work before Python threads",
                Expect::Descending,
                vec![
                    Value::new(label, p, Unit::Speedup),
                    Value::new(threads_label, t, Unit::Speedup),
                ],
            )
            .tolerance(RANKED)
            .because(
                "each Python process has its own interpreter and GIL, so processes run in parallel",
            )
            .reason(if w.python_sequential_s < SMALL_FOR_PYTHON_PROCESSES {
                Some(format!(
                    "one run was only {} of work, close to the cost of handing tasks to \
                     worker processes",
                    words::secs_as_ms(w.python_sequential_s)
                ))
            } else {
                (p < SPED_UP).then(|| format!("{BUSY_CAUSE}: Python processes did not speed up"))
            }),
        );
    }
    if let (Some(rt), Some(g), Some(rust_seq)) = (s("threads"), s("gil"), w.rust_sequential_s) {
        out.push(
            Claim::new(
                "Rust threads finish CPU work before the Rust gil model",
                Expect::Descending,
                vec![
                    Value::new(
                        format!("Rust threads at {}", words::workers(at)),
                        rt,
                        Unit::Speedup,
                    ),
                    Value::new("the Rust gil model", g, Unit::Speedup),
                ],
            )
            .tolerance(RANKED)
            .because("the gil model lets one thread compute at a time, as the GIL does; Rust threads need no such lock")
            .reason(if rust_seq < SMALL_FOR_RUST_THREADS {
                Some(format!(
                    "one Rust run is only {} of work at this size, so starting threads takes a \
                     visible share",
                    words::secs_as_ms(rust_seq)
                ))
            } else {
                (rt < SPED_UP).then(|| format!("{BUSY_CAUSE}: Rust threads did not speed up here"))
            }),
        );
    }
    out
}

/// Two speedups closer than this share are "as far as" each other.
const LEVEL: f64 = 0.15;

/// Two speedups closer than this share rank neither way.
const RANKED: f64 = 0.1;

/// The sentences of `w` at `at` workers that are numbers or mechanisms,
/// and the comparing ones as [`claims`].
pub fn explain_parts(
    w: &WorkloadComparison,
    at: usize,
    without_gil: bool,
) -> (Vec<String>, Vec<Claim>) {
    let s = |backend: &str| w.speedup(backend, at);
    let threads = s("python-threads");
    let has_rust = w.rust_sequential_s.is_some();
    let mut out = format!(
        "At {at} workers, Python threads reached {}; Python processes {} \
         (multiprocessing.Pool) and {} (ProcessPoolExecutor)",
        words::speedup(threads),
        words::speedup(s("python-pool")),
        words::speedup(s("python-executor")),
    );
    if has_rust {
        out += &format!(
            "; Rust threads {}, Rust processes {}, the Rust process pool {}, the Rust gil model {}.",
            words::speedup(s("threads")),
            words::speedup(s("process")),
            words::speedup(s("pool")),
            words::speedup(s("gil")),
        );
    } else {
        out += &format!(
            ". This build of tvp has no `{}` workload, so there is no Rust side.",
            w.workload
        );
    }
    let claims = claims(w, at, without_gil);
    let sped_up = |v: Option<f64>| v.is_some_and(|v| v >= SPED_UP);
    if at < 2 {
        out += " This process may use only one core, so nothing runs in parallel: more \
                workers only add overhead (or overlap waits).";
        return (vec![out], claims);
    }
    if w.kind == "io" {
        if has_rust && sped_up(s("gil")) {
            out += " The Rust gil model overlaps the waits too: it releases its lock around \
                    each wait, as CPython does.";
        }
        out += &explain_asyncio(s("python-asyncio"), threads, s("async"), at);
        return (vec![out], claims);
    }
    if let Some(rust_seq) = w.rust_sequential_s {
        // The sizes differ and cost per item is not constant (primes grow
        // with the number, mandelbrot's items are rows of the grid), so no
        // ratio: both sequential runs, each with its size.
        let rust_size = w.rust_size.unwrap_or(w.size);
        out += &format!(
            " Sequential runs: CPython {} for {} items, Rust {} for {} items.",
            words::secs_as_ms(w.python_sequential_s),
            w.size,
            words::secs_as_ms(rust_seq),
            rust_size,
        );
        // A Rust side that did not speed up is a reason in the Rust claim.
        if sped_up(s("threads"))
            && let (Some(rt), Some(rp)) = (s("threads"), s("process"))
            && rp < LAG * rt
            && rust_seq < SMALL_FOR_RUST_PROCESSES
        {
            out += &format!(
                " Rust processes lag Rust threads because they start a child per chunk on every \
                 run, and one run is only {} of work.",
                words::secs_as_ms(rust_seq)
            );
        }
    }
    (vec![out], claims)
}

/// Why CPython ran smaller sizes, from the data: its sequential time per
/// item over Rust's, per workload (each at its own size).
pub fn per_item(workloads: &[WorkloadComparison]) -> String {
    let ratios: Vec<String> = workloads
        .iter()
        // Waits (io) take as long in any language: only CPU work has a ratio.
        .filter(|w| w.kind == "cpu")
        .filter_map(|w| {
            let rust = w.rust_sequential_s?;
            let rust_size = w.rust_size.unwrap_or(w.size) as f64;
            if rust <= 0.0 || w.size == 0 || rust_size == 0.0 {
                return None;
            }
            let ratio = (w.python_sequential_s / w.size as f64) / (rust / rust_size);
            Some(format!("{} {}", w.workload, words::ratio(ratio)))
        })
        .collect();
    if ratios.is_empty() {
        return "CPython ran smaller sizes than Rust: compare speedups, not times.".into();
    }
    let refs: Vec<&str> = ratios.iter().map(String::as_str).collect();
    format!(
        "Per item, CPython's sequential loop took this many times Rust's: {} (each at its own \
         size; where items grow costlier with the size, as primes' do, the ratio is rough). So \
         the script runs CPython at smaller sizes: compare speedups, not times.",
        words::and_list(&refs)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interpreter_is_named_free_threaded_or_not_with_the_docs_cost() {
        let gil = explain_interpreter("CPython 3.11.7", false, None);
        assert!(
            gil.contains("a build with the GIL. CPython 3.13 and later"),
            "{gil}"
        );
        assert!(
            gil.contains("roughly 5-10%") && gil.contains("What's New In Python 3.14"),
            "{gil}"
        );
        let on = explain_interpreter("CPython 3.13.1", false, Some(true));
        assert!(on.contains("sys._is_gil_enabled() was True"), "{on}");
        let free = explain_interpreter("CPython 3.14.0 (free-threaded)", true, Some(false));
        assert!(
            free.contains("ran without the GIL") && free.contains("labelled free-threaded"),
            "{free}"
        );
        let kept = explain_interpreter("CPython 3.14.0", true, Some(true));
        assert!(kept.contains("but the GIL was on"), "{kept}");
    }

    #[test]
    fn asyncio_is_set_beside_threads() {
        let same = explain_asyncio(Some(3.8), Some(3.9), Some(3.7), 4);
        assert!(
            same.contains("with 4 tasks reached 3.80x") && same.contains("as far as 4 threads"),
            "{same}"
        );
        assert!(
            same.contains("Rust's `async`, tokio on one thread: 3.70x"),
            "{same}"
        );
        let behind = explain_asyncio(Some(1.1), Some(3.9), None, 4);
        assert!(
            behind.contains("behind 4 threads (3.90x): expected about the same"),
            "{behind}"
        );
        assert_eq!(explain_asyncio(None, Some(1.0), None, 2), "");
    }
    use crate::python::compare::{Language, Point, Series, WorkloadComparison, label};

    fn series(backend: &str, language: Language, at2: f64) -> Series {
        Series {
            backend: backend.into(),
            label: label(backend).into(),
            language,
            points: vec![
                Point {
                    workers: 1,
                    median_s: 1.0,
                    speedup: 1.0,
                },
                Point {
                    workers: 2,
                    median_s: 1.0 / at2,
                    speedup: at2,
                },
            ],
        }
    }

    fn cpu(threads: f64, pool: f64, rust: Option<[f64; 4]>) -> WorkloadComparison {
        let mut all = vec![
            series("python-threads", Language::Python, threads),
            series("python-pool", Language::Python, pool),
            series("python-executor", Language::Python, pool - 0.05),
        ];
        if let Some([t, p, pl, g]) = rust {
            all.push(series("threads", Language::Rust, t));
            all.push(series("process", Language::Rust, p));
            all.push(series("pool", Language::Rust, pl));
            all.push(series("gil", Language::Rust, g));
        }
        WorkloadComparison {
            workload: "primes".into(),
            kind: "cpu".into(),
            size: 1000,
            python_sequential_s: 0.4,
            rust_sequential_s: rust.map(|_| 0.008),
            python_checksum: 1,
            rust_checksum: rust.map(|_| 1),
            rust_size: None,
            checksums_ok: true,
            series: all,
        }
    }

    #[test]
    fn the_gil_case_quotes_every_number_and_names_the_gil() {
        let w = cpu(0.97, 1.85, Some([1.98, 1.2, 1.9, 0.99]));
        let text = explain(&w, 2, false);
        for part in [
            "At 2 workers",
            "Python threads reached 0.97x",
            "Python processes 1.85x",
            "1.80x (ProcessPoolExecutor)",
            "Rust threads 1.98x",
            "Rust processes 1.20x",
            "gil model 0.99x",
            "one thread run bytecode at a time",
            "own interpreter and GIL",
            "Sequential runs: CPython",
            "Rust processes lag",
        ] {
            assert!(text.contains(part), "missing {part:?} in: {text}");
        }
    }

    #[test]
    fn processes_that_did_not_scale_are_not_praised() {
        let text = explain(&cpu(1.0, 1.02, Some([1.9, 1.8, 1.9, 1.0])), 2, false);
        assert!(text.contains("Python processes did not speed up"), "{text}");
        assert!(text.contains("busy"), "{text}");
        let mut tiny = cpu(1.0, 1.02, Some([1.9, 1.8, 1.9, 1.0]));
        tiny.python_sequential_s = 0.02;
        let text = explain(&tiny, 2, false);
        assert!(text.contains("only 20.0 ms of work"), "{text}");
        assert!(!text.contains("own interpreter"), "{text}");
        assert!(!text.contains("lag"), "{text}");
    }

    #[test]
    fn the_terminal_expects_parallel_threads_without_the_gil() {
        let text = explain(&cpu(1.9, 1.9, None), 2, true);
        assert!(
            text.contains("As expected, without the GIL, Python threads speed up CPU work"),
            "{text}"
        );
        assert!(!text.contains("stay at sequential speed"), "{text}");
    }

    #[test]
    fn threads_speeding_up_cpu_work_is_flagged() {
        let text = explain(&cpu(1.9, 1.9, None), 2, false);
        assert!(
            text.contains(
                "Expected that Python threads stay at sequential speed on CPU work, but measured \
                 otherwise: Python threads at 2 workers 1.90x and sequential 1.00x"
            ),
            "{text}"
        );
        assert!(text.contains("no `primes` workload"), "{text}");
        // On a build without the GIL, that is the expectation.
        let (_, claims) = explain_parts(&cpu(1.9, 1.9, None), 2, true);
        assert!(
            claims[0].sentence().starts_with(
                "As expected, without the GIL, Python threads speed up CPU work: sequential \
                 1.00x and Python threads at 2 workers 1.90x"
            ),
            "{}",
            claims[0].sentence()
        );
        assert_eq!(claims.len(), 1, "no ranking of processes over threads then");
    }

    #[test]
    fn rust_threads_on_tiny_work_are_explained() {
        let text = explain(&cpu(1.0, 1.9, Some([0.7, 0.4, 0.9, 0.7])), 2, false);
        assert!(
            text.contains("Rust threads did not speed up here"),
            "{text}"
        );
        assert!(
            text.contains("Expected that Rust threads finish CPU work before the Rust gil model"),
            "{text}"
        );
        // Tiny Rust work: the claim names the size, not a busy machine.
        let mut tiny = cpu(1.0, 1.9, Some([0.7, 0.4, 0.9, 0.7]));
        tiny.rust_sequential_s = Some(0.002);
        let text = explain(&tiny, 2, false);
        assert!(
            text.contains("Possible causes: one Rust run is only 2.00 ms of work"),
            "{text}"
        );
        assert!(!text.contains("busy"), "{text}");
    }

    #[test]
    fn waiting_work_overlaps_in_threads() {
        let mut w = cpu(1.95, 1.9, None);
        w.kind = "io".into();
        let text = explain(&w, 2, false);
        assert!(text.contains("Python threads reached 1.95x"), "{text}");
        assert!(
            text.contains(
                "As expected, Python threads overlap waits at least as well as Python processes do"
            ),
            "{text}"
        );
        // Threads far ahead of processes meet the expectation too.
        let mut ahead = cpu(2.99, 1.91, None);
        ahead.kind = "io".into();
        let text = explain(&ahead, 2, false);
        assert!(
            text.contains("As expected, Python threads overlap waits at least as well"),
            "{text}"
        );
        let mut behind = cpu(1.2, 1.91, None);
        behind.kind = "io".into();
        let text = explain(&behind, 2, false);
        assert!(
            text.contains("Expected that Python threads overlap waits at least as well"),
            "{text}"
        );
        let mut with_rust = cpu(1.95, 1.9, Some([1.9, 1.5, 1.9, 1.9]));
        with_rust.kind = "io".into();
        let text = explain(&with_rust, 2, false);
        assert!(text.contains("gil model 1.90x"), "{text}");
        assert!(
            text.contains("releases its lock around each wait"),
            "{text}"
        );
    }

    #[test]
    fn every_claim_reads_as_its_numbers_say_and_flips_with_them() {
        let forward = cpu(0.97, 1.85, Some([1.98, 1.2, 1.9, 0.99]));
        let (_, claims) = explain_parts(&forward, 2, false);
        assert_eq!(claims.len(), 3);
        for c in &claims {
            c.check(&c.sentence()).unwrap();
            assert!(c.sentence().starts_with("As expected"), "{}", c.sentence());
        }
        assert_eq!(
            claims[1].sentence(),
            "As expected, Python processes finish CPU work before Python threads: Python \
             processes (multiprocessing.Pool) at 2 workers 1.85x and Python threads at 2 \
             workers 0.97x. Each Python process has its own interpreter and GIL, so processes \
             run in parallel."
        );
        // Reversed: threads ahead of processes, the gil model ahead of Rust
        // threads.
        let reversed = cpu(1.85, 0.97, Some([0.99, 1.2, 1.9, 1.98]));
        let (_, claims) = explain_parts(&reversed, 2, false);
        for c in &claims {
            c.check(&c.sentence()).unwrap();
            assert!(c.sentence().starts_with("Expected"), "{}", c.sentence());
        }
        assert!(
            claims[1].sentence().starts_with(
                "Expected that Python processes finish CPU work before Python threads, but \
                 measured otherwise"
            ),
            "{}",
            claims[1].sentence()
        );
    }

    #[test]
    fn one_core_is_said_plainly() {
        let text = explain(&cpu(1.0, 1.0, Some([1.0, 1.0, 1.0, 1.0])), 1, false);
        assert!(text.contains("only one core"), "{text}");
        assert!(!text.contains("did not speed up"), "{text}");
    }

    #[test]
    fn a_missing_worker_count_reads_n_a() {
        let text = explain(&cpu(1.0, 1.9, None), 4, false);
        assert!(text.contains("Python threads reached n/a"), "{text}");
    }
}
