//! The lost update in CPython, measured: `scripts/python/lost_update.py`
//! runs four threads adding 1 to one counter, plainly (`n += 1`), with a
//! call or `time.sleep(0)` between the read and the write, and under a
//! Lock, and writes `lost_update.json`. Expect, on CPython 3.10 and later
//! with the GIL, no loss in the plain loop (the interpreter switches threads
//! only at calls and backward jumps), heavy losses with a call or a sleep in
//! the gap, and none under the Lock; 3.9 and older, and free-threaded
//! builds, lose updates in the plain loop too.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The script, relative to the package root.
pub const SCRIPT: &str = "scripts/python/lost_update.py";
/// What it writes, in the data directory.
pub const FILE: &str = "lost_update.json";
/// The version of the file this code reads.
pub const SCHEMA: u32 = 1;
/// The script takes about 3 s (quick: 1.5 s) on the 2-core dev machine.
pub const TIME_LIMIT: Duration = Duration::from_secs(60);

/// The whole of `lost_update.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LostUpdate {
    pub schema: u32,
    /// `platform.python_version()`, e.g. "3.11.7".
    pub python: String,
    pub implementation: String,
    /// Whether the GIL was on (false only on a free-threaded build run
    /// without it).
    pub gil: bool,
    pub free_threaded_build: bool,
    pub threads: u64,
    pub quick: bool,
    pub cases: Vec<Case>,
}

/// One way of adding 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// `plain`, `call`, `sleep0` or `lock`.
    pub case: String,
    /// The increment, in one line of Python.
    pub code: String,
    pub per_thread: u64,
    pub expected: u64,
    pub got: u64,
    pub lost: u64,
    pub seconds: f64,
}

impl LostUpdate {
    /// The case named `name`, if measured.
    pub fn case(&self, name: &str) -> Option<&Case> {
        self.cases.iter().find(|c| c.case == name)
    }

    /// (major, minor) of the Python version, if it parses.
    pub fn version(&self) -> Option<(u32, u32)> {
        let mut parts = self.python.split('.').map(|p| p.parse::<u32>().ok());
        Some((parts.next()??, parts.next()??))
    }

    /// Reads and checks a `lost_update.json`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        let l: LostUpdate = serde_json::from_str(&text).map_err(|e| {
            Error::Python(format!(
                "{} is not a lost-update file of this version ({e}): rerun `tvp python`",
                path.display()
            ))
        })?;
        if l.schema != SCHEMA {
            return Err(Error::Python(format!(
                "{} has schema {}, not {SCHEMA}: rerun `tvp python`",
                path.display(),
                l.schema
            )));
        }
        Ok(l)
    }
}

/// Runs the script with `python`, writing `out`, and reads it back.
pub fn run(python: &Path, quick: bool, out: &Path) -> Result<LostUpdate> {
    let status = super::run_data_script(python, SCRIPT, quick, out, TIME_LIMIT)?;
    // Exit 1 means the locked case lost updates: the file says so too.
    if !status.success() && !out.is_file() {
        return Err(Error::Python(format!(
            "{SCRIPT} failed: {} (its messages are above)",
            crate::process::child::describe(status)
        )));
    }
    LostUpdate::load(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_parses() {
        let l = LostUpdate {
            schema: SCHEMA,
            python: "3.9.18".into(),
            implementation: "CPython".into(),
            gil: true,
            free_threaded_build: false,
            threads: 4,
            quick: false,
            cases: Vec::new(),
        };
        assert_eq!(l.version(), Some((3, 9)));
        assert!(l.case("plain").is_none());
    }
}
