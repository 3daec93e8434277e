//! The "Many waits" page's sentences, written from the measured numbers:
//! how far past the ideal each way of waiting ran at its largest
//! concurrency, what each added worker cost in time and memory, where each
//! line stopped and why, and whether a thread's stack is memory or only
//! address space. Pure functions of plain numbers; tests feed them made-up
//! ones, both the expected and the reversed.

use crate::report::claim::{Claim, Expect, Unit, Value};
use crate::report::explain::words;

/// A run under this multiple of the ideal counts as "the waits overlapped".
pub const OVERLAPPED: f64 = 2.0;

/// A stack whose resident part is under this share of its reserved size is
/// "address space, not memory".
pub const MOSTLY_UNTOUCHED: f64 = 0.25;

/// One line of the time chart: median run times in ms by concurrency,
/// sorted by concurrency.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// "async", "threads (64 KiB stack)".
    pub label: String,
    /// The backend it runs: "async", "threads".
    pub backend: String,
    pub points: Vec<(usize, f64)>,
}

/// `line`'s name without digits, for an expectation: its backend, and
/// which stack when its label names one ("threads (64 KiB stack)").
fn name(line: &Line) -> String {
    if !line.label.chars().any(|c| c.is_ascii_digit()) {
        line.label.clone()
    } else if line.label.contains("default") {
        format!("{} with the default stack", line.backend)
    } else {
        format!("{} with a set stack size", line.backend)
    }
}

/// What one more worker costs a run of `backend`, in words.
pub fn worker_cost(backend: &str) -> &'static str {
    match backend {
        "process" => "starting a process",
        "pool" => "feeding one more process over its pipes (the pool starts them before the clock)",
        "async" | "async-mt" => "polling one more task",
        _ => "starting a thread",
    }
}

impl Line {
    fn at(&self, n: usize) -> Option<f64> {
        self.points.iter().find(|p| p.0 == n).map(|p| p.1)
    }

    fn last(&self) -> Option<(usize, f64)> {
        self.points.last().copied()
    }

    /// What each worker added to a run between the first and the last
    /// point, in ms.
    fn per_worker_ms(&self) -> Option<f64> {
        let (&(n0, t0), &(n1, t1)) = (self.points.first()?, self.points.last()?);
        (n1 > n0).then(|| (t1 - t0) / (n1 - n0) as f64)
    }
}

/// The sentences under the time chart, without the comparisons (those are
/// [`time_claims`]): async's time at its most concurrent waits against the
/// ideal, and each other line's. `ideal_ms` is one wait per item divided
/// by the concurrency (`waits_per_task` waits of `wait_ms`).
pub fn explain_time(
    ideal_ms: f64,
    waits_per_task: u64,
    wait_ms: u64,
    lines: &[Line],
) -> Vec<String> {
    let Some(tasks) = lines
        .iter()
        .find(|l| l.backend == "async" && !l.points.is_empty())
    else {
        return vec!["No async measurements yet: run `cargo bench --bench waits`.".into()];
    };
    let (n, t) = tasks.last().expect("a line with points");
    let mut s = format!(
        "At {} concurrent waits, `async` took {}: {} the ideal of {} (one wait per item divided \
         by the concurrency: {waits_per_task} waits of {wait_ms} ms in a row per task).",
        words::thousands(n as u64),
        words::ms(t),
        words::times(t / ideal_ms),
        words::ms(ideal_ms)
    );
    if let Some(t1) = tasks.at(1).filter(|_| n > 1) {
        s += &format!(
            " Against its own run with one task ({}), {} tasks took {}.",
            words::ms(t1),
            words::thousands(n as u64),
            words::times(t / t1)
        );
    }
    let mut out = vec![s];
    for line in lines
        .iter()
        .filter(|l| l.backend != "async" && l.backend != "async-mt")
    {
        let (Some((n, t)), Some(per)) = (line.last(), line.per_worker_ms()) else {
            continue;
        };
        out.push(format!(
            "{} reached {} concurrent waits in {} ({} the ideal); each added worker cost {} of \
             run time.",
            words::capitalise(&line.label),
            words::thousands(n as u64),
            words::ms(t),
            words::times(t / ideal_ms),
            words::ns(per * 1e6)
        ));
    }
    out
}

