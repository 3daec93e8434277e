//! Sentences written from the core sweep's numbers: the "one core" panel
//! (time slicing) and the summary under each cores chart.
//!
//! Pure functions of the measured times, so the report and `tvp cores` say
//! the same thing and tests can pin the wording to the numbers.

use crate::report::claim::{Claim, Expect, Unit, Value};
use crate::report::explain::words;
pub use crate::sweep::cores::Line;

/// Within this fraction, two times count as "the same".
const SAME: f64 = 0.10;

/// The run-to-run spread of each measured point: `(backend, cores,
/// spread)`, the spread as a share of the time (see
/// [`crate::report::claim::Value::spread`]). Empty when unknown.
pub type Spreads = [(String, usize, f64)];

fn spread_of(spreads: &Spreads, backend: &str, cores: usize) -> Option<f64> {
    spreads
        .iter()
        .find(|s| s.0 == backend && s.1 == cores)
        .map(|s| s.2)
}

/// `line`'s time on one core (`secs`) as a claim's value.
fn on_one_core(line: &Line, secs: f64, spreads: &Spreads) -> Value {
    Value::new(
        format!(
            "{} ({}) on 1 core",
            line.backend,
            words::workers_of(&line.backend, line.workers)
        ),
        secs * 1e3,
        Unit::Ms,
    )
    .with_spread(spread_of(spreads, &line.backend, 1))
}

/// What the claims may name when this run disagrees: a run in quick mode.
fn quick_reason(quick: bool) -> Option<String> {
    quick.then(|| "a run in quick mode (short jobs, few samples)".to_string())
}

/// On one core, `line`'s workers against one worker (`sequential_secs`, the
/// sequential backend on one core): time slicing adds no speed, so they
/// take at least as long.
pub fn time_slicing(
    workload: &str,
    line: &Line,
    sequential_secs: f64,
    spreads: &Spreads,
    quick: bool,
) -> Option<Claim> {
    let secs = line.at(1)?;
    if line.backend == "sequential" || sequential_secs <= 0.0 {
        return None;
    }
    Some(
        Claim::new(
            format!(
                "time slicing adds no speed: on one core, {} workers take at least as long as \
                 one worker on {workload}",
                words::possessive(&line.backend)
            ),
            Expect::AtMost,
            vec![
                Value::new("1 worker on 1 core", sequential_secs * 1e3, Unit::Ms)
                    .with_spread(spread_of(spreads, "sequential", 1)),
                on_one_core(line, secs, spreads),
            ],
        )
        .tolerance(SAME)
        .because(
            "the workers take turns on the one core, and starting, switching and handing work \
             between them only add to it",
        )
        .reason(Some(
            "other programs busy on that core while the one-worker run ran".to_string(),
        ))
        .reason(quick_reason(quick)),
    )
}

/// `line` on one core against the most cores measured: the same workers
/// run side by side on more cores, so a parallel backend runs faster
/// there; `gil`, whose lock lets one thread compute at a time, does not.
pub fn one_core_vs_most(
    workload: &str,
    line: &Line,
    spreads: &Spreads,
    quick: bool,
) -> Option<Claim> {
    let one = line.at(1)?;
    let (n, most) = line.most()?;
    if n <= 1 || most <= 0.0 || line.ideal(n) <= 1 {
        return None;
    }
    let values = vec![
        on_one_core(line, one, spreads),
        Value::new(format!("on {n} cores"), most * 1e3, Unit::Ms).with_spread(spread_of(
            spreads,
            &line.backend,
            n,
        )),
    ];
    Some(if line.backend == "gil" {
        let slower = (most > one * (1.0 + SAME)).then(|| {
            "handing the one lock between cores costs more than taking turns on one".to_string()
        });
        Claim::new(
            format!("more cores give gil's threads, on one global lock, nothing on {workload}"),
            Expect::Level,
            // Spreads would let times far apart pass as level.
            values.into_iter().map(|v| v.with_spread(None)).collect(),
        )
        .tolerance(SAME)
        .because("the lock lets one thread compute at a time, as CPython's GIL does")
        .reason(slower)
        .reason(quick_reason(quick))
    } else {
        Claim::new(
            format!(
                "more cores speed up {} workers on {workload}: they run faster on all the cores \
                 than on one",
                words::possessive(&line.backend)
            ),
            Expect::Descending,
            values,
        )
        .tolerance(SAME)
        .because("on one core the same workers take turns instead of running side by side")
        .reason(Some(
            "the job is short, so starting, switching and handing out work weigh as much as \
             the cores save"
                .to_string(),
        ))
        .reason(quick_reason(quick))
    })
}

