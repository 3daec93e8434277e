//! Reads what criterion saved: for every benchmark,
//! `<criterion dir>/<group>/<function>/<value>/new/benchmark.json` (its id)
//! and `new/estimates.json` (its statistics), as critcmp does. Only the
//! fields used here are parsed, so a change in criterion's format shows up
//! as a clear note (and a failing test), not as wrong numbers.
//!
//! The benches also leave a [`RunInfo`] next to each group's results
//! (`<group>/tvp-run.json`): what was measured in the latest run, at which
//! size, and whether it was quick.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The name of the file a bench writes in each group's directory.
pub const RUN_INFO_FILE: &str = "tvp-run.json";
/// The group's [`RUN_INFO_FILE`] from the run before the latest, kept when
/// the latest is written.
pub const PREVIOUS_RUN_INFO_FILE: &str = "tvp-run.previous.json";

/// Where criterion writes: `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`,
/// else `<project>/target/criterion`, the order criterion itself uses.
pub fn default_dir(project: &Path) -> PathBuf {
    // An empty variable is unset, not the path "" (the current directory).
    let set = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(home) = set("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    match set("CARGO_TARGET_DIR") {
        Some(target) => project.join(target).join("criterion"),
        None => project.join("target").join("criterion"),
    }
}

/// The times per iteration a benchmark can take, in ns: from a hundredth
/// of a nanosecond (far below one clock cycle) to about three hours (far
/// past any run of these benches). A time outside is not a measurement: the
/// result is left out with a note, so no chart or sentence shows it.
pub const PLAUSIBLE_NS: std::ops::RangeInclusive<f64> = 1e-2..=1e13;

/// One benchmark's id and timing, in nanoseconds per iteration.
#[derive(Debug, Clone, PartialEq)]
pub struct Benchmark {
    /// The benchmark group: a workload name for the scaling bench.
    pub group: String,
    /// The function id: a backend name for the scaling bench.
    pub function: Option<String>,
    /// The parameter: a worker count for the scaling bench.
    pub value: Option<String>,
    pub median_ns: f64,
    /// Bounds of the median's confidence interval.
    pub ci_low_ns: f64,
    pub ci_high_ns: f64,
    /// For example 0.95.
    pub confidence_level: f64,
    pub mean_ns: f64,
    /// The [`crate::sweep::spread`] of the samples' per-iteration times
    /// (criterion's `sample.json`); `None` when it is missing.
    pub sample_spread: Option<f64>,
    /// How far the median moved since the previous run of the same
    /// benchmark, as a share (criterion's `change/estimates.json`: +0.07 is
    /// 7% slower now). Kept only when that previous run was like this one
    /// (same size, mode and cores, see [`PREVIOUS_RUN_INFO_FILE`]);
    /// otherwise `None`.
    pub previous_change: Option<f64>,
    /// The benchmark's `new/` directory.
    pub dir: PathBuf,
}

impl Benchmark {
    /// The run-to-run spread of this result as a share of its median: half
    /// the width of criterion's confidence interval over the median, or
    /// half the move since a like previous run when that is wider (two runs
    /// a share `d` apart are each about `d / 2` from their middle). The one
    /// place the report turns a result into its noise, for the claims
    /// ([`crate::report::claim::Value::spread`]) and the pages' noise
    /// sentences.
    pub fn spread(&self) -> f64 {
        run_to_run_spread(
            self.median_ns,
            (self.ci_low_ns, self.ci_high_ns),
            self.previous_change,
        )
    }
}

/// A median's run-to-run spread as a share of it: half its confidence
/// interval's width, or half its move since a like previous run when that
/// is wider. Zero for a median that is not positive. See
/// [`Benchmark::spread`].
pub fn run_to_run_spread(
    median: f64,
    (low, high): (f64, f64),
    previous_change: Option<f64>,
) -> f64 {
    if median > 0.0 {
        let interval = ((high - low) / 2.0 / median).max(0.0);
        interval.max(previous_change.map_or(0.0, |c| c.abs() / 2.0))
    } else {
        0.0
    }
}

#[cfg(test)]
impl Benchmark {
    /// A made-up result whose median, interval and mean are all `median_ns`.
    pub(crate) fn exact(group: &str, function: &str, value: Option<&str>, median_ns: f64) -> Self {
        Benchmark {
            group: group.into(),
            function: Some(function.into()),
            value: value.map(Into::into),
            median_ns,
            ci_low_ns: median_ns,
            ci_high_ns: median_ns,
            confidence_level: 0.95,
            mean_ns: median_ns,
            sample_spread: None,
            previous_change: None,
            dir: std::path::PathBuf::new(),
        }
    }

