//! Sentences about how a process starts: spawn, fork, a fork server and a
//! running pool, against the parent's touched memory and with a payload
//! ([`crate::costs::start`]), and CPython's start methods beside them
//! ([`crate::python::starts`]). Pure functions of plain numbers; every
//! sentence that compares has a branch for when the numbers disagree.

use crate::costs::start::{self, Method};
use crate::python::starts::StartsReport;
use crate::report::estimates::Estimates;
use crate::report::explain::costs::vs;
use crate::report::explain::words;

/// A time counts as grown with the parent's memory past this ratio.
const GREW: f64 = 1.5;

/// One measured start.
#[derive(Debug, Clone, PartialEq)]
pub struct StartCost {
    /// "spawn", "fork", "forkserver" or "pool".
    pub method: String,
    pub payload: bool,
    /// Memory the parent touched first.
    pub parent_mib: u64,
    /// Median ns from the start to the answer.
    pub ns: f64,
}

/// Every start measured in one language, and the parent's resident memory
/// at each level.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StartCosts {
    pub rows: Vec<StartCost>,
    /// (MiB touched, MiB resident (VmRSS)), when recorded.
    pub resident: Vec<(u64, f64)>,
    /// The payload's size in bytes.
    pub payload_bytes: u64,
}

impl StartCosts {
    /// Rust's, from the `start-methods` group (ids `fork`, `fork-payload`;
    /// values the parent's MiB).
    pub fn from_estimates(e: &Estimates) -> Self {
        let order = |m: &str| Method::ALL.iter().position(|x| x.name() == m);
        let mut rows: Vec<StartCost> = e
            .group(start::GROUP)
            .filter_map(|x| {
                let (method, payload) = Method::parse_id(x.function.as_deref()?)?;
                Some(StartCost {
                    method: method.name().to_string(),
                    payload,
                    parent_mib: x.value.as_deref()?.parse().ok()?,
                    ns: x.median_ns,
                })
            })
            .collect();
        // Criterion's folders come back sorted by name: put the methods in
        // their own order (spawn, fork, forkserver, pool), as Python's are.
        rows.sort_by_key(|r| (order(&r.method), r.payload, r.parent_mib));
        StartCosts {
            rows,
            resident: Vec::new(),
            payload_bytes: start::PAYLOAD_BYTES as u64,
        }
    }

    /// Python's, from `python_starts.json`.
    pub fn from_python(r: &StartsReport) -> Self {
        let rows = r
            .starts
            .iter()
            .map(|s| StartCost {
                method: s.method.clone(),
                payload: s.payload_bytes > 0,
                parent_mib: s.parent_mib,
                ns: s.median_s * 1e9,
            })
            .collect();
        let mut resident: Vec<(u64, f64)> = Vec::new();
        for s in &r.starts {
            if let Some(rss) = s.parent_rss_mib
                && !resident.iter().any(|&(mib, _)| mib == s.parent_mib)
            {
                resident.push((s.parent_mib, rss));
            }
        }
        StartCosts {
            rows,
            resident,
            payload_bytes: r.payload_bytes,
        }
    }

    pub fn with_resident(mut self, resident: Vec<(u64, f64)>) -> Self {
        self.resident = resident;
        self
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn get(&self, method: &str, payload: bool, parent_mib: u64) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.method == method && r.payload == payload && r.parent_mib == parent_mib)
            .map(|r| r.ns)
    }

    /// The methods measured, in the order first seen.
    pub fn methods(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for r in &self.rows {
            if !seen.contains(&r.method.as_str()) {
                seen.push(&r.method);
            }
        }
        seen
    }

    /// The smallest and the largest parent measured without a payload for
    /// `method`, with their times.
    fn ends(&self, method: &str) -> Option<((u64, f64), (u64, f64))> {
        let mut points: Vec<(u64, f64)> = self
            .rows
            .iter()
            .filter(|r| r.method == method && !r.payload)
            .map(|r| (r.parent_mib, r.ns))
            .collect();
        points.sort_by_key(|p| p.0);
        match (points.first(), points.last()) {
            (Some(&lo), Some(&hi)) if lo.0 < hi.0 => Some((lo, hi)),
            _ => None,
        }
    }

    /// The smallest parent measured.
    fn smallest_parent(&self) -> Option<u64> {
        self.rows.iter().map(|r| r.parent_mib).min()
    }

    /// The largest parent measured.
    fn largest_parent(&self) -> Option<u64> {
        self.rows.iter().map(|r| r.parent_mib).max()
    }
}

