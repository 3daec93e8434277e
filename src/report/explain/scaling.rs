//! Sentences written from the measured numbers, one short paragraph per
//! chart. Nothing here is fixed prose about results: change the numbers and
//! the sentences change.

use crate::report::explain::words;

/// One backend's measured curve: `(workers, value)` sorted by workers.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    pub backend: String,
    pub points: Vec<(usize, f64)>,
}

impl Curve {
    pub fn new(backend: &str, points: Vec<(usize, f64)>) -> Self {
        let mut points = points;
        points.sort_by_key(|p| p.0);
        Curve {
            backend: backend.to_string(),
            points,
        }
    }

    /// The value at exactly `workers`.
    pub fn at(&self, workers: usize) -> Option<f64> {
        self.points.iter().find(|p| p.0 == workers).map(|p| p.1)
    }

    /// The highest value and its worker count.
    pub fn max(&self) -> Option<(usize, f64)> {
        self.points
            .iter()
            .copied()
            .reduce(|a, b| if b.1 > a.1 { b } else { a })
    }
}

/// Speedup that grows less than this factor from one measured worker count
/// to the next counts as "scaling stopped".
pub const STOP_GROWTH: f64 = 1.05;

/// The worker count past which speedup grows less than 5%; None if it grows
/// by more up to the last point.
pub fn scaling_stops(points: &[(usize, f64)]) -> Option<usize> {
    points
        .windows(2)
        .find(|w| w[1].1 < w[0].1 * STOP_GROWTH)
        .map(|w| w[0].0)
}

/// The worker count to compare backends at: the core count if measured,
/// else the largest measured count below it, else the smallest measured.
pub fn comparison_point(curves: &[Curve], cores: usize) -> Option<usize> {
    let all: Vec<usize> = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.0))
        .collect();
    all.iter()
        .copied()
        .filter(|&w| w <= cores)
        .max()
        .or_else(|| all.iter().copied().min())
}

/// The backend with the highest value at `workers`.
fn best_at(curves: &[Curve], workers: usize) -> Option<(&Curve, f64)> {
    curves
        .iter()
        .filter_map(|c| c.at(workers).map(|v| (c, v)))
        .reduce(|a, b| if b.1 > a.1 { b } else { a })
}

/// The highest value at two or more workers (one worker says nothing about
/// parallelism), or at any count if only one was measured.
fn parallel_max(curve: &Curve) -> Option<(usize, f64)> {
    let parallel = Curve {
        backend: curve.backend.clone(),
        points: curve.points.iter().copied().filter(|p| p.0 >= 2).collect(),
    };
    parallel.max().or_else(|| curve.max())
}

/// What the speedup chart's sentences need besides the curves.
#[derive(Debug, Clone, Copy, Default)]
pub struct SpeedupContext<'a> {
    /// The Amdahl fit of the best backend, when there were enough points.
    pub fit: Option<(&'a str, f64)>,
    /// The distinct worker counts measured at or below the cores.
    pub core_counts: &'a [usize],
    /// The sequential run's spread (see [`crate::report::criterion::Benchmark::spread`]).
    pub baseline_spread: Option<f64>,
    /// The widest spread of the parallel runs, for a cell whose own spread
    /// is not in `cell_spreads`.
    pub spread: Option<f64>,
    /// The workload's kind ("cpu", "memory", "io"): it decides which
    /// reasons a surprising speedup can have.
    pub kind: &'a str,
    /// Each parallel cell's own spread: (backend, workers, spread).
    pub cell_spreads: &'a [(String, usize, f64)],
    /// How far the machine's own speed moved while the group ran
    /// ([`crate::report::results::ResultRow::speed_change`]).
    pub speed_change: Option<f64>,
    /// The core-sharing probe run after the group
    /// ([`crate::report::results::ResultRow::core_sharing`]).
    pub core_sharing: Option<&'a crate::sweep::core_sharing::CoreSharing>,
}

impl SpeedupContext<'_> {
    /// The spread of the speedup of `backend` at `workers`: a speedup
    /// divides by the sequential run, so its relative spread is the sum of
    /// the two runs' (first order).
    fn speedup_spread(&self, backend: &str, workers: usize) -> Option<f64> {
        let cell = self
            .cell_spreads
            .iter()
            .find(|(b, w, _)| b == backend && *w == workers)
            .map(|c| c.2)
            .or(self.spread);
        match (self.baseline_spread, cell) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        }
    }

    /// The backend that ran fastest with one worker, when that beat the
    /// sequential run by more than both runs' noise: the same work on one
    /// core, so the sequential run itself was slowed.
    fn slow_baseline(&self, curves: &[Curve]) -> Option<(String, f64)> {
        curves
            .iter()
            .filter_map(|c| Some((c, c.at(1)?)))
            .filter(|(c, one)| {
                let noise =
                    BASELINE_GAP.max(2.0 * self.speedup_spread(&c.backend, 1).unwrap_or(0.0));
                *one > 1.0 + noise
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(c, one)| (c.backend.clone(), one))
    }
}

