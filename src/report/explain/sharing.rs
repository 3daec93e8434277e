//! Sentences written from the false-sharing measurement
//! ([`crate::costs::sharing`]): counters a cache line apart vs adjacent,
//! one shared atomic, one mutex; threads and processes. Each comparison
//! is a [`Claim`]: what was expected and, when this machine measured
//! otherwise, what it measured and the likely reasons.

use crate::costs::Side;
use crate::costs::sharing::{self, CacheLine, Layout};
use crate::report::claim::{Claim, Expect, Unit, Value};
use crate::report::estimates::Estimates;
use crate::report::explain::costs::Spreads;
use crate::report::explain::words;

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
    /// Spreads by (bench id, contenders).
    pub spread: Spreads,
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
            spread: Spreads::of(e, sharing::GROUP),
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

/// The rate of `layout` on `side` with `n` contenders as a claim's value.
fn value(c: &SharingCosts, label: String, layout: Layout, side: Side, n: usize) -> Option<Value> {
    Some(
        Value::new(label, c.rate(layout, side, n)?, Unit::OpsPerSec)
            .with_spread(c.spread.get(&layout.bench_id(side), Some(&n.to_string()))),
    )
}

/// What the sharing chart says besides its claims: why nothing shows on
/// one core.
pub fn explain_sharing(c: &SharingCosts) -> Vec<String> {
    let mut out = Vec::new();
    if c.cores < 2
        && c.pair_at(Layout::Padded, Layout::Adjacent, Side::Thread)
            .is_some()
    {
        out.push(format!(
            "This machine has {} core: the contenders take turns and the cache line never \
             moves between cores, so neither false nor true sharing can show.",
            c.cores
        ));
    }
    out
}

