//! The data sets every page and lesson is rendered from in the tests (see
//! `tests/fixtures/datasets/README.md`): the committed reference, a
//! made-up 64-core run, and an adversarial one in which every ranking the
//! lessons expect is reversed. The claims test checks every sentence of
//! every page against the numbers it names on all three.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::machine::MachineInfo;
use crate::report::criterion::{Benchmark, RunInfo, Scan};
use crate::report::{PageOut, ReportInput};

/// One benchmark as the fixture keeps it.
#[derive(Deserialize)]
struct Compact {
    group: String,
    function: Option<String>,
    value: Option<String>,
    median_ns: f64,
    ci_low_ns: f64,
    ci_high_ns: f64,
}

#[derive(Deserialize)]
struct CompactScan {
    cores: usize,
    benchmarks: Vec<Compact>,
    runs: Vec<RunInfo>,
}

/// A data set: criterion's results, the core count, and the benches' data
/// files (copied into the report's `data/` before the pages are built).
#[derive(Debug, Clone)]
pub struct DataSet {
    pub name: &'static str,
    pub scan: Scan,
    pub cores: usize,
    /// File name -> JSON text.
    pub data: Vec<(String, String)>,
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/datasets/reference")
}

/// The committed reference: its scaling cells from
/// `reports/reference/results.json`, the other groups from a run on the
/// same machine, and its data files.
pub fn reference() -> DataSet {
    let dir = fixture_dir();
    let text = std::fs::read_to_string(dir.join("criterion.json")).expect("the fixture");
    let compact: CompactScan = serde_json::from_str(&text).expect("the fixture's format");
    let benchmarks = compact
        .benchmarks
        .into_iter()
        .map(|c| Benchmark {
            group: c.group,
            function: c.function,
            value: c.value,
            median_ns: c.median_ns,
            ci_low_ns: c.ci_low_ns,
            ci_high_ns: c.ci_high_ns,
            confidence_level: 0.95,
            mean_ns: c.median_ns,
            sample_spread: None,
            previous_change: None,
            dir: PathBuf::new(),
        })
        .collect();
    let mut data: Vec<(String, String)> = std::fs::read_dir(dir.join("data"))
        .expect("the fixture's data")
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    data.sort();
    DataSet {
        name: "reference",
        scan: Scan {
            benchmarks,
            runs: compact.runs,
            notes: Vec::new(),
        },
        cores: compact.cores,
        data,
    }
}

/// Whether `run` is a scaling sweep (workers as its values).
fn is_sweep(run: &RunInfo) -> bool {
    matches!(run.kind.as_str(), "cpu" | "memory" | "io")
}

/// A made-up 64-core machine: every sweep runs 1, 2, 4 ... 128 workers,
/// the parallel backends following Amdahl's law with a small serial share,
/// `gil` flat, `process` paying a spawn per worker; costs as measured.
pub fn many_cores() -> DataSet {
    const CORES: usize = 64;
    let mut set = reference();
    set.name = "64 cores";
    set.cores = CORES;
    let sweeps: Vec<RunInfo> = set
        .scan
        .runs
        .iter()
        .filter(|r| is_sweep(r))
        .cloned()
        .collect();
    for run in &mut set.scan.runs {
        run.cores = Some(CORES);
    }
    for run in &sweeps {
        let seq = set
            .scan
            .benchmarks
            .iter()
            .find(|b| b.group == run.group && b.function.as_deref() == Some("sequential"))
            .map_or(100e6, |b| b.median_ns);
        let backends: Vec<String> = run
            .ids
            .iter()
            .map(|(f, _)| f.clone())
            .filter(|f| f != "sequential")
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        set.scan.benchmarks.retain(|b| b.group != run.group);
        let mut ids = vec![("sequential".to_string(), "1".to_string())];
        set.scan.benchmarks.push(Benchmark::with_spread(
            &run.group,
            "sequential",
            "1",
            seq,
            0.01,
        ));
        for backend in &backends {
            let mut workers = 1;
            while workers <= 2 * CORES {
                let serial = if run.kind == "memory" { 0.3 } else { 0.02 };
                let mut t = seq / crate::report::amdahl::speedup(serial, workers, CORES);
                match backend.as_str() {
                    "gil" if run.kind != "io" => t = seq * 1.05,
                    "process" => t += 1.5e6 * workers as f64,
                    "pool" | "rayon" => t *= 1.02,
                    _ => {}
                }
                let value = workers.to_string();
                ids.push((backend.clone(), value.clone()));
                set.scan
                    .benchmarks
                    .push(Benchmark::with_spread(&run.group, backend, &value, t, 0.02));
                workers *= 2;
            }
        }
        if let Some(r) = set.scan.runs.iter_mut().find(|r| r.group == run.group) {
            r.ids = ids;
        }
    }
    set
}

