//! Sentences about load balancing, from the balance sweep's numbers: the
//! best chunking per backend and its speedup, where the wait for the
//! slowest worker stops mattering, when more chunks cost more than they
//! balance, and why `process` sits above `pool` (lesson 3).
//!
//! Every comparison is computed from the numbers passed in, with a branch
//! for when this machine disagrees with the expectation. A difference
//! smaller than [`noise`] (the larger of [`MATTERS`] and the run-to-run
//! spread of the sweep) counts as none.

use crate::report::claim::{Claim, Expect, Unit, Value};
use crate::report::explain::words;

/// A difference below this share of a run, or of a speedup, counts as
/// none, even when the runs were steadier.
pub const MATTERS: f64 = 0.05;

/// One chunking of one backend: the speedup over sequential and, when the
/// busy times were recorded, the shares of the run spent waiting for the
/// slowest worker and outside any chunk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KPoint {
    /// Chunks per worker.
    pub k: usize,
    pub speedup: f64,
    pub waiting: Option<f64>,
    pub outside: Option<f64>,
}

/// One backend across chunkings, sorted by `k`.
#[derive(Debug, Clone, PartialEq)]
pub struct KCurve {
    pub backend: String,
    pub points: Vec<KPoint>,
    /// `(k, spread)`: each point's run-to-run spread as a share of its
    /// time (see [`crate::report::claim::Value::spread`]), when known.
    pub spreads: Vec<(usize, f64)>,
}

impl KCurve {
    pub fn new(backend: &str, mut points: Vec<KPoint>) -> Self {
        points.sort_by_key(|p| p.k);
        KCurve {
            backend: backend.to_string(),
            points,
            spreads: Vec::new(),
        }
    }

    pub fn with_spreads(mut self, spreads: Vec<(usize, f64)>) -> Self {
        self.spreads = spreads;
        self
    }

    /// The spread at `k` chunks per worker, when known.
    pub fn spread(&self, k: usize) -> Option<f64> {
        self.spreads.iter().find(|s| s.0 == k).map(|s| s.1)
    }

    /// The point at the chunking the backends use by default
    /// ([`crate::backends::TASKS_PER_WORKER`] per worker), or the nearest
    /// measured above one chunk per worker.
    pub fn moderate(&self) -> Option<&KPoint> {
        let k = crate::backends::TASKS_PER_WORKER;
        self.points
            .iter()
            .filter(|p| p.k > 1)
            .min_by_key(|p| p.k.abs_diff(k))
    }

    /// The point with `p`'s speedup as a claim's value.
    fn value(&self, p: &KPoint) -> Value {
        Value::new(
            format!("{} at {}", self.backend, per_worker(p.k)),
            p.speedup,
            Unit::Speedup,
        )
        .with_spread(self.spread(p.k))
    }

    /// The point at exactly `k` chunks per worker.
    pub fn at(&self, k: usize) -> Option<&KPoint> {
        self.points.iter().find(|p| p.k == k)
    }

    /// The fastest chunking (the smallest `k` of equal speedups).
    pub fn best(&self) -> Option<&KPoint> {
        self.points
            .iter()
            .reduce(|a, b| if b.speedup > a.speedup { b } else { a })
    }

    /// The most chunks per worker measured.
    pub fn last(&self) -> Option<&KPoint> {
        self.points.last()
    }
}

/// The threshold below which a difference counts as none: [`MATTERS`], or
/// the sweep's typical run-to-run `spread` if that is larger.
pub fn noise(spread: f64) -> f64 {
    MATTERS.max(spread)
}

/// "1 chunk per worker", "16 chunks per worker".
pub fn per_worker(k: usize) -> String {
    if k == 1 {
        "1 chunk per worker".into()
    } else {
        format!("{k} chunks per worker")
    }
}

/// What handing out one chunk costs a backend, for a reader.
fn dispatch(backend: &str) -> &'static str {
    match backend {
        "threads" => "an atomic increment",
        "rayon" => "a steal from another thread's queue",
        "pool" => "a request and a reply through the pipes",
        _ => "a hand-off",
    }
}

