//! Sentences about load balancing, from the balance sweep's numbers: the
//! best chunking per backend and its speedup, where the wait for the
//! slowest worker stops mattering, when more chunks cost more than they
//! balance, and why `process` sits above `pool` (lesson 3).
//!
//! Every comparison is computed from the numbers passed in, with a branch
//! for when this machine disagrees with the expectation. A difference
//! smaller than [`noise`] (the larger of [`MATTERS`] and the run-to-run
//! spread of the sweep) counts as none.

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
}

impl KCurve {
    pub fn new(backend: &str, mut points: Vec<KPoint>) -> Self {
        points.sort_by_key(|p| p.k);
        KCurve {
            backend: backend.to_string(),
            points,
        }
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
/// chunking per backend, whether more chunks won back what one static
/// chunk per worker lost, and where the overhead of many chunks shows.
/// `curves` are the Rust backends swept over chunkings; `python` is
/// `multiprocessing.Pool`'s when measured.
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
    out.extend(imbalance_won_back(curves, noise));
    out.extend(overhead(curves, noise));
    if let Some(py) = python {
        out.extend(python_sentence(py, curves));
    }
    out.extend(above_the_workers(workers, curves.iter().chain(python)));
    out
}

/// A speedup above what `workers` workers can give (by more than
/// [`MATTERS`]) is not a result: it says the sequential reference ran
/// slower than the cell (the machine was busier then) or the runs were
/// noisy.
fn above_the_workers<'c>(
    workers: usize,
    curves: impl Iterator<Item = &'c KCurve>,
) -> Option<String> {
    let limit = workers as f64 * (1.0 + MATTERS);
    let above: Vec<String> = curves
        .filter_map(|c| {
            let top = c.best().filter(|p| p.speedup > limit)?;
            let name = if c.backend == "python-pool" {
                "Python's Pool.map"
            } else {
                c.backend.as_str()
            };
            Some(format!(
                "{name} {} at {}",
                words::speedup(Some(top.speedup)),
                per_worker(top.k)
            ))
        })
        .collect();
    if above.is_empty() {
        return None;
    }
    Some(format!(
        "More than {} can give: {}. The sequential reference ran slower than these cells (the \
         machine was busier then), or the runs were noisy: read the shapes, not those numbers.",
        words::workers(workers),
        above.join("; ")
    ))
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

/// Whether more chunks won back the wait that one static chunk per worker
/// left, judged by the busy times at `k = 1` (the expectation) and the
/// speedups (what happened).
fn imbalance_won_back(curves: &[KCurve], noise: f64) -> Option<String> {
    let (waited, by) = static_wait(curves)?;
    let gains: Vec<(f64, &str, usize)> = curves
        .iter()
        .filter_map(|c| {
            let one = c.at(1)?.speedup;
            let best = c.best()?;
            Some((best.speedup / one - 1.0, c.backend.as_str(), best.k))
        })
        .collect();
    let (gain, winner, k) = gains
        .iter()
        .copied()
        .reduce(|a, b| if b.0 > a.0 { b } else { a })?;
    let static_wait = format!(
        "With 1 static chunk per worker, {} workers waited for the slowest one for {} of the \
         run",
        words::possessive(by),
        words::percent(waited)
    );
    Some(if waited > noise {
        if gain > noise {
            format!(
                "{static_wait}: the items cost unequal amounts. More chunks won that back, as \
                 expected: {winner} gained {} at {}.",
                words::percent(gain),
                per_worker(k)
            )
        } else {
            format!(
                "{static_wait}: the items cost unequal amounts, so more chunks should have won \
                 that back; measured, no backend gained more than {} over 1 chunk per worker. \
                 Likely reasons: run-to-run noise (differences below {} count as none here) or \
                 other programs on the cores.",
                words::percent(gain.max(0.0)),
                words::percent(noise)
            )
        }
    } else if gain > noise {
        format!(
            "{static_wait}: the items cost about the same, so more chunks had little to win; \
             yet {winner} gained {} at {}. Not what the busy times predict: likely noise or \
             other programs on the cores while 1 chunk per worker ran.",
            words::percent(gain),
            per_worker(k)
        )
    } else {
        format!(
            "{static_wait}: the items cost about the same, so more chunks had little to win, \
             and no backend gained more than {} from them.",
            words::percent(noise)
        )
    })
}

/// Which backends lost speed past their best chunking, and which did not.
fn overhead(curves: &[KCurve], noise: f64) -> Vec<String> {
    let mut lost = Vec::new();
    let mut kept = Vec::new();
    let mut most = 0;
    for c in curves {
        let (Some(best), Some(last)) = (c.best(), c.last()) else {
            continue;
        };
        if last.k == best.k || c.points.len() < 2 {
            kept.push(c.backend.as_str());
            most = most.max(last.k);
            continue;
        }
        let drop = 1.0 - last.speedup / best.speedup;
        if drop > noise {
            let lost_speed = format!(
                "Past its best, {} lost speed: {} at {} against {} at {}",
                c.backend,
                words::speedup(Some(last.speedup)),
                per_worker(last.k),
                words::speedup(Some(best.speedup)),
                per_worker(best.k),
            );
            lost.push(match (best.outside, last.outside) {
                (Some(from), Some(to)) if to - from > noise => format!(
                    "{lost_speed}, while the time its workers spent outside any chunk grew from \
                     {} to {} of the run: every chunk costs {}, and at {} that adds up.",
                    words::percent(from),
                    words::percent(to),
                    dispatch(&c.backend),
                    per_worker(last.k)
                ),
                (Some(from), Some(to)) => format!(
                    "{lost_speed}, yet the time its workers spent outside any chunk did not grow \
                     ({} at its best, {} at {}): not the dispatch cost that was expected; likely \
                     noise or other programs on the cores.",
                    words::percent(from),
                    words::percent(to),
                    per_worker(last.k)
                ),
                _ => format!(
                    "{lost_speed}: every chunk costs {}, and at {} that adds up.",
                    dispatch(&c.backend),
                    per_worker(last.k)
                ),
            });
        } else {
            kept.push(c.backend.as_str());
            most = most.max(last.k);
        }
    }
    if !kept.is_empty() {
        let (its, them) = if kept.len() == 1 {
            ("its", "it")
        } else {
            ("their", "them")
        };
        lost.push(format!(
            "{} lost less than {} from {its} best to {}: handing out a chunk costs {them} far \
             less than running one.",
            words::and_list(&kept),
            words::percent(noise),
            per_worker(most),
        ));
    }
    lost
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

    #[test]
    fn speedup_names_the_best_chunking_the_gain_and_the_overhead() {
        let text = speedup("primes", 2, &expected(), None, noise(0.02)).join(" ");
        assert!(
            text.contains(
                "At 2 workers, the best chunking on primes: threads 1.92x at 8 chunks per worker \
                 (1.60x with 1 static chunk per worker); pool 1.90x at 8 chunks per worker"
            ),
            "{text}"
        );
        assert!(
            text.contains("threads' workers waited for the slowest one for 19% of the run"),
            "{text}"
        );
        assert!(
            text.contains("as expected: pool gained 20% at 8 chunks"),
            "{text}"
        );
        assert!(
            text.contains("Past its best, pool lost speed: 1.40x at 256 chunks per worker"),
            "{text}"
        );
        assert!(
            text.contains("outside any chunk grew from 4% to 30%"),
            "{text}"
        );
        assert!(
            text.contains("request and a reply through the pipes"),
            "{text}"
        );
        assert!(text.contains("threads lost less than 5%"), "{text}");
    }

    #[test]
    fn a_loss_without_more_time_outside_is_not_put_down_to_dispatch() {
        let odd = vec![KCurve::new(
            "threads",
            vec![
                p(1, 1.6, 0.2, 0.1),
                p(8, 1.9, 0.02, 0.1),
                p(256, 1.4, 0.02, 0.1),
            ],
        )];
        let text = speedup("primes", 2, &odd, None, 0.05).join(" ");
        assert!(
            text.contains("yet the time its workers spent outside any chunk did not grow"),
            "{text}"
        );
        assert!(!text.contains("an atomic increment"), "{text}");
    }

    #[test]
    fn a_speedup_above_the_workers_is_called_noise() {
        let odd = vec![KCurve::new(
            "rayon",
            vec![p(1, 3.35, 0.5, 0.0), p(8, 3.3, 0.1, 0.0)],
        )];
        let text = speedup("mandelbrot", 2, &odd, None, 0.05).join(" ");
        assert!(
            text.contains("More than 2 workers can give: rayon 3.35x at 1 chunk per worker."),
            "{text}"
        );
        let text = speedup("primes", 2, &expected(), None, 0.05).join(" ");
        assert!(!text.contains("can give"), "{text}");
        let py = KCurve::new(
            "python-pool",
            vec![KPoint {
                k: 64,
                speedup: 3.6,
                waiting: None,
                outside: None,
            }],
        );
        let text = speedup("primes", 2, &odd, Some(&py), 0.05).join(" ");
        assert!(
            text.contains("rayon 3.35x at 1 chunk per worker; Python's Pool.map 3.60x at 64"),
            "{text}"
        );
    }

    #[test]
    fn reversed_numbers_say_what_was_expected_and_what_was_measured() {
        // Static chunks waited, yet more chunks did not help.
        let flat = vec![KCurve::new(
            "rayon",
            vec![p(1, 1.9, 0.2, 0.0), p(8, 1.91, 0.02, 0.0)],
        )];
        let text = speedup("primes", 2, &flat, None, noise(0.0)).join(" ");
        assert!(
            text.contains("should have won that back; measured, no backend gained more than 1%"),
            "{text}"
        );
        // No wait at one chunk, yet a large gain.
        let odd = vec![KCurve::new(
            "rayon",
            vec![p(1, 1.2, 0.01, 0.0), p(8, 1.9, 0.01, 0.0)],
        )];
        let text = speedup("monte_carlo", 2, &odd, None, noise(0.0)).join(" ");
        assert!(text.contains("Not what the busy times predict"), "{text}");
        // A noisy sweep raises the bar: a 20% wait is within its noise.
        let text = speedup("primes", 2, &expected(), None, noise(0.3)).join(" ");
        assert!(
            text.contains("no backend gained more than 30% from them"),
            "{text}"
        );
        assert!(
            text.contains("threads and pool lost less than 30%"),
            "{text}"
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
