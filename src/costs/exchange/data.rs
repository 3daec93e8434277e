//! The exchange results the `mpi` bench measured, written to
//! `reports/data/exchange.json` for the MPI page: per transport, the time
//! per step and its compute part at every buffer size.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Cell;
use crate::error::Result;

/// The file, relative to the report directory.
pub const FILE: &str = "data/exchange.json";

/// Every transport measured, merged across runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExchangeData {
    pub runs: Vec<TransportRun>,
}

/// One transport at every buffer size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransportRun {
    /// [`super::Transport::name`].
    pub transport: String,
    /// Threads, processes or ranks.
    pub parts: usize,
    /// The array and its compute.
    pub elements: u64,
    pub rounds: u32,
    /// The host of every participant, for MPI ranks; empty otherwise.
    pub hosts: Vec<String>,
    /// The bandwidth limit on the simulated hosts' links (`tc` syntax).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<String>,
    /// Whether every digest matched the sequential reference.
    pub agreed: bool,
    pub quick: bool,
    /// The machine's usable cores during the run.
    pub cores: usize,
    /// RFC 3339 date of the run.
    pub date: String,
    pub cells: Vec<Cell>,
}

impl TransportRun {
    /// The cell for `bytes`, if measured.
    pub fn cell(&self, bytes: u64) -> Option<&Cell> {
        self.cells.iter().find(|c| c.bytes == bytes)
    }
}

impl ExchangeData {
    /// Adds `run`, replacing an earlier one of the same transport and mode
    /// (a quick run keeps the full run's figures).
    pub fn insert(&mut self, run: TransportRun) {
        self.runs
            .retain(|r| (r.transport.as_str(), r.quick) != (run.transport.as_str(), run.quick));
        self.runs.push(run);
    }

    /// The runs of one mode, in the order of [`super::Transport::ALL`].
    pub fn of_mode(&self, quick: bool) -> Vec<&TransportRun> {
        let mut runs: Vec<&TransportRun> = self.runs.iter().filter(|r| r.quick == quick).collect();
        let order = |name: &str| {
            super::Transport::ALL
                .iter()
                .position(|t| t.name() == name)
                .unwrap_or(usize::MAX)
        };
        runs.sort_by_key(|r| order(&r.transport));
        runs
    }

    /// Reads the file; a missing file is an empty set.
    pub fn read(path: &Path) -> Result<Self> {
        crate::sweep::read_json_or_default(
            path,
            "an exchange file",
            "rerun `cargo bench --features mpi --bench mpi`",
        )
    }

    /// Writes the file as pretty JSON, making its directory.
    pub fn write(&self, path: &Path) -> Result<()> {
        crate::sweep::write_json(path, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(transport: &str, quick: bool, step: f64) -> TransportRun {
        TransportRun {
            transport: transport.into(),
            parts: 2,
            elements: 100,
            rounds: 1,
            hosts: Vec::new(),
            rate_limit: None,
            agreed: true,
            quick,
            cores: 2,
            date: "now".into(),
            cells: vec![Cell {
                bytes: 8,
                digest: 1,
                steps_per_batch: 10,
                step_secs: step,
                compute_secs: step / 2.0,
            }],
        }
    }

    #[test]
    fn newer_runs_replace_older_ones_and_the_file_round_trips() {
        let mut data = ExchangeData::default();
        data.insert(run("pipes", false, 2.0));
        data.insert(run("threads", false, 1.0));
        data.insert(run("pipes", false, 3.0));
        data.insert(run("pipes", true, 4.0));
        let full = data.of_mode(false);
        assert_eq!(full.len(), 2);
        assert_eq!(full[0].transport, "threads");
        assert_eq!(full[1].cell(8).unwrap().step_secs, 3.0);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        assert_eq!(ExchangeData::read(&path).unwrap(), ExchangeData::default());
        data.write(&path).unwrap();
        assert_eq!(ExchangeData::read(&path).unwrap(), data);
        std::fs::write(&path, "[").unwrap();
        assert!(
            ExchangeData::read(&path)
                .unwrap_err()
                .to_string()
                .contains("--bench mpi")
        );
    }
}