/// The "one core" panel's claims: for each backend, time slicing on one
/// core against one worker, then one core against the most cores.
pub fn one_core_claims(
    workload: &str,
    lines: &[Line],
    spreads: &Spreads,
    quick: bool,
) -> Vec<Claim> {
    let sequential = lines
        .iter()
        .find(|l| l.backend == "sequential")
        .and_then(|l| l.at(1));
    let mut claims = Vec::new();
    for line in lines.iter().filter(|l| l.backend != "sequential") {
        if let Some(seq) = sequential {
            claims.extend(time_slicing(workload, line, seq, spreads, quick));
        }
        claims.extend(one_core_vs_most(workload, line, spreads, quick));
    }
    claims
}

/// The "one core" panel as sentences (for `tvp cores`, which knows no
/// spreads): the sentences of [`one_core_claims`].
pub fn one_core_panel(lines: &[Line]) -> Vec<String> {
    one_core_claims("this job", lines, &[], false)
        .iter()
        .map(Claim::sentence)
        .collect()
}

/// The claim under a cores chart when the fastest backend's speedup from
/// one core went above what its cores and workers allow.
pub fn chart_claims(workload: &str, lines: &[Line], spreads: &Spreads, quick: bool) -> Vec<Claim> {
    let Some(n) = lines.iter().filter_map(|l| l.most()).map(|(c, _)| c).max() else {
        return Vec::new();
    };
    lines
        .iter()
        .filter_map(|l| Some((l, l.speedup(n)?)))
        .filter(|(l, s)| *s > l.ideal(n) as f64)
        .max_by(|a, b| (a.1 / a.0.ideal(n) as f64).total_cmp(&(b.1 / b.0.ideal(n) as f64)))
        .map(|(l, s)| {
            let spread = spread_of(spreads, &l.backend, 1)
                .zip(spread_of(spreads, &l.backend, n))
                .map(|(a, b)| a + b);
            Claim::new(
                format!("a speedup from more cores on {workload} is at most the cores at work"),
                Expect::AtMost,
                vec![
                    Value::new(format!("{} on {n} cores", l.backend), s, Unit::Speedup)
                        .with_spread(spread),
                    Value::new("the ideal", l.ideal(n) as f64, Unit::Speedup),
                ],
            )
            .tolerance(0.0)
            .because("the workers cannot run on more cores than they are given")
            .reason(Some(
                "the one-core run was slowed by other programs on that core (every speedup \
                 here divides by it)"
                    .to_string(),
            ))
            .reason(quick_reason(quick))
        })
        .into_iter()
        .collect()
}