/// "1 GiB", "256 MiB", "nothing".
fn mib(n: u64) -> String {
    if n == 0 {
        "nothing".into()
    } else {
        words::bytes(n << 20)
    }
}

/// Sentences under the Rust start-methods chart.
pub fn explain_rust(c: &StartCosts) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(s) = fork_grows(c, "") {
        out.push(s);
    }
    if let Some(((lo, a), (hi, b))) = c.ends(Method::Spawn.name()) {
        out.push(if b < GREW * a {
            format!(
                "spawn took {} with {} touched and {} with {} touched: posix_spawn does not copy the \
                 page tables (the child shares the parent's memory until exec replaces it), \
                 so the parent's size hardly matters.",
                words::ns(a),
                mib(lo),
                words::ns(b),
                mib(hi)
            )
        } else {
            format!(
                "spawn grew from {} with {} touched to {} with {} touched ({:.1}x), which posix_spawn \
                 should avoid: this C library may start the child with fork then exec, which \
                 copies the page tables first.",
                words::ns(a),
                mib(lo),
                words::ns(b),
                mib(hi),
                b / a
            )
        });
    }
    if let Some(hi) = c.largest_parent()
        && let (Some(fs), Some(f)) = (
            c.get(Method::Forkserver.name(), false, hi),
            c.get(Method::Fork.name(), false, hi),
        )
    {
        out.push(if fs < f {
            format!(
                "From the parent with {} touched, the fork server started a child in {}, {} \
                 fork's {}: it forks its own small process, never the large one.",
                mib(hi),
                words::ns(fs),
                vs(fs, f),
                words::ns(f)
            )
        } else {
            format!(
                "From the parent with {} touched, the fork server ({}) was not quicker than \
                 fork ({}), as it was expected to be: the hop through the server cost more \
                 than copying this parent's page tables.",
                mib(hi),
                words::ns(fs),
                words::ns(f)
            )
        });
    }
    if let Some(s) = pool_vs_starts(c) {
        out.push(s);
    }
    if !c.resident.is_empty() {
        let list: Vec<String> = c
            .resident
            .iter()
            .map(|&(touched, rss)| {
                format!("{} with {} touched", words::mebibytes(rss), mib(touched))
            })
            .collect();
        out.push(format!(
            "The parent's resident memory (VmRSS) was {}.",
            list.join(", ")
        ));
    }
    out
}

/// fork from the smallest vs the largest parent, in `who`'s words ("" for
/// Rust, "Python's " for CPython).
fn fork_grows(c: &StartCosts, who: &str) -> Option<String> {
    let ((lo, a), (hi, b)) = c.ends(Method::Fork.name())?;
    Some(if b >= GREW * a {
        format!(
            "{}fork took {} from a parent with {} touched and {} from one with {} ({:.1}x): \
             fork copies the parent's page tables, so it grows with the parent's memory.",
            words::capitalise(who),
            words::ns(a),
            mib(lo),
            words::ns(b),
            mib(hi),
            b / a
        )
    } else {
        format!(
            "{}fork took {} from a parent with {} touched and {} from one with {}: it did not \
             grow with the parent's memory as expected (a page-table entry to copy per \
             touched page). Likely the kernel backed the memory with huge pages, or other \
             work on the machine hid the difference.",
            words::capitalise(who),
            words::ns(a),
            mib(lo),
            words::ns(b),
            mib(hi)
        )
    })
}

/// The running pool against the quickest way to start a process, from the
/// smallest parent.
fn pool_vs_starts(c: &StartCosts) -> Option<String> {
    let lo = c.smallest_parent()?;
    let pool = c.get(Method::Pool.name(), false, lo)?;
    let (best, t) = c
        .methods()
        .into_iter()
        .filter(|&m| m != Method::Pool.name())
        .filter_map(|m| Some((m, c.get(m, false, lo)?)))
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    Some(if pool < t {
        format!(
            "A worker already running answered in {}, {} the quickest start ({best}, {}): no \
             process starts at all, which is why a pool pays the start once.",
            words::ns(pool),
            vs(pool, t),
            words::ns(t)
        )
    } else {
        format!(
            "A worker already running answered in {}, not quicker than {best} ({}) as \
             expected: the machine was likely busy while the pool was measured.",
            words::ns(pool),
            words::ns(t)
        )
    })
}

