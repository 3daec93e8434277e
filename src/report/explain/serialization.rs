//! Sentences about what a payload costs to send to a worker process and
//! back, by size and encoding ([`crate::costs::serialization`]), with
//! Python's pickle beside them ([`crate::python::starts`]). Pure functions
//! of plain numbers; each comparison is a [`Claim`], which says what was
//! expected and what was measured when the numbers disagree.

use crate::costs::serialization::{self, Encoding};
use crate::python::starts::StartsReport;
use crate::report::claim::{Claim, Expect, Unit, Value};
use crate::report::estimates::Estimates;
use crate::report::explain::costs::Spreads;
use crate::report::explain::words;

/// The label of Python's line.
pub const PICKLE: &str = "pickle";

/// Round trips by encoding and size.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SerialCosts {
    /// (encoding, or [`PICKLE`]; payload bytes; median ns per round trip)
    pub rows: Vec<(String, u64, f64)>,
    /// Spreads by (line, bytes).
    pub spread: Spreads,
}

impl SerialCosts {
    /// Rust's, from the `serialization` group.
    pub fn from_estimates(e: &Estimates) -> Self {
        let rows = e
            .group(serialization::GROUP)
            .filter_map(|x| {
                let bytes = x.value.as_deref()?.parse().ok()?;
                Some((x.function.clone()?, bytes, x.median_ns))
            })
            .collect();
        SerialCosts {
            rows,
            spread: Spreads::of(e, serialization::GROUP),
        }
    }

    /// Adds Python's `Pool.apply` round trips as [`PICKLE`].
    pub fn with_pickle(mut self, py: Option<&StartsReport>) -> Self {
        if let Some(py) = py {
            self.rows.extend(
                py.pickling
                    .iter()
                    .map(|r| (PICKLE.to_string(), r.bytes, r.median_s * 1e9)),
            );
            self.spread.0.extend(py.pickling.iter().filter_map(|r| {
                let s = crate::sweep::spread(&r.times_s)?;
                Some((PICKLE.to_string(), Some(r.bytes.to_string()), s))
            }));
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The lines present, in the encodings' order, pickle last.
    pub fn lines(&self) -> Vec<&'static str> {
        Encoding::ALL
            .iter()
            .map(|e| e.name())
            .chain([PICKLE])
            .filter(|name| self.rows.iter().any(|(n, ..)| n == name))
            .collect()
    }

    /// (bytes, ns per round trip) of one line, by size.
    pub fn points(&self, line: &str) -> Vec<(u64, f64)> {
        let mut points: Vec<(u64, f64)> = self
            .rows
            .iter()
            .filter(|(n, _, ns)| n == line && *ns > 0.0)
            .map(|&(_, bytes, ns)| (bytes, ns))
            .collect();
        points.sort_by_key(|p| p.0);
        points
    }
}

/// Where a line's time starts to grow with the size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Knee {
    /// Every size up to `below` took less than twice the smallest size's
    /// time; `from` (the next size) took at least that.
    Found { below: u64, from: u64 },
    /// No size took twice the smallest's time.
    Never,
    /// Already the second size took twice the smallest's time.
    AtOnce,
}

/// The knee of `points` (sorted by size, at least two): the fixed part (the
/// time of the smallest size) against the part that grows with the bytes,
/// which has caught up once a size takes twice the smallest's time.
pub fn knee(points: &[(u64, f64)]) -> Option<Knee> {
    let (&(_, t0), rest) = points.split_first()?;
    let first = rest.first()?;
    if first.1 >= 2.0 * t0 {
        return Some(Knee::AtOnce);
    }
    Some(
        points
            .windows(2)
            .find(|w| w[1].1 >= 2.0 * t0)
            .map_or(Knee::Never, |w| Knee::Found {
                below: w[0].0,
                from: w[1].0,
            }),
    )
}

/// ns per byte of a round trip of `bytes` that took `ns`.
fn per_byte(bytes: u64, ns: f64) -> f64 {
    ns / bytes.max(1) as f64
}

/// "12.5 ns per byte".
fn per_byte_words(v: f64) -> String {
    format!("{} per byte", words::ns(v))
}

/// What dominates the small sizes of each line.
fn fixed_part(line: &str) -> &'static str {
    if line == Encoding::Shm.name() {
        "waking the worker through the futex dominates"
    } else {
        "the pipe's wake-up and system calls dominate"
    }
}

