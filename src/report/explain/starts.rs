//! Sentences about how a process starts: spawn, fork, a fork server and a
//! running pool, against the parent's touched memory and with a payload
//! ([`crate::costs::start`]), and CPython's start methods beside them
//! ([`crate::python::starts`]). Pure functions of plain numbers; every
//! sentence that compares is a [`Claim`], which says what was expected and
//! what was measured when the numbers disagree.

use crate::costs::start::{self, Method};
use crate::python::starts::StartsReport;
use crate::report::claim::{Claim, Expect, Unit, Value};
use crate::report::estimates::Estimates;
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
    /// Its run-to-run spread, as a share of `ns`, when known.
    pub spread: Option<f64>,
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
                    spread: x.spread,
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
                // Half the interquartile range, as criterion's spread is
                // half its interval.
                spread: crate::sweep::spread(&s.times_s).map(|s| s / 2.0),
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
        self.value(method, payload, parent_mib).map(|v| v.0)
    }

    /// The time and its spread.
    fn value(&self, method: &str, payload: bool, parent_mib: u64) -> Option<(f64, Option<f64>)> {
        self.rows
            .iter()
            .find(|r| r.method == method && r.payload == payload && r.parent_mib == parent_mib)
            .map(|r| (r.ns, r.spread))
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
    /// `method`, with their times and spreads.
    #[allow(clippy::type_complexity)]
    fn ends(&self, method: &str) -> Option<((u64, f64, Option<f64>), (u64, f64, Option<f64>))> {
        let mut points: Vec<(u64, f64, Option<f64>)> = self
            .rows
            .iter()
            .filter(|r| r.method == method && !r.payload)
            .map(|r| (r.parent_mib, r.ns, r.spread))
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

/// Sentences under the Rust start-methods chart that state numbers; the
/// comparisons are [`rust_claims`].
pub fn explain_rust(c: &StartCosts) -> Vec<String> {
    let mut out = Vec::new();
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

/// The claims under the Rust start-methods chart: fork grows with the
/// parent's memory, spawn does not, the fork server beats fork from a
/// large parent, and a running pool beats every start.
pub fn rust_claims(c: &StartCosts) -> Vec<Claim> {
    let mut out = Vec::new();
    out.extend(fork_grows(c, ""));
    if let Some(((lo, a, sa), (hi, b, sb))) = c.ends(Method::Spawn.name()) {
        // Spawn growing about as much as fork did is what fork-then-exec
        // would show.
        let fork_growth = c.ends(Method::Fork.name()).map(|(f0, f1)| f1.1 - f0.1);
        let like_fork = fork_growth
            .filter(|&g| g > 0.0 && b - a >= 0.5 * g)
            .map(|_| {
                "spawn grew about as much as fork did: this C library may start the child \
                 with fork then exec, which copies the page tables first"
                    .to_string()
            });
        out.push(
            Claim::new(
                "spawn takes no longer from a large parent than from a small one",
                Expect::AtMost,
                vec![
                    Value::new(format!("spawn with {} touched", mib(hi)), b, Unit::Ns)
                        .with_spread(sb),
                    Value::new(format!("with {} touched", mib(lo)), a, Unit::Ns).with_spread(sa),
                ],
            )
            // A start varies by more than the default between runs.
            .tolerance(0.2)
            .because(
                "unlike fork, posix_spawn does not copy the page tables (the child shares the \
                 parent's memory until exec replaces it), so the parent's size hardly matters",
            )
            .reason(like_fork),
        );
    }
    if let Some(hi) = c.largest_parent()
        && let (Some(fs), Some(f)) = (
            c.value(Method::Forkserver.name(), false, hi),
            c.value(Method::Fork.name(), false, hi),
        )
    {
        let fork_flat = c
            .ends(Method::Fork.name())
            .filter(|(lo, hi)| hi.1 < GREW * lo.1)
            .map(|_| {
                "fork did not grow with the parent here, so the server had nothing to save".into()
            });
        out.push(
            Claim::new(
                "from a large parent, the fork server starts a child before fork does",
                Expect::Ascending,
                vec![
                    Value::new(
                        format!("from the parent with {} touched, the fork server", mib(hi)),
                        fs.0,
                        Unit::Ns,
                    )
                    .with_spread(fs.1),
                    Value::new("fork", f.0, Unit::Ns).with_spread(f.1),
                ],
            )
            .because("the server forks its own small process, never the large one")
            .reason(fork_flat),
        );
    }
    out.extend(pool_vs_starts(c));
    out
}

/// fork from the smallest vs the largest parent, in `who`'s words ("" for
/// Rust, "Python's " for CPython).
fn fork_grows(c: &StartCosts, who: &str) -> Option<Claim> {
    let ((lo, a, sa), (hi, b, sb)) = c.ends(Method::Fork.name())?;
    // Memory that was not resident has no page-table entries to copy.
    let resident = |touched: u64| c.resident.iter().find(|r| r.0 == touched).map(|r| r.1);
    let not_resident = match (resident(lo), resident(hi)) {
        (Some(r0), Some(r1)) if r1 < GREW * r0 => Some(format!(
            "the parent's resident memory barely grew ({} to {}), so there were few more \
             page-table entries to copy",
            words::mebibytes(r0),
            words::mebibytes(r1)
        )),
        _ => None,
    };
    Some(
        Claim::new(
            format!("{who}fork takes longer from a parent with more memory touched"),
            Expect::Ascending,
            vec![
                Value::new(
                    format!("{who}fork from a parent with {} touched", mib(lo)),
                    a,
                    Unit::Ns,
                )
                .with_spread(sa),
                Value::new(format!("with {}", mib(hi)), b, Unit::Ns).with_spread(sb),
            ],
        )
        .because("fork copies the parent's page tables, so it grows with the parent's memory")
        .reason(not_resident),
    )
}

/// The running pool against the quickest way to start a process, from the
/// smallest parent.
fn pool_vs_starts(c: &StartCosts) -> Option<Claim> {
    let lo = c.smallest_parent()?;
    let pool = c.value(Method::Pool.name(), false, lo)?;
    let (best, t) = c
        .methods()
        .into_iter()
        .filter(|&m| m != Method::Pool.name())
        .filter_map(|m| Some((m, c.value(m, false, lo)?)))
        .min_by(|a, b| a.1.0.total_cmp(&b.1.0))?;
    Some(
        Claim::new(
            "a worker already running answers before any new process can start",
            Expect::Ascending,
            vec![
                Value::new("a running pool worker", pool.0, Unit::Ns).with_spread(pool.1),
                Value::new(format!("the quickest start ({best})"), t.0, Unit::Ns).with_spread(t.1),
            ],
        )
        .because("no process starts at all, which is why a pool pays the start once"),
    )
}

/// What the payload added to fork and to spawn, from the smallest parent,
/// with the reason; `python` says it for Python, more briefly.
fn payload_claim(c: &StartCosts, python: bool) -> Option<Claim> {
    let lo = c.smallest_parent()?;
    // The added time, and its noise: both times' spreads, against the
    // difference.
    let added = |m: Method| {
        let (with, sw) = c.value(m.name(), true, lo)?;
        let (without, so) = c.value(m.name(), false, lo)?;
        let diff = (with - without).max(0.0);
        // Capped: a difference lost in its noise reads as "within the
        // noise" either way.
        let noise = ((sw.unwrap_or(0.0) * with + so.unwrap_or(0.0) * without)
            / diff.max(f64::MIN_POSITIVE))
        .min(0.5);
        let known = sw.is_some() || so.is_some();
        let quicker = (with <= without).then(|| (m.name(), with, without));
        Some(((diff, known.then_some(noise)), quicker))
    };
    let ((fork, fork_quicker), (spawn, spawn_quicker)) =
        (added(Method::Fork)?, added(Method::Spawn)?);
    // The methods measured no slower with the payload than without it.
    let quicker: Vec<(&str, f64, f64)> = fork_quicker.into_iter().chain(spawn_quicker).collect();
    let lost = (!quicker.is_empty()).then(|| {
        let list = |f: &dyn Fn(&(&str, f64, f64)) -> String| {
            let texts: Vec<String> = quicker.iter().map(f).collect();
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            words::and_list(&refs)
        };
        format!(
            "with the payload, {} measured no slower than without it ({}), so what the payload \
             adds is lost in the run-to-run noise",
            list(&|q| format!("{} ({})", q.0, words::ns(q.1))),
            list(&|q| words::ns(q.2))
        )
    });
    let size = words::bytes(c.payload_bytes);
    let who = if python { "in Python, a" } else { "a" };
    let because = if python {
        "spawn pickles the payload into the process object and sends it; fork's child finds \
         it in place"
    } else {
        "the fork child reads the parent's pages where they are (copy-on-write copies only a \
         page someone writes), while spawn must serialize the bytes and send them through a \
         pipe"
    };
    Some(
        Claim::new(
            "a payload adds less to fork than to spawn",
            Expect::Ascending,
            vec![
                Value::new(
                    format!("{who} {size} payload added to fork"),
                    fork.0,
                    Unit::Ns,
                )
                .with_spread(fork.1),
                Value::new("to spawn", spawn.0, Unit::Ns).with_spread(spawn.1),
            ],
        )
        .because(because)
        .reason(lost),
    )
}

/// Sentences under the Python chart: what this Python does by default.
/// The comparisons are [`python_claims`]; the terminal shows both with
/// [`explain_python`].
pub fn python_sentences(py: &StartsReport) -> Vec<String> {
    vec![format!(
        "This machine's Python ({} {} on {}) offers {} and starts processes with {} by \
         default.",
        py.implementation,
        py.python,
        py.system,
        py.start_methods.join(", "),
        py.default_start_method
    )]
}

/// The claims under the Python chart: Python's spawn costs more than
/// Rust's, its forkserver less than its spawn, its fork grows with the
/// parent.
pub fn python_claims(c: &StartCosts, rust: &StartCosts) -> Vec<Claim> {
    let mut out = Vec::new();
    let lo = c.smallest_parent().unwrap_or(0);
    if let (Some(p), Some(r)) = (
        c.value(Method::Spawn.name(), false, lo),
        rust.value(Method::Spawn.name(), false, lo),
    ) {
        out.push(
            Claim::new(
                "Python's spawn costs more per start than Rust's spawn of tvp",
                Expect::Descending,
                vec![
                    Value::new("Python's spawn", p.0, Unit::Ns).with_spread(p.1),
                    Value::new("Rust's spawn of tvp", r.0, Unit::Ns).with_spread(r.1),
                ],
            )
            .because(
                "a fresh interpreter starts, imports multiprocessing and re-imports the main \
                 module before the first line of the target runs",
            ),
        );
    }
    if let (Some(fs), Some(sp)) = (
        c.value(Method::Forkserver.name(), false, lo),
        c.value(Method::Spawn.name(), false, lo),
    ) {
        out.push(
            Claim::new(
                "Python's forkserver starts a child before its spawn does",
                Expect::Ascending,
                vec![
                    Value::new("Python's forkserver", fs.0, Unit::Ns).with_spread(fs.1),
                    Value::new("spawn", sp.0, Unit::Ns).with_spread(sp.1),
                ],
            )
            .because(
                "its server paid the interpreter's start once, and each child is forked from \
                 it, already started",
            ),
        );
    }
    out.extend(fork_grows(c, "Python's "));
    out
}

/// Every sentence about Python's starts, the claims' included, for the
/// terminal.
pub fn explain_python(py: &StartsReport, c: &StartCosts, rust: &StartCosts) -> Vec<String> {
    let mut out = python_sentences(py);
    out.extend(python_claims(c, rust).iter().map(Claim::sentence));
    out
}

/// The claims under the payload chart: what the payload added to each way
/// of starting, in Rust and in Python.
pub fn payload_claims(rust: &StartCosts, python: Option<&StartCosts>) -> Vec<Claim> {
    let mut out = Vec::new();
    out.extend(payload_claim(rust, false));
    out.extend(python.and_then(|py| payload_claim(py, true)));
    out
}

/// The payload claims' sentences, for the terminal.
pub fn explain_payload(rust: &StartCosts, python: Option<&StartCosts>) -> Vec<String> {
    payload_claims(rust, python)
        .iter()
        .map(Claim::sentence)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::claim::Outcome;
    use crate::report::explain::costs::tests::outcomes;

    fn costs(rows: &[(&str, bool, u64, f64)]) -> StartCosts {
        StartCosts {
            rows: rows
                .iter()
                .map(|&(m, p, mib, ns)| StartCost {
                    method: m.into(),
                    payload: p,
                    parent_mib: mib,
                    ns,
                    spread: None,
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
            ("spawn", false, 1024, 0.98e6),
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

    fn said(claims: &[Claim]) -> String {
        claims
            .iter()
            .map(Claim::sentence)
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn the_expected_case_quotes_its_numbers() {
        let claims = rust_claims(&expected());
        assert_eq!(outcomes(&claims), [Outcome::Agrees; 4]);
        let s = said(&claims);
        for part in [
            "As expected, fork takes longer from a parent with more memory touched: fork from a \
             parent with nothing touched 300 µs and with 1 GiB 37.0 ms.",
            "spawn with 1 GiB touched 980 µs and with nothing touched 1.00 ms",
            "from the parent with 1 GiB touched, the fork server 410 µs and fork 37.0 ms",
            "a running pool worker 20.0 µs and the quickest start (fork) 300 µs",
        ] {
            assert!(s.contains(part), "missing {part:?} in {s}");
        }
        assert!(
            explain_rust(&expected())[0]
                .contains("20 MiB with nothing touched, 1050 MiB with 1 GiB touched")
        );
        let p = payload_claims(&expected(), Some(&expected()));
        assert_eq!(outcomes(&p), [Outcome::Agrees; 2]);
        let p = said(&p);
        assert!(
            p.contains("a 16 MiB payload added to fork 2.00 ms and to spawn 8.00 ms"),
            "{p}"
        );
        assert!(
            p.contains("in Python, a 16 MiB payload added to fork 2.00 ms and to spawn 8.00 ms"),
            "{p}"
        );
    }

    #[test]
    fn every_expectation_reversed_is_said_to_be_unexpected() {
        let mut c = costs(&[
            ("spawn", false, 0, 1.0e6),
            ("spawn", false, 1024, 5.0e6),
            ("spawn", true, 0, 1.0e6),
            ("fork", false, 0, 3.0e5),
            ("fork", false, 1024, 2.0e5),
            ("fork", true, 0, 9.0e6),
            ("forkserver", false, 0, 4.0e5),
            ("forkserver", false, 1024, 4.0e5),
            ("pool", false, 0, 5.0e5),
        ]);
        c.resident = vec![(0, 20.0), (1024, 25.0)];
        let claims = rust_claims(&c);
        assert_eq!(outcomes(&claims), [Outcome::Contradicts; 4]);
        let s = said(&claims);
        for part in [
            "Expected that fork takes longer from a parent with more memory touched, but measured",
            "the parent's resident memory barely grew (20 MiB to 25 MiB)",
            "Expected that spawn takes no longer from a large parent",
            "fork did not grow with the parent here",
            "Expected that a worker already running answers before",
        ] {
            assert!(s.contains(part), "missing {part:?} in {s}");
        }
        let p = payload_claims(&c, None);
        assert_eq!(outcomes(&p), [Outcome::Contradicts]);
        assert!(said(&p).contains("added to fork 8.70 ms and to spawn 0.00 ns"));
    }

    #[test]
    fn spawn_growing_like_fork_names_fork_then_exec() {
        let c = costs(&[
            ("spawn", false, 0, 1.0e6),
            ("spawn", false, 1024, 30.0e6),
            ("fork", false, 0, 3.0e5),
            ("fork", false, 1024, 3.7e7),
        ]);
        let claims = rust_claims(&c);
        assert!(
            said(&claims).contains("fork then exec"),
            "{}",
            said(&claims)
        );
    }

    #[test]
    fn missing_numbers_drop_their_sentences() {
        assert!(explain_rust(&StartCosts::default()).is_empty());
        assert!(rust_claims(&StartCosts::default()).is_empty());
        let only_fork = costs(&[("fork", false, 0, 1.0), ("fork", false, 256, 3.0)]);
        let claims = rust_claims(&only_fork);
        assert_eq!(claims.len(), 1, "{claims:?}");
        assert!(claims[0].sentence().contains("256 MiB"));
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
        let claims = python_claims(&py, &expected());
        assert_eq!(outcomes(&claims), [Outcome::Agrees; 3]);
        let s = explain_python(&report, &py, &expected()).join(" ");
        for part in [
            "CPython 3.11.7 on Linux) offers fork, spawn, forkserver and starts processes with fork by default",
            "Python's spawn 50.0 ms and Rust's spawn of tvp 1.00 ms",
            "Python's forkserver 10.0 ms and spawn 50.0 ms",
            "Python's fork from a parent with nothing touched 2.00 ms",
        ] {
            assert!(s.contains(part), "missing {part:?} in {s}");
        }
        let reversed = costs(&[("spawn", false, 0, 1.0e5), ("forkserver", false, 0, 1.0e6)]);
        let claims = python_claims(&reversed, &expected());
        assert_eq!(outcomes(&claims), [Outcome::Contradicts; 2]);
        // Without Rust's numbers (the terminal), only Python's own.
        assert_eq!(python_claims(&py, &StartCosts::default()).len(), 2);
    }
}
