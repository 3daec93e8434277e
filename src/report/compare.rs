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
//!
//! Every other page's figures come from the other report's
//! `data/figures.json` (every figure's numbers, which every report writes
//! since `--compare` reached all pages) or, for a report without one, from
//! its data files, which the same pages rebuild (see
//! [`crate::report::beside`]). [`Runs`] records how a run was measured
//! (quick or full, problem sizes), so a comparison across unlike runs says
//! so.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::machine::MachineInfo;
use crate::report::chart::Unit;
use crate::report::criterion::RunInfo;
use crate::report::explain::compare::Machine;
use crate::report::results::{self, ResultRow};

/// The machine description every report writes, inside its data folder.
pub const MACHINE_FILE: &str = "machine.json";

/// Every figure's numbers, inside a report's data folder.
pub const FIGURES_FILE: &str = "figures.json";

/// Another report: its scaling rows, its machine, its figures (when it
/// saved them) and how it was measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Other {
    /// The report directory, as given.
    pub dir: PathBuf,
    pub machine: MachineInfo,
    pub rows: Vec<ResultRow>,
    /// Its `data/figures.json`, when it has one (reports written before
    /// `--compare` reached every page lack it).
    pub saved: Option<Saved>,
    /// How it was measured, from its figures file or else its data files.
    pub runs: Runs,
}

/// One line of a saved figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedSeries {
    pub label: String,
    pub dashed: bool,
    pub points: Vec<(f64, f64)>,
}

/// A figure's numbers, as `data/figures.json` keeps them: its bars
/// (label, value) or its lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedFigure {
    pub id: String,
    pub title: String,
    pub y_unit: Unit,
    #[serde(default)]
    pub x_label: String,
    #[serde(default)]
    pub x_unit: Unit,
    #[serde(default)]
    pub bars: Vec<(String, f64)>,
    #[serde(default)]
    pub series: Vec<SavedSeries>,
}

/// `data/figures.json`: how the run was measured and every figure's
/// numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    pub schema: u32,
    pub runs: Runs,
    pub figures: Vec<SavedFigure>,
}

/// The [`Saved::schema`] this tvp writes and reads.
pub const FIGURES_SCHEMA: u32 = 1;

/// How a run was measured, as far as it recorded: quick or full mode, and
/// each problem size by `source:workload` (source: `criterion` for a
/// bench group, `scaling` for results.json, else the data file's name).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Runs {
    /// Some(true) when any part ran in quick mode, Some(false) when every
    /// part that said ran in full mode.
    pub quick: Option<bool>,
    pub sizes: BTreeMap<String, u64>,
}

impl Runs {
    fn mode(&mut self, quick: bool) {
        self.quick = Some(self.quick.unwrap_or(false) || quick);
    }

    /// From a report directory: its results.json rows and its data files.
    pub fn of_report(dir: &Path, rows: &[ResultRow]) -> Runs {
        let mut runs = Runs::default();
        for r in rows {
            runs.mode(r.quick);
            if let Some(size) = r.size {
                runs.sizes.insert(format!("scaling:{}", r.workload), size);
            }
        }
        let data = dir.join(super::DATA_DIR);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&data)
            .map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect())
            .unwrap_or_default();
        files.sort();
        for path in files {
            let (Some(stem), Some("json")) = (
                path.file_stem().and_then(|s| s.to_str()),
                path.extension().and_then(|s| s.to_str()),
            ) else {
                continue;
            };
            if stem == "figures" || stem == "machine" {
                continue;
            }
            let Ok(text) = super::read_input(&path) else {
                continue;
            };
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
                runs.walk(stem, &value, None);
            }
        }
        runs
    }

    /// Reads `quick` flags and (workload, size) pairs anywhere in a data
    /// file; a file with one top-level `workload` names its sizes after it.
    fn walk(&mut self, source: &str, value: &serde_json::Value, workload: Option<&str>) {
        use serde_json::Value;
        match value {
            Value::Object(map) => {
                if let Some(Value::Bool(q)) = map.get("quick") {
                    self.mode(*q);
                }
                let here = map.get("workload").and_then(Value::as_str).or(workload);
                if let (Some(w), Some(size)) = (here, map.get("size").and_then(Value::as_u64)) {
                    self.sizes.insert(format!("{source}:{w}"), size);
                }
                for v in map.values() {
                    self.walk(source, v, here);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.walk(source, v, workload)),
            _ => {}
        }
    }

    /// Adds the benches' run descriptions (criterion groups).
    pub fn add_benches(&mut self, infos: &[RunInfo]) {
        for info in infos {
            self.mode(info.quick);
            self.sizes
                .insert(format!("criterion:{}", info.group), info.size);
            // The scaling sweeps are results.json's rows.
            if info.kind == "cpu" || info.kind == "memory" {
                self.sizes
                    .insert(format!("scaling:{}", info.group), info.size);
            }
        }
    }

    /// Where `self` (this run) and `other` were measured differently for
    /// the figure `id` (`topic/name`): quick against full for any figure,
    /// and the sizes of its workload both runs recorded. `None` when alike.
    pub fn unlike(&self, other: &Runs, id: &str) -> Option<String> {
        let (topic, name) = id.split_once('/').unwrap_or((id, ""));
        let sources: &[&str] = match topic {
            "balance" | "busy" => &["balance"],
            "memory" => &["memory"],
            "waits" => &["waits"],
            "python" => &["python", "python_vs_rust"],
            "costs" => &[],
            _ => &["criterion", "scaling"],
        };
        let sizes: Vec<(String, u64, u64)> = self
            .sizes
            .iter()
            .filter_map(|(key, &a)| {
                let (source, workload) = key.split_once(':')?;
                // The core sweep's groups are `cores-<workload>`.
                let relevant = sources.contains(&source)
                    && (workload == name
                        || workload == format!("{topic}-{name}")
                        || topic == "waits");
                let &b = other.sizes.get(key).filter(|_| relevant)?;
                Some((workload.to_string(), a, b))
            })
            .collect();
        crate::report::explain::compare::unlike((self.quick, other.quick), &sizes)
    }

    /// Where the two runs differ anywhere (for the page that introduces
    /// the comparison).
    pub fn unlike_anywhere(&self, other: &Runs) -> Option<String> {
        let mut sizes: Vec<(String, u64, u64)> = self
            .sizes
            .iter()
            .filter_map(|(key, &a)| {
                let &b = other.sizes.get(key)?;
                let (_, workload) = key.split_once(':')?;
                Some((workload.to_string(), a, b))
            })
            .collect();
        sizes.sort();
        sizes.dedup();
        crate::report::explain::compare::unlike((self.quick, other.quick), &sizes)
    }
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
        let figures_path = dir.join(super::DATA_DIR).join(FIGURES_FILE);
        let saved = match super::read_input(&figures_path) {
            Err(_) if !figures_path.exists() => None,
            Err(e) => {
                return Err(Error::Data(format!(
                    "--compare {}: {}: {e}",
                    given.display(),
                    figures_path.display()
                )));
            }
            Ok(text) => Some(serde_json::from_str::<Saved>(&text).map_err(|e| {
                Error::Data(format!(
                    "--compare {}: {}: {e}; regenerate that report with this tvp's `tvp \
                     report`",
                    given.display(),
                    figures_path.display()
                ))
            })?),
        };
        let runs = match &saved {
            Some(s) => s.runs.clone(),
            None => Runs::of_report(&dir, &rows),
        };
        Ok(Other {
            dir,
            machine,
            rows,
            saved,
            runs,
        })
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