    /// A made-up result whose interval spans `spread` of its median either
    /// side.
    pub(crate) fn with_spread(
        group: &str,
        function: &str,
        value: &str,
        median_ns: f64,
        spread: f64,
    ) -> Self {
        Benchmark {
            ci_low_ns: median_ns * (1.0 - spread),
            ci_high_ns: median_ns * (1.0 + spread),
            ..Benchmark::exact(group, function, Some(value), median_ns)
        }
    }
}

/// Everything found under a criterion directory, with a note for each thing
/// that could not be read.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub benchmarks: Vec<Benchmark>,
    pub runs: Vec<RunInfo>,
    pub notes: Vec<String>,
}

impl Scan {
    /// The benchmarks of one group.
    pub fn group<'a>(&'a self, group: &'a str) -> impl Iterator<Item = &'a Benchmark> + 'a {
        self.benchmarks.iter().filter(move |b| b.group == group)
    }

    /// The latest run's description of a group, if a bench left one.
    pub fn run(&self, group: &str) -> Option<&RunInfo> {
        self.runs.iter().find(|r| r.group == group)
    }
}

/// What a bench measured in its latest run of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub group: String,
    /// `cpu`, `memory`, `io`, or a bench's own kind of group.
    pub kind: String,
    /// Items per run (the workload's size).
    pub size: u64,
    /// Measured in quick mode: fewer samples, smaller sizes.
    pub quick: bool,
    /// The (function, value) ids measured, e.g. ("rayon", "2"). Results
    /// for other ids are left over from an earlier run.
    pub ids: Vec<(String, String)>,
    /// RFC 3339 date of the run.
    pub date: String,
    /// The machine's usable cores during the run.
    #[serde(default)]
    pub cores: Option<usize>,
    /// The share of one core the sequential reference run got (CPU time /
    /// wall time); well below 1.0, other programs were competing.
    #[serde(default)]
    pub cpu_share: Option<f64>,
    /// The share of the whole machine's CPU time that other programs used
    /// while the group was measured ([`crate::machine::OthersMeter`]):
    /// the busy-machine check for the whole run, not only its reference.
    #[serde(default)]
    pub others_share: Option<f64>,
    /// "confined to core 0 (TVP_CORES=1)" when `TVP_CORES` confined the
    /// bench to fewer cores than the machine has.
    #[serde(default)]
    pub confined: Option<String>,
    /// The sequential reference timed again, in ms (the median of a few
    /// runs), after the group's last benchmark. Against the group's
    /// `sequential` median, measured first, it tells how far the machine's
    /// own speed moved while the group ran (see
    /// [`crate::report::results::ResultRow::speed_change`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_again_ms: Option<f64>,
    /// The core-sharing probe, run after the group's last benchmark:
    /// whether something else took this core's execution units at times
    /// ([`crate::sweep::core_sharing`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core_sharing: Option<crate::sweep::core_sharing::CoreSharing>,
}

impl RunInfo {
    /// A run of `group` measured now on all of this machine's cores.
    pub fn now(
        group: impl Into<String>,
        kind: impl Into<String>,
        size: u64,
        quick: bool,
        ids: Vec<(String, String)>,
    ) -> Self {
        RunInfo {
            group: group.into(),
            kind: kind.into(),
            size,
            quick,
            ids,
            date: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            cores: Some(crate::cores()),
            cpu_share: None,
            others_share: None,
            confined: None,
            reference_again_ms: None,
            core_sharing: None,
        }
    }

    /// Writes this, first adding the ids that the group's previous run
    /// measured at the same size, mode and core count: a run filtered to a
    /// few benchmarks adds to the results instead of hiding the rest.
    pub fn write_merged(mut self, criterion_dir: &Path) -> Result<()> {
        let path = criterion_dir.join(&self.group).join(RUN_INFO_FILE);
        let previous = super::read_input(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<RunInfo>(&t).ok())
            .filter(|p| (p.size, p.quick, p.cores) == (self.size, self.quick, self.cores));
        for id in previous.into_iter().flat_map(|p| p.ids) {
            if !self.ids.contains(&id) {
                self.ids.push(id);
            }
        }
        self.write(criterion_dir)
    }

    /// Writes this next to the group's criterion results.
    pub fn write(&self, criterion_dir: &Path) -> Result<()> {
        let dir = criterion_dir.join(&self.group);
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let path = dir.join(RUN_INFO_FILE);
        // The run before this one, so the report knows whether criterion's
        // change since then compares like with like.
        if path.exists() {
            let previous = dir.join(PREVIOUS_RUN_INFO_FILE);
            std::fs::rename(&path, &previous).map_err(|e| {
                Error::io(
                    format!("keeping {} as {}", path.display(), previous.display()),
                    e,
                )
            })?;
        }
        let text = serde_json::to_string_pretty(self).expect("a RunInfo always serialises");
        super::write_atomic(&path, text.as_bytes())
    }