/// The values of an at-most claim, `value` against `bound`, with the
/// value's `spread`. Within the noise (`tolerance` or twice the spread) the
/// spread goes on the value, so the claim reads "within the noise"; beyond
/// it, the spread is shown as a third number beside the gap instead, so the
/// claim does not offer noise as a reason for a gap the spread cannot make.
/// The second result says whether the value is beyond the noise.
fn at_most_values(
    value: crate::report::claim::Value,
    bound: crate::report::claim::Value,
    spread: Option<f64>,
    tolerance: f64,
) -> (Vec<crate::report::claim::Value>, bool) {
    use crate::report::claim::{Unit, Value};
    let noise = tolerance.max(2.0 * spread.unwrap_or(0.0));
    if value.value > bound.value * (1.0 + noise) {
        let mut values = vec![value, bound];
        values.extend(spread.map(|s| Value::new("the run-to-run interval", s, Unit::Percent)));
        (values, true)
    } else {
        (vec![value.with_spread(spread), bound], false)
    }
}

/// A one-worker cell must beat the sequential run by at least this share
/// (or twice their spread) before the baseline counts as slowed: the same
/// work on one core differs by a few percent from chunking alone.
const BASELINE_GAP: f64 = 0.1;

/// The likely reason "a sequential run that was slowed", when the
/// one-worker cells show it.
fn slowed_baseline_reason(slow: &Option<(String, f64)>) -> Option<String> {
    slow.as_ref().map(|(backend, one)| {
        format!(
            "a slowed sequential run ({backend} with one worker, the same work on one core, \
             already ran at {} of its speed; page faults on first touch of memory, or other \
             programs during the sequential run, slow the baseline and lift every speedup)",
            words::speedup(Some(*one))
        )
    })
}

/// The likely reason "a slow reference", when the sequential reference
/// timed again at the group's end took less time than at its start by
/// more than [`crate::report::results::SPEED_CHANGE_NOTE`]: the start was
/// slow, which lifts every speedup. Every claim that names it is about a
/// value above its bound; a reference faster at the start would lower
/// the speedups, so it explains none of them.
fn speed_change_reason(cx: &SpeedupContext) -> Option<String> {
    let change = cx
        .speed_change
        .filter(|c| -c > crate::report::results::SPEED_CHANGE_NOTE)?;
    Some(format!(
        "a slow sequential reference (timed again after the last benchmark, it took {} less \
         time than at the start of this group; the notes at the top say why)",
        words::percent(-change)
    ))
}

/// The likely reason "a shared core", when the probe after the group found
/// something else taking this core's execution units at times: it slows
/// the same code by different amounts from run to run, the sequential
/// reference included, and a slowed reference lifts every speedup.
fn core_sharing_reason(cx: &SpeedupContext) -> Option<String> {
    let probe = cx.core_sharing?;
    let worst = probe.worst()?;
    let on = crate::report::results::on_cpu(worst, probe.cpus.len() > 1);
    Some(format!(
        "a core shared with other work at times, which slows the same code by different \
         amounts from run to run, the sequential reference included (a probe after this group \
         found independent multiplies' slow runs {} above their fast ones{on}, a dependent \
         chain's {}; the notes at the top say more)",
        words::percent(worst.independent_slowdown),
        words::percent(worst.chain_slowdown),
    ))
}

/// The likely reason "caches", for a memory-bound workload only.
fn caches_reason(kind: &str, workers: usize) -> Option<String> {
    (kind == "memory").then(|| {
        format!(
            "caches (each of the {workers} workers streams its own share of the data, which \
             can fit a cache the whole array did not, so each item costs less than in the \
             sequential run)"
        )
    })
}

