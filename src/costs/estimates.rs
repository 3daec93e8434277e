//! Reads the numbers criterion saved, as critcmp does: for every benchmark,
//! `<target>/criterion/<group>/<id>/new/benchmark.json` names it and
//! `estimates.json` beside it holds `median.point_estimate` in nanoseconds.
//! Directory names are mangled by criterion; the names are read from
//! `benchmark.json`, so they come back as the bench wrote them.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// What one iteration processed, as the bench declared it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Throughput {
    Bits(u64),
    Bytes(u64),
    BytesDecimal(u64),
    Elements(u64),
}

/// One benchmark's median time per iteration.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub group: String,
    pub function: Option<String>,
    pub value: Option<String>,
    pub median_ns: f64,
    pub throughput: Option<Throughput>,
}

impl Estimate {
    /// Units (bytes or elements) per second, if a throughput was declared.
    pub fn per_second(&self) -> Option<f64> {
        let units = match self.throughput? {
            Throughput::Bits(n) => n as f64 / 8.0,
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) | Throughput::Elements(n) => {
                n as f64
            }
        };
        (self.median_ns > 0.0).then(|| units / (self.median_ns * 1e-9))
    }
}

#[derive(Deserialize)]
struct BenchmarkJson {
    group_id: String,
    function_id: Option<String>,
    value_str: Option<String>,
    throughput: Option<Throughput>,
}

#[derive(Deserialize)]
struct EstimatesJson {
    median: PointEstimate,
}

#[derive(Deserialize)]
struct PointEstimate {
    point_estimate: f64,
}

/// Every benchmark criterion saved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Estimates(pub Vec<Estimate>);

impl Estimates {
    /// Reads every `new/benchmark.json` under `dir` (a `criterion` folder).
    /// A missing folder gives no estimates; a malformed file is an error
    /// naming it, since that means criterion's format changed.
    pub fn read(dir: &Path) -> Result<Estimates> {
        let mut found = Vec::new();
        if dir.is_dir() {
            walk(dir, &mut found)?;
        }
        found.sort_by(|a: &Estimate, b| {
            (&a.group, &a.function, &a.value).cmp(&(&b.group, &b.function, &b.value))
        });
        Ok(Estimates(found))
    }

    /// The median in ns of `group`/`function`[/`value`].
    pub fn get(&self, group: &str, function: &str, value: Option<&str>) -> Option<f64> {
        self.find(group, function, value).map(|e| e.median_ns)
    }

    /// The estimate of `group`/`function`[/`value`].
    pub fn find(&self, group: &str, function: &str, value: Option<&str>) -> Option<&Estimate> {
        self.0.iter().find(|e| {
            e.group == group
                && e.function.as_deref() == Some(function)
                && e.value.as_deref() == value
        })
    }

    /// The estimates of one group.
    pub fn group<'a>(&'a self, group: &'a str) -> impl Iterator<Item = &'a Estimate> + 'a {
        self.0.iter().filter(move |e| e.group == group)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `$CARGO_TARGET_DIR/criterion`, or `target/criterion` under `root`.
pub fn criterion_dir(root: &Path) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let target = if target.is_relative() {
        root.join(target)
    } else {
        target
    };
    target.join("criterion")
}

fn walk(dir: &Path, found: &mut Vec<Estimate>) -> Result<()> {
    let entries =
        fs::read_dir(dir).map_err(|e| Error::io(format!("cannot list {}", dir.display()), e))?;
    for entry in entries {
        let path = entry
            .map_err(|e| Error::io(format!("cannot list {}", dir.display()), e))?
            .path();
        if !path.is_dir() {
            continue;
        }
        let bench = path.join("benchmark.json");
        if path.file_name().is_some_and(|n| n == "new") && bench.is_file() {
            found.push(read_one(&bench, &path.join("estimates.json"))?);
        } else if path.file_name().is_none_or(|n| n != "report") {
            walk(&path, found)?;
        }
    }
    Ok(())
}

fn read_one(bench: &Path, estimates: &Path) -> Result<Estimate> {
    let parse_err = |path: &Path, e: serde_json::Error| {
        Error::InvalidJob(format!(
            "{} is not in the criterion 0.8 format ({e}); rerun `cargo bench` or update the reader",
            path.display()
        ))
    };
    let read = |path: &Path| {
        fs::read_to_string(path)
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))
    };
    let b: BenchmarkJson = serde_json::from_str(&read(bench)?).map_err(|e| parse_err(bench, e))?;
    let s: EstimatesJson =
        serde_json::from_str(&read(estimates)?).map_err(|e| parse_err(estimates, e))?;
    Ok(Estimate {
        group: b.group_id,
        function: b.function_id,
        value: b.value_str,
        median_ns: s.median.point_estimate,
        throughput: b.throughput,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, bench: &str, median: f64) {
        let new = dir.join(rel).join("new");
        fs::create_dir_all(&new).unwrap();
        fs::write(new.join("benchmark.json"), bench).unwrap();
        fs::write(
            new.join("estimates.json"),
            format!(r#"{{"mean":{{"point_estimate":1.0}},"median":{{"point_estimate":{median},"standard_error":0.1}}}}"#),
        )
        .unwrap();
    }

    #[test]
    fn reads_names_medians_and_throughput() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "ipc-throughput/pipe-process/64",
            r#"{"group_id":"ipc-throughput","function_id":"pipe-process","value_str":"64","throughput":{"Bytes":64},"full_id":"x","directory_name":"x","title":"x"}"#,
            1000.0,
        );
        write(
            dir.path(),
            "spawn/thread",
            r#"{"group_id":"spawn","function_id":"thread","value_str":null,"throughput":null,"full_id":"x","directory_name":"x","title":"x"}"#,
            20_000.0,
        );
        // criterion's own report folder and the base run are skipped.
        fs::create_dir_all(dir.path().join("report")).unwrap();
        fs::create_dir_all(dir.path().join("spawn/thread/base")).unwrap();
        let est = Estimates::read(dir.path()).unwrap();
        assert_eq!(est.0.len(), 2);
        assert_eq!(est.get("spawn", "thread", None), Some(20_000.0));
        let pipe = est
            .find("ipc-throughput", "pipe-process", Some("64"))
            .unwrap();
        assert_eq!(pipe.throughput, Some(Throughput::Bytes(64)));
        assert!((pipe.per_second().unwrap() - 64e6).abs() < 1.0);
        assert_eq!(est.group("spawn").count(), 1);
    }

    #[test]
    fn a_missing_dir_is_empty_and_a_bad_file_names_itself() {
        assert!(
            Estimates::read(Path::new("/nonexistent/criterion"))
                .unwrap()
                .is_empty()
        );
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "g/f", "{not json", 1.0);
        let err = Estimates::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("benchmark.json"), "{err}");
    }
}