/// The claims under the time chart:
/// - async's waits overlap: at its most concurrent waits a run stays
///   within [`OVERLAPPED`] times the ideal;
/// - for each line of threads or processes, one more worker costs more run
///   time than one more task ([`worker_cost`]), and at the line's most
///   waits async finishes first.
///
/// `spread(label, concurrency)` is a point's run-to-run spread, when known.
pub fn time_claims(
    ideal_ms: f64,
    wait_ms: u64,
    lines: &[Line],
    spread: &dyn Fn(&str, usize) -> Option<f64>,
) -> Vec<Claim> {
    let mut out = Vec::new();
    let Some(tasks) = lines
        .iter()
        .find(|l| l.backend == "async" && !l.points.is_empty())
    else {
        return out;
    };
    let (n, t) = tasks.last().expect("a line with points");
    let alone = tasks.at(1);
    // With one task it already took this many ideals: the timers' rounding.
    let rounding = alone
        .filter(|t1| *t1 > ideal_ms * (1.0 + TIMER_SLACK))
        .map(|t1| {
            format!(
                "tokio's timers tick in whole milliseconds and round each deadline up, so each \
             {wait_ms} ms sleep lasts up to a millisecond longer (with one task a run already \
             took {} the ideal)",
                words::times(t1 / ideal_ms)
            )
        });
    out.push(
        Claim::new(
            "async's concurrent waits overlap on one thread: a run within twice the ideal",
            Expect::AtMost,
            vec![
                Value::new(
                    format!("async at {}", words::thousands(n as u64)),
                    t,
                    Unit::Ms,
                )
                .with_spread(spread(&tasks.label, n)),
                Value::new("twice the ideal", OVERLAPPED * ideal_ms, Unit::Ms),
            ],
        )
        .tolerance(0.0)
        .because("a task that waits costs the thread nothing until its timer fires")
        .reason(rounding.clone())
        .reason(Some(
            "the loop's own work: one thread polls every task that wakes (and a busy \
             machine's other programs take turns with it)"
                .into(),
        )),
    );
    let task_cost = tasks.per_worker_ms();
    for line in lines
        .iter()
        .filter(|l| l.backend != "async" && l.backend != "async-mt")
    {
        let (Some((n, t)), Some(per), Some(task)) = (line.last(), line.per_worker_ms(), task_cost)
        else {
            continue;
        };
        let (from, _) = line.points[0];
        out.push(
            Claim::new(
                format!(
                    "one more worker of {} costs more run time than one more task",
                    name(line)
                ),
                Expect::Ascending,
                vec![
                    Value::new("a task", task * 1e6, Unit::Ns),
                    Value::new(
                        format!(
                            "a worker of {} ({} to {})",
                            line.label,
                            words::thousands(from as u64),
                            words::thousands(n as u64)
                        ),
                        per * 1e6,
                        Unit::Ns,
                    ),
                ],
            )
            .because(format!(
                "each one means {}, which async does not pay",
                worker_cost(&line.backend)
            ))
            .reason(Some(
                "runs this short are at the mercy of the machine's other work".into(),
            )),
        );
        if let Some(at_n) = tasks.at(n) {
            let lost = alone
                .zip(line.at(1))
                .filter(|(a, l)| a > l)
                .and(rounding.clone())
                .map(|_| {
                    format!(
                        "at this count {}'s workers cost less than what async lost to its \
                         timers' rounding",
                        line.label
                    )
                });
            out.push(
                Claim::new(
                    format!(
                        "async finishes the most concurrent waits before {}",
                        name(line)
                    ),
                    Expect::Ascending,
                    vec![
                        Value::new(
                            format!("async at {}", words::thousands(n as u64)),
                            at_n,
                            Unit::Ms,
                        )
                        .with_spread(spread(&tasks.label, n)),
                        Value::new(line.label.clone(), t, Unit::Ms)
                            .with_spread(spread(&line.label, n)),
                    ],
                )
                .because(format!(
                    "{} for every wait adds up",
                    worker_cost(&line.backend)
                ))
                .reason(lost),
            );
        }
    }
    out
}