    /// Whether results of `previous` and of this run can be compared: the
    /// same size, mode and cores.
    pub fn is_like(&self, previous: &RunInfo) -> bool {
        (self.size, self.quick, self.cores) == (previous.size, previous.quick, previous.cores)
    }

    /// Whether the latest run measured this benchmark.
    pub fn measured(&self, b: &Benchmark) -> bool {
        self.ids.iter().any(|(f, v)| {
            b.function.as_deref() == Some(f.as_str()) && b.value.as_deref() == Some(v.as_str())
        })
    }
}

#[derive(Deserialize)]
struct IdFile {
    group_id: String,
    function_id: Option<String>,
    value_str: Option<String>,
}

#[derive(Deserialize)]
struct EstimatesFile {
    mean: EstimateFile,
    median: EstimateFile,
}

#[derive(Deserialize)]
struct EstimateFile {
    confidence_interval: IntervalFile,
    point_estimate: f64,
}

#[derive(Deserialize)]
struct IntervalFile {
    confidence_level: f64,
    lower_bound: f64,
    upper_bound: f64,
}

/// Reads every benchmark under `dir`. Never fails: a missing directory or a
/// file that cannot be read becomes a note saying what to do.
pub fn scan(dir: &Path) -> Scan {
    let mut scan = Scan::default();
    let mut previous: Vec<RunInfo> = Vec::new();
    if !dir.is_dir() {
        scan.notes.push(format!(
            "No criterion results in {}: run `cargo bench` (or `cargo bench -- --quick`) first.",
            dir.display()
        ));
        return scan;
    }
    let entries = walkdir::WalkDir::new(dir)
        .max_depth(5)
        .sort_by_file_name()
        .into_iter()
        // criterion's own HTML report lives in `report/` directories.
        .filter_entry(|e| e.file_name() != "report");
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                scan.notes
                    .push(format!("Could not read part of {}: {e}", dir.display()));
                continue;
            }
        };
        let path = entry.path();
        if entry.file_type().is_dir() && entry.file_name() == "new" {
            if path.join("benchmark.json").exists() {
                match read_benchmark(path) {
                    Ok(b) => scan.benchmarks.push(b),
                    Err(e) => scan.notes.push(format!(
                        "Skipped the results in {}: {e}. Run `cargo bench` again to re-measure it.",
                        path.display()
                    )),
                }
            }
        } else if entry.file_type().is_file() && entry.file_name() == PREVIOUS_RUN_INFO_FILE {
            if let Ok(run) = read_json::<RunInfo>(path) {
                previous.push(run);
            }
        } else if entry.file_type().is_file() && entry.file_name() == RUN_INFO_FILE {
            match read_json::<RunInfo>(path) {
                Ok(run) => scan.runs.push(run),
                Err(e) => scan.notes.push(format!(
                    "Ignored {}: {e}. All results found for that group are shown.",
                    path.display()
                )),
            }
        }
    }
    // Criterion compares with whatever ran before; keep that change only
    // where the run before measured the group like this one did.
    for b in &mut scan.benchmarks {
        let like = scan
            .runs
            .iter()
            .find(|r| r.group == b.group)
            .is_some_and(|run| {
                previous
                    .iter()
                    .any(|p| p.group == run.group && run.is_like(p))
            });
        if !like {
            b.previous_change = None;
        }
    }
    scan
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let text = super::read_input(path)?;
    serde_json::from_str(&text).map_err(|e| {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        format!("{name} is not in the expected format ({e})")
    })
}

/// The spread of criterion's samples in `new_dir/sample.json`: each sample
/// is `times[i]` ns over `iters[i]` iterations.
fn sample_spread(new_dir: &Path) -> Option<f64> {
    #[derive(Deserialize)]
    struct Samples {
        iters: Vec<f64>,
        times: Vec<f64>,
    }
    let s: Samples = read_json(&new_dir.join("sample.json")).ok()?;
    let per_iter: Vec<f64> = s
        .iters
        .iter()
        .zip(&s.times)
        .filter(|(n, _)| **n > 0.0)
        .map(|(n, t)| t / n)
        .collect();
    crate::sweep::spread(&per_iter)
}

/// Criterion's relative change of the median since the previous run, from
/// `new_dir/../change/estimates.json`.
fn previous_change(new_dir: &Path) -> Option<f64> {
    let change: EstimatesFile =
        read_json(&new_dir.parent()?.join("change").join("estimates.json")).ok()?;
    Some(change.median.point_estimate).filter(|c| c.is_finite())
}