/// The speedup chart of one workload at `workers` workers: the best
/// chunking per backend, what one static chunk per worker left waiting,
/// and Python's `Pool.map`. `curves` are the Rust backends swept over
/// chunkings; `python` is `multiprocessing.Pool`'s when measured. The
/// comparisons are [`speedup_claims`].
pub fn speedup(
    workload: &str,
    workers: usize,
    curves: &[KCurve],
    python: Option<&KCurve>,
    noise: f64,
) -> Vec<String> {
    let mut out = Vec::new();
    let bests: Vec<String> = curves
        .iter()
        .filter_map(|c| {
            let best = c.best()?;
            let static_ = c
                .at(1)
                .filter(|_| best.k != 1)
                .map(|p| {
                    format!(
                        " ({} with 1 static chunk per worker)",
                        words::speedup(Some(p.speedup))
                    )
                })
                .unwrap_or_default();
            Some(format!(
                "{} {} at {}{static_}",
                c.backend,
                words::speedup(Some(best.speedup)),
                per_worker(best.k)
            ))
        })
        .collect();
    if bests.is_empty() {
        return vec![format!("No backend was measured on {workload}.")];
    }
    out.push(format!(
        "At {}, the best chunking on {workload}: {}.",
        words::workers(workers),
        bests.join("; ")
    ));
    if let Some((waited, by)) = static_wait(curves) {
        out.push(format!(
            "With 1 static chunk per worker, {} workers waited for the slowest one for {} of \
             the run: {}.",
            words::possessive(by),
            words::percent(waited),
            if waited > noise {
                "the workers' shares cost unequal amounts"
            } else {
                "the workers' shares came out about even"
            }
        ));
    }
    if let Some(py) = python {
        out.extend(python_sentence(py, curves));
    }
    out
}

/// How a balance sweep was measured, for its claims' reasons.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// Below this, a difference counts as none ([`noise`]).
    pub noise: f64,
    /// Other programs used the machine during the sweep (the balance
    /// page's busy check).
    pub busy: bool,
    pub quick: bool,
}

impl Measured {
    fn reasons(&self) -> [Option<String>; 2] {
        [
            self.busy.then(|| {
                "other programs on the cores (they used a large share of its CPU time during the \
                 sweep)"
                    .into()
            }),
            self.quick
                .then(|| "a sweep in quick mode (small jobs, three runs a cell)".into()),
        ]
    }
}