/// The claims under the speedup chart: a speedup at most the ideal (the
/// cores at work), and gil near sequential speed. The reasons named when
/// the numbers disagree follow the size of the gap and the workload's kind:
/// a gap within the spread is noise (the claim says so itself); beyond it,
/// a sequential run that was slowed when the one-worker cells show it, and
/// caches on a memory-bound workload.
pub fn speedup_claims(
    cores: usize,
    curves: &[Curve],
    cx: &SpeedupContext,
) -> Vec<crate::report::Claim> {
    use crate::report::claim::{Claim, Expect, Unit, Value};
    let mut out = Vec::new();
    let Some(at) = comparison_point(curves, cores) else {
        return out;
    };
    let slow = cx.slow_baseline(curves);
    if let Some((best, s)) = best_at(curves, at) {
        let ideal = at.min(cores);
        let spread = cx.speedup_spread(&best.backend, at);
        let (values, beyond) = at_most_values(
            Value::new(
                format!("{} at {}", best.backend, words::workers(at)),
                s,
                Unit::Speedup,
            ),
            Value::new(
                format!("ideal with {ideal} cores"),
                ideal as f64,
                Unit::Speedup,
            ),
            spread,
            0.0,
        );
        let claim = Claim::new(EXPECT_IDEAL, Expect::AtMost, values);
        let claim = if beyond {
            // Caches when splitting the data gained more than one worker's
            // cell already shows against the baseline.
            let per_worker = s / ideal as f64;
            let caches = caches_reason(cx.kind, at)
                .filter(|_| slow.as_ref().is_none_or(|(_, one)| per_worker > one * 1.05));
            claim
                .reason(caches)
                .reason(slowed_baseline_reason(&slow))
                .reason(speed_change_reason(cx))
                .reason(core_sharing_reason(cx))
        } else {
            claim.reason(cx.baseline_spread.filter(|b| *b > 0.0).map(|b| {
                format!(
                    "a baseline effect (every speedup divides by the sequential run, whose own \
                     interval is {}: a slow sequential run lifts every line)",
                    words::plus_minus(b)
                )
            }))
        };
        out.push(
            claim
                .tolerance(0.0)
                .because("more workers than cores only take turns"),
        );
    }
    if let Some((w, g)) = curves
        .iter()
        .find(|c| c.backend == "gil")
        .and_then(parallel_max)
    {
        let waits = (cx.kind == "io").then(|| {
            "this workload waits, and the gil model releases its lock around each wait, as \
             CPython releases the GIL, so other threads run meanwhile"
                .to_string()
        });
        let (values, _) = at_most_values(
            Value::new(
                format!("gil at best ({})", words::workers(w)),
                g,
                Unit::Speedup,
            ),
            Value::new("sequential", 1.0, Unit::Speedup),
            cx.speedup_spread("gil", w),
            GIL_TOLERANCE,
        );
        out.push(
            Claim::new("gil stays at sequential speed", Expect::AtMost, values)
                .tolerance(GIL_TOLERANCE)
                .because("the lock lets one thread compute at a time, as CPython's GIL does")
                .reason(waits)
                .reason(caches_reason(cx.kind, w))
                .reason(slowed_baseline_reason(&slow))
                .reason(speed_change_reason(cx))
                .reason(core_sharing_reason(cx)),
        );
    }
    out
}

/// How far above sequential speed gil may get before it counts as faster:
/// its hand-offs and a one-worker cell's own noise move it by this much.
const GIL_TOLERANCE: f64 = 0.2;

/// The expectation under every speedup chart.
const EXPECT_IDEAL: &str =
    "a speedup is at most the number of cores at work (efficiency at most all of it)";

/// The speedup chart: the best backend at the core count and its
/// efficiency, where it stops scaling, and the Amdahl fit (or why there is
/// none). `curves` are speedups over sequential, without sequential; the
/// comparisons are [`speedup_claims`].
pub fn speedup(cores: usize, curves: &[Curve], cx: &SpeedupContext) -> Vec<String> {
    let fit = cx.fit;
    let mut out = Vec::new();
    let Some(at) = comparison_point(curves, cores) else {
        return vec!["No parallel backend was measured.".into()];
    };
    let where_ = if at == cores {
        format!("At {}, this machine's core count,", words::workers(at))
    } else {
        format!(
            "At {} (the most measured up to the {cores} cores),",
            words::workers(at)
        )
    };
    if let Some((best, s)) = best_at(curves, at) {
        out.push(format!(
            "{where_} {} is fastest: {s:.2}x the sequential speed, {} efficiency.",
            best.backend,
            words::percent(s / at as f64)
        ));
        match scaling_stops(&best.points) {
            Some(1) => out.push(format!(
                "{} does not scale: 2 workers or more are less than 5% faster than 1.",
                best.backend
            )),
            Some(k) => out.push(format!(
                "{} stops scaling at {}: past it, speedup grows less than 5% ({}).",
                best.backend,
                words::workers(k),
                if k >= cores {
                    "there are no more cores to use"
                } else {
                    "something other than cores limits it"
                }
            )),
            None => {
                if let Some(&(last, _)) = best.points.last() {
                    out.push(format!(
                        "{} still gains more than 5% at {}, the most measured.",
                        best.backend,
                        words::workers(last)
                    ));
                }
            }
        }
    }
    if fit.is_none() && cx.core_counts.len() < crate::report::amdahl::MIN_CORE_COUNTS {
        let counts: Vec<String> = cx.core_counts.iter().map(|c| c.to_string()).collect();
        let counts: Vec<&str> = counts.iter().map(String::as_str).collect();
        out.push(format!(
            "No Amdahl fit: it needs speedups at {} or more core counts up to the {cores} cores, \
             and this run has {} ({}). From so few points a serial part, load imbalance (the \
             balance page's busy times tell it apart) and a shared limit such as memory \
             bandwidth bend the curve alike.",
            crate::report::amdahl::MIN_CORE_COUNTS,
            cx.core_counts.len(),
            words::and_list(&counts)
        ));
    }
    if let Some((backend, f)) = fit {
        if f > 0.9 {
            out.push(format!(
                "The Amdahl fit to {backend} finds almost nothing parallel ({:.0}% serial): \
                 in this run more cores did not help it.",
                100.0 * f
            ));
        } else if f < 0.005 {
            out.push(format!(
                "The Amdahl fit to {backend} finds no serial part: it scales as if fully \
                 parallel, up to the cores."
            ));
        } else {
            out.push(format!(
                "The Amdahl fit to {backend} gives a serial fraction of {:.1}%: no number of \
                 cores could take it past {}x.",
                100.0 * f,
                if f > 0.1 {
                    format!("{:.1}", 1.0 / f)
                } else {
                    format!("{:.0}", 1.0 / f)
                }
            ));
        }
    }
    out
}