/// A run with one task above the ideal by more than this share lost time
/// to the timers' rounding, not to the loop.
const TIMER_SLACK: f64 = 0.1;

/// Why a line stopped, as plain facts.
#[derive(Debug, Clone, PartialEq)]
pub struct Stop {
    pub label: String,
    /// The first concurrency not run.
    pub concurrency: usize,
    /// The limit it would cross, as the backend's error says it.
    pub limit: Option<String>,
    /// The predicted time of one run in s, from the last point (`from`).
    pub predicted_s: Option<f64>,
    pub from: Option<usize>,
    pub cap_s: f64,
}

/// One sentence per line that stopped before the sweep's largest
/// concurrency.
pub fn explain_stops(stops: &[Stop]) -> Vec<String> {
    stops
        .iter()
        .map(|s| {
            let mut text = format!(
                "{} was not run at {} concurrent waits",
                words::capitalise(&s.label),
                words::thousands(s.concurrency as u64)
            );
            if let Some(from) = s.from {
                text += &format!(" (its last point is {})", words::thousands(from as u64));
            }
            match (&s.limit, s.predicted_s) {
                (Some(limit), _) => text += &format!(": {limit}."),
                (None, Some(p)) => {
                    text += &format!(
                        ": one run would take about {:.1} s (what each worker added between its \
                         last two points, times the workers to add), past this sweep's cap of \
                         {:.1} s per run. It starts a worker per wait, one after another, every \
                         run.",
                        p, s.cap_s
                    );
                }
                (None, None) => text.push('.'),
            }
            text
        })
        .collect()
}

/// One line's memory at its first and last memory cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Memory {
    pub label: String,
    /// "task", "thread", "process": what one wait costs here.
    pub noun: &'static str,
    /// Concurrencies of the two cells (`from` < `to`).
    pub from: usize,
    pub to: usize,
    /// PSS of parent and children at each cell's peak, in kB.
    pub pss_kb: (f64, f64),
    /// The parent's address space (`VmSize`) at each peak, in kB.
    pub vm_kb: (f64, f64),
    /// Threads alive in the parent, and children, at the last cell's peak.
    pub threads: u64,
    pub children: u64,
    /// Thread stacks found at the last cell: count, reserved and resident kB.
    pub stacks: Option<(u64, f64, f64)>,
    /// The kernel's thread stacks and page tables grew by this at the last
    /// cell's peak, in kB (whole machine).
    pub kernel_kb: Option<f64>,
}

impl Memory {
    /// PSS each added wait cost: the slope from `from` to `to`, in kB.
    pub fn per_wait_kb(&self) -> f64 {
        (self.pss_kb.1 - self.pss_kb.0) / (self.to - self.from).max(1) as f64
    }

    fn vm_per_wait_kb(&self) -> f64 {
        (self.vm_kb.1 - self.vm_kb.0) / (self.to - self.from).max(1) as f64
    }
}

