//! Sentences written from the lost-update measurement
//! ([`crate::python::lost_update`]): which ways of adding 1 from four
//! CPython threads lost increments on the Python that ran them, and whether
//! that is what its version leads one to expect.

use crate::python::lost_update::{Case, LostUpdate};
use crate::report::explain::words;

/// "791,300 of 1,200,000 (66%)".
fn lost(c: &Case) -> String {
    format!(
        "{} of {} ({})",
        words::thousands(c.lost),
        words::thousands(c.expected),
        words::percent(c.lost as f64 / c.expected.max(1) as f64)
    )
}

/// Whether this Python is expected to lose updates in a plain `n += 1`
/// loop: 3.9 and older (a switch between almost any two bytecodes), or
/// without the GIL.
pub fn plain_loop_expected_to_lose(l: &LostUpdate) -> bool {
    !l.gil || l.version().is_some_and(|v| v < (3, 10))
}

pub fn explain(l: &LostUpdate) -> Vec<String> {
    let mut out = Vec::new();
    let who = format!(
        "{} {}{}",
        l.implementation,
        l.python,
        if l.gil { "" } else { " without the GIL" }
    );
    let threads = l.threads;
    if let Some(c) = l.case("plain") {
        let each = words::thousands(c.per_thread);
        out.push(match (c.lost > 0, plain_loop_expected_to_lose(l)) {
            (false, false) => format!(
                "On {who}, {threads} threads each doing {each} unlocked `n += 1` lost nothing \
                 ({} of {}): since 3.10 CPython switches threads only at calls and backward \
                 jumps, so this loop is never interrupted between its load and its store. That \
                 is luck, not safety: CPython 3.9 and older lose updates here, and so do \
                 free-threaded builds (3.13t and later).",
                words::thousands(c.got),
                words::thousands(c.expected)
            ),
            (true, true) => format!(
                "On {who}, {threads} threads each doing {each} unlocked `n += 1` lost {}: a \
                 thread switch (or another core) came between a load and its store, as \
                 expected on this version (CPython 3.9 and older, or no GIL).",
                lost(c)
            ),
            (true, false) => format!(
                "Expected {who} to lose nothing in a plain `n += 1` loop (since 3.10 it switches \
                 threads only at calls and backward jumps), yet it lost {}: this build switches \
                 elsewhere too. Either way, only a lock makes it safe.",
                lost(c)
            ),
            (false, true) => format!(
                "Expected {who} to lose updates in a plain `n += 1` loop, but {threads} threads \
                 each doing {each} lost none this time: the threads happened not to switch \
                 between a load and its store. Rerun: a race that did not show is still a race.",
            ),
        });
    }
    for (name, gap) in [
        ("call", "a function call"),
        ("sleep0", "`time.sleep(0)`, which releases the GIL,"),
    ] {
        let Some(c) = l.case(name) else { continue };
        out.push(if c.lost > 0 {
            format!(
                "With {gap} between the read and the write (`{}`), {} increments were lost: \
                 another thread ran in the gap and its increments were overwritten.",
                c.code,
                lost(c)
            )
        } else {
            format!(
                "Expected lost increments with {gap} between the read and the write (`{}`), \
                 but none were lost: each thread finished before it was asked to give up the \
                 GIL (every 5 ms by default). Rerun with more increments.",
                c.code
            )
        });
    }
    if let Some(c) = l.case("lock") {
        out.push(if c.lost == 0 {
            format!(
                "Under a Lock the same gap lost nothing ({} of {}): no other thread may enter \
                 between the read and the write.",
                words::thousands(c.got),
                words::thousands(c.expected)
            )
        } else {
            format!(
                "Under a Lock {} increments were lost, which a lock must never allow: the \
                 script or this Python is broken.",
                lost(c)
            )
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(case: &str, code: &str, expected: u64, got: u64) -> Case {
        Case {
            case: case.into(),
            code: code.into(),
            per_thread: expected / 4,
            expected,
            got,
            lost: expected - got,
            seconds: 0.1,
        }
    }

    fn measured(python: &str, plain_got: u64, call_got: u64) -> LostUpdate {
        LostUpdate {
            schema: 1,
            python: python.into(),
            implementation: "CPython".into(),
            gil: true,
            free_threaded_build: false,
            threads: 4,
            quick: false,
            cases: vec![
                case("plain", "n += 1", 4_000_000, plain_got),
                case("call", "v = n; f(); n = v + 1", 1_200_000, call_got),
                case(
                    "lock",
                    "with lock: v = n; f(); n = v + 1",
                    1_200_000,
                    1_200_000,
                ),
            ],
        }
    }

    #[test]
    fn a_modern_python_loses_only_with_a_gap() {
        let s = explain(&measured("3.11.7", 4_000_000, 408_700));
        assert!(
            s[0].starts_with(
                "On CPython 3.11.7, 4 threads each doing 1,000,000 unlocked `n += \
                 1` lost nothing (4,000,000 of 4,000,000)"
            ),
            "{}",
            s[0]
        );
        assert!(
            s[1].contains("791,300 of 1,200,000 (66%) increments were lost"),
            "{}",
            s[1]
        );
        assert!(
            s[2].starts_with("Under a Lock the same gap lost nothing"),
            "{}",
            s[2]
        );
    }

    #[test]
    fn each_disagreement_says_what_was_expected() {
        let s = explain(&measured("3.12.1", 3_000_000, 1_200_000));
        assert!(
            s[0].starts_with("Expected CPython 3.12.1 to lose nothing"),
            "{}",
            s[0]
        );
        assert!(s[0].contains("1,000,000 of 4,000,000 (25%)"), "{}", s[0]);
        assert!(
            s[1].starts_with("Expected lost increments with a function call"),
            "{}",
            s[1]
        );
        let old = explain(&measured("3.9.18", 4_000_000, 408_700));
        assert!(
            old[0].starts_with("Expected CPython 3.9.18 to lose updates"),
            "{}",
            old[0]
        );
        // A lock that lost increments is called broken, never normal.
        let mut broken = measured("3.11.7", 4_000_000, 408_700);
        broken.cases[2] = case(
            "lock",
            "with lock: v = n; f(); n = v + 1",
            1_200_000,
            1_100_000,
        );
        let s = explain(&broken);
        assert!(
            s[2].starts_with("Under a Lock 100,000 of 1,200,000 (8%) increments were lost")
                && s[2].contains("is broken"),
            "{}",
            s[2]
        );
        let lost = explain(&measured("3.8.10", 3_500_000, 408_700));
        assert!(
            lost[0].contains("as expected on this version"),
            "{}",
            lost[0]
        );
    }
}