/// The claims under one workload's speedup chart:
/// - when one static chunk per worker left the workers waiting for the
///   slowest (the busy times show it), each backend is faster at its
///   default chunking than at one chunk per worker; when it did not, about
///   as fast;
/// - from the default chunking to the most chunks, the pool (a pipe round
///   trip per chunk) slows down, while threads and rayon (an atomic
///   increment, a steal) keep their speed;
/// - a speedup above the worker count, when one is, against that bound.
pub fn speedup_claims(
    workload: &str,
    workers: usize,
    curves: &[KCurve],
    python: Option<&KCurve>,
    m: &Measured,
) -> Vec<Claim> {
    let mut out = Vec::new();
    let waited = static_wait(curves);
    for c in curves {
        let (Some(one), Some(mid)) = (c.at(1), c.moderate()) else {
            continue;
        };
        let values = vec![c.value(one), c.value(mid)];
        let claim = match waited {
            Some((w, _)) if w > m.noise => Claim::new(
                format!(
                    "more chunks win back the wait for the slowest worker on {workload}: {} \
                     faster at its default chunking than at one static chunk per worker",
                    c.backend
                ),
                Expect::Ascending,
                values,
            )
            .because("a worker that finishes early takes the next chunk, so the wait shrinks"),
            Some(_) => Claim::new(
                format!(
                    "with little wait for the slowest at one chunk per worker, more chunks have \
                     little to win on {workload}: {} not faster at its default chunking",
                    c.backend
                ),
                Expect::AtMost,
                values.into_iter().rev().collect(),
            )
            .because("one static chunk per worker already kept the workers about equally busy"),
            None => continue,
        };
        let [busy, quick] = m.reasons();
        out.push(claim.tolerance(m.noise).reason(busy).reason(quick));
    }
    for c in curves {
        let (Some(mid), Some(last)) = (c.moderate(), c.last()) else {
            continue;
        };
        if last.k <= mid.k {
            continue;
        }
        let grew = match (mid.outside, last.outside) {
            (Some(from), Some(to)) if to - from > m.noise => Some(format!(
                "the time {}'s workers spent outside any chunk grew from {} to {} of the run",
                c.backend,
                words::percent(from),
                words::percent(to)
            )),
            _ => None,
        };
        let small = match (mid.outside, last.outside) {
            (Some(from), Some(to)) if to - from <= m.noise => Some(format!(
                "the time outside any chunk did not grow ({} to {} of the run): on a job this \
                 size the chunks' hand-offs are small",
                words::percent(from),
                words::percent(to)
            )),
            _ => None,
        };
        let values = vec![c.value(mid), c.value(last)];
        let claim = if c.backend == "pool" {
            Claim::new(
                format!(
                    "past its default chunking, many chunks cost pool more than they balance \
                     on {workload}: slower with the most chunks"
                ),
                Expect::Descending,
                values,
            )
            .because(format!(
                "every chunk costs it {}, and that many chunks add up",
                dispatch(&c.backend)
            ))
            .reason(small)
        } else {
            Claim::new(
                format!(
                    "handing out a chunk costs {} far less than running one: not slower on \
                     {workload} with the most chunks than at its default chunking",
                    c.backend
                ),
                Expect::AtMost,
                values,
            )
            .because(format!("a chunk costs it only {}", dispatch(&c.backend)))
            .reason(grew)
        };
        let [busy, quick] = m.reasons();
        out.push(claim.tolerance(m.noise).reason(busy).reason(quick));
    }
    out.extend(above_the_workers(workers, curves.iter().chain(python), m));
    out
}

/// A speedup above what `workers` workers can give is not a result: it
/// says the sequential reference ran slower than the cell (the machine was
/// busier then) or the runs were noisy. The claim, when one is above.
fn above_the_workers<'c>(
    workers: usize,
    curves: impl Iterator<Item = &'c KCurve>,
    m: &Measured,
) -> Option<Claim> {
    let (c, top) = curves
        .filter_map(|c| Some((c, c.best()?)))
        .filter(|(_, p)| p.speedup > workers as f64)
        .max_by(|a, b| a.1.speedup.total_cmp(&b.1.speedup))?;
    let mut value = c.value(top);
    if c.backend == "python-pool" {
        value.label = format!("Python's Pool.map at {}", per_worker(top.k));
    }
    let [busy, quick] = m.reasons();
    Some(
        Claim::new(
            "a speedup is at most the worker count",
            Expect::AtMost,
            vec![
                value,
                Value::new(words::workers(workers), workers as f64, Unit::Speedup),
            ],
        )
        .tolerance(0.0)
        .because("each worker does at most one sequential run's worth of work at a time")
        .reason(Some(
            "the sequential reference ran slower than these cells (the machine was busier then)"
                .into(),
        ))
        .reason(busy)
        .reason(quick),
    )
}

/// The wait for the slowest worker at one chunk per worker, and whose:
/// `threads` when measured (its K = 1 gives chunk `i` to thread `i`, so
/// the wait is the items' unevenness alone), else the largest measured (a
/// scheduler may also put both chunks on one thread).
fn static_wait(curves: &[KCurve]) -> Option<(f64, &str)> {
    fn of(c: &KCurve) -> Option<(f64, &str)> {
        Some((c.at(1)?.waiting?, c.backend.as_str()))
    }
    curves
        .iter()
        .find(|c| c.backend == "threads")
        .and_then(of)
        .or_else(|| {
            curves
                .iter()
                .filter_map(of)
                .reduce(|a, b| if b.0 > a.0 { b } else { a })
        })
}