/// The sentences under the memory chart: each line's memory per wait, the
/// ratios of a thread and a process to a task, and what a thread's stack is.
/// The ranking of the three is [`memory_claims`].
pub fn explain_memory(lines: &[Memory]) -> Vec<String> {
    if lines.is_empty() {
        return vec!["No memory measurements yet: run `cargo bench --bench waits`.".into()];
    }
    let mut out = Vec::new();
    let each: Vec<String> = lines
        .iter()
        .map(|m| {
            format!(
                "{} {} per {} (1 to {})",
                m.label,
                words::kilobytes(m.per_wait_kb()),
                m.noun,
                words::thousands(m.to as u64)
            )
        })
        .collect();
    out.push(format!(
        "Memory per concurrent wait, from the kernel's PSS of the parent and its children at the \
         peak of a run, measured in one sweep: {}.",
        each.join("; ")
    ));
    let first = |noun: &str| lines.iter().find(|m| m.noun == noun);
    if let (Some(task), Some(thread), Some(process)) =
        (first("task"), first("thread"), first("process"))
    {
        let (k, t, p) = (
            task.per_wait_kb(),
            thread.per_wait_kb(),
            process.per_wait_kb(),
        );
        if k > 0.0 {
            out.push(format!(
                "Against a task, a thread cost {} its memory and a process {}.",
                words::times(t / k),
                words::times(p / k)
            ));
        }
    }
    for m in lines.iter().filter(|m| m.noun == "thread") {
        let Some((count, reserved, resident)) = m.stacks.filter(|s| s.0 > 0) else {
            continue;
        };
        let (per_reserved, per_resident) = (reserved / count as f64, resident / count as f64);
        let mut s = format!(
            "{}: {} stacks found, each reserving {} and holding {} resident; the address space \
             grew by {} per thread, PSS by {}.",
            words::capitalise(&m.label),
            words::thousands(count),
            words::kilobytes(per_reserved),
            words::kilobytes(per_resident),
            words::kilobytes(m.vm_per_wait_kb()),
            words::kilobytes(m.per_wait_kb())
        );
        if per_resident < MOSTLY_UNTOUCHED * per_reserved {
            s += " A thread's stack is address space reserved so it can grow, not memory: only \
                  the pages it touches become resident. \"8 MB per thread\" (C's and Python's \
                  default, from `ulimit -s`) says how far a stack may grow, not what it takes.";
        } else {
            s += &format!(
                " Not what was expected: {} of each stack was resident, so these threads \
                 touched most of theirs (a deep call chain, or a stack this small holding \
                 mostly the thread's own data).",
                words::percent(per_resident / per_reserved)
            );
        }
        if m.threads < m.to as u64 {
            s += &format!(
                " Only {} threads were alive at once of the {} started: each finished its wait \
                 before the last ones started.",
                words::thousands(m.threads),
                words::thousands(m.to as u64)
            );
        }
        out.push(s);
    }
    if let Some(m) = lines
        .iter()
        .filter(|m| m.noun == "thread" && m.threads > 1)
        .max_by_key(|m| m.threads)
    {
        if let Some(k) = m.kernel_kb {
            out.push(if k > 0.0 {
                format!(
                    "Beyond PSS, the kernel's own memory for thread stacks and page tables grew \
                     by {} with {} threads alive ({}: {} per thread), memory no process's RSS \
                     shows; it is read for the whole machine, so other programs move it too.",
                    words::kilobytes(k),
                    words::thousands(m.threads),
                    m.label,
                    words::kilobytes(k / m.threads as f64)
                )
            } else {
                format!(
                    "The kernel's memory for thread stacks and page tables did not grow with {} \
                     threads alive ({}): other programs' threads ending at the same time hid \
                     it; measure again on a quiet machine.",
                    words::thousands(m.threads),
                    m.label
                )
            });
        }
    }
    out
}