/// The reference with every ranking reversed: within each group the
/// fastest result becomes the slowest (`t -> min * max / t`), and the data
/// files' Python and Rust times swap roles the same way.
pub fn adversarial() -> DataSet {
    let mut set = reference();
    set.name = "adversarial";
    let groups: std::collections::BTreeSet<String> = set
        .scan
        .benchmarks
        .iter()
        .map(|b| b.group.clone())
        .collect();
    for group in groups {
        let times = medians(&set.scan.benchmarks, &group);
        let lo = times.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = times.iter().copied().fold(0.0, f64::max);
        if ranked_by_rate(&group) {
            // Rates, not times, rank the message sizes (or the contender
            // counts): reverse those.
            let rate = |b: &Benchmark| {
                b.value
                    .as_deref()
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(1.0)
                    / b.median_ns
            };
            let rates: Vec<f64> = set
                .scan
                .benchmarks
                .iter()
                .filter(|b| b.group == group)
                .map(rate)
                .collect();
            let k = rates.iter().copied().fold(f64::INFINITY, f64::min)
                * rates.iter().copied().fold(0.0, f64::max);
            for b in set.scan.benchmarks.iter_mut().filter(|b| b.group == group) {
                let bytes = b
                    .value
                    .as_deref()
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(1.0);
                let spread = b.spread();
                b.median_ns = bytes / (k / rate(b));
                b.mean_ns = b.median_ns;
                b.ci_low_ns = b.median_ns * (1.0 - spread);
                b.ci_high_ns = b.median_ns * (1.0 + spread);
            }
            continue;
        }
        for b in set.scan.benchmarks.iter_mut().filter(|b| b.group == group) {
            let k = lo * hi;
            let (low, high) = (k / b.ci_high_ns, k / b.ci_low_ns);
            b.median_ns = k / b.median_ns;
            b.mean_ns = b.median_ns;
            b.ci_low_ns = low;
            b.ci_high_ns = high;
        }
    }
    for (name, text) in &mut set.data {
        let Ok(mut json) = serde_json::from_str::<serde_json::Value>(text) else {
            continue;
        };
        reverse_times(&mut json);
        if name == "python_vs_rust.json" {
            reverse_speedups(&mut json);
        }
        if MEMORY_FILES.contains(&name.as_str()) {
            reverse_memory(&mut json);
        }
        *text = json.to_string();
    }
    reverse_with_python(&mut set, crate::costs::start::GROUP, "starts");
    reverse_with_python(&mut set, crate::costs::serialization::GROUP, "pickling");
    set
}

/// The medians of `group`, in ns.
fn medians(benchmarks: &[Benchmark], group: &str) -> Vec<f64> {
    benchmarks
        .iter()
        .filter(|b| b.group == group)
        .map(|b| b.median_ns)
        .collect()
}

/// The groups whose rankings are rates (bytes, or critical sections, per
/// second: the value times the batch over the time), not times.
fn ranked_by_rate(group: &str) -> bool {
    [
        crate::costs::ipc::THROUGHPUT_GROUP,
        crate::costs::locks::GROUP,
        crate::costs::sharing::GROUP,
    ]
    .contains(&group)
}