/// The claims under the sharing chart: padded counters beat adjacent ones
/// (threads and processes) and one shared counter, and grow with the
/// cores; one fetch_add beats a mutex around the same add.
pub fn sharing_claims(c: &SharingCosts) -> Vec<Claim> {
    let mut out = Vec::new();
    let one_core = (c.cores < 2).then(|| {
        format!(
            "this machine has {} core, so the contenders take turns and the line never moves",
            c.cores
        )
    });
    for side in [Side::Thread, Side::Process] {
        let Some((n, ..)) = c.pair_at(Layout::Padded, Layout::Adjacent, side) else {
            continue;
        };
        let (who, between) = match side {
            Side::Thread => (format!("{n} threads"), "threads"),
            Side::Process => (
                format!("{n} processes on one shared-memory page"),
                "processes",
            ),
        };
        let (Some(padded), Some(adjacent)) = (
            value(
                c,
                format!("with {who}, counters {}", c.padding()),
                Layout::Padded,
                side,
                n,
            ),
            value(
                c,
                "counters 8 bytes apart".into(),
                Layout::Adjacent,
                side,
                n,
            ),
        ) else {
            continue;
        };
        out.push(
            Claim::new(
                format!(
                    "counters a cache line apart get more done than counters side by side \
                     between {between} (false sharing)"
                ),
                Expect::Descending,
                vec![padded, adjacent],
            )
            .because(
                "side by side, the counters sit on one cache line, and each core takes the \
                 whole line from the others on every write, though no counter is shared",
            )
            .reason(one_core.clone()),
        );
    }
    if c.cores >= 2
        && let (Some(one), Some(many)) = (
            value(
                c,
                "padded, 1 thread".into(),
                Layout::Padded,
                Side::Thread,
                1,
            ),
            value(
                c,
                format!("{} threads", c.cores),
                Layout::Padded,
                Side::Thread,
                c.cores,
            ),
        )
    {
        out.push(
            Claim::new(
                "padded counters add up faster with more threads, up to the cores",
                Expect::Ascending,
                vec![one, many],
            )
            .because("they share nothing, so each core adds to its own line"),
        );
    }
    if let Some((n, ..)) = c.pair_at(Layout::OneAtomic, Layout::Padded, Side::Thread)
        && let (Some(padded), Some(atomic)) = (
            value(
                c,
                format!("with {n} threads, own padded counters"),
                Layout::Padded,
                Side::Thread,
                n,
            ),
            value(
                c,
                "one shared counter".into(),
                Layout::OneAtomic,
                Side::Thread,
                n,
            ),
        )
    {
        out.push(
            Claim::new(
                "own padded counters get more done than one shared counter",
                Expect::Descending,
                vec![padded, atomic],
            )
            .because(
                "the shared counter's cache line must move on every increment (true sharing); \
                 a counter per thread, added up at the end, avoids it",
            )
            .reason(one_core.clone()),
        );
    }
    if let Some((n, ..)) = c.pair_at(Layout::OneMutex, Layout::OneAtomic, Side::Thread)
        && let (Some(atomic), Some(mutex)) = (
            value(
                c,
                format!("with {n} threads, one fetch_add"),
                Layout::OneAtomic,
                Side::Thread,
                n,
            ),
            value(
                c,
                "lock, add, unlock".into(),
                Layout::OneMutex,
                Side::Thread,
                n,
            ),
        )
    {
        out.push(
            Claim::new(
                "one fetch_add gets more done than a mutex around the same add",
                Expect::Descending,
                vec![atomic, mutex],
            )
            .because(
                "the lock adds its own atomic operations and waiting to the cache line that \
                 moves anyway",
            ),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::claim::Outcome;
    use crate::report::explain::costs::tests::outcomes;

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
            spread: Spreads::default(),
        }
    }

    #[test]
    fn false_sharing_is_claimed_with_its_numbers() {
        let c = costs(&[
            ("padded-thread", 1, 150e6),
            ("padded-thread", 2, 300e6),
            ("adjacent-thread", 2, 30e6),
            ("one-atomic-thread", 2, 25e6),
            ("one-mutex-thread", 2, 10e6),
            ("padded-process", 2, 280e6),
            ("adjacent-process", 2, 40e6),
        ]);
        let claims = sharing_claims(&c);
        assert_eq!(outcomes(&claims), [Outcome::Agrees; 5]);
        let s: Vec<String> = claims.iter().map(Claim::sentence).collect();
        assert!(
            s[0].contains(
                "with 2 threads, counters 64 B apart (one cache line) 300.0 M ops/s and \
                 counters 8 bytes apart 30.0 M ops/s"
            ),
            "{}",
            s[0]
        );
        assert!(
            s[1].contains("2 processes on one shared-memory page"),
            "{}",
            s[1]
        );
        assert!(s[2].contains("padded, 1 thread 150.0 M ops/s and 2 threads 300.0 M ops/s"));
        assert!(s[3].contains("one shared counter 25.0 M ops/s"), "{}", s[3]);
        assert!(
            s[4].contains("one fetch_add 25.0 M ops/s and lock, add, unlock 10.0 M ops/s"),
            "{}",
            s[4]
        );
        assert!(explain_sharing(&c).is_empty());
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
        let claims = sharing_claims(&c);
        assert_eq!(outcomes(&claims), [Outcome::Contradicts; 4]);
        for c in &claims {
            assert!(c.sentence().starts_with("Expected"), "{}", c.sentence());
        }
    }

    #[test]
    fn one_core_explains_why_nothing_shows() {
        let mut c = costs(&[("padded-thread", 2, 100e6), ("adjacent-thread", 2, 120e6)]);
        c.cores = 1;
        assert!(explain_sharing(&c)[0].contains("has 1 core"), "{c:?}");
        let claims = sharing_claims(&c);
        assert_eq!(claims.len(), 1);
        assert!(
            claims[0].sentence().contains("this machine has 1 core"),
            "{claims:?}"
        );
    }

    #[test]
    fn an_assumed_line_size_is_named() {
        let mut c = costs(&[("padded-thread", 2, 300e6), ("adjacent-thread", 2, 30e6)]);
        c.line = Some(CacheLine {
            bytes: 64,
            fallback: Some("the file could not be read".into()),
        });
        assert!(
            sharing_claims(&c)[0]
                .sentence()
                .contains("(an assumed cache line: the file")
        );
    }
}