/// The efficiency chart: the range at the core count and the overhead each
/// backend shows at one worker (the fall past the cores is
/// [`efficiency_claims`]). `curves` are
/// efficiencies (speedup / workers), without sequential.
pub fn efficiency(cores: usize, curves: &[Curve]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(at) = comparison_point(curves, cores) {
        let mut at_cores: Vec<(&str, f64)> = curves
            .iter()
            .filter_map(|c| c.at(at).map(|e| (c.backend.as_str(), e)))
            .collect();
        at_cores.sort_by(|a, b| a.1.total_cmp(&b.1));
        if let (Some(lo), Some(hi)) = (at_cores.first(), at_cores.last()) {
            out.push(format!(
                "At {}, efficiency runs from {} ({}) to {} ({}).",
                words::workers(at),
                words::percent(lo.1),
                lo.0,
                words::percent(hi.1),
                hi.0
            ));
        }
    }
    let worst_at_one = curves
        .iter()
        .filter_map(|c| c.at(1).map(|e| (c.backend.as_str(), e)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((backend, e)) = worst_at_one {
        if e < 0.95 {
            out.push(format!(
                "With one worker, {backend} ran at {} of sequential speed: its machinery \
                 (spawning, pipes or locking) cost the other {}.",
                words::percent(e),
                words::percent(1.0 - e)
            ));
        } else {
            out.push(format!(
                "With one worker every backend kept at least {} of sequential speed: \
                 their machinery costs little next to this workload.",
                words::percent(e)
            ));
        }
    }
    out
}

/// The claim under the efficiency chart, when the sweep went past the
/// cores: at the most workers measured, the best efficiency is at most the
/// cores' share of them (the extra workers only take turns). `curves` are
/// efficiencies; `speedups` the same cells' speedups, for the reasons.
pub fn efficiency_claims(
    cores: usize,
    curves: &[Curve],
    speedups: &[Curve],
    cx: &SpeedupContext,
) -> Vec<crate::report::Claim> {
    use crate::report::claim::{Claim, Expect, Unit, Value};
    let most = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.0))
        .max();
    let Some(most) = most.filter(|&m| m > cores) else {
        return Vec::new();
    };
    let Some((best, e)) = best_at(curves, most) else {
        return Vec::new();
    };
    let share = cores as f64 / most as f64;
    let spread = cx.speedup_spread(&best.backend, most);
    let slow = cx.slow_baseline(speedups);
    let (values, _) = at_most_values(
        Value::new(
            format!("{} at {most} workers", best.backend),
            e,
            Unit::Percent,
        ),
        Value::new(
            format!("{cores} cores for {most} workers"),
            share,
            Unit::Percent,
        ),
        spread,
        0.0,
    );
    vec![
        Claim::new(
            "past the cores, efficiency is at most the cores' share of the workers",
            Expect::AtMost,
            values,
        )
        .tolerance(0.0)
        .because("the extra workers only take turns on the same cores")
        .reason(caches_reason(cx.kind, most))
        .reason(slowed_baseline_reason(&slow))
        .reason(speed_change_reason(cx))
        .reason(core_sharing_reason(cx)),
    ]
}

/// One bar or point of the absolute-time chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    pub backend: String,
    pub workers: usize,
    pub median_ms: f64,
    pub low_ms: f64,
    pub high_ms: f64,
    /// How far the median moved since the previous like run, as a share.
    pub previous_change: Option<f64>,
}

impl Timing {
    /// Half the confidence interval's width relative to the median.
    pub fn relative_spread(&self) -> f64 {
        (self.high_ms - self.low_ms) / 2.0 / self.median_ms
    }
}