/// A claim may put a Rust group against Python's rows in
/// `python_starts.json` (Python's spawn against Rust's, pickle against the
/// binary encoding); reversed apart, each side keeps its place against the
/// other. Rescales both, already reversed, as if reversed together:
/// `t -> lo * hi / t` over the union. (After a reversal `t' = k / t`,
/// `k = min(t') * max(t')`, and the original bounds are `k / max(t')` and
/// `k / min(t')`.)
fn reverse_with_python(set: &mut DataSet, group: &str, array: &str) {
    let bounds = |v: &[f64]| {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(0.0, f64::max);
        (v.len() >= 2 && lo > 0.0).then_some((lo, hi))
    };
    let rust = medians(&set.scan.benchmarks, group);
    let Some((name, text)) = set
        .data
        .iter_mut()
        .find(|(n, _)| n == crate::report::pages::starts::PYTHON_FILE.trim_start_matches("data/"))
    else {
        return;
    };
    let Ok(mut json) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let _ = name;
    let Some(rows) = json.get_mut(array).and_then(|a| a.as_array_mut()) else {
        return;
    };
    let python: Vec<f64> = rows
        .iter()
        .filter_map(|r| Some(r.get("median_s")?.as_f64()? * 1e9))
        .collect();
    let (Some((rl, rh)), Some((pl, ph))) = (bounds(&rust), bounds(&python)) else {
        return;
    };
    let (kr, kp) = (rl * rh, pl * ph);
    let joint = (kr / rh).min(kp / ph) * (kr / rl).max(kp / pl);
    for r in rows.iter_mut() {
        if let Some(t) = r.get("median_s").and_then(|t| t.as_f64()) {
            r["median_s"] = serde_json::json!(t * joint / kp);
        }
    }
    *text = json.to_string();
    for b in set.scan.benchmarks.iter_mut().filter(|b| b.group == group) {
        let f = joint / kr;
        b.median_ns *= f;
        b.mean_ns *= f;
        b.ci_low_ns *= f;
        b.ci_high_ns *= f;
    }
}

/// Reverses the order of every list of sibling times (keys ending `_s`,
/// `_ms` or `_ns`) in the objects of each array, the way [`adversarial`]
/// reverses criterion's: `t -> min * max / t` across the array.
fn reverse_times(json: &mut serde_json::Value) {
    use serde_json::Value;
    match json {
        Value::Array(items) => {
            let keys: std::collections::BTreeSet<String> = items
                .iter()
                .filter_map(Value::as_object)
                .flat_map(|o| o.iter().filter(|(_, v)| v.is_f64()).map(|(k, _)| k.clone()))
                .filter(|k| k.ends_with("_s") || k.ends_with("_ms") || k.ends_with("_ns"))
                .collect();
            for key in keys {
                let Some(k) = min_times_max(items.iter().filter_map(|i| i.get(&key)?.as_f64()))
                else {
                    continue;
                };
                for item in items.iter_mut() {
                    if let Some(v) = item.get_mut(&key) {
                        if let Some(x) = v.as_f64().filter(|x| *x > 0.0) {
                            *v = serde_json::json!(k / x);
                        }
                    }
                }
            }
            items.iter_mut().for_each(reverse_times);
        }
        Value::Object(map) => map.values_mut().for_each(reverse_times),
        _ => {}
    }
}