/// Python's `Pool.map` beside the Rust pool.
fn python_sentence(py: &KCurve, curves: &[KCurve]) -> Option<String> {
    let best = py.best()?;
    let static_ = py
        .at(1)
        .filter(|_| best.k != 1)
        .map(|p| format!(", against {} at 1", words::speedup(Some(p.speedup))))
        .unwrap_or_default();
    let rust = curves
        .iter()
        .find(|c| c.backend == "pool")
        .and_then(KCurve::best)
        .map(|p| {
            format!(
                " (the Rust pool's best: {} at {})",
                words::speedup(Some(p.speedup)),
                per_worker(p.k)
            )
        })
        .unwrap_or_default();
    Some(format!(
        "Python's Pool.map (dashed) was fastest at {}: {}{static_}{rust}. Its default chunksize, \
         the length divided by four times the workers, gives about 4 chunks per worker.",
        per_worker(best.k),
        words::speedup(Some(best.speedup))
    ))
}

/// The busy-time chart of one workload: per backend, whether one static
/// chunk per worker left a wait worth balancing, where the wait falls
/// below the noise, and where the time outside the chunks overtakes it.
pub fn busy(curves: &[KCurve], noise: f64) -> Vec<String> {
    let mut out = Vec::new();
    let mut balanced = Vec::new();
    for c in curves.iter().filter(|c| c.points.len() > 1) {
        let both: Vec<(usize, f64, f64)> = c
            .points
            .iter()
            .filter_map(|p| Some((p.k, p.waiting?, p.outside?)))
            .collect();
        let (Some(&(k0, w0, _)), Some(&(k_last, w_last, _))) = (both.first(), both.last()) else {
            continue;
        };
        if w0 <= noise {
            balanced.push((c.backend.as_str(), w0));
            continue;
        }
        let settles = both.iter().find(|&&(_, w, _)| w <= noise);
        let crosses = both.iter().find(|&&(_, w, o)| o > w);
        let mut sentence = format!(
            "{}: the wait for the slowest was {} of the run at {}",
            c.backend,
            words::percent(w0),
            per_worker(k0)
        );
        match settles {
            Some(&(k, w, _)) => sentence.push_str(&format!(
                " and fell below {} at {} ({})",
                words::percent(noise),
                per_worker(k),
                words::percent(w)
            )),
            None => sentence.push_str(&format!(
                " and was still {} at {}",
                words::percent(w_last),
                per_worker(k_last)
            )),
        }
        match crosses {
            Some(&(k, w, o)) => sentence.push_str(&format!(
                "; the time outside the chunks overtook it at {} ({} against {}): past there, \
                 more chunks cost more than they balance.",
                per_worker(k),
                words::percent(o),
                words::percent(w)
            )),
            None if settles.is_none() => sentence.push_str(
                ", above the time outside the chunks all along: more chunks could still pay.",
            ),
            None => sentence.push('.'),
        }
        out.push(sentence);
    }
    if !balanced.is_empty() {
        let names: Vec<&str> = balanced.iter().map(|b| b.0).collect();
        let most = balanced.iter().map(|b| b.1).fold(0.0, f64::max);
        out.push(format!(
            "{}: the wait for the slowest was at most {} of the run already at 1 chunk per \
             worker, below {}: little imbalance to balance.",
            words::and_list(&names),
            words::percent(most),
            words::percent(noise)
        ));
    }
    out
}