/// The absolute-time chart: the sequential time, the fastest cell, and how
/// wide the confidence intervals are (the noise).
pub fn times(timings: &[Timing]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(seq) = timings.iter().find(|t| t.backend == "sequential") {
        out.push(format!(
            "Sequential took {} (confidence interval {} to {}).",
            words::ms(seq.median_ms),
            words::ms(seq.low_ms),
            words::ms(seq.high_ms)
        ));
    }
    if let Some(fast) = timings
        .iter()
        .min_by(|a, b| a.median_ms.total_cmp(&b.median_ms))
    {
        out.push(format!(
            "The fastest was {} with {}: {}.",
            fast.backend,
            words::workers(fast.workers),
            words::ms(fast.median_ms)
        ));
    }
    if let Some(wide) = timings
        .iter()
        .max_by(|a, b| a.relative_spread().total_cmp(&b.relative_spread()))
    {
        let narrow = timings
            .iter()
            .map(Timing::relative_spread)
            .fold(f64::INFINITY, f64::min);
        out.push(format!(
            "Criterion's 95% intervals run from {} to {} of their medians (widest: {} with {}). \
             They measure the spread within this run only.",
            words::plus_minus(narrow),
            words::plus_minus(wide.relative_spread()),
            wide.backend,
            words::workers(wide.workers)
        ));
        out.push(between_runs(timings));
    }
    out
}

/// A share in two significant digits: "0.4%", "2.3%", "12%".
fn share(fraction: f64) -> String {
    format!("{}%", words::significant(100.0 * fraction, 2))
}