/// Reverses the ranking of the backends in `python_vs_rust.json`: at each
/// worker count, each language's speedups go `s -> min * max / s` across
/// its backends (so the fastest becomes the slowest), and each time follows
/// from its speedup and the (already reversed) sequential time.
fn reverse_speedups(json: &mut serde_json::Value) {
    let Some(workloads) = json
        .get_mut("workloads")
        .and_then(serde_json::Value::as_array_mut)
    else {
        return;
    };
    for w in workloads {
        let seq = |key: &str| w.get(key).and_then(serde_json::Value::as_f64);
        let sequential = [
            ("python", seq("python_sequential_s")),
            ("rust", seq("rust_sequential_s")),
        ];
        let Some(series) = w.get_mut("series").and_then(|s| s.as_array_mut()) else {
            continue;
        };
        for (language, seq) in sequential {
            let mut points: Vec<&mut serde_json::Value> = series
                .iter_mut()
                .filter(|s| s.get("language").and_then(|l| l.as_str()) == Some(language))
                .filter_map(|s| s.get_mut("points")?.as_array_mut())
                .flatten()
                .collect();
            let workers: std::collections::BTreeSet<u64> = points
                .iter()
                .filter_map(|p| p.get("workers")?.as_u64())
                .collect();
            for n in workers {
                let at_n =
                    |p: &serde_json::Value| p.get("workers").and_then(|w| w.as_u64()) == Some(n);
                let speedups: Vec<f64> = points
                    .iter()
                    .filter(|p| at_n(p))
                    .filter_map(|p| p.get("speedup")?.as_f64())
                    .filter(|s| *s > 0.0)
                    .collect();
                let lo = speedups.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = speedups.iter().copied().fold(0.0, f64::max);
                for p in points.iter_mut().filter(|p| at_n(p)) {
                    let Some(s) = p
                        .get("speedup")
                        .and_then(|s| s.as_f64())
                        .filter(|s| *s > 0.0)
                    else {
                        continue;
                    };
                    let reversed = lo * hi / s;
                    p["speedup"] = serde_json::json!(reversed);
                    if let Some(seq) = seq {
                        p["median_s"] = serde_json::json!(seq / reversed);
                    }
                }
            }
        }
    }
}

/// The smallest times the largest of the positive `values`, by which
/// `x -> k / x` reverses their order; `None` for fewer than two.
fn min_times_max(values: impl Iterator<Item = f64>) -> Option<f64> {
    let values: Vec<f64> = values.filter(|v| *v > 0.0).collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(0.0, f64::max);
    (values.len() >= 2).then_some(lo * hi)
}

/// The data files whose memory sizes rank workers (per worker, per wait):
/// [`reverse_memory`] reverses them.
const MEMORY_FILES: [&str; 2] = ["memory.json", "waits.json"];

/// Reverses every memory size (a key ending `_kb`, at any depth of an
/// array's objects) across the items of each array, `m -> min * max / m`,
/// so the memory each worker adds ranks the other way round.
fn reverse_memory(json: &mut serde_json::Value) {
    use serde_json::Value;
    /// The paths of the positive `_kb` numbers under `v`.
    fn paths(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        if let Value::Object(map) = v {
            for (k, x) in map {
                at.push(k.clone());
                if k.ends_with("_kb") && x.as_f64().is_some_and(|x| x > 0.0) {
                    out.push(at.clone());
                }
                paths(x, at, out);
                at.pop();
            }
        }
    }
    fn get<'v>(v: &'v mut Value, path: &[String]) -> Option<&'v mut Value> {
        path.iter().try_fold(v, |v, k| v.get_mut(k))
    }
    match json {
        Value::Array(items) => {
            let mut all = Vec::new();
            for item in items.iter() {
                paths(item, &mut Vec::new(), &mut all);
            }
            all.sort();
            all.dedup();
            for path in all {
                let Some(k) =
                    min_times_max(items.iter_mut().filter_map(|i| get(i, &path)?.as_f64()))
                else {
                    continue;
                };
                for item in items.iter_mut() {
                    if let Some(v) = get(item, &path)
                        && let Some(x) = v.as_f64().filter(|x| *x > 0.0)
                    {
                        *v = serde_json::json!((k / x).round() as u64);
                    }
                }
            }
        }
        Value::Object(map) => map.values_mut().for_each(reverse_memory),
        _ => {}
    }
}

/// Every page and lesson of `set`, built into `out` (charts and data
/// files; the pages are returned, not written).
pub fn render(set: &DataSet, out: &Path) -> (Vec<PageOut>, Vec<String>) {
    let data = out.join(crate::report::DATA_DIR);
    std::fs::create_dir_all(&data).unwrap();
    for (name, text) in &set.data {
        std::fs::write(data.join(name), text).unwrap();
    }
    let mut input = ReportInput {
        scan: set.scan.clone(),
        machine: MachineInfo::detect(),
        cores: set.cores,
        criterion_dir: PathBuf::new(),
        figures: Vec::new(),
        other: None,
    };
    let mut notes = Vec::new();
    let (pages, _) = crate::report::build_report(&mut input, out, &mut notes);
    (pages, notes)
}

