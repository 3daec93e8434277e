//! Two sections of the costs page: how a process starts (spawn, fork, a
//! fork server, a running pool, against the parent's memory; CPython's
//! start methods beside them) and what a payload costs to send to a worker
//! and back (JSON, binary, shared memory; Python's pickle beside them).
//!
//! Rust's numbers are criterion's (`cargo bench --bench costs -- 'start-methods|serialization'`);
//! the parent's resident memory comes from `data/start_methods.json`, which
//! that bench writes; Python's from `data/python_starts.json`
//! (`tvp python`).

use std::path::Path;

use crate::costs::serialization::{Encoding, JSON_BENCH_MAX};
use crate::costs::start::{self, Method};
use crate::error::Result;
use crate::python::starts::StartsReport;
use crate::report::chart::{self, LineChart, Point, Series, Unit};
use crate::report::explain::serialization::{self as explain_serial, PICKLE, SerialCosts};
use crate::report::explain::starts::{self as explain_starts, StartCosts};
use crate::report::explain::words;
use crate::report::{Drawn, Figure};

/// Python's numbers, relative to the report directory.
pub const PYTHON_FILE: &str = "data/python_starts.json";
/// The parents' resident memory of the Rust run, relative to the report
/// directory.
pub const PARENTS_FILE: &str = "data/start_methods.json";

/// Python's report, if `tvp python` wrote one into the report's data; a
/// file that does not read gives a note instead.
pub fn python_report(out: &Path, notes: &mut Vec<String>) -> Option<StartsReport> {
    let path = out.join(PYTHON_FILE);
    if !path.is_file() {
        return None;
    }
    match StartsReport::load(&path) {
        Ok(r) => {
            if r.quick {
                notes.push(
                    "Python's start methods and pickling were measured in quick mode (fewer \
                     sizes and runs): a first look. Run `tvp python` for the full measurement."
                        .into(),
                );
            }
            Some(r)
        }
        Err(e) => {
            notes.push(format!("Python's start methods are not shown: {e}"));
            None
        }
    }
}

/// The Rust start costs with the parents' resident memory, if recorded.
pub fn rust_starts(e: &crate::report::estimates::Estimates, out: &Path) -> StartCosts {
    let resident = start::read_parents(&out.join(PARENTS_FILE))
        .map(|parents| {
            parents
                .into_iter()
                .map(|p| (p.touched_mib, p.resident_mib))
                .collect()
        })
        .unwrap_or_default();
    StartCosts::from_estimates(e).with_resident(resident)
}

/// One line per method (no payload) over the parent's resident memory, both
/// axes on a log scale: from a few MiB to a GiB, from microseconds to a
/// fifth of a second. A level whose resident memory was not recorded is
/// placed at the memory it touched, or left out when that is nothing.
fn start_chart(title: &str, c: &StartCosts) -> LineChart {
    let x = |touched: u64| {
        let mib = c
            .resident
            .iter()
            .find(|r| r.0 == touched)
            .map_or(touched as f64, |r| r.1);
        (mib > 0.0).then_some(mib * f64::from(1u32 << 20))
    };
    let series = c
        .methods()
        .into_iter()
        .enumerate()
        .filter_map(|(i, method)| {
            let mut points: Vec<Point> = c
                .rows
                .iter()
                .filter(|r| r.method == method && !r.payload)
                .filter_map(|r| Some(Point::new(x(r.parent_mib)?, r.ns)))
                .collect();
            points.sort_by(|a, b| a.x.total_cmp(&b.x));
            (!points.is_empty()).then(|| Series::solid(method, method_color(method, i), points))
        })
        .collect();
    LineChart {
        title: title.into(),
        x_label: "the parent's resident memory (VmRSS)".into(),
        y_label: "time to one answer".into(),
        series,
        x_unit: Unit::Bytes,
        y_unit: Unit::Nanos,
        ..LineChart::default()
    }
}