/// The claim under the memory chart: a task costs less memory per wait
/// than a thread, and a thread less than a process (the first line of
/// each).
pub fn memory_claims(lines: &[Memory]) -> Vec<Claim> {
    let first = |noun: &str| lines.iter().find(|m| m.noun == noun);
    let (Some(task), Some(thread), Some(process)) =
        (first("task"), first("thread"), first("process"))
    else {
        return Vec::new();
    };
    let value = |m: &Memory| {
        Value::new(
            format!(
                "a {} ({}, 1 to {})",
                m.noun,
                m.label,
                words::thousands(m.to as u64)
            ),
            m.per_wait_kb(),
            Unit::Kilobytes,
        )
    };
    vec![
        Claim::new(
            "a task costs less memory per wait than a thread, and a thread less than a process",
            Expect::Ascending,
            vec![value(task), value(thread), value(process)],
        )
        .because(
            "a task is one allocation holding its future; a thread is a stack's touched pages, \
             its thread-local data and the kernel's bookkeeping; a process is a whole program",
        )
        .reason(Some(
            "a slope from few workers is within the noise of a process's own size, which moves \
             by a few hundred kB from run to run: read it at the largest counts, on a quiet \
             machine"
                .into(),
        )),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(label: &str, backend: &str, points: &[(usize, f64)]) -> Line {
        Line {
            label: label.into(),
            backend: backend.into(),
            points: points.to_vec(),
        }
    }

    use crate::report::claim::Outcome;

    fn no_spread(_: &str, _: usize) -> Option<f64> {
        None
    }

    #[test]
    fn async_under_twice_the_ideal_says_the_waits_overlapped() {
        let lines = [
            line("async", "async", &[(1, 31.0), (10_000, 36.0)]),
            line("threads", "threads", &[(1, 21.0), (10_000, 1_521.0)]),
        ];
        let text = explain_time(20.0, 10, 2, &lines);
        assert!(
            text[0].contains("At 10,000 concurrent waits, `async` took 36.0 ms: 1.8x"),
            "{}",
            text[0]
        );
        assert!(text[0].contains("took 1.2x"), "{}", text[0]);
        assert!(
            text[1].contains("each added worker cost 150 µs"),
            "{}",
            text[1]
        );
        let claims = time_claims(20.0, 2, &lines, &no_spread);
        assert_eq!(claims.len(), 3);
        for c in &claims {
            assert_eq!(c.outcome(), Outcome::Agrees, "{}", c.sentence());
            c.check(&c.sentence()).unwrap();
        }
        assert!(claims[1].sentence().contains("starting a thread, which"));
        assert!(
            claims[2]
                .sentence()
                .contains("async at 10,000 36.0 ms and threads 1521 ms"),
            "{}",
            claims[2].sentence()
        );
    }

    #[test]
    fn async_past_twice_the_ideal_says_so_and_why() {
        let lines = [
            line("async", "async", &[(1, 31.0), (10_000, 50.0)]),
            line("threads", "threads", &[(1, 21.0), (100, 20.0)]),
        ];
        let claims = time_claims(20.0, 2, &lines, &no_spread);
        let s = claims[0].sentence();
        assert!(
            s.starts_with("Expected that async's concurrent waits overlap"),
            "{s}"
        );
        assert!(
            s.contains("async at 10,000 50.0 ms and twice the ideal 40.0 ms"),
            "{s}"
        );
        assert!(
            s.contains("already took 1.6x") && s.contains("round each deadline up"),
            "{s}"
        );
        // A thread that cost nothing per worker: not what was expected.
        assert_eq!(claims[1].outcome(), Outcome::Contradicts);
        assert!(explain_time(20.0, 10, 2, &[])[0].contains("cargo bench --bench waits"));
        assert!(time_claims(20.0, 2, &[], &no_spread).is_empty());
    }

    #[test]
    fn a_line_faster_than_async_at_its_top_says_so() {
        let lines = [
            line("async", "async", &[(1, 31.0), (100, 33.0)]),
            line("pool", "pool", &[(1, 21.0), (100, 25.0)]),
        ];
        let claims = time_claims(20.0, 2, &lines, &no_spread);
        let s = claims[2].sentence();
        assert_eq!(claims[2].outcome(), Outcome::Contradicts, "{s}");
        assert!(s.contains("async at 100 33.0 ms and pool 25.0 ms"), "{s}");
        assert!(s.contains("what async lost to its timers' rounding"), "{s}");
        claims[2].check(&s).unwrap();
    }

    #[test]
    fn stops_name_the_limit_or_the_predicted_time() {
        let stops = [
            Stop {
                label: "pool".into(),
                concurrency: 10_000,
                limit: Some("`pool` at 10000 workers needs 20000 open files, but ...".into()),
                predicted_s: None,
                from: Some(1_000),
                cap_s: 4.0,
            },
            Stop {
                label: "process".into(),
                concurrency: 1_000,
                limit: None,
                predicted_s: Some(9.3),
                from: Some(100),
                cap_s: 4.0,
            },
        ];
        let text = explain_stops(&stops);
        assert!(
            text[0].starts_with(
                "Pool was not run at 10,000 concurrent waits (its last point is 1,000): `pool` at"
            ),
            "{}",
            text[0]
        );
        assert!(
            text[1].contains("about 9.3 s") && text[1].contains("cap of 4.0 s"),
            "{}",
            text[1]
        );
    }

    fn memory(label: &str, noun: &'static str, to: usize, pss: (f64, f64)) -> Memory {
        Memory {
            label: label.into(),
            noun,
            from: 1,
            to,
            pss_kb: pss,
            vm_kb: (10_000.0, 10_000.0),
            threads: 3,
            children: 0,
            stacks: None,
            kernel_kb: None,
        }
    }

    #[test]
    fn the_three_numbers_and_their_ratios_in_the_expected_order() {
        let mut thread = memory(
            "threads",
            "thread",
            10_001,
            (3_000.0, 3_000.0 + 10_000.0 * 9.5),
        );
        thread.stacks = Some((10_000, 10_000.0 * 2048.0, 10_000.0 * 12.0));
        thread.vm_kb = (10_000.0, 10_000.0 + 10_000.0 * 2052.0);
        thread.threads = 10_003;
        thread.kernel_kb = Some(10_000.0 * 16.0);
        let lines = [
            memory("async", "task", 10_001, (3_000.0, 3_000.0 + 10_000.0 * 0.4)),
            thread,
            memory(
                "process",
                "process",
                1_001,
                (3_000.0, 3_000.0 + 1_000.0 * 1_100.0),
            ),
        ];
        let text = explain_memory(&lines);
        assert!(
            text[0].contains("async 0.40 kB per task (1 to 10,001)"),
            "{}",
            text[0]
        );
        assert!(
            text[1].contains("a thread cost 24x its memory and a process 2750x"),
            "{}",
            text[1]
        );
        let claims = memory_claims(&lines);
        assert_eq!(claims[0].outcome(), Outcome::Agrees);
        let s = claims[0].sentence();
        assert!(
            s.contains("a task (async, 1 to 10,001) 0.40 kB, a thread (threads, 1 to 10,001) 9.50 kB and a process (process, 1 to 1,001) 1.1 MB"),
            "{s}"
        );
        assert!(
            text[2].contains("each reserving 2.0 MB and holding 12.0 kB resident"),
            "{}",
            text[2]
        );
        assert!(text[2].contains("address space"), "{}", text[2]);
        assert!(text[3].contains("16.0 kB per thread"), "{}", text[3]);
    }

    #[test]
    fn a_reversed_order_and_a_resident_stack_are_called_unexpected() {
        let mut thread = memory(
            "threads (64 KiB stack)",
            "thread",
            101,
            (3_000.0, 3_000.0 + 100.0 * 0.2),
        );
        thread.stacks = Some((100, 6_400.0, 5_000.0));
        thread.threads = 40;
        let lines = [
            memory("async", "task", 101, (3_000.0, 3_000.0 + 100.0 * 0.4)),
            thread,
            memory(
                "process",
                "process",
                101,
                (3_000.0, 3_000.0 + 100.0 * 900.0),
            ),
        ];
        let text = explain_memory(&lines);
        let claims = memory_claims(&lines);
        assert_eq!(claims[0].outcome(), Outcome::Contradicts);
        assert!(
            claims[0]
                .sentence()
                .starts_with("Expected that a task costs less memory"),
            "{}",
            claims[0].sentence()
        );
        claims[0].check(&claims[0].sentence()).unwrap();
        assert!(
            text[2].contains("Not what was expected: 78%"),
            "{}",
            text[2]
        );
        assert!(
            text[2].contains("Only 40 threads were alive"),
            "{}",
            text[2]
        );
        assert!(explain_memory(&[])[0].contains("cargo bench --bench waits"));
    }
}