/// The chunk-size lesson's answer on `workload`: what one static chunk
/// per worker lost, the best chunking per backend, and what the most
/// chunks cost.
pub fn chunk_answer(workload: &str, curves: &[KCurve], noise: f64) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((w, by)) = static_wait(curves) {
        out.push(if w > noise {
            format!(
                "On {workload}, 1 static chunk per worker left {} workers waiting for the \
                 slowest one for {} of the run: load imbalance, as expected of uneven items.",
                words::possessive(by),
                words::percent(w)
            )
        } else {
            format!(
                "On {workload}, 1 static chunk per worker left the workers waiting for the \
                 slowest one for only {} of the run: expected more, as its items cost unequal \
                 amounts; on this machine the halves came out about even (or other programs \
                 hid the difference).",
                words::percent(w)
            )
        });
    }
    let bests: Vec<(usize, &str, f64)> = curves
        .iter()
        .filter_map(|c| c.best().map(|b| (b.k, c.backend.as_str(), b.speedup)))
        .collect();
    let lo = bests.iter().map(|b| b.0).min();
    let hi = bests.iter().map(|b| b.0).max();
    if let (Some(lo), Some(hi)) = (lo, hi) {
        let each: Vec<String> = bests
            .iter()
            .map(|(k, b, s)| format!("{b} {k} ({})", words::speedup(Some(*s))))
            .collect();
        out.push(if lo == hi {
            format!(
                "The fastest chunking was {} for every backend: {}.",
                per_worker(lo),
                each.join(", ")
            )
        } else {
            format!(
                "The fastest chunking was {lo} to {} depending on the backend: {}.",
                per_worker(hi),
                each.join(", ")
            )
        });
    }
    let worst = curves
        .iter()
        .filter_map(|c| {
            let (best, last) = (c.best()?, c.last()?);
            Some((
                1.0 - last.speedup / best.speedup,
                c.backend.as_str(),
                last.k,
            ))
        })
        .reduce(|a, b| if b.0 > a.0 { b } else { a });
    if let Some((drop, backend, k)) = worst {
        out.push(if drop > noise {
            format!(
                "At {}, {backend} had lost {} of its best speed: every chunk costs it {}, and \
                 that many chunks add up.",
                per_worker(k),
                words::percent(drop),
                dispatch(backend)
            )
        } else {
            format!(
                "Even at {} no backend lost more than {} of its best speed: on this job, handing \
                 out a chunk costs far less than running one.",
                per_worker(k),
                words::percent(noise)
            )
        });
    }
    out
}

/// What lesson 3 compares: `process` and `pool` on one workload at
/// `workers` workers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessVsPool {
    pub workers: usize,
    /// Time per run, from the scaling bench.
    pub process_ms: f64,
    pub pool_ms: f64,
    /// Starting one `tvp worker` child, from the costs bench.
    pub spawn_ms: f64,
    /// Shares of a run spent waiting for the slowest worker, from the
    /// balance bench: `process` (one static chunk per child) and the pool
    /// at its default chunking.
    pub process_waiting: f64,
    pub pool_waiting: f64,
    /// The pool's default chunks per worker.
    pub pool_chunks: usize,
}