/// The same colour for a method in every chart, Rust's or Python's.
fn method_color(method: &str, fallback: usize) -> plotters::style::RGBColor {
    let at = Method::ALL.iter().position(|m| m.name() == method);
    chart::color(at.unwrap_or(Method::ALL.len() + fallback))
}

/// Time against the payload's size, from the smallest parent: one line per
/// method, Rust solid, Python dashed.
fn payload_chart(rust: &StartCosts, python: Option<&StartCosts>) -> LineChart {
    let lines = |c: &StartCosts, dashed: bool, prefix: &str| -> Vec<Series> {
        let Some(lo) = c.rows.iter().map(|r| r.parent_mib).min() else {
            return Vec::new();
        };
        c.methods()
            .into_iter()
            .enumerate()
            .filter_map(|(i, method)| {
                let at = |payload: bool| c.get(method, payload, lo);
                let (without, with) = (at(false)?, at(true)?);
                let bytes = c.payload_bytes as f64;
                let points = vec![
                    Point::new(0.0, without / 1e6),
                    Point::new(bytes, with / 1e6),
                ];
                let label = format!("{prefix}{method}");
                let color = method_color(method, i);
                Some(if dashed {
                    Series::dashed(label, color, points)
                } else {
                    Series::solid(label, color, points)
                })
            })
            .collect()
    };
    let mut series = lines(rust, false, "");
    if let Some(py) = python {
        series.extend(lines(py, true, "Python "));
    }
    LineChart {
        title: "what a payload adds to one start".into(),
        x_label: "payload handed to the child".into(),
        x_unit: Unit::Bytes,
        y_label: "from start to answer".into(),
        series,
        y_unit: Unit::Millis,
        ..LineChart::default()
    }
}

/// The "How a process starts" section: Rust's chart, then Python's.
pub fn start_section(
    rust: &StartCosts,
    python: Option<&StartsReport>,
    drawn: &mut Drawn,
) -> Result<String> {
    if rust.is_empty() && python.is_none() {
        return Ok(String::new());
    }
    let mut s = String::from(
        "<h2 id=\"start\">How a process starts: spawn, fork, forkserver</h2>\n<p>Start a \
         process, hand it a payload, get one answer back (the payload's checksum), from a \
         parent that first touched 0, 256 or 1024 MiB. <code>spawn</code>: \
         <code>Command</code> runs <code>tvp peer</code> (posix_spawn, exec), the payload \
         written to its stdin. <code>fork</code>: the child runs in place on the parent's \
         memory and leaves with <code>_exit</code>. <code>forkserver</code>: a small server \
         started once forks a child per request. <code>pool</code>: a worker started once \
         answers itself. Python's <code>multiprocessing</code> does the same with \
         <code>get_context(\"fork\" | \"spawn\" | \"forkserver\")</code> and a \
         <code>Pool</code>. The charts place each parent at the memory the kernel counted \
         as resident, both axes on a log scale.</p>\n",
    );
    s.push_str(
        &drawn.add(
            Figure::new(
                "costs/start-methods",
                "costs-start-methods.svg",
                "Rust: starting a process against the parent's resident memory",
                start_chart("Rust: start a process, get one answer", rust),
            )
            .with_sentences(explain_starts::explain_rust(rust))
            .with_claims(explain_starts::rust_claims(rust)),
        )?,
    );
    let py_costs = python.map(|py| (py, StartCosts::from_python(py)));
    if let Some((py, c)) = &py_costs {
        s.push_str(
            &drawn.add(
                Figure::new(
                    "costs/start-methods-python",
                    "costs-start-methods-python.svg",
                    "Python: multiprocessing's start methods against the parent's resident memory",
                    start_chart(
                        &format!("Python {}: start a process, get one answer", py.python),
                        c,
                    ),
                )
                .with_sentences(explain_starts::python_sentences(py))
                .with_claims(explain_starts::python_claims(c, rust)),
            )?,
        );
    }
    let py_starts = py_costs.as_ref().map(|(_, c)| c);
    s.push_str(
        &drawn.add(
            Figure::new(
                "costs/start-payload",
                "costs-start-payload.svg",
                "what a payload adds to one start, Rust and Python",
                payload_chart(rust, py_starts),
            )
            .with_claims(explain_starts::payload_claims(rust, py_starts)),
        )?,
    );
    Ok(s)
}