/// What the payload added to fork and to spawn, from the smallest parent,
/// with the reason; `python` says it for Python, more briefly.
fn payload_sentence(c: &StartCosts, python: bool) -> Option<String> {
    let lo = c.smallest_parent()?;
    let added = |m: Method| Some(c.get(m.name(), true, lo)? - c.get(m.name(), false, lo)?);
    let (fork, spawn) = (added(Method::Fork)?, added(Method::Spawn)?);
    let size = words::bytes(c.payload_bytes);
    let shown = |ns: f64| {
        if ns > 0.0 {
            words::ns(ns)
        } else {
            "nothing measurable".to_string()
        }
    };
    let (fork, spawn, expected) = (shown(fork), shown(spawn), fork < spawn);
    Some(match (python, expected) {
        (false, true) => format!(
            "A {size} payload added {fork} to fork and {spawn} to spawn: the fork child reads \
             the parent's pages where they are (copy-on-write copies only a page someone \
             writes), while spawn must serialize the bytes and send them through a pipe."
        ),
        (true, true) => format!(
            "In Python a {size} payload added {fork} to fork and {spawn} to spawn, which \
             pickles it into the process object and sends it."
        ),
        (false, false) => format!(
            "A {size} payload added {fork} to fork and {spawn} to spawn: not the expected \
             order (fork's child reads the payload in place, spawn's gets a copy through a \
             pipe); at this size the difference is within what a busy machine varies by."
        ),
        (true, false) => format!(
            "In Python a {size} payload added {fork} to fork and {spawn} to spawn: not the \
             expected order (spawn pickles it and sends it, fork's child finds it in place); \
             likely the machine was busy."
        ),
    })
}

/// Sentences under the Python chart: what this Python does by default,
/// how its starts compare with each other and with Rust's.
pub fn explain_python(py: &StartsReport, c: &StartCosts, rust: &StartCosts) -> Vec<String> {
    let mut out = vec![format!(
        "This machine's Python ({} {} on {}) offers {} and starts processes with {} by \
         default.",
        py.implementation,
        py.python,
        py.system,
        py.start_methods.join(", "),
        py.default_start_method
    )];
    let lo = c.smallest_parent().unwrap_or(0);
    if let (Some(p), Some(r)) = (
        c.get(Method::Spawn.name(), false, lo),
        rust.get(Method::Spawn.name(), false, lo),
    ) {
        out.push(if p > r {
            format!(
                "Python's spawn took {} per start, {:.0}x Rust's spawn of tvp ({}): a fresh \
                 interpreter starts, imports multiprocessing and re-imports the main module \
                 before the first line of the target runs.",
                words::ns(p),
                p / r,
                words::ns(r)
            )
        } else {
            format!(
                "Python's spawn took {} per start, not more than Rust's spawn of tvp ({}), \
                 though a fresh interpreter has far more to load than tvp: the Rust side was \
                 likely measured on a busier machine.",
                words::ns(p),
                words::ns(r)
            )
        });
    }
    if let (Some(fs), Some(sp)) = (
        c.get(Method::Forkserver.name(), false, lo),
        c.get(Method::Spawn.name(), false, lo),
    ) {
        out.push(if fs < sp {
            format!(
                "Python's forkserver took {}, {} spawn ({}): its server paid the interpreter's \
                 start once, and each child is forked from it, already started.",
                words::ns(fs),
                vs(fs, sp),
                words::ns(sp)
            )
        } else {
            format!(
                "Python's forkserver took {}, not quicker than spawn ({}) as expected: the \
                 server was started before the timing, so likely the machine was busy.",
                words::ns(fs),
                words::ns(sp)
            )
        });
    }
    if let Some(s) = fork_grows(c, "Python's ") {
        out.push(s);
    }
    out
}