/// Two or three sentences under a cores chart: the fastest backend at the
/// most cores and its speedup from one core, and what gil did.
pub fn chart_summary(lines: &[Line]) -> Vec<String> {
    let Some(n) = lines.iter().filter_map(|l| l.most()).map(|(c, _)| c).max() else {
        return Vec::new();
    };
    let mut sentences = Vec::new();
    if n <= 1 {
        sentences.push(
            "Only 1 core was measured, so there is no scaling to show: give the run more \
             cores (a machine with more, or lift what confined it: TVP_CORES, taskset, a \
             container's CPU limit)."
                .to_string(),
        );
        return sentences;
    }
    let best = lines
        .iter()
        .filter_map(|l| Some((l, l.at(n)?)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((line, _)) = best
        && let Some(s) = line.speedup(n)
    {
        let ideal = line.ideal(n);
        sentences.push(format!(
            "At {n} cores {} was fastest, {s:.2}x its own 1-core time (ideal {ideal}x, \
             efficiency {:.0}%).",
            line.backend,
            100.0 * s / ideal as f64
        ));
    }
    let worst = lines
        .iter()
        .filter(|l| l.backend != "sequential" && l.workers > 1)
        .filter_map(|l| Some((l, l.speedup(n)?)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((line, s)) = worst
        && best.is_some_and(|(b, _)| b.backend != line.backend)
        // gil's is the panel's claim.
        && line.backend != "gil"
    {
        let what = if s <= 1.0 + SAME {
            "more cores gave it nothing"
        } else {
            "the least gain of any backend with more than one worker"
        };
        sentences.push(format!(
            "The {} backend ran {s:.2}x as fast on {n} cores as on 1: {what}.",
            line.backend
        ));
    }
    if let Some(w) = lines.iter().map(|l| l.workers).max() {
        sentences.push(format!(
            "The ideal line is min(cores, workers): {w} workers keep at most {w} cores busy, \
             and 1 worker (sequential) keeps one."
        ));
    }
    sentences
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(backend: &str, workers: usize, points: &[(usize, f64)]) -> Line {
        Line {
            backend: backend.into(),
            workers,
            points: points.to_vec(),
        }
    }

    #[test]
    fn nouns_follow_the_backend() {
        assert_eq!(words::workers_of("threads", 4), "4 threads");
        assert_eq!(words::workers_of("gil", 1), "1 thread");
        assert_eq!(words::workers_of("pool", 2), "2 processes");
        assert_eq!(words::workers_of("sequential", 1), "1 worker");
    }

    use crate::report::claim::Outcome;

    #[test]
    fn time_slicing_adds_no_speed_and_says_so_when_measured_otherwise() {
        let c = time_slicing("primes", &line("threads", 2, &[(1, 1.02)]), 1.0, &[], false).unwrap();
        let s = c.sentence();
        assert_eq!(c.outcome(), Outcome::Agrees, "{s}");
        assert!(
            s.starts_with(
                "As expected, time slicing adds no speed: on one core, threads' workers take"
            ),
            "{s}"
        );
        assert!(
            s.contains("1 worker on 1 core 1000 ms and threads (2 threads) on 1 core 1020 ms"),
            "{s}"
        );
        c.check(&s).unwrap();
        // Reversed: the workers on one core beat one worker.
        let c = time_slicing("primes", &line("pool", 4, &[(1, 0.5)]), 1.0, &[], true).unwrap();
        let s = c.sentence();
        assert_eq!(c.outcome(), Outcome::Contradicts, "{s}");
        assert!(
            s.starts_with("Expected that time slicing adds no speed"),
            "{s}"
        );
        assert!(s.contains("quick mode"), "{s}");
        c.check(&s).unwrap();
        assert!(
            time_slicing(
                "primes",
                &line("sequential", 1, &[(1, 1.0)]),
                1.0,
                &[],
                false
            )
            .is_none()
        );
        assert!(
            time_slicing("primes", &line("threads", 4, &[(2, 1.0)]), 1.0, &[], false).is_none()
        );
    }

    #[test]
    fn one_core_against_all_cores_both_ways() {
        let c = one_core_vs_most(
            "primes",
            &line("threads", 8, &[(1, 3.9), (2, 2.0), (4, 1.0)]),
            &[],
            false,
        )
        .unwrap();
        assert_eq!(c.outcome(), Outcome::Agrees);
        let s = c.sentence();
        assert!(
            s.contains("threads (8 threads) on 1 core 3900 ms and on 4 cores 1000 ms"),
            "{s}"
        );
        assert!(s.contains("take turns"), "{s}");
        // Reversed: slower with more cores.
        let c = one_core_vs_most(
            "primes",
            &line("threads", 2, &[(1, 0.8), (2, 1.0)]),
            &[],
            false,
        )
        .unwrap();
        assert_eq!(c.outcome(), Outcome::Contradicts);
        assert!(
            c.sentence()
                .starts_with("Expected that more cores speed up")
        );
        c.check(&c.sentence()).unwrap();
        // gil: level is expected; slower on more cores names the lock's hand-off.
        let c = one_core_vs_most(
            "primes",
            &line("gil", 4, &[(1, 1.0), (2, 1.01)]),
            &[],
            false,
        )
        .unwrap();
        assert_eq!(c.outcome(), Outcome::Agrees);
        assert!(c.sentence().contains("GIL"), "{}", c.sentence());
        let c =
            one_core_vs_most("primes", &line("gil", 2, &[(1, 0.8), (2, 1.0)]), &[], false).unwrap();
        assert_eq!(c.outcome(), Outcome::Contradicts);
        assert!(c.sentence().contains("between cores"), "{}", c.sentence());
        let c =
            one_core_vs_most("primes", &line("gil", 2, &[(1, 1.0), (2, 0.5)]), &[], false).unwrap();
        assert!(!c.sentence().contains("between cores"), "{}", c.sentence());
        // A spread wider than the gap: cannot tell.
        let spreads = [("process".to_string(), 1, 0.2)];
        let c = one_core_vs_most(
            "primes",
            &line("process", 4, &[(1, 1.2), (2, 1.0)]),
            &spreads,
            false,
        )
        .unwrap();
        assert_eq!(c.outcome(), Outcome::WithinNoise);
        assert!(
            one_core_vs_most(
                "primes",
                &line("sequential", 1, &[(1, 1.0), (2, 1.0)]),
                &[],
                false
            )
            .is_none()
        );
        assert!(one_core_vs_most("primes", &line("threads", 4, &[(1, 1.0)]), &[], false).is_none());
    }

    #[test]
    fn a_speedup_above_the_ideal_is_a_claim_that_says_so() {
        let lines = [
            line("sequential", 1, &[(1, 1.0), (2, 1.0)]),
            line("threads", 4, &[(1, 1.0), (2, 0.4)]),
        ];
        let claims = chart_claims("primes", &lines, &[], false);
        assert_eq!(claims.len(), 1);
        assert_eq!(claims[0].outcome(), Outcome::Contradicts);
        assert!(claims[0].sentence().contains("threads on 2 cores 2.50x"));
        let lines = [line("threads", 4, &[(1, 1.0), (2, 0.55)])];
        assert!(chart_claims("primes", &lines, &[], false).is_empty());
    }

    #[test]
    fn the_ideal_is_capped_by_the_workers() {
        let l = line("threads", 2, &[(1, 2.0), (4, 1.0)]);
        assert_eq!(l.ideal(4), 2);
        assert_eq!(l.speedup(4), Some(2.0));
    }

    #[test]
    fn panel_covers_every_parallel_backend() {
        let lines = [
            line("sequential", 1, &[(1, 1.0), (2, 1.0)]),
            line("threads", 4, &[(1, 1.0), (2, 0.5)]),
            line("gil", 4, &[(1, 1.05), (2, 1.05)]),
        ];
        let panel = one_core_panel(&lines);
        assert_eq!(panel.len(), 4, "{panel:#?}");
        assert!(panel[0].starts_with("As expected, time slicing adds no speed"));
        assert!(panel[1].starts_with("As expected, more cores speed up threads' workers"));
        assert!(panel[3].contains("GIL"), "{}", panel[3]);
    }

    #[test]
    fn chart_summary_names_the_best_and_the_flattest() {
        let lines = [
            line("sequential", 1, &[(1, 1.0), (2, 1.0)]),
            line("threads", 4, &[(1, 1.0), (2, 0.52)]),
            line("gil", 4, &[(1, 1.05), (2, 1.04)]),
        ];
        let s = chart_summary(&lines);
        assert!(
            s[0].starts_with("At 2 cores threads was fastest, 1.92x"),
            "{s:?}"
        );
        assert!(s[0].contains("efficiency 96%"), "{s:?}");
        // gil's is the panel's claim, not said twice.
        assert!(!s.iter().any(|x| x.contains("The gil backend")), "{s:?}");
        assert!(s[1].contains("4 workers keep at most 4 cores"), "{s:?}");
        let flat = [
            line("sequential", 1, &[(1, 1.0), (2, 1.0)]),
            line("threads", 4, &[(1, 1.0), (2, 0.52)]),
            line("process", 4, &[(1, 1.0), (2, 0.98)]),
        ];
        let s = chart_summary(&flat);
        assert!(s[1].contains("more cores gave it nothing"), "{s:?}");
        let some = [
            line("threads", 4, &[(1, 1.0), (2, 0.52)]),
            line("process", 4, &[(1, 1.0), (2, 0.7)]),
        ];
        let s = chart_summary(&some);
        assert!(s[1].contains("the least gain"), "{s:?}");
        let one = chart_summary(&[line("threads", 2, &[(1, 1.0)])]);
        assert!(one[0].contains("Only 1 core"), "{one:?}");
        // A mask set by taskset confines a run as TVP_CORES does: the
        // sentence names both, not TVP_CORES alone.
        assert!(
            one[0].contains("taskset") && one[0].contains("TVP_CORES"),
            "{one:?}"
        );
        assert!(chart_summary(&[]).is_empty());
    }
}