/// What a second run adds to the noise: how far the medians moved since
/// the previous like run, or how to find out.
fn between_runs(timings: &[Timing]) -> String {
    let moved: Vec<(&Timing, f64)> = timings
        .iter()
        .filter_map(|t| Some((t, t.previous_change?)))
        .collect();
    let Some(&(most, change)) = moved.iter().max_by(|a, b| a.1.abs().total_cmp(&b.1.abs())) else {
        return "A second run on the same machine can move by more: run the same bench again \
                and this page says by how much each median moved."
            .to_string();
    };
    let typical = {
        let mut sizes: Vec<f64> = moved.iter().map(|(_, c)| c.abs()).collect();
        sizes.sort_by(f64::total_cmp);
        sizes[sizes.len() / 2]
    };
    let direction = if change > 0.0 { "slower" } else { "faster" };
    format!(
        "Against the previous run of this bench at the same size and mode, the medians moved \
         by {} in the middle and by at most {} ({} with {}, {direction} now); the claims on \
         this page count that move as noise.",
        share(typical),
        share(change.abs()),
        most.backend,
        words::workers(most.workers)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curves() -> Vec<Curve> {
        vec![
            Curve::new("threads", vec![(1, 0.99), (2, 1.70), (4, 1.75)]),
            Curve::new("rayon", vec![(1, 0.98), (2, 1.93), (4, 1.94)]),
            Curve::new("gil", vec![(1, 0.99), (2, 0.98), (4, 0.97)]),
            Curve::new("process", vec![(1, 0.90), (2, 1.60), (4, 1.70)]),
        ]
    }

    #[test]
    fn scaling_stop_is_the_last_count_that_gained_five_percent() {
        assert_eq!(scaling_stops(&[(1, 1.0), (2, 1.9), (4, 1.92)]), Some(2));
        assert_eq!(scaling_stops(&[(1, 1.0), (2, 1.02)]), Some(1));
        assert_eq!(scaling_stops(&[(1, 1.0), (2, 1.9), (4, 3.5)]), None);
        assert_eq!(scaling_stops(&[(1, 1.0)]), None);
    }

    fn cx(fit: Option<(&str, f64)>) -> SpeedupContext<'_> {
        SpeedupContext {
            fit,
            core_counts: &[1, 2, 4],
            ..SpeedupContext::default()
        }
    }

    fn claims_text(cores: usize, curves: &[Curve]) -> String {
        let claims = speedup_claims(cores, curves, &cx(None));
        for c in &claims {
            c.check(&c.sentence()).unwrap();
        }
        claims
            .iter()
            .map(|c| c.sentence())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn speedup_names_the_best_backend_its_stop_the_gil_and_the_fit() {
        let text = speedup(2, &curves(), &cx(Some(("rayon", 0.036)))).join(" ");
        assert!(
            text.contains("At 2 workers, this machine's core count, rayon is fastest: 1.93x"),
            "{text}"
        );
        assert!(text.contains("96% efficiency"), "{text}");
        assert!(text.contains("rayon stops scaling at 2 workers"), "{text}");
        assert!(text.contains("no more cores"), "{text}");
        assert!(
            text.contains("serial fraction of 3.6%") && text.contains("past 28x"),
            "{text}"
        );
        let claims = claims_text(2, &curves());
        assert!(
            claims.contains(
                "As expected, gil stays at sequential speed: gil at best (2 workers) 0.98x"
            ),
            "{claims}"
        );
        assert!(
            claims.contains("As expected, a speedup is at most"),
            "{claims}"
        );
    }

    #[test]
    fn a_speedup_above_the_cores_and_no_fit_on_two_core_counts_are_said() {
        let curves = vec![Curve::new("process", vec![(1, 1.0), (2, 2.06)])];
        let claims = speedup_claims(
            2,
            &curves,
            &SpeedupContext {
                baseline_spread: Some(0.03),
                ..SpeedupContext::default()
            },
        );
        let text = claims[0].sentence();
        assert!(
            text.starts_with("Expected that a speedup is at most"),
            "{text}"
        );
        assert!(text.contains("process at 2 workers 2.06x"), "{text}");
        assert!(text.contains("a baseline effect"), "{text}");
        let text = speedup(
            2,
            &curves,
            &SpeedupContext {
                core_counts: &[1, 2],
                ..SpeedupContext::default()
            },
        )
        .join(" ");
        assert!(text.contains("No Amdahl fit: it needs speedups at 3 or more core counts up to the 2 cores, and this run has 2 (1 and 2)"), "{text}");
    }

    #[test]
    fn speedup_follows_the_numbers() {
        let curves = vec![
            Curve::new("pool", vec![(1, 0.97), (2, 1.96), (4, 3.9), (8, 7.5)]),
            Curve::new("gil", vec![(1, 1.0), (2, 1.8), (4, 3.0), (8, 3.1)]),
        ];
        let text = speedup(4, &curves, &cx(Some(("pool", 0.001)))).join(" ");
        assert!(
            text.contains("At 4 workers, this machine's core count, pool is fastest: 3.90x"),
            "{text}"
        );
        assert!(
            text.contains("pool still gains more than 5% at 8 workers"),
            "{text}"
        );
        let io = SpeedupContext {
            kind: "io",
            ..cx(None)
        };
        let claims: Vec<String> = speedup_claims(4, &curves, &io)
            .iter()
            .map(|c| c.sentence())
            .collect();
        let claims = claims.join(" ");
        assert!(
            claims.contains("Expected that gil stays at sequential speed, but measured otherwise: gil at best (8 workers) 3.10x"),
            "{claims}"
        );
        assert!(
            claims.contains("releases its lock around each wait"),
            "{claims}"
        );
        assert!(text.contains("no serial part"), "{text}");
        // The core count was not measured: compare at the largest count below it.
        let text = speedup(3, &curves, &cx(None)).join(" ");
        assert!(
            text.contains("At 2 workers (the most measured up to the 3 cores), pool"),
            "{text}"
        );
    }

    #[test]
    fn gil_is_judged_at_two_workers_or_more_and_a_serial_fit_says_so() {
        let curves = vec![Curve::new("gil", vec![(1, 1.33), (2, 0.9)])];
        let text = speedup(2, &curves, &cx(Some(("gil", 1.0)))).join(" ");
        assert!(
            claims_text(2, &curves).contains("gil at best (2 workers) 0.90x"),
            "{}",
            claims_text(2, &curves)
        );
        assert!(
            text.contains("finds almost nothing parallel (100% serial)"),
            "{text}"
        );
    }

    #[test]
    fn efficiency_reports_spread_oversubscription_and_overhead() {
        let effs: Vec<Curve> = curves()
            .into_iter()
            .map(|c| {
                let pts = c.points.iter().map(|&(w, s)| (w, s / w as f64)).collect();
                Curve::new(&c.backend, pts)
            })
            .collect();
        let text = efficiency(2, &effs).join(" ");
        assert!(
            text.contains("At 2 workers, efficiency runs from 49% (gil) to 96% (rayon)"),
            "{text}"
        );
        let claims = efficiency_claims(2, &effs, &curves(), &cx(None));
        let c = &claims[0];
        assert_eq!(
            c.sentence(),
            "As expected, past the cores, efficiency is at most the cores' share of the \
             workers: rayon at 4 workers 48% and 2 cores for 4 workers 50%. The extra workers \
             only take turns on the same cores."
        );
        // Reversed: the extra workers gained, which taking turns cannot do.
        let gained = vec![Curve::new("rayon", vec![(1, 1.0), (2, 0.95), (4, 0.7)])];
        let c = &efficiency_claims(2, &gained, &[], &cx(None))[0];
        assert_eq!(c.outcome(), crate::report::claim::Outcome::Contradicts);
        c.check(&c.sentence()).unwrap();
        assert!(
            c.sentence()
                .contains("rayon at 4 workers 70% and 2 cores for 4 workers 50%"),
            "{}",
            c.sentence()
        );
        assert!(efficiency_claims(4, &gained, &[], &cx(None)).is_empty());
        assert!(
            text.contains("With one worker, process ran at 90%"),
            "{text}"
        );
    }

    #[test]
    fn times_give_sequential_fastest_and_noise() {
        let t = |b: &str, w, m, lo, hi| Timing {
            backend: b.into(),
            workers: w,
            median_ms: m,
            low_ms: lo,
            high_ms: hi,
            previous_change: None,
        };
        let text = times(&[
            t("sequential", 1, 240.0, 238.0, 243.0),
            t("rayon", 2, 124.0, 120.0, 150.0),
        ])
        .join(" ");
        assert!(
            text.contains("Sequential took 240 ms (confidence interval 238 ms to 243 ms)"),
            "{text}"
        );
        assert!(
            text.contains("The fastest was rayon with 2 workers: 124 ms"),
            "{text}"
        );
        assert!(
            text.contains("run from ±1.0% to ±12% of their medians (widest: rayon with 2 workers)"),
            "{text}"
        );
        assert!(text.contains("within this run only"), "{text}");
        assert!(!text.contains("are real"), "{text}");
        assert!(text.contains("run the same bench again"), "{text}");

        // With a like previous run: the typical and the largest move.
        let moved = |mut t: Timing, c| {
            t.previous_change = Some(c);
            t
        };
        let text = times(&[
            moved(t("sequential", 1, 240.0, 238.0, 243.0), 0.004),
            moved(t("rayon", 2, 124.0, 120.0, 150.0), -0.071),
            moved(t("threads", 2, 130.0, 128.0, 131.0), 0.012),
        ])
        .join(" ");
        assert!(
            text.contains(
                "the medians moved by 1.2% in the middle and by at most 7.1% (rayon with 2 \
                 workers, faster now)"
            ),
            "{text}"
        );
        assert!(!text.contains("run the same bench again"), "{text}");
    }

    /// Spreads of 1% on every cell and on the sequential run.
    fn spreads(curves: &[Curve]) -> Vec<(String, usize, f64)> {
        curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| (c.backend.clone(), p.0, 0.01)))
            .collect()
    }

    fn sentences(kind: &str, curves: &[Curve]) -> Vec<String> {
        sentences_with(kind, curves, None)
    }

    fn sentences_with(kind: &str, curves: &[Curve], speed_change: Option<f64>) -> Vec<String> {
        let cell_spreads = spreads(curves);
        let cx = SpeedupContext {
            kind,
            baseline_spread: Some(0.01),
            cell_spreads: &cell_spreads,
            speed_change,
            ..SpeedupContext::default()
        };
        speedup_claims(2, curves, &cx)
            .iter()
            .map(|c| {
                c.check(&c.sentence()).unwrap();
                c.sentence()
            })
            .collect()
    }

    #[test]
    fn a_reference_slow_at_the_start_of_the_group_is_named_as_a_reason() {
        // monte_carlo on 2 cores at 2.9x, its reference taking 35% less
        // time when timed again at the group's end than at its start.
        let curves = vec![Curve::new("threads", vec![(1, 1.3), (2, 2.9)])];
        let named = sentences_with("cpu", &curves, Some(-0.35)).join(" ");
        assert!(
            named.contains("a slow sequential reference")
                && named.contains("it took 35% less time than at the start"),
            "{named}"
        );
        // Faster at the start lowers the speedups: no reason for 2.9x.
        let faster = sentences_with("cpu", &curves, Some(0.35)).join(" ");
        assert!(!faster.contains("slow sequential reference"), "{faster}");
        let calm = sentences_with("cpu", &curves, Some(-0.03)).join(" ");
        assert!(!calm.contains("slow sequential reference"), "{calm}");
    }

    #[test]
    fn a_shared_core_is_named_as_a_reason_only_when_the_probe_found_one() {
        use crate::sweep::core_sharing::{CoreSharing, CpuProbe};
        let curves = vec![Curve::new("threads", vec![(1, 1.0), (2, 2.9)])];
        let cpu = |cpu, independent_slowdown, chain_slowdown| CpuProbe {
            cpu: Some(cpu),
            independent_slowdown,
            chain_slowdown,
        };
        let with = |cpus: Vec<CpuProbe>| {
            let cell_spreads = spreads(&curves);
            let probe = CoreSharing { cpus, rounds: 30 };
            let cx = SpeedupContext {
                kind: "cpu",
                baseline_spread: Some(0.01),
                cell_spreads: &cell_spreads,
                core_sharing: Some(&probe),
                ..SpeedupContext::default()
            };
            speedup_claims(2, &curves, &cx)
                .iter()
                .map(|c| {
                    c.check(&c.sentence()).unwrap();
                    c.sentence()
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let shared = with(vec![cpu(0, 0.12, 0.02), cpu(1, 0.28, 0.02)]);
        assert!(
            shared.contains("a core shared with other work at times")
                && shared.contains(
                    "independent multiplies' slow runs 28% above their fast ones on CPU 1, a \
                     dependent chain's 2%"
                ),
            "{shared}"
        );
        // Both loops slowed alike: a slower machine, not a shared core.
        let both = with(vec![cpu(0, 0.28, 0.25)]);
        assert!(!both.contains("core shared"), "{both}");
    }

    #[test]
    fn a_speedup_far_above_the_cores_names_caches_on_memory_work_not_noise() {
        // The memory-bound stream at 3.44x on 2 cores, one worker as fast
        // as sequential: the gain came with splitting the data.
        let curves = vec![
            Curve::new("threads", vec![(1, 0.98), (2, 3.44)]),
            Curve::new("pool", vec![(1, 0.97), (2, 3.1)]),
        ];
        let text = &sentences("memory", &curves)[0];
        assert!(
            text.starts_with(
                "Expected that a speedup is at most the number of cores at work (efficiency at \
                 most all of it), but measured otherwise: threads at 2 workers 3.44x, ideal \
                 with 2 cores 2.00x and the run-to-run interval 2%. Likely \
                 reasons: caches (each of the 2 workers streams its own share"
            ),
            "{text}"
        );
        assert!(!text.contains("noise"), "{text}");
        assert!(!text.contains("slowed"), "{text}");
        // The same numbers on CPU-bound work: no caches, and nothing in
        // this run says why.
        let text = &sentences("cpu", &curves)[0];
        assert!(
            !text.contains("caches") && !text.contains("noise"),
            "{text}"
        );
        assert!(text.contains("This run does not show why"), "{text}");
    }

    #[test]
    fn a_one_worker_cell_faster_than_sequential_names_the_baseline() {
        let curves = vec![Curve::new("threads", vec![(1, 1.45), (2, 2.9)])];
        let text = &sentences("cpu", &curves)[0];
        assert!(
            text.contains(
                "Likely reasons: a slowed sequential run (threads with one worker, the same \
                 work on one core, already ran at 1.45x of its speed"
            ),
            "{text}"
        );
        assert!(!text.contains("caches"), "{text}");
        // On memory-bound work, caches only when the split gained more
        // than the one-worker cell already shows.
        let text = &sentences("memory", &curves)[0];
        assert!(
            text.contains("slowed") && !text.contains("caches"),
            "{text}"
        );
        let split = vec![Curve::new("threads", vec![(1, 1.45), (2, 3.6)])];
        let text = &sentences("memory", &split)[0];
        assert!(text.contains("slowed") && text.contains("caches"), "{text}");
    }

    #[test]
    fn a_speedup_within_its_spread_of_the_cores_is_noise() {
        let curves = vec![Curve::new("process", vec![(1, 1.0), (2, 2.02)])];
        let text = &sentences("memory", &curves)[0];
        assert!(text.contains("a difference within the noise"), "{text}");
        assert!(!text.contains("caches"), "{text}");
    }

    #[test]
    fn the_gil_claims_reasons_follow_the_workloads_kind() {
        let curves = vec![Curve::new("gil", vec![(1, 1.0), (2, 1.6)])];
        let cpu = &sentences("cpu", &curves)[1];
        assert!(
            cpu.starts_with("Expected that gil stays at sequential speed"),
            "{cpu}"
        );
        assert!(!cpu.contains("wait") && !cpu.contains("caches"), "{cpu}");
        let memory = &sentences("memory", &curves)[1];
        assert!(
            memory.contains("caches") && !memory.contains("wait"),
            "{memory}"
        );
        let io = &sentences("io", &curves)[1];
        assert!(
            io.contains("around each wait") && !io.contains("caches"),
            "{io}"
        );
        let slowed = vec![Curve::new("gil", vec![(1, 1.5), (2, 1.6)])];
        let cpu = &sentences("cpu", &slowed)[1];
        assert!(cpu.contains("a slowed sequential run"), "{cpu}");
    }

    #[test]
    fn the_fastest_backend_and_its_stop_follow_the_numbers_reversed() {
        let forward = vec![
            Curve::new("threads", vec![(1, 1.0), (2, 1.9), (4, 1.92)]),
            Curve::new("process", vec![(1, 0.9), (2, 1.5), (4, 1.8)]),
        ];
        let text = speedup(2, &forward, &cx(None)).join(" ");
        assert!(text.contains("threads is fastest: 1.90x"), "{text}");
        assert!(
            text.contains("threads stops scaling at 2 workers"),
            "{text}"
        );
        let reversed = vec![
            Curve::new("threads", vec![(1, 0.9), (2, 1.5), (4, 1.8)]),
            Curve::new("process", vec![(1, 1.0), (2, 1.9), (4, 3.0)]),
        ];
        let text = speedup(2, &reversed, &cx(None)).join(" ");
        assert!(text.contains("process is fastest: 1.90x"), "{text}");
        assert!(text.contains("process still gains more than 5%"), "{text}");
    }

    #[test]
    fn nothing_measured_says_so() {
        assert_eq!(
            speedup(2, &[], &SpeedupContext::default()),
            vec!["No parallel backend was measured."]
        );
        assert!(efficiency(2, &[]).is_empty());
        assert!(times(&[]).is_empty());
    }
}
