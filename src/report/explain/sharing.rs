//! Sentences written from the false-sharing measurement
//! ([`crate::costs::sharing`]): counters a cache line apart vs adjacent,
//! one shared atomic, one mutex; threads and processes. Each comparison
//! says what was expected and, when this machine measured otherwise, what
//! it measured and the likely reasons.

use crate::costs::Side;
use crate::costs::sharing::{self, CacheLine, Layout};
use crate::report::estimates::Estimates;
use crate::report::explain::words;

/// Below this ratio two rates count as "about the same".
const CLEAR: f64 = 1.1;

/// Increments per second, all contenders together, by bench id and
/// contenders; and the line size the padding used.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SharingCosts {
    /// (bench id such as `padded-thread`, contenders, increments per second)
    pub rows: Vec<(String, usize, f64)>,
    /// The line size the bench recorded, if its data file is there.
    pub line: Option<CacheLine>,
    /// The cores the measurement ran on.
    pub cores: usize,
}

impl SharingCosts {
    pub fn from_estimates(e: &Estimates) -> Self {
        let rows = e
            .group(sharing::GROUP)
            .filter_map(|x| {
                let n: usize = x.value.as_deref()?.parse().ok()?;
                let ops = n as f64 * sharing::BATCH_OPS as f64;
                let id = x.function.clone()?;
                (x.median_ns > 0.0).then(|| (id, n, ops / (x.median_ns * 1e-9)))
            })
            .collect();
        SharingCosts {
            rows,
            line: None,
            cores: crate::cores(),
        }
    }

    pub fn rate(&self, layout: Layout, side: Side, contenders: usize) -> Option<f64> {
        let id = layout.bench_id(side);
        self.rows
            .iter()
            .find(|(i, n, _)| *i == id && *n == contenders)
            .map(|&(.., r)| r)
    }

    /// Ids in first-seen order.
    pub fn ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for (id, ..) in &self.rows {
            if !ids.contains(&id.as_str()) {
                ids.push(id);
            }
        }
        ids
    }

    /// The smallest contender count above 1 where both layouts were
    /// measured on `side`.
    fn pair_at(&self, a: Layout, b: Layout, side: Side) -> Option<(usize, f64, f64)> {
        let mut counts: Vec<usize> = self.rows.iter().map(|&(_, n, _)| n).collect();
        counts.sort_unstable();
        counts.dedup();
        counts
            .into_iter()
            .filter(|&n| n >= 2)
            .find_map(|n| Some((n, self.rate(a, side, n)?, self.rate(b, side, n)?)))
    }

    /// "64 B apart (the cache line size this machine reports)", or the
    /// fallback and its reason.
    fn padding(&self) -> String {
        match &self.line {
            Some(CacheLine {
                bytes,
                fallback: None,
            }) => format!("{} apart (one cache line)", words::bytes(*bytes as u64)),
            Some(CacheLine {
                bytes,
                fallback: Some(why),
            }) => format!(
                "{} apart (an assumed cache line: {why})",
                words::bytes(*bytes as u64)
            ),
            None => "a cache line apart".into(),
        }
    }
}

/// The ratio `a / b` as "3.2x".
fn ratio(a: f64, b: f64) -> String {
    format!("{:.1}x", a / b)
}

pub fn explain_sharing(c: &SharingCosts) -> Vec<String> {
    let mut out = Vec::new();
    for side in [Side::Thread, Side::Process] {
        if let Some(s) = false_sharing(c, side) {
            out.push(s);
        }
    }
    if let Some(s) = padded_scaling(c) {
        out.push(s);
    }
    if let Some((n, atomic, padded)) = c.pair_at(Layout::OneAtomic, Layout::Padded, Side::Thread) {
        out.push(if padded > CLEAR * atomic {
            format!(
                "One counter shared by {n} threads (one-atomic) made {}, own padded counters {} \
                 ({} as many): the shared counter's cache line must move on every increment \
                 (true sharing); a counter per thread, added up at the end, avoids it.",
                words::ops_per_sec(atomic),
                words::ops_per_sec(padded),
                ratio(padded, atomic)
            )
        } else {
            format!(
                "Expected own padded counters to beat one shared counter, whose cache line \
                 moves on every increment; measured with {n} threads: padded {}, one-atomic {}. \
                 Likely reasons: the threads took turns on one core (a busy machine), so the \
                 line never had to move, or noise.",
                words::ops_per_sec(padded),
                words::ops_per_sec(atomic)
            )
        });
    }
    if let Some((n, mutex, atomic)) = c.pair_at(Layout::OneMutex, Layout::OneAtomic, Side::Thread) {
        out.push(if atomic > CLEAR * mutex {
            format!(
                "The same increments under a mutex made {} with {n} threads, one fetch_add {} \
                 ({} as many): the lock adds its own atomic operations and waiting to the line \
                 that moves anyway.",
                words::ops_per_sec(mutex),
                words::ops_per_sec(atomic),
                ratio(atomic, mutex)
            )
        } else {
            format!(
                "Expected one fetch_add to beat lock, add, unlock on the same counter; measured \
                 with {n} threads: mutex {}, atomic {}. A mutex that lets the same thread take \
                 it again many times in a row (parking_lot does, unless it is handed on fairly) \
                 moves the cache line less often than atomics that alternate between cores.",
                words::ops_per_sec(mutex),
                words::ops_per_sec(atomic)
            )
        });
    }
    out
}