/// Why `process` sits above `pool`: the gap, against the spawn cost and
/// against the extra wait for the slowest worker.
pub fn process_vs_pool(workload: &str, v: &ProcessVsPool) -> Vec<String> {
    let gap = v.process_ms - v.pool_ms;
    let spawn = v.spawn_ms * v.workers as f64;
    let waiting = (v.process_waiting * v.process_ms - v.pool_waiting * v.pool_ms).max(0.0);
    let mut out = vec![format!(
        "On {workload} at {}, process took {} per run and pool {}.",
        words::workers(v.workers),
        words::ms(v.process_ms),
        words::ms(v.pool_ms),
    )];
    let causes = format!(
        "starting {} tvp worker children costs about {} ({} each, from the spawn chart), and \
         process' children waited for the slowest one for {} of its run against {} for the \
         pool's {} (the busy-time chart): about {} more waiting",
        v.workers,
        words::ms(spawn),
        words::ms(v.spawn_ms),
        words::percent(v.process_waiting),
        words::percent(v.pool_waiting),
        per_worker(v.pool_chunks),
        words::ms(waiting)
    );
    if gap <= MATTERS * v.pool_ms {
        out.push(format!(
            "Expected process to be the slower one: {causes}. Measured, it was not slower by \
             more than {} of the pool's time. Likely reasons: noise or other programs on the \
             cores while one of them ran.",
            words::percent(MATTERS)
        ));
        return out;
    }
    out.push(format!("The gap is {}: {causes}.", words::ms(gap)));
    out.push(if waiting >= spawn {
        format!(
            "So load imbalance, not spawn cost, is the larger cause: process gives each child \
             one static chunk, and on {workload} the chunks cost unequal amounts; the pool's \
             smaller tasks even them out."
        )
    } else {
        format!(
            "So here the spawn cost is the larger cause: starting children weighs more than \
             the unequal chunks on a job of {}.",
            words::ms(v.pool_ms)
        )
    });
    let explained = spawn + waiting;
    if explained > 1.5 * gap || explained < 0.5 * gap {
        out.push(format!(
            "The two add up to {} against the {} gap: they come from other runs (the costs and \
             balance benches, at other sizes), so read them as the size of each cause, not as an \
             exact account.",
            words::ms(explained),
            words::ms(gap)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(k: usize, speedup: f64, waiting: f64, outside: f64) -> KPoint {
        KPoint {
            k,
            speedup,
            waiting: Some(waiting),
            outside: Some(outside),
        }
    }

    /// Primes as expected: static chunks wait, more chunks win it back,
    /// the pool pays for many.
    fn expected() -> Vec<KCurve> {
        vec![
            KCurve::new(
                "threads",
                vec![
                    p(1, 1.6, 0.19, 0.01),
                    p(8, 1.92, 0.02, 0.01),
                    p(256, 1.9, 0.01, 0.01),
                ],
            ),
            KCurve::new(
                "pool",
                vec![
                    p(1, 1.58, 0.2, 0.02),
                    p(8, 1.9, 0.03, 0.04),
                    p(256, 1.4, 0.01, 0.3),
                ],
            ),
        ]
    }

    use crate::report::claim::Outcome;

    fn quiet(noise: f64) -> Measured {
        Measured {
            noise,
            busy: false,
            quick: false,
        }
    }

    #[test]
    fn speedup_names_the_best_chunking_and_the_static_wait() {
        let text = speedup("primes", 2, &expected(), None, noise(0.02)).join(" ");
        assert!(
            text.contains(
                "At 2 workers, the best chunking on primes: threads 1.92x at 8 chunks per worker \
                 (1.60x with 1 static chunk per worker); pool 1.90x at 8 chunks per worker"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "threads' workers waited for the slowest one for 19% of the run: the workers' \
                 shares cost unequal amounts"
            ),
            "{text}"
        );
    }

    #[test]
    fn the_claims_win_back_the_wait_and_pay_for_many_chunks() {
        let claims = speedup_claims("primes", 2, &expected(), None, &quiet(noise(0.02)));
        assert_eq!(claims.len(), 4, "{claims:#?}");
        for c in &claims {
            assert_ne!(c.outcome(), Outcome::Contradicts, "{}", c.sentence());
            c.check(&c.sentence()).unwrap();
        }
        // threads 1.92x at 8, 1.90x at 256: slower, but within the noise.
        assert_eq!(claims[2].outcome(), Outcome::WithinNoise);
        let s = claims[1].sentence();
        assert!(
            s.contains("pool at 1 chunk per worker 1.58x and pool at 8 chunks per worker 1.90x"),
            "{s}"
        );
        let s = claims[3].sentence();
        assert!(
            s.starts_with("As expected, past its default chunking"),
            "{s}"
        );
        assert!(s.contains("request and a reply through the pipes"), "{s}");
        assert!(claims[2].expected.contains("costs threads far less"));
    }

    #[test]
    fn reversed_numbers_say_what_was_expected_and_what_was_measured() {
        // Static chunks waited, yet more chunks were slower; the pool kept
        // its speed with many chunks, threads lost it without more time
        // outside the chunks.
        let odd = vec![
            KCurve::new(
                "threads",
                vec![
                    p(1, 1.9, 0.2, 0.1),
                    p(8, 1.5, 0.02, 0.1),
                    p(256, 1.0, 0.02, 0.1),
                ],
            ),
            KCurve::new(
                "pool",
                vec![
                    p(1, 1.9, 0.2, 0.0),
                    p(8, 1.5, 0.02, 0.0),
                    p(256, 1.5, 0.02, 0.0),
                ],
            ),
        ];
        let m = Measured {
            noise: 0.05,
            busy: true,
            quick: false,
        };
        let claims = speedup_claims("primes", 2, &odd, None, &m);
        for c in &claims {
            c.check(&c.sentence()).unwrap();
        }
        let s = claims[0].sentence();
        assert!(
            s.starts_with("Expected that more chunks win back the wait"),
            "{s}"
        );
        assert!(s.contains("they used a large share of its CPU time"), "{s}");
        let s = claims[2].sentence();
        assert!(
            s.starts_with("Expected that handing out a chunk costs threads"),
            "{s}"
        );
        assert!(!s.contains("outside any chunk grew"), "{s}");
        let s = claims[3].sentence();
        assert_eq!(claims[3].outcome(), Outcome::WithinNoise, "{s}");
        assert!(s.contains("did not grow (0% to 0% of the run)"), "{s}");
        // Even items: more chunks are expected to change nothing.
        let even = vec![KCurve::new(
            "rayon",
            vec![p(1, 1.2, 0.01, 0.0), p(8, 1.9, 0.01, 0.0)],
        )];
        let claims = speedup_claims("monte_carlo", 2, &even, None, &quiet(0.05));
        assert_eq!(claims[0].expect, Expect::AtMost);
        assert_eq!(claims[0].outcome(), Outcome::Contradicts);
        assert!(
            claims[0]
                .sentence()
                .contains("not faster at its default chunking")
        );
        let text = speedup("monte_carlo", 2, &even, None, 0.05).join(" ");
        assert!(
            text.contains("the workers' shares came out about even"),
            "{text}"
        );
        // A wide spread: the same gain is within the noise.
        let noisy = vec![
            KCurve::new("threads", vec![p(1, 1.6, 0.19, 0.0), p(8, 1.92, 0.02, 0.0)])
                .with_spreads(vec![(1, 0.2), (8, 0.2)]),
        ];
        let claims = speedup_claims("primes", 2, &noisy, None, &quiet(0.05));
        assert_eq!(claims[0].outcome(), Outcome::WithinNoise);
    }

    #[test]
    fn a_speedup_above_the_workers_is_checked_against_them() {
        let odd = vec![KCurve::new(
            "rayon",
            vec![p(1, 3.35, 0.5, 0.0), p(8, 3.3, 0.1, 0.0)],
        )];
        let claims = speedup_claims("mandelbrot", 2, &odd, None, &quiet(0.05));
        let bound = claims.last().unwrap();
        assert_eq!(bound.outcome(), Outcome::Contradicts);
        assert!(
            bound
                .sentence()
                .contains("rayon at 1 chunk per worker 3.35x and 2 workers 2.00x"),
            "{}",
            bound.sentence()
        );
        let claims = speedup_claims("primes", 2, &expected(), None, &quiet(0.05));
        assert!(
            claims
                .iter()
                .all(|c| !c.expected.starts_with("a speedup is at most"))
        );
        let py = KCurve::new(
            "python-pool",
            vec![KPoint {
                k: 64,
                speedup: 3.6,
                waiting: None,
                outside: None,
            }],
        );
        let claims = speedup_claims("primes", 2, &odd, Some(&py), &quiet(0.05));
        assert!(
            claims
                .last()
                .unwrap()
                .sentence()
                .contains("Python's Pool.map at 64 chunks per worker 3.60x"),
        );
    }

    #[test]
    fn python_is_compared_with_the_rust_pool() {
        let py = KCurve::new(
            "python-pool",
            vec![
                KPoint {
                    k: 1,
                    speedup: 1.5,
                    waiting: None,
                    outside: None,
                },
                KPoint {
                    k: 4,
                    speedup: 1.8,
                    waiting: None,
                    outside: None,
                },
            ],
        );
        let text = speedup("primes", 2, &expected(), Some(&py), 0.05).join(" ");
        assert!(
            text.contains(
                "Python's Pool.map (dashed) was fastest at 4 chunks per worker: 1.80x, against \
                 1.50x at 1 (the Rust pool's best: 1.90x at 8 chunks per worker)"
            ),
            "{text}"
        );
    }

    #[test]
    fn busy_says_where_the_wait_settles_and_where_overhead_overtakes_it() {
        let text = busy(&expected(), 0.05).join(" ");
        assert!(
            text.contains(
                "threads: the wait for the slowest was 19% of the run at 1 chunk per worker and \
                 fell below 5% at 8 chunks per worker (2%)."
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "the time outside the chunks overtook it at 8 chunks per worker (4% against 3%)"
            ),
            "{text}"
        );
        let even = vec![KCurve::new(
            "threads",
            vec![p(1, 2.0, 0.01, 0.02), p(8, 2.0, 0.01, 0.02)],
        )];
        let text = busy(&even, 0.05).join(" ");
        assert!(
            text.contains("threads: the wait for the slowest was at most 1% of the run already"),
            "{text}"
        );
        assert!(text.contains("little imbalance to balance"), "{text}");
        let stuck = vec![KCurve::new(
            "threads",
            vec![p(1, 1.5, 0.3, 0.0), p(2, 1.6, 0.2, 0.0)],
        )];
        let text = busy(&stuck, 0.05).join(" ");
        assert!(
            text.contains("was still 20% at 2 chunks per worker, above the time outside"),
            "{text}"
        );
    }

    #[test]
    fn the_chunk_lesson_answer_follows_the_numbers() {
        let text = chunk_answer("primes", &expected(), 0.05).join(" ");
        assert!(
            text.contains("left threads' workers waiting for the slowest one for 19% of the run"),
            "{text}"
        );
        assert!(
            text.contains("The fastest chunking was 8 chunks per worker for every backend"),
            "{text}"
        );
        assert!(
            text.contains("At 256 chunks per worker, pool had lost 26%"),
            "{text}"
        );
        let even = vec![KCurve::new(
            "threads",
            vec![
                p(1, 1.95, 0.01, 0.0),
                p(4, 1.97, 0.01, 0.0),
                p(256, 1.96, 0.0, 0.0),
            ],
        )];
        let text = chunk_answer("primes", &even, 0.05).join(" ");
        assert!(
            text.contains("for only 1% of the run: expected more"),
            "{text}"
        );
        assert!(
            text.contains("Even at 256 chunks per worker no backend lost"),
            "{text}"
        );
    }

    #[test]
    fn process_vs_pool_names_the_larger_cause() {
        let v = ProcessVsPool {
            workers: 2,
            process_ms: 174.0,
            pool_ms: 150.0,
            spawn_ms: 1.5,
            process_waiting: 0.18,
            pool_waiting: 0.03,
            pool_chunks: 8,
        };
        let text = process_vs_pool("primes", &v).join(" ");
        assert!(text.contains("The gap is 24.0 ms"), "{text}");
        assert!(text.contains("costs about 3.00 ms (1.50 ms each"), "{text}");
        assert!(text.contains("18% of its run against 3%"), "{text}");
        assert!(
            text.contains("load imbalance, not spawn cost, is the larger"),
            "{text}"
        );
        assert!(!text.contains("exact account"), "{text}");
        let spawn_heavy = ProcessVsPool {
            spawn_ms: 20.0,
            ..v
        };
        assert!(
            process_vs_pool("primes", &spawn_heavy)
                .join(" ")
                .contains("the spawn cost is the larger cause")
        );
        let reversed = ProcessVsPool {
            process_ms: 140.0,
            ..v
        };
        let text = process_vs_pool("primes", &reversed).join(" ");
        assert!(
            text.contains("Expected process to be the slower one"),
            "{text}"
        );
        assert!(!text.contains("load imbalance, not spawn cost"), "{text}");
    }
}