/// Sentences under the serialization chart.
pub fn explain(c: &SerialCosts) -> Vec<String> {
    let mut out = Vec::new();
    for line in c.lines() {
        let points = c.points(line);
        let (Some(&(small, t0)), Some(&(large, tn))) = (points.first(), points.last()) else {
            continue;
        };
        out.push(match knee(&points) {
            Some(Knee::Found { below, from }) => format!(
                "{line}: up to {} a round trip took less than twice the {} one ({}): {}. \
                 From {} on the time grows with the size: the copies and the \
                 encoding, {} at {}.",
                words::bytes(below),
                words::bytes(small),
                words::ns(t0),
                fixed_part(line),
                words::bytes(from),
                per_byte_words(per_byte(large, tn)),
                words::bytes(large)
            ),
            Some(Knee::Never) => format!(
                "{line}: every size up to {} took less than twice the {} round trip ({} to \
                 {}): the fixed cost dominated throughout.",
                words::bytes(large),
                words::bytes(small),
                words::ns(t0),
                words::ns(tn)
            ),
            Some(Knee::AtOnce) => format!(
                "{line}: already the second size took twice the {} round trip ({}): the cost \
                 per byte dominated from the start; {} at {}.",
                words::bytes(small),
                words::ns(t0),
                per_byte_words(per_byte(large, tn)),
                words::bytes(large)
            ),
            None => continue,
        });
    }
    out
}