/// Padded vs adjacent at the smallest contender count above 1.
fn false_sharing(c: &SharingCosts, side: Side) -> Option<String> {
    let (n, padded, adjacent) = c.pair_at(Layout::Padded, Layout::Adjacent, side)?;
    let who = match side {
        Side::Thread => format!("{n} threads"),
        Side::Process => format!("{n} processes on one shared-memory page"),
    };
    Some(if padded > CLEAR * adjacent {
        format!(
            "False sharing: with {who} each adding to its own counter, counters {} made {}, \
             counters 8 bytes apart {}, {} slower, though no counter is shared: they sit on one \
             cache line, and each core takes the whole line from the others on every write.",
            c.padding(),
            words::ops_per_sec(padded),
            words::ops_per_sec(adjacent),
            ratio(padded, adjacent)
        )
    } else if c.cores < 2 {
        format!(
            "With {who} on {} core, counters 8 bytes apart ({}) did about as well as padded ones \
             ({}): on one core the threads take turns and the cache line never moves between \
             cores, so false sharing needs two cores to show.",
            c.cores,
            words::ops_per_sec(adjacent),
            words::ops_per_sec(padded)
        )
    } else {
        format!(
            "Expected counters 8 bytes apart to be clearly slower (false sharing) than \
             counters {}, but with {who} they made {} vs {} ({}). Likely reasons: the contenders \
             took turns on one core (a busy machine: the line never moves), two virtual CPUs \
             that are hyperthreads of one physical core (they share its caches), or noise.",
            c.padding(),
            words::ops_per_sec(adjacent),
            words::ops_per_sec(padded),
            ratio(padded, adjacent)
        )
    })
}

/// Padded threads alone vs at the core count.
fn padded_scaling(c: &SharingCosts) -> Option<String> {
    let one = c.rate(Layout::Padded, Side::Thread, 1)?;
    let n = c.cores;
    if n < 2 {
        return None;
    }
    let many = c.rate(Layout::Padded, Side::Thread, n)?;
    Some(if many > CLEAR * one {
        format!(
            "Padded counters share nothing, so the total grows with the cores: {} with 1 \
             thread, {} with {n} ({}).",
            words::ops_per_sec(one),
            words::ops_per_sec(many),
            ratio(many, one)
        )
    } else {
        format!(
            "Expected padded counters, which share nothing, to add up faster with {n} threads \
             than with 1; measured {} vs {} ({}). Likely reason: other programs held the \
             cores (a busy machine), so the threads ran in turn.",
            words::ops_per_sec(many),
            words::ops_per_sec(one),
            ratio(many, one)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn costs(rows: &[(&str, usize, f64)]) -> SharingCosts {
        SharingCosts {
            rows: rows
                .iter()
                .map(|&(i, n, r)| (i.to_string(), n, r))
                .collect(),
            line: Some(CacheLine {
                bytes: 64,
                fallback: None,
            }),
            cores: 2,
        }
    }

    #[test]
    fn false_sharing_is_named_with_its_ratio_when_measured() {
        let c = costs(&[
            ("padded-thread", 1, 150e6),
            ("padded-thread", 2, 300e6),
            ("adjacent-thread", 2, 30e6),
            ("one-atomic-thread", 2, 25e6),
            ("one-mutex-thread", 2, 10e6),
            ("padded-process", 2, 280e6),
            ("adjacent-process", 2, 40e6),
        ]);
        let s = explain_sharing(&c);
        assert!(
            s[0].contains(
                "counters 64 B apart (one cache line) made 300.0 M \
                 ops/s, counters 8 bytes apart 30.0 M ops/s, 10.0x slower"
            ),
            "{}",
            s[0]
        );
        assert!(
            s[1].contains("2 processes on one shared-memory page"),
            "{}",
            s[1]
        );
        assert!(s[1].contains("7.0x slower"), "{}", s[1]);
        assert!(s[2].contains("150.0 M ops/s with 1 thread, 300.0 M ops/s with 2 (2.0x)"));
        assert!(
            s[3].contains("(12.0x as many): the shared counter's"),
            "{}",
            s[3]
        );
        assert!(s[4].contains("(2.5x as many)"), "{}", s[4]);
        assert!(s.iter().all(|l| !l.contains("Expected")), "{s:?}");
    }

    #[test]
    fn reversed_numbers_say_what_was_expected_and_what_was_measured() {
        let c = costs(&[
            ("padded-thread", 1, 300e6),
            ("padded-thread", 2, 100e6),
            ("adjacent-thread", 2, 200e6),
            ("one-atomic-thread", 2, 150e6),
            ("one-mutex-thread", 2, 300e6),
        ]);
        let s = explain_sharing(&c);
        assert_eq!(s.len(), 4, "{s:?}");
        for l in &s {
            assert!(l.starts_with("Expected"), "{l}");
        }
        assert!(
            s[0].contains("made 200.0 M ops/s vs 100.0 M ops/s (0.5x)"),
            "{}",
            s[0]
        );
    }

    #[test]
    fn one_core_explains_why_nothing_shows() {
        let mut c = costs(&[("padded-thread", 2, 100e6), ("adjacent-thread", 2, 98e6)]);
        c.cores = 1;
        let s = explain_sharing(&c);
        assert!(s[0].contains("on 1 core"), "{s:?}");
    }

    #[test]
    fn an_assumed_line_size_is_named() {
        let mut c = costs(&[("padded-thread", 2, 300e6), ("adjacent-thread", 2, 30e6)]);
        c.line = Some(CacheLine {
            bytes: 64,
            fallback: Some("the file could not be read".into()),
        });
        assert!(explain_sharing(&c)[0].contains("(an assumed cache line: the file"));
    }
}