fn read_benchmark(new_dir: &Path) -> Result<Benchmark, String> {
    let id: IdFile = read_json(&new_dir.join("benchmark.json"))?;
    let estimates_path = new_dir.join("estimates.json");
    if !estimates_path.exists() {
        return Err("estimates.json is missing (the run was interrupted?)".into());
    }
    let est: EstimatesFile = read_json(&estimates_path)?;
    let median = est.median;
    let times = [
        ("median", median.point_estimate),
        (
            "median's lower bound",
            median.confidence_interval.lower_bound,
        ),
        (
            "median's upper bound",
            median.confidence_interval.upper_bound,
        ),
        ("mean", est.mean.point_estimate),
    ];
    if let Some((what, v)) = times.iter().find(|(_, v)| !PLAUSIBLE_NS.contains(v)) {
        return Err(format!(
            "estimates.json holds a {what} of {v:e} ns per iteration, outside any plausible \
             time ({:e} ns to {:e} ns): the file is damaged or was edited, so it is left out \
             of the charts",
            PLAUSIBLE_NS.start(),
            PLAUSIBLE_NS.end()
        ));
    }
    Ok(Benchmark {
        group: id.group_id,
        function: id.function_id,
        value: id.value_str,
        median_ns: median.point_estimate,
        ci_low_ns: median.confidence_interval.lower_bound,
        ci_high_ns: median.confidence_interval.upper_bound,
        confidence_level: median.confidence_interval.confidence_level,
        mean_ns: est.mean.point_estimate,
        sample_spread: sample_spread(new_dir),
        previous_change: previous_change(new_dir),
        dir: new_dir.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_spread_is_per_iteration() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(sample_spread(dir.path()), None, "no sample.json");
        // 10 ns per iteration in every sample but one of 20 ns: the
        // quartiles stay at 10 ns.
        std::fs::write(
            dir.path().join("sample.json"),
            r#"{"sampling_mode":"Flat","iters":[1,2,4,8,16],"times":[10,20,40,80,320]}"#,
        )
        .unwrap();
        assert_eq!(sample_spread(dir.path()), Some(0.0));
        std::fs::write(
            dir.path().join("sample.json"),
            r#"{"sampling_mode":"Flat","iters":[1,1,1,1],"times":[10,20,30,40]}"#,
        )
        .unwrap();
        assert_eq!(sample_spread(dir.path()), Some(0.6));
    }

    /// Writes one benchmark of group `g` whose median is `ms` and whose
    /// change since the run before is `change`, as criterion lays it out.
    fn criterion_result(dir: &Path, ms: f64, change: f64) {
        let bench = dir.join("g/threads/2");
        std::fs::create_dir_all(bench.join("new")).unwrap();
        std::fs::create_dir_all(bench.join("change")).unwrap();
        let estimate = |v: f64| {
            format!(
                r#"{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{v},"upper_bound":{v}}},"point_estimate":{v}}}"#
            )
        };
        let estimates = |v: f64| format!(r#"{{"mean":{},"median":{}}}"#, estimate(v), estimate(v));
        std::fs::write(
            bench.join("new/benchmark.json"),
            r#"{"group_id":"g","function_id":"threads","value_str":"2"}"#,
        )
        .unwrap();
        std::fs::write(bench.join("new/estimates.json"), estimates(ms * 1e6)).unwrap();
        std::fs::write(bench.join("change/estimates.json"), estimates(change)).unwrap();
    }

    #[test]
    fn a_change_since_a_like_run_widens_the_spread_and_an_unlike_one_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        criterion_result(dir.path(), 100.0, 0.08);
        let ids = vec![("threads".to_string(), "2".to_string())];
        let run = |size| RunInfo::now("g", "cpu", size, false, ids.clone());
        // Only one run so far: nothing to compare with.
        run(1000).write(dir.path()).unwrap();
        let b = &scan(dir.path()).benchmarks[0];
        assert_eq!(b.previous_change, None);
        assert_eq!(b.spread(), 0.0);
        // A like run after it: the 8% move is run-to-run noise of ±4%.
        run(1000).write(dir.path()).unwrap();
        assert!(dir.path().join("g").join(PREVIOUS_RUN_INFO_FILE).exists());
        let b = &scan(dir.path()).benchmarks[0];
        assert_eq!(b.previous_change, Some(0.08));
        assert!((b.spread() - 0.04).abs() < 1e-12, "{}", b.spread());
        // A run at another size: criterion's change compares unlike runs.
        run(2000).write(dir.path()).unwrap();
        assert_eq!(scan(dir.path()).benchmarks[0].previous_change, None);
    }
}