/// Sentences under the payload chart: what the payload added to each way
/// of starting, in Rust and in Python.
pub fn explain_payload(rust: &StartCosts, python: Option<&StartCosts>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(s) = payload_sentence(rust, false) {
        out.push(s);
    }
    if let Some(s) = python.and_then(|py| payload_sentence(py, true)) {
        out.push(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn costs(rows: &[(&str, bool, u64, f64)]) -> StartCosts {
        StartCosts {
            rows: rows
                .iter()
                .map(|&(m, p, mib, ns)| StartCost {
                    method: m.into(),
                    payload: p,
                    parent_mib: mib,
                    ns,
                })
                .collect(),
            resident: vec![(0, 20.0), (1024, 1050.0)],
            payload_bytes: 16 << 20,
        }
    }

    /// The textbook: fork grows, spawn flat, the server and the pool quick.
    fn expected() -> StartCosts {
        costs(&[
            ("spawn", false, 0, 1.0e6),
            ("spawn", false, 1024, 1.1e6),
            ("spawn", true, 0, 9.0e6),
            ("fork", false, 0, 3.0e5),
            ("fork", false, 1024, 3.7e7),
            ("fork", true, 0, 2.3e6),
            ("forkserver", false, 0, 4.0e5),
            ("forkserver", false, 1024, 4.1e5),
            ("pool", false, 0, 2.0e4),
            ("pool", false, 1024, 2.1e4),
        ])
    }

    #[test]
    fn the_expected_case_quotes_its_numbers() {
        let s = explain_rust(&expected()).join(" ");
        for part in [
            "fork took 300 µs from a parent with nothing touched and 37.0 ms from one with 1 GiB (123.3x)",
            "spawn took 1.00 ms with nothing touched and 1.10 ms with 1 GiB touched",
            "the fork server started a child in 410 µs, 90.2x quicker than fork's 37.0 ms",
            "answered in 20.0 µs, 15.0x quicker than the quickest start (fork, 300 µs)",
            "20 MiB with nothing touched, 1050 MiB with 1 GiB touched",
        ] {
            assert!(s.contains(part), "missing {part:?} in {s}");
        }
        let p = explain_payload(&expected(), Some(&expected())).join(" ");
        assert!(
            p.contains("A 16 MiB payload added 2.00 ms to fork and 8.00 ms to spawn"),
            "{p}"
        );
        assert!(
            p.contains("In Python a 16 MiB payload added 2.00 ms to fork and 8.00 ms to spawn"),
            "{p}"
        );
    }

    #[test]
    fn every_expectation_reversed_is_said_to_be_unexpected() {
        let c = costs(&[
            ("spawn", false, 0, 1.0e6),
            ("spawn", false, 1024, 5.0e6),
            ("spawn", true, 0, 1.0e6),
            ("fork", false, 0, 3.0e5),
            ("fork", false, 1024, 3.1e5),
            ("fork", true, 0, 9.0e6),
            ("forkserver", false, 0, 4.0e5),
            ("forkserver", false, 1024, 4.0e5),
            ("pool", false, 0, 5.0e5),
        ]);
        let s = explain_rust(&c).join(" ") + &explain_payload(&c, None).join(" ");
        for part in [
            "did not grow with the parent's memory as expected",
            "spawn grew from 1.00 ms",
            "was not quicker than fork",
            "not quicker than fork (300 µs) as expected",
            "not the expected order",
            "nothing measurable to spawn",
        ] {
            assert!(s.contains(part), "missing {part:?} in {s}");
        }
        assert!(!s.contains("hardly matters"));
    }

    #[test]
    fn missing_numbers_drop_their_sentences() {
        assert!(explain_rust(&StartCosts::default()).is_empty());
        let only_fork = costs(&[("fork", false, 0, 1.0), ("fork", false, 256, 3.0)]);
        let s = explain_rust(&only_fork);
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].contains("256 MiB"));
    }

    #[test]
    fn python_is_compared_with_itself_and_with_rust() {
        let report = StartsReport::parse(
            r#"{"schema": 1, "python": "3.11.7", "implementation": "CPython",
            "system": "Linux", "default_start_method": "fork",
            "start_methods": ["fork", "spawn", "forkserver"], "quick": false, "repeat": 5,
            "payload_bytes": 16777216, "starts": [], "pickling": [], "elapsed_s": 1.0}"#,
        )
        .unwrap();
        let py = costs(&[
            ("spawn", false, 0, 5.0e7),
            ("forkserver", false, 0, 1.0e7),
            ("fork", false, 0, 2.0e6),
            ("fork", false, 1024, 4.0e7),
        ]);
        let s = explain_python(&report, &py, &expected()).join(" ");
        for part in [
            "CPython 3.11.7 on Linux) offers fork, spawn, forkserver and starts processes with fork by default",
            "Python's spawn took 50.0 ms per start, 50x Rust's spawn of tvp (1.00 ms)",
            "Python's forkserver took 10.0 ms, 5.0x quicker than spawn (50.0 ms)",
            "Python's fork took 2.00 ms",
        ] {
            assert!(s.contains(part), "missing {part:?} in {s}");
        }
        let reversed = costs(&[("spawn", false, 0, 1.0e5), ("forkserver", false, 0, 1.0e6)]);
        let s = explain_python(&report, &reversed, &expected()).join(" ");
        assert!(s.contains("not more than Rust's spawn"), "{s}");
        assert!(s.contains("not quicker than spawn"), "{s}");
    }
}
