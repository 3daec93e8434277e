//! `scripts/python/bench.py` seen from Rust: how to call it, and the JSON it
//! writes, as typed structs (schema in `scripts/python/README.md`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::interpreter::{Missing, find_python, run_with_limit};
use crate::error::{Error, Result};

/// The version of `python.json` this code reads.
pub const SCHEMA: u32 = 1;

/// The script, relative to the package root.
pub const SCRIPT: &str = "scripts/python/bench.py";

/// A Python interpreter and the script it runs.
#[derive(Debug, Clone)]
pub struct Script {
    pub python: PathBuf,
    pub script: PathBuf,
    /// The `tcp` workload's server, `host:port`, passed as `--tcp-addr`; the
    /// script starts its own when `None`.
    pub tcp_addr: Option<String>,
}

impl Script {
    /// The interpreter from [`find_python`] and the script in this package's
    /// source tree. `Err` means skip, with the message to print, unless the
    /// user asked for that interpreter ([`Missing::asked`]).
    pub fn locate() -> std::result::Result<Self, Missing> {
        let python = find_python()?;
        Ok(Script {
            python,
            script: Path::new(env!("CARGO_MANIFEST_DIR")).join(SCRIPT),
            tcp_addr: None,
        })
    }

    fn command(&self) -> Result<Command> {
        if !self.script.is_file() {
            return Err(Error::Python(format!(
                "the script {} is missing: run from a checkout of threads-vs-processes",
                self.script.display()
            )));
        }
        let mut cmd = Command::new(&self.python);
        // -u: progress lines appear as they are written.
        cmd.arg("-u").arg(&self.script);
        if let Some(addr) = &self.tcp_addr {
            cmd.args(["--tcp-addr", addr]);
        }
        Ok(cmd)
    }

    fn run(&self, cmd: Command, limit: Duration, advice: &str) -> Result<Vec<u8>> {
        let done = run_with_limit(cmd, limit, advice)?;
        if !done.status.success() {
            return Err(Error::Python(format!(
                "{} {} failed: {} (its messages are above)",
                self.python.display(),
                self.script.display(),
                crate::process::child::describe(done.status)
            )));
        }
        Ok(done.stdout)
    }

    /// Runs the timed sweep, writing `out`, and reads it back.
    pub fn bench(
        &self,
        quick: bool,
        workers: &[usize],
        out: &Path,
        limit: Duration,
    ) -> Result<PythonReport> {
        let mut cmd = self.command()?;
        cmd.arg("--workers")
            .arg(join(workers))
            .arg("--out")
            .arg(out)
            .arg("--time-limit")
            .arg(limit.as_secs().to_string());
        if quick {
            cmd.arg("--quick");
        }
        let advice = if quick {
            "try a quieter machine"
        } else {
            "try the quick mode (TVP_QUICK=1) or a quieter machine"
        };
        self.run(cmd, limit, advice)?;
        PythonReport::load(out)
    }

    /// Checksums of every Python backend for `workloads` at `sizes` and
    /// `workers`.
    pub fn check(
        &self,
        workloads: &[&str],
        sizes: &[u64],
        workers: &[usize],
        limit: Duration,
    ) -> Result<Vec<CheckRow>> {
        let mut cmd = self.command()?;
        cmd.args(["--check", "--workload", &workloads.join(",")])
            .arg("--sizes")
            .arg(join(sizes))
            .arg("--workers")
            .arg(join(workers));
        let stdout = self.run(cmd, limit, "try a quieter machine")?;
        let checks: Checks = serde_json::from_slice(&stdout).map_err(|e| {
            Error::Python(format!("the --check output is not the expected JSON: {e}"))
        })?;
        Ok(checks.checks)
    }
}

fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The whole of `python.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PythonReport {
    pub schema: u32,
    /// `platform.python_version()`, e.g. "3.11.7".
    pub python: String,
    /// "CPython", "PyPy", ...
    pub implementation: String,
    /// The interpreter's build and GIL (absent in files of older scripts).
    #[serde(default)]
    pub interpreter: Option<Interpreter>,
    pub machine: PythonMachine,
    pub quick: bool,
    /// Timed runs per cell (after one untimed warm-up).
    pub repeat: usize,
    pub workers: Vec<usize>,
    /// Items per workload, reduced from Rust's defaults.
    pub sizes: BTreeMap<String, u64>,
    /// "cpu" or "io" per workload.
    pub kinds: BTreeMap<String, String>,
    /// Why the sizes are reduced.
    pub size_reason: String,
    pub elapsed_s: f64,
    pub results: Vec<PythonResult>,
    /// The chunks-per-worker sweep of `multiprocessing.Pool`; absent when
    /// the script ran with `--no-balance` (or predates it).
    #[serde(default)]
    pub balance: Option<PythonBalance>,
}

/// `python.json`'s `balance`: `multiprocessing.Pool` at the core count, at
/// several chunks per worker (the twin of `cargo bench --bench balance`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PythonBalance {
    pub workers: usize,
    pub chunks: Vec<usize>,
    /// Timed runs per chunking.
    pub repeat: usize,
    pub results: Vec<PythonBalanceResult>,
}

/// `multiprocessing.Pool` on one workload at one chunking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PythonBalanceResult {
    pub workload: String,
    pub workers: usize,
    pub chunks_per_worker: usize,
    /// The tasks `Pool.map` was given.
    pub chunks: usize,
    pub size: u64,
    pub median_s: f64,
    pub times_s: Vec<f64>,
    pub checksum: u64,
    /// Whether the checksum equals python-seq's.
    pub checksum_ok: bool,
}

/// The interpreter as the script saw itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interpreter {
    /// `sys.version`: version, build and compiler.
    pub version: String,
    /// `platform.python_build()`: build number and date.
    #[serde(default)]
    pub build: Vec<String>,
    #[serde(default)]
    pub executable: String,
    /// A free-threaded build (`Py_GIL_DISABLED`, 3.13t and later).
    #[serde(default)]
    pub free_threaded: bool,
    /// `sys._is_gil_enabled()` where it exists (3.13 and later): a
    /// free-threaded build may still run with the GIL (`PYTHON_GIL=1`).
    #[serde(default)]
    pub gil_enabled: Option<bool>,
}

impl Interpreter {
    /// Whether threads ran without a GIL: a free-threaded build that kept it
    /// off.
    pub fn without_gil(&self) -> bool {
        self.free_threaded && self.gil_enabled == Some(false)
    }
}

/// The machine as the script saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PythonMachine {
    /// Cores this process may use (`sched_getaffinity`).
    pub cores: usize,
    pub cpu_count: Option<usize>,
    pub system: String,
    pub arch: String,
    /// multiprocessing's start method: "fork", "spawn" or "forkserver".
    pub start_method: String,
}

/// One (workload, backend, workers) cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PythonResult {
    pub workload: String,
    /// python-seq, python-threads, python-pool or python-executor.
    pub backend: String,
    pub workers: usize,
    pub size: u64,
    pub median_s: f64,
    pub times_s: Vec<f64>,
    pub checksum: u64,
    /// Whether the checksum equals python-seq's.
    pub checksum_ok: bool,
}

impl PythonReport {
    /// Reads and checks a `python.json`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        Self::parse(&text).map_err(|e| Error::Python(format!("{}: {e}", path.display())))
    }

    /// Parses `python.json` text; the error says what to do.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        super::parse_versioned(
            text,
            SCHEMA,
            "python.json",
            "rerun the script of this version",
        )
    }

    /// Workload names in the order the script ran them.
    pub fn workload_order(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for r in &self.results {
            if !names.contains(&r.workload.as_str()) {
                names.push(&r.workload);
            }
        }
        names
    }

    /// The cell for `workload`, `backend`, `workers`.
    pub fn cell(&self, workload: &str, backend: &str, workers: usize) -> Option<&PythonResult> {
        self.results
            .iter()
            .find(|r| r.workload == workload && r.backend == backend && r.workers == workers)
    }
}

/// What `--check` prints.
#[derive(Debug, Clone, Deserialize)]
struct Checks {
    checks: Vec<CheckRow>,
}

/// One checksum from `--check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRow {
    pub workload: String,
    pub backend: String,
    pub workers: usize,
    pub size: u64,
    /// For `python-pool` run at other than its default chunking.
    #[serde(default)]
    pub chunks_per_worker: Option<usize>,
    pub checksum: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A "python" that never finishes: the run stops at its limit, and the
    /// advice fits the mode it ran in.
    #[test]
    fn past_its_limit_the_advice_fits_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("bench.sh");
        std::fs::write(&script, "sleep 30\n").unwrap();
        let slow = Script {
            python: PathBuf::from("/bin/sh"),
            script,
            tcp_addr: None,
        };
        let out = dir.path().join("python.json");
        let limit = Duration::from_millis(200);
        let quick = slow.bench(true, &[1], &out, limit).unwrap_err().to_string();
        assert!(
            quick.contains("limit") && !quick.contains("quick mode"),
            "{quick}"
        );
        let full = slow
            .bench(false, &[1], &out, limit)
            .unwrap_err()
            .to_string();
        assert!(full.contains("quick mode (TVP_QUICK=1)"), "{full}");
    }
}