/// The serialization section: time per byte on log axes, Python's pickle
/// dashed.
pub fn serialization_section(c: &SerialCosts, drawn: &mut Drawn) -> Result<String> {
    if c.is_empty() {
        return Ok(String::new());
    }
    let mut s = String::from(
        "<h2 id=\"serialization\">Serialization: a payload there and back</h2>\n<p>A worker \
         started once echoes a payload of 8 B to 64 MiB: as JSON lines (the pool's own \
         format), as a binary encoding (postcard, length-prefixed), or through shared \
         memory (no encoding, no pipe). Time per byte of a round trip, both axes on a log \
         scale: where a line falls, a fixed cost is being spread over more bytes; where it \
         flattens, the bytes themselves cost. Python's <code>Pool.apply</code> with the \
         payload pickled both ways is dashed.</p>\n",
    );
    if c.points(Encoding::Json.name())
        .last()
        .is_some_and(|p| p.0 as usize == JSON_BENCH_MAX)
    {
        s.push_str(&format!(
            "<p>JSON is measured up to {}: past it, one round trip takes so long that the \
             bench's time budget does not allow the ten samples criterion needs.</p>\n",
            words::bytes(JSON_BENCH_MAX as u64)
        ));
    }
    let series = c
        .lines()
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            let points = c
                .points(line)
                .into_iter()
                .map(|(bytes, ns)| Point::new(bytes as f64, ns / bytes.max(1) as f64))
                .collect();
            if line == PICKLE {
                Series::dashed("Python pickle (Pool.apply)", chart::color(i), points)
            } else {
                Series::solid(line, chart::color(i), points)
            }
        })
        .collect();
    let chart = LineChart {
        title: "a payload to a worker and back: time per byte".into(),
        x_label: "payload".into(),
        y_label: "time per byte".into(),
        series,
        x_unit: Unit::Bytes,
        y_unit: Unit::Nanos,
        ..LineChart::default()
    };
    s.push_str(
        &drawn.add(
            Figure::new(
                "costs/serialization",
                "costs-serialization.svg",
                "time per byte of a round trip to a worker, by payload size and encoding",
                chart,
            )
            .with_sentences(explain_serial::explain(c))
            .with_claims(explain_serial::claims(c)),
        )?,
    );
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::criterion::Benchmark;
    use crate::report::{Page, ReportInput};

    fn bench(group: &str, function: &str, value: &str, median_ns: f64) -> Benchmark {
        Benchmark::exact(group, function, Some(value), median_ns)
    }

    const PYTHON: &str = r#"{"schema": 1, "python": "3.11.7", "implementation": "CPython",
        "system": "Linux", "default_start_method": "fork",
        "start_methods": ["fork", "spawn", "forkserver"], "quick": false, "repeat": 3,
        "payload_bytes": 16777216,
        "starts": [
          {"method": "fork", "parent_mib": 0, "parent_rss_mib": 30.0, "payload_bytes": 0,
           "median_s": 0.002, "times_s": [0.002]},
          {"method": "fork", "parent_mib": 1024, "parent_rss_mib": 1060.0, "payload_bytes": 0,
           "median_s": 0.04, "times_s": [0.04]},
          {"method": "fork", "parent_mib": 0, "parent_rss_mib": 30.0,
           "payload_bytes": 16777216, "median_s": 0.003, "times_s": [0.003]},
          {"method": "spawn", "parent_mib": 0, "parent_rss_mib": 30.0, "payload_bytes": 0,
           "median_s": 0.05, "times_s": [0.05]},
          {"method": "spawn", "parent_mib": 0, "parent_rss_mib": 30.0,
           "payload_bytes": 16777216, "median_s": 0.08, "times_s": [0.08]}],
        "pickling": [{"bytes": 8, "median_s": 0.0001, "times_s": [0.0001]},
                     {"bytes": 2097152, "median_s": 0.004, "times_s": [0.004]}],
        "elapsed_s": 9.0}"#;

    #[test]
    fn the_costs_page_draws_starts_and_serialization_beside_python() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(dir.path().join(PYTHON_FILE), PYTHON).unwrap();
        start::write_parents(
            &dir.path().join(PARENTS_FILE),
            &[
                start::Parent {
                    touched_mib: 0,
                    resident_mib: 6.0,
                },
                start::Parent {
                    touched_mib: 1024,
                    resident_mib: 1049.0,
                },
            ],
        )
        .unwrap();
        let benchmarks = vec![
            bench("start-methods", "spawn", "0", 1.0e6),
            bench("start-methods", "spawn", "1024", 1.1e6),
            bench("start-methods", "spawn-payload", "0", 9.0e6),
            bench("start-methods", "fork", "0", 3.0e5),
            bench("start-methods", "fork", "1024", 3.7e7),
            bench("start-methods", "fork-payload", "0", 2.3e6),
            bench("serialization", "json", "8", 30e3),
            bench("serialization", "json", "262144", 40e6),
            bench("serialization", "binary", "8", 20e3),
            bench("serialization", "binary", "262144", 2e5),
            bench("serialization", "binary", "2097152", 2e6),
        ];
        let input = ReportInput::made_up(benchmarks, Vec::new());
        let page = crate::report::Costs
            .build(&input, dir.path())
            .unwrap()
            .unwrap();
        for (id, svg) in [
            ("costs/start-methods", "costs-start-methods.svg"),
            (
                "costs/start-methods-python",
                "costs-start-methods-python.svg",
            ),
            ("costs/start-payload", "costs-start-payload.svg"),
            ("costs/serialization", "costs-serialization.svg"),
        ] {
            assert!(dir.path().join(svg).is_file(), "{svg} missing");
            assert!(page.body.contains(svg), "{svg} not on the page");
            assert!(
                page.figures.iter().any(|f| f.id == id),
                "{id} not published"
            );
        }
        for sentence in [
            "fork from a parent with nothing touched 300 µs and with 1 GiB 37.0 ms",
            "6 MiB with nothing touched, 1049 MiB with 1 GiB touched",
            "starts processes with fork by default",
            "Python's spawn 50.0 ms and Rust's spawn of tvp 1.00 ms",
            "a 16 MiB payload added to fork 2.00 ms and to spawn 8.00 ms",
            "JSON is measured up to 256 KiB",
            "pickle at 2 MiB 4.00 ms and Rust's binary 2.00 ms",
        ] {
            let shown = crate::report::html::escape(sentence);
            assert!(page.body.contains(&shown), "missing {shown:?}");
        }
        let payload = page
            .figures
            .iter()
            .find(|f| f.id == "costs/start-payload")
            .unwrap();
        let labels: Vec<&str> = payload.series().iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["spawn", "fork", "Python fork", "Python spawn"]);
    }

    #[test]
    fn python_alone_is_enough_for_the_page_and_a_bad_file_is_a_note() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join(PYTHON_FILE), PYTHON).unwrap();
        let input = ReportInput::made_up(Vec::new(), Vec::new());
        let page = crate::report::Costs
            .build(&input, dir.path())
            .unwrap()
            .unwrap();
        assert!(page.body.contains("costs-start-methods-python.svg"));
        std::fs::write(dir.path().join(PYTHON_FILE), "{\"schema\": 7}").unwrap();
        let mut notes = Vec::new();
        assert!(python_report(dir.path(), &mut notes).is_none());
        assert!(notes[0].contains("rerun `tvp python`"), "{notes:?}");
    }
}
