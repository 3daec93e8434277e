//! The measured costs, as criterion saved them: read through the report's
//! reader ([`crate::report::criterion::scan`]), keeping only what the latest
//! run of each group measured (its [`RunInfo`]), so a benchmark dropped from
//! the bench does not linger in the explanations.

use std::path::Path;

use crate::report::criterion::{self, Benchmark, RunInfo, Scan};

/// One benchmark's median time per iteration.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub group: String,
    pub function: Option<String>,
    pub value: Option<String>,
    pub median_ns: f64,
    /// The run-to-run spread as a share of the median
    /// ([`Benchmark::spread`]), for the claims.
    pub spread: Option<f64>,
}

/// The cost benchmarks found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Estimates(pub Vec<Estimate>);

impl Estimates {
    /// Reads the criterion folder `dir`.
    pub fn read(dir: &Path) -> Estimates {
        Estimates::from_scan(&criterion::scan(dir))
    }

    /// The benchmarks of `scan`, minus those the latest run of their group
    /// did not measure.
    pub fn from_scan(scan: &Scan) -> Estimates {
        let latest = |b: &Benchmark| scan.run(&b.group).is_none_or(|run| ran(run, b));
        Estimates(
            scan.benchmarks
                .iter()
                .filter(|b| latest(b))
                .map(|b| Estimate {
                    group: b.group.clone(),
                    function: b.function.clone(),
                    value: b.value.clone(),
                    median_ns: b.median_ns,
                    spread: Some(b.spread()),
                })
                .collect(),
        )
    }

    /// The median in ns of `group`/`function`, or of `group`/`function`/`value`.
    pub fn get(&self, group: &str, function: &str, value: Option<&str>) -> Option<f64> {
        self.0
            .iter()
            .find(|e| {
                e.group == group
                    && e.function.as_deref() == Some(function)
                    && e.value.as_deref() == value
            })
            .map(|e| e.median_ns)
    }

    /// The estimates of one group.
    pub fn group<'a>(&'a self, group: &'a str) -> impl Iterator<Item = &'a Estimate> + 'a {
        self.0.iter().filter(move |e| e.group == group)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The (function, value) id a cost bench records for a benchmark; an id
/// without a value is recorded with an empty value.
pub fn run_id(function: &str, value: Option<&str>) -> (String, String) {
    (function.to_string(), value.unwrap_or_default().to_string())
}

/// Whether `run` measured `b`, also for ids without a value.
fn ran(run: &RunInfo, b: &Benchmark) -> bool {
    let Some(function) = b.function.as_deref() else {
        return true;
    };
    run.ids.contains(&run_id(function, b.value.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bench(group: &str, function: &str, value: Option<&str>, median_ns: f64) -> Benchmark {
        Benchmark::exact(group, function, value, median_ns)
    }

    #[test]
    fn keeps_what_the_latest_run_measured() {
        let scan = Scan {
            benchmarks: vec![
                bench("spawn", "thread", None, 20_000.0),
                bench("spawn", "dropped-long-ago", None, 1.0),
                bench("ipc-throughput", "pipe-process", Some("64"), 1_000.0),
            ],
            runs: vec![RunInfo {
                group: "spawn".into(),
                kind: "costs".into(),
                size: 0,
                quick: false,
                ids: vec![run_id("thread", None)],
                date: String::new(),
                cores: Some(2),
                cpu_share: None,
                others_share: None,
                confined: None,
                reference_again_ms: None,
                core_sharing: None,
            }],
            notes: Vec::new(),
        };
        let e = Estimates::from_scan(&scan);
        assert_eq!(e.get("spawn", "thread", None), Some(20_000.0));
        assert_eq!(e.get("spawn", "dropped-long-ago", None), None);
        // A group without run info keeps everything.
        assert_eq!(
            e.get("ipc-throughput", "pipe-process", Some("64")),
            Some(1_000.0)
        );
        assert_eq!(e.group("spawn").count(), 1);
        assert!(Estimates::read(Path::new("/nonexistent/criterion")).is_empty());
    }
}
