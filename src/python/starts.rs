//! How CPython starts a process, measured: `scripts/python/starts.py` and
//! the `python_starts.json` it writes, as typed structs (schema in
//! `scripts/python/README.md`).
//!
//! The script times `multiprocessing.get_context("fork" | "spawn" |
//! "forkserver")` and a running `Pool` doing what [`crate::costs::start`]
//! does in Rust (start, hand over a payload, one answer back) from a parent
//! with 0, 256 and 1024 MiB touched, and `Pool.apply` round trips of 8 B to
//! 64 MiB, pickled both ways, beside [`crate::costs::serialization`]. The
//! costs page draws both beside Rust's.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::interpreter::find_python;
use crate::error::{Error, Result};

/// The version of `python_starts.json` this code reads.
pub const SCHEMA: u32 = 1;
/// The script, relative to the package root.
pub const SCRIPT: &str = "scripts/python/starts.py";
/// What it writes, in the data folder.
pub const FILE: &str = "python_starts.json";
/// Past this the script is stopped. The full run took 18 to 20 s on the
/// 2-core development machine while other builds kept it busy (load average
/// 11 to 13); the quick run 21 s at load average 18.
pub const TIME_LIMIT: Duration = Duration::from_secs(120);
pub const QUICK_TIME_LIMIT: Duration = Duration::from_secs(60);

/// The whole of `python_starts.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartsReport {
    pub schema: u32,
    /// `platform.python_version()`, e.g. "3.11.7".
    pub python: String,
    pub implementation: String,
    /// `platform.system()`: "Linux", "Darwin", "Windows".
    pub system: String,
    /// `multiprocessing.get_start_method()` in a fresh interpreter.
    pub default_start_method: String,
    /// `multiprocessing.get_all_start_methods()`.
    pub start_methods: Vec<String>,
    pub quick: bool,
    /// Timed starts per cell.
    pub repeat: usize,
    /// The payload of the cells that have one.
    pub payload_bytes: u64,
    pub starts: Vec<StartRow>,
    pub pickling: Vec<PickleRow>,
    pub elapsed_s: f64,
}

/// One (method, parent memory, payload) cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartRow {
    /// "fork", "spawn", "forkserver" or "pool".
    pub method: String,
    /// Memory the parent touched before the starts.
    pub parent_mib: u64,
    /// The parent's VmRSS then, when /proc has it.
    pub parent_rss_mib: Option<f64>,
    pub payload_bytes: u64,
    pub median_s: f64,
    pub times_s: Vec<f64>,
}

/// `Pool.apply(echo, (payload,))` at one size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PickleRow {
    pub bytes: u64,
    pub median_s: f64,
    pub times_s: Vec<f64>,
}

impl StartsReport {
    /// Reads and checks a `python_starts.json`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        Self::parse(&text).map_err(|e| Error::Python(format!("{}: {e}", path.display())))
    }

    /// Parses `python_starts.json` text; the error says what to do.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        super::parse_versioned(text, SCHEMA, FILE, "rerun `tvp python`")
    }

    /// The median seconds of `method` from a parent with `parent_mib`
    /// touched, with or without the payload.
    pub fn start(&self, method: &str, parent_mib: u64, payload: bool) -> Option<f64> {
        self.starts
            .iter()
            .find(|r| {
                r.method == method && r.parent_mib == parent_mib && (r.payload_bytes > 0) == payload
            })
            .map(|r| r.median_s)
    }

    /// The methods measured, in the order first seen.
    pub fn methods(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for r in &self.starts {
            if !seen.contains(&r.method.as_str()) {
                seen.push(&r.method);
            }
        }
        seen
    }
}

/// Runs the script (quick: fewer sizes and runs), which writes
/// `data_dir/python_starts.json`, and reads it back. `Ok(None)` without a
/// Python interpreter: the comparison that runs first says so already.
pub fn run(quick: bool, data_dir: &Path) -> Result<Option<StartsReport>> {
    let Ok(python) = find_python() else {
        return Ok(None);
    };
    std::fs::create_dir_all(data_dir)
        .map_err(|e| Error::io(format!("creating {}", data_dir.display()), e))?;
    let out = data_dir.join(FILE);
    let limit = if quick { QUICK_TIME_LIMIT } else { TIME_LIMIT };
    let status = super::run_data_script(&python, SCRIPT, quick, &out, limit)?;
    if !status.success() {
        return Err(Error::Python(format!(
            "{} {SCRIPT} failed: {} (its messages are above)",
            python.display(),
            crate::process::child::describe(status)
        )));
    }
    StartsReport::load(&out).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"schema": 1, "python": "3.11.7", "implementation": "CPython",
        "system": "Linux", "default_start_method": "fork",
        "start_methods": ["fork", "spawn", "forkserver"], "quick": true, "repeat": 2,
        "payload_bytes": 16777216,
        "starts": [
          {"method": "fork", "parent_mib": 0, "parent_rss_mib": 30.5, "payload_bytes": 0,
           "median_s": 0.002, "times_s": [0.002, 0.002]},
          {"method": "fork", "parent_mib": 0, "parent_rss_mib": null,
           "payload_bytes": 16777216, "median_s": 0.01, "times_s": [0.01]},
          {"method": "spawn", "parent_mib": 256, "parent_rss_mib": 290.0, "payload_bytes": 0,
           "median_s": 0.05, "times_s": [0.05]}],
        "pickling": [{"bytes": 8, "median_s": 0.0001, "times_s": [0.0001]}],
        "elapsed_s": 3.5}"#;

    #[test]
    fn a_report_parses_and_answers_by_cell() {
        let r = StartsReport::parse(SAMPLE).unwrap();
        assert_eq!(r.start("fork", 0, false), Some(0.002));
        assert_eq!(r.start("fork", 0, true), Some(0.01));
        assert_eq!(r.start("spawn", 256, false), Some(0.05));
        assert_eq!(r.start("spawn", 0, false), None);
        assert_eq!(r.methods(), ["fork", "spawn"]);
        assert_eq!(r.pickling[0].bytes, 8);
    }

    #[test]
    fn another_schema_says_to_rerun() {
        let err =
            StartsReport::parse(&SAMPLE.replace("\"schema\": 1", "\"schema\": 9")).unwrap_err();
        assert!(err.contains("rerun"), "{err}");
        assert!(StartsReport::parse("[]").unwrap_err().contains("rerun"));
    }
}
