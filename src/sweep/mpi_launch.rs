//! The launch costs `cargo bench --features mpi --bench mpi` measured,
//! written to `reports/data/mpi_launch.json` beside criterion's timings.
//!
//! Criterion times the ranks computing (an `mpi` run minus its launch, the
//! way the issue asks the backend to report it); what each run spent
//! starting `mpirun` and the ranks is kept here, one cell per (workload,
//! backend, ranks). The report's MPI page adds the two back together to
//! show what a whole run costs.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::workloads::Job;

/// The file, relative to the report directory.
pub const FILE: &str = "data/mpi_launch.json";

/// Every launch cost measured, merged across (filtered) runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LaunchCosts {
    pub cells: Vec<LaunchCell>,
}

/// The launch costs of one benchmark's runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaunchCell {
    pub workload: String,
    /// `mpi` or `mpi-tcp`.
    pub backend: String,
    pub ranks: usize,
    /// Items per run.
    pub size: u64,
    /// Measured in quick mode.
    pub quick: bool,
    /// The machine's usable cores during the run.
    pub cores: usize,
    /// Launch cost per run: median, fastest and slowest, in milliseconds.
    pub median_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    /// How many runs the figures come from (warm-up runs included).
    pub runs: usize,
    /// RFC 3339 date of the run.
    pub date: String,
}

impl LaunchCell {
    /// The cell for `launches`, one per run of `job` on `backend` with
    /// `ranks` ranks; `None` when there are none.
    pub fn from_runs(
        job: &Job,
        quick: bool,
        backend: &str,
        ranks: usize,
        launches: &[Duration],
    ) -> Option<Self> {
        let mut ms: Vec<f64> = launches.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        Some(LaunchCell {
            workload: job.workload.clone(),
            backend: backend.into(),
            ranks,
            size: job.size,
            quick,
            cores: crate::cores(),
            median_ms: *ms.get(ms.len() / 2)?,
            min_ms: ms[0],
            max_ms: ms[ms.len() - 1],
            runs: ms.len(),
            date: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        })
    }

    pub fn median(&self) -> Duration {
        Duration::from_secs_f64(self.median_ms.max(0.0) / 1e3)
    }

    /// Workload, backend, ranks, size and mode: one criterion result.
    fn key(&self) -> (&str, &str, usize, u64, bool) {
        (
            &self.workload,
            &self.backend,
            self.ranks,
            self.size,
            self.quick,
        )
    }
}

impl LaunchCosts {
    /// Adds `cell`, replacing any earlier figure for the same workload,
    /// backend, rank count, size and mode (a quick run keeps the full run's
    /// figures, as the report may still show those).
    pub fn insert(&mut self, cell: LaunchCell) {
        self.cells.retain(|c| c.key() != cell.key());
        self.cells.push(cell);
    }

    /// The figure for a (workload, backend, ranks) cell measured at `size`
    /// items in the given mode, if there is one.
    pub fn get(
        &self,
        workload: &str,
        backend: &str,
        ranks: usize,
        size: u64,
        quick: bool,
    ) -> Option<&LaunchCell> {
        let key = (workload, backend, ranks, size, quick);
        self.cells.iter().find(|c| c.key() == key)
    }

    /// Reads the file; a missing file is an empty set.
    pub fn read(path: &Path) -> Result<Self> {
        super::read_json_or_default(
            path,
            "a launch-cost file",
            "rerun `cargo bench --features mpi --bench mpi`",
        )
    }

    /// Writes the file as pretty JSON, making its directory.
    pub fn write(&self, path: &Path) -> Result<()> {
        super::write_json(path, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    fn primes() -> Job {
        Job::new("primes").unwrap().with_size(0)
    }

    #[test]
    fn a_cell_keeps_the_median_and_range_of_its_runs() {
        let cell =
            LaunchCell::from_runs(&primes(), false, "mpi", 2, &ms(&[170, 150, 400])).unwrap();
        assert_eq!(
            (cell.median_ms, cell.min_ms, cell.max_ms),
            (170.0, 150.0, 400.0)
        );
        assert_eq!(cell.runs, 3);
        assert_eq!(cell.median(), Duration::from_millis(170));
        assert_eq!(LaunchCell::from_runs(&primes(), false, "mpi", 2, &[]), None);
    }

    #[test]
    fn a_newer_figure_replaces_the_older_one_and_the_file_round_trips() {
        let mut costs = LaunchCosts::default();
        let full =
            |backend, launch| LaunchCell::from_runs(&primes(), false, backend, 2, &ms(&[launch]));
        costs.insert(full("mpi", 200).unwrap());
        costs.insert(full("mpi-tcp", 210).unwrap());
        costs.insert(full("mpi", 150).unwrap());
        assert_eq!(costs.cells.len(), 2);
        costs.insert(LaunchCell::from_runs(&primes(), true, "mpi", 2, &ms(&[140])).unwrap());
        assert_eq!(
            costs.cells.len(),
            3,
            "a quick run keeps the full run's figure"
        );
        let cell = costs.get("primes", "mpi", 2, 0, false).unwrap();
        assert_eq!(cell.median_ms, 150.0);
        assert!(costs.get("primes", "mpi", 2, 1000, false).is_none());
        assert_eq!(
            costs.get("primes", "mpi", 2, 0, true).unwrap().median_ms,
            140.0
        );

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        assert_eq!(LaunchCosts::read(&path).unwrap(), LaunchCosts::default());
        costs.write(&path).unwrap();
        assert_eq!(LaunchCosts::read(&path).unwrap(), costs);
        std::fs::write(&path, "not json").unwrap();
        let err = LaunchCosts::read(&path).unwrap_err().to_string();
        assert!(err.contains("--bench mpi"), "{err}");
    }
}