/// The data sets the claims test renders.
pub fn all() -> Vec<DataSet> {
    vec![reference(), many_cores(), adversarial()]
}

/// The visible text of an HTML body: tags dropped, entities decoded, white
/// space collapsed.
pub fn text(html: &str) -> String {
    // A glossary link inside a sentence is not a break in it.
    let html = crate::report::lessons::glossary::unlinked(html);
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Claim;
    use crate::report::claim::Outcome;

    /// Every claim of `pages`, with the page it is on.
    fn claims(pages: &[PageOut]) -> Vec<(&PageOut, &Claim)> {
        pages
            .iter()
            .flat_map(|p| {
                p.claims
                    .iter()
                    .chain(p.figures.iter().flat_map(|f| f.claims.iter()))
                    .map(move |c| (p, c))
            })
            .collect()
    }

    /// On every data set, every claim on every page is shown on its page
    /// and reads as its numbers say; on the adversarial one, every
    /// expectation the reference met is now reported as expected-vs-measured.
    #[test]
    fn every_claim_agrees_with_its_numbers_on_every_data_set() {
        let mut agreed_on_reference = std::collections::BTreeSet::new();
        for set in all() {
            let dir = tempfile::tempdir().unwrap();
            let (pages, _) = render(&set, dir.path());
            assert!(pages.len() > 10, "{}: only {} pages", set.name, pages.len());
            let found = claims(&pages);
            assert!(!found.is_empty(), "{}: no claims", set.name);
            for (page, claim) in &found {
                let sentence = claim.sentence();
                let body = text(&page.body);
                assert!(
                    body.contains(&text(&crate::report::html::escape(&sentence))),
                    "{} / {}: {sentence:?} is not on the page",
                    set.name,
                    page.file
                );
                if let Err(e) = claim.check(&sentence) {
                    panic!("{} / {}: {e}", set.name, page.file);
                }
            }
            match set.name {
                "reference" => agreed_on_reference.extend(
                    found
                        .iter()
                        .filter(|(_, c)| c.outcome() == Outcome::Agrees)
                        // Rankings reverse with the numbers; a bound
                        // (at most the cores) or a level need not.
                        .filter(|(_, c)| {
                            matches!(
                                c.expect,
                                crate::report::Expect::Ascending
                                    | crate::report::Expect::Descending
                            )
                        })
                        .map(|(p, c)| (p.file.clone(), c.expected.clone())),
                ),
                "adversarial" => {
                    for (page, claim) in &found {
                        let key = (page.file.clone(), claim.expected.clone());
                        if agreed_on_reference.contains(&key) {
                            assert_ne!(
                                claim.outcome(),
                                Outcome::Agrees,
                                "{}: reversed numbers still read as expected: {}",
                                page.file,
                                claim.sentence()
                            );
                            let s = claim.sentence();
                            assert!(s.starts_with("Expected") && s.contains("measured"), "{s}");
                        }
                    }
                }
                _ => {}
            }
        }
        assert!(!agreed_on_reference.is_empty());
    }

    /// `TVP_RENDER_TO=DIR cargo test --lib report::datasets -- --ignored`
    /// writes each data set's pages as text, one file per page, for reading
    /// (and for quoting a sentence before and after a change).
    #[test]
    #[ignore = "writes files for a reader"]
    fn render_for_reading() {
        let Some(to) = std::env::var_os("TVP_RENDER_TO") else {
            return;
        };
        for set in all() {
            let dir = Path::new(&to).join(set.name.replace(' ', "-"));
            std::fs::create_dir_all(&dir).unwrap();
            let (pages, notes) = render(&set, &dir);
            for p in &pages {
                std::fs::write(dir.join(format!("{}.txt", p.file)), text(&p.body)).unwrap();
            }
            std::fs::write(dir.join("notes.txt"), notes.join("\n")).unwrap();
        }
    }
}
