//! `tvp report --compare DIR`: another machine's report beside this one.
//!
//! DIR is another report's directory (e.g. `reports/reference`), its
//! `data/` folder, or its `results.json`. From it the report reads the
//! scaling rows (`results.json`) and the machine that measured them
//! (`data/machine.json`, which [`crate::report::generate`] writes into
//! every report). The scaling page then draws the other machine's best
//! speedup beside this one's, marks its core count, and says what differs
//! between the two machines and why (sentences from
//! [`crate::report::explain::compare`]). A DIR that is missing, lacks
//! either file, or holds a file that does not parse is an error that says
//! which and what to do: a comparison that silently shows nothing would
//! look like agreement.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::machine::MachineInfo;
use crate::report::explain::compare::Machine;
use crate::report::results::{self, ResultRow};

/// The machine description every report writes, inside its data folder.
pub const MACHINE_FILE: &str = "machine.json";

/// Another report: its scaling rows and its machine.
#[derive(Debug, Clone, PartialEq)]
pub struct Other {
    /// The report directory, as given.
    pub dir: PathBuf,
    pub machine: MachineInfo,
    pub rows: Vec<ResultRow>,
}

impl Other {
    /// Reads the report at `given`: a report directory, its `data/`
    /// folder, or its `results.json`.
    pub fn read(given: &Path) -> Result<Other> {
        let missing = |what: &str| {
            Error::Data(format!(
                "--compare {}: {what}; give another report's directory (e.g. \
                 reports/reference), its data/ folder or its results.json",
                given.display()
            ))
        };
        if !given.exists() {
            return Err(missing("no such file or directory"));
        }
        // A results.json, or a report's data/ folder: the report is the parent.
        let in_parent = given.is_file()
            || (given.file_name().is_some_and(|n| n == super::DATA_DIR)
                && !given.join(results::JSON_FILE).is_file());
        let dir = if in_parent {
            given.parent().unwrap_or(Path::new(".")).to_path_buf()
        } else {
            given.to_path_buf()
        };
        let rows_path = dir.join(results::JSON_FILE);
        if !rows_path.is_file() {
            return Err(missing(&format!(
                "no {} there (a report has one once `cargo bench --bench scaling` ran)",
                rows_path.display()
            )));
        }
        let rows = results::read_json(&rows_path).map_err(|e| {
            Error::Data(format!(
                "--compare {}: {e}; it is not a results.json this tvp can read (another \
                 version's?): regenerate that report with this tvp's `tvp report`",
                given.display()
            ))
        })?;
        let machine_path = dir.join(super::DATA_DIR).join(MACHINE_FILE);
        let text = std::fs::read_to_string(&machine_path).map_err(|_| {
            missing(&format!(
                "no {} (reports written before `tvp report` saved its machine lack it): \
                 regenerate that report with `tvp report` on its machine",
                machine_path.display()
            ))
        })?;
        let machine: MachineInfo = serde_json::from_str(&text).map_err(|e| {
            Error::Data(format!(
                "--compare {}: {}: {e}; regenerate that report with this tvp's `tvp report`",
                given.display(),
                machine_path.display()
            ))
        })?;
        Ok(Other { dir, machine, rows })
    }

    /// How the pages name the other machine: its core count and CPU.
    pub fn name(&self) -> String {
        let n = self.machine.logical_cores;
        format!(
            "the other machine ({n} {})",
            if n == 1 { "core" } else { "cores" }
        )
    }

    /// `workload`'s best speedup on the other machine: (backend, points
    /// by workers, sorted), for the backend whose highest speedup is
    /// highest.
    pub fn best_speedup(&self, workload: &str) -> Option<(String, Vec<(usize, f64)>)> {
        let mut backends: Vec<&str> = self
            .rows
            .iter()
            .filter(|r| r.workload == workload && r.backend != "sequential")
            .map(|r| r.backend.as_str())
            .collect();
        backends.sort_unstable();
        backends.dedup();
        backends
            .into_iter()
            .map(|b| {
                let mut pts: Vec<(usize, f64)> = self
                    .rows
                    .iter()
                    .filter(|r| r.workload == workload && r.backend == b)
                    .filter_map(|r| Some((r.workers, r.speedup?)))
                    .collect();
                pts.sort_by_key(|p| p.0);
                (b.to_string(), pts)
            })
            .filter(|(_, pts)| !pts.is_empty())
            .max_by(|a, b| peak(&a.1).total_cmp(&peak(&b.1)))
    }
}

/// The highest speedup of `points`.
pub fn peak(points: &[(usize, f64)]) -> f64 {
    points.iter().map(|p| p.1).fold(0.0, f64::max)
}

/// The plain numbers [`crate::report::explain::compare`] reasons from.
pub fn facts(info: &MachineInfo) -> Machine {
    Machine {
        cpu: info.cpu_brand.clone(),
        logical: info.logical_cores,
        physical: info.physical_cores,
        memory_gib: info.memory_gib(),
    }
}

/// Writes `info` as the report's machine description, for a later
/// `--compare`.
pub fn write_machine(info: &MachineInfo, data_dir: &Path) -> Result<()> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| Error::io(format!("creating {}", data_dir.display()), e))?;
    let text = serde_json::to_string_pretty(info).expect("machine info always serialises");
    super::write_atomic(&data_dir.join(MACHINE_FILE), text.as_bytes())
}
