//! The report tests' fixture (a tiny real criterion run) and the link
//! checker that every generated page must pass.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use tvp::report::Options;

/// The cells of the fixture: (backend, workers, work per iteration).
pub const CELLS: &[(&str, usize, u64)] = &[
    ("sequential", 1, 4000),
    ("threads", 1, 4100),
    ("threads", 2, 2100),
    ("threads", 4, 2050),
    ("gil", 2, 4000),
];

fn spin(n: u64) -> u64 {
    (0..n).fold(0u64, |a, i| {
        std::hint::black_box(a.wrapping_mul(31).wrapping_add(i))
    })
}

/// A tiny real criterion run into `dir`, shaped like the scaling bench's:
/// group `primes`, ids `backend/workers`.
pub fn criterion_run(dir: &Path) {
    criterion_group(dir, "primes", CELLS);
}

/// A tiny real criterion run of `cells` into `dir`, in group `group`.
pub fn criterion_group(dir: &Path, group: &str, cells: &[(&str, usize, u64)]) {
    let mut c = Criterion::default()
        .output_directory(dir)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(5))
        .measurement_time(Duration::from_millis(30))
        .nresamples(1000)
        .without_plots();
    let mut group = c.benchmark_group(group);
    for &(backend, workers, work) in cells {
        group.bench_function(BenchmarkId::new(backend, workers), |b| {
            b.iter(|| spin(work))
        });
    }
    group.finish();
}

pub fn options(criterion_dir: &Path, out: &Path) -> Options {
    Options {
        criterion_dir: criterion_dir.to_path_buf(),
        out_dir: out.to_path_buf(),
        data_dir: out.join(tvp::report::DATA_DIR),
        portable: false,
        compare: None,
    }
}

/// One attribute value in a page, with the tag it sits on.
#[derive(Debug)]
struct Reference {
    tag: String,
    attr: String,
    value: String,
}

/// Every `src`, `href` and `data` attribute of every tag in `html`, and
/// every CSS `url(...)`. Good enough for the pages `tvp report` writes
/// (attribute values are quoted and escaped).
fn references(html: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    for tag in html.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or_default();
        let name = tag
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_lowercase();
        for attr in ["src", "href", "data", "xlink:href"] {
            for part in tag.split(&format!(" {attr}=\"")).skip(1) {
                out.push(Reference {
                    tag: name.clone(),
                    attr: attr.into(),
                    value: unescape(part.split('"').next().unwrap_or_default()),
                });
            }
        }
    }
    for part in html.split("url(").skip(1) {
        let value = part.split(')').next().unwrap_or_default();
        out.push(Reference {
            tag: "style".into(),
            attr: "url".into(),
            value: value.trim_matches(['"', '\'']).to_string(),
        });
    }
    out
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn is_remote(value: &str) -> bool {
    let v = value.to_lowercase();
    v.starts_with("http://") || v.starts_with("https://") || v.starts_with("//")
}

/// Checks every `.html` page directly in `dir`: each image, object, stylesheet
/// or script is a local file that exists (an SVG must be one and load
/// nothing itself), each local link resolves, anchors included, and nothing
/// is loaded from the network. Returns one line per problem.
pub fn check_report(dir: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let pages = html_pages(dir);
    if pages.is_empty() {
        problems.push(format!("no .html page in {}", dir.display()));
    }
    for page in &pages {
        let html = std::fs::read_to_string(page).unwrap();
        let name = page.file_name().unwrap().to_string_lossy();
        if !html.contains("<h1>") {
            problems.push(format!("{name}: no <h1> heading"));
        }
        for r in references(&html) {
            problems.extend(check_reference(page, &html, &r).map(|p| format!("{name}: {p}")));
        }
    }
    problems
}

/// The `.html` files directly in `dir`, sorted.
pub fn html_pages(dir: &Path) -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    pages.retain(|p| p.extension().is_some_and(|e| e == "html"));
    pages.sort();
    pages
}

fn check_reference(page: &Path, html: &str, r: &Reference) -> Option<String> {
    // A link the reader follows may leave the machine; a resource the page
    // loads may not.
    let is_link = r.tag == "a" && r.attr == "href";
    if is_remote(&r.value) {
        return (!is_link).then(|| {
            format!(
                "<{} {}> loads {} from the network: the page must work offline",
                r.tag, r.attr, r.value
            )
        });
    }
    if r.value.starts_with("data:") || r.value.starts_with("mailto:") {
        return None;
    }
    let (path, fragment) = match r.value.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (r.value.as_str(), None),
    };
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() {
        let f = fragment?;
        return (!f.is_empty() && !has_id(html, f)).then(|| format!("no element id=\"{f}\""));
    }
    let target = page.parent().unwrap().join(path);
    if !target.is_file() {
        return Some(format!(
            "<{} {}=\"{}\"> points to a missing file",
            r.tag, r.attr, r.value
        ));
    }
    if let Some(f) = fragment.filter(|f| !f.is_empty()) {
        let text = std::fs::read_to_string(&target).unwrap_or_default();
        if !has_id(&text, f) {
            return Some(format!("{path} has no element id=\"{f}\" for {}", r.value));
        }
    }
    if path.ends_with(".svg") {
        let svg = std::fs::read_to_string(&target).unwrap_or_default();
        if !svg.trim_start().starts_with("<svg") && !svg.trim_start().starts_with("<?xml") {
            return Some(format!("{path} is not an SVG"));
        }
        if let Some(bad) = references(&svg).into_iter().find(|s| is_remote(&s.value)) {
            return Some(format!("{path} loads {} from the network", bad.value));
        }
    }
    None
}

fn has_id(html: &str, id: &str) -> bool {
    html.contains(&format!("id=\"{id}\""))
}