/// The claims under the serialization chart, each at the largest size both
/// lines reached: JSON costs more than the binary encoding, shared memory
/// less than a pipe, Python's pickle through `Pool.apply` more than Rust's
/// binary encoding.
pub fn claims(c: &SerialCosts) -> Vec<Claim> {
    let at_largest = |a: &str, b: &str| {
        let pa = c.points(a);
        let pb = c.points(b);
        let size = pa
            .iter()
            .map(|p| p.0)
            .filter(|s| pb.iter().any(|q| q.0 == *s))
            .max()?;
        let find = |p: &[(u64, f64)]| p.iter().find(|q| q.0 == size).map(|q| q.1);
        Some((size, find(&pa)?, find(&pb)?))
    };
    let value = |line: &str, label: String, size: u64, ns: f64| {
        Value::new(label, ns, Unit::Ns).with_spread(c.spread.get(line, Some(&size.to_string())))
    };
    let (json, binary, shm) = (
        Encoding::Json.name(),
        Encoding::Binary.name(),
        Encoding::Shm.name(),
    );
    let mut out = Vec::new();
    for line in c.lines() {
        let points = c.points(line);
        let (Some(&(small, t0)), Some(&(large, tn))) = (points.first(), points.last()) else {
            continue;
        };
        if small == large {
            continue;
        }
        out.push(
            Claim::new(
                format!(
                    "{line}'s largest payload takes at least twice as long as its smallest \
                     (the bytes, not the fixed cost, set the time)"
                ),
                Expect::AtMost,
                vec![
                    value(
                        line,
                        format!("twice the {} round trip", words::bytes(small)),
                        small,
                        2.0 * t0,
                    ),
                    value(line, format!("the {} one", words::bytes(large)), large, tn),
                ],
            )
            .because("the copies and the encoding grow with every byte; the wake-up does not"),
        );
    }
    if let Some((size, j, b)) = at_largest(json, binary) {
        out.push(
            Claim::new(
                "a round trip as JSON takes longer than in the binary encoding",
                Expect::Descending,
                vec![
                    value(json, format!("JSON at {}", words::bytes(size)), size, j),
                    value(binary, "binary".into(), size, b),
                ],
            )
            .because(
                "JSON writes every byte as up to four characters and parses them back, on \
                 both sides",
            ),
        );
    }
    if let Some((size, s, b)) = at_largest(shm, binary) {
        out.push(
            Claim::new(
                "a round trip through shared memory is quicker than the binary encoding \
                 through a pipe",
                Expect::Ascending,
                vec![
                    value(
                        shm,
                        format!("shared memory at {}", words::bytes(size)),
                        size,
                        s,
                    ),
                    value(binary, "binary through a pipe".into(), size, b),
                ],
            )
            .because("no system call per chunk, no copy through the kernel"),
        );
    }
    if let Some((size, p, b)) = at_largest(PICKLE, binary) {
        out.push(
            Claim::new(
                "Python's pickle through Pool.apply takes longer than Rust's binary encoding",
                Expect::Descending,
                vec![
                    value(PICKLE, format!("pickle at {}", words::bytes(size)), size, p),
                    value(binary, "Rust's binary".into(), size, b),
                ],
            )
            .because(
                "pickling bytes is a copy too, and Pool adds its task queue and result thread",
            ),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn costs(lines: &[(&str, &[(u64, f64)])]) -> SerialCosts {
        SerialCosts {
            rows: lines
                .iter()
                .flat_map(|(name, points)| {
                    points
                        .iter()
                        .map(move |&(bytes, ns)| (name.to_string(), bytes, ns))
                })
                .collect(),
            spread: Spreads::default(),
        }
    }

    #[test]
    fn the_knee_is_the_first_size_that_doubles_the_smallest() {
        let flat_then_linear = [(8, 20e3), (512, 21e3), (32768, 30e3), (2 << 20, 900e3)];
        assert_eq!(
            knee(&flat_then_linear),
            Some(Knee::Found {
                below: 32768,
                from: 2 << 20
            })
        );
        assert_eq!(knee(&[(8, 20e3), (64, 21e3)]), Some(Knee::Never));
        assert_eq!(knee(&[(8, 20e3), (64, 50e3)]), Some(Knee::AtOnce));
        assert_eq!(knee(&[(8, 20e3)]), None);
    }

    #[test]
    fn the_expected_case_names_the_knee_and_the_ratios() {
        let c = costs(&[
            ("json", &[(8, 30e3), (4096, 50e3), (2 << 20, 40e6)]),
            ("binary", &[(8, 20e3), (4096, 22e3), (2 << 20, 2e6)]),
            ("shm", &[(8, 1e3), (4096, 1.5e3), (2 << 20, 1e6)]),
            ("pickle", &[(8, 80e3), (4096, 90e3), (2 << 20, 4e6)]),
        ])
        .with_pickle(None);
        let s = explain(&c).join(" ");
        for part in [
            "json: up to 4 KiB a round trip took less than twice the 8 B one (30.0 µs)",
            "binary: up to 4 KiB",
            "the pipe's wake-up and system calls dominate. From 2 MiB on the time grows with the size",
            "shm: up to 4 KiB",
            "waking the worker through the futex",
        ] {
            assert!(s.contains(part), "missing {part:?} in {s}");
        }
        let claims = super::claims(&c);
        let said: Vec<String> = claims.iter().map(Claim::sentence).collect();
        for c in &claims {
            c.check(&c.sentence()).unwrap();
        }
        assert_eq!(
            said[0],
            "As expected, json's largest payload takes at least twice as long as its smallest \
             (the bytes, not the fixed cost, set the time): twice the 8 B round trip 60.0 µs \
             and the 2 MiB one 40.0 ms. The copies and the encoding grow with every byte; the \
             wake-up does not."
        );
        assert_eq!(
            &said[4..],
            [
                "As expected, a round trip as JSON takes longer than in the binary encoding: \
                 JSON at 2 MiB 40.0 ms and binary 2.00 ms. JSON writes every byte as up to \
                 four characters and parses them back, on both sides.",
                "As expected, a round trip through shared memory is quicker than the binary \
                 encoding through a pipe: shared memory at 2 MiB 1.00 ms and binary through a \
                 pipe 2.00 ms. No system call per chunk, no copy through the kernel.",
                "As expected, Python's pickle through Pool.apply takes longer than Rust's \
                 binary encoding: pickle at 2 MiB 4.00 ms and Rust's binary 2.00 ms. Pickling \
                 bytes is a copy too, and Pool adds its task queue and result thread.",
            ]
        );
    }

    #[test]
    fn the_unexpected_cases_say_so() {
        let c = costs(&[
            ("json", &[(8, 30e3), (64, 31e3), (2 << 20, 35e3)]),
            ("binary", &[(8, 20e3), (64, 50e3), (2 << 20, 38e3)]),
            ("shm", &[(8, 20e3), (64, 50e3), (2 << 20, 40e3)]),
        ]);
        let s = explain(&c).join(" ");
        for part in [
            "json: every size up to 2 MiB took less than twice",
            "binary: already the second size took twice",
        ] {
            assert!(s.contains(part), "missing {part:?} in {s}");
        }
        let claims = super::claims(&c);
        let said: Vec<String> = claims.iter().map(Claim::sentence).collect();
        assert!(
            said[0].starts_with("Expected that json's largest payload")
                && said[0].contains("twice the 8 B round trip 60.0 µs and the 2 MiB one 35.0 µs"),
            "{said:?}"
        );
        let said = &said[3..];
        assert!(
            said[0].starts_with("Expected that a round trip as JSON takes longer")
                && said[0].contains("JSON at 2 MiB 35.0 µs and binary 38.0 µs"),
            "{said:?}"
        );
        assert!(
            said[1].starts_with("Expected that a round trip through shared memory"),
            "{said:?}"
        );
        for c in &claims {
            c.check(&c.sentence()).unwrap();
        }
        assert!(super::claims(&SerialCosts::default()).is_empty());
        assert!(explain(&SerialCosts::default()).is_empty());
    }

    #[test]
    fn pickle_rows_come_from_the_python_report() {
        let py = StartsReport::parse(
            r#"{"schema": 1, "python": "3.11.7", "implementation": "CPython",
            "system": "Linux", "default_start_method": "fork", "start_methods": ["fork"],
            "quick": true, "repeat": 1, "payload_bytes": 8, "starts": [],
            "pickling": [{"bytes": 64, "median_s": 0.0001, "times_s": [0.0001]},
                         {"bytes": 8, "median_s": 0.0001, "times_s": [0.0001]}],
            "elapsed_s": 1.0}"#,
        )
        .unwrap();
        let c = SerialCosts::default().with_pickle(Some(&py));
        assert_eq!(c.lines(), [PICKLE]);
        assert_eq!(c.points(PICKLE), [(8, 1e5), (64, 1e5)]);
    }
}
