//! No lesson types a measured comparison: a digit next to a unit in the
//! same line as a comparing word is a number that must come from data (a
//! `report::Claim` or an `explain/` function), not from the source.

use std::path::Path;

/// A number with a unit a measurement has: "1.9x", "70 µs", "103%".
fn has_measured_number(line: &str) -> bool {
    let bytes: Vec<char> = line.chars().collect();
    for (i, c) in bytes.iter().enumerate() {
        if !c.is_ascii_digit() {
            continue;
        }
        let rest: String = bytes[i + 1..].iter().collect();
        let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
        let unit = rest.trim_start();
        if rest.starts_with('x') && !rest[1..].starts_with(|c: char| c.is_alphanumeric())
            || rest.starts_with('%')
            || ["µs", "ms ", "ns ", "GB/s", "MB/s"]
                .iter()
                .any(|u| unit.starts_with(u))
        {
            return true;
        }
    }
    false
}

const COMPARING: &[&str] = &[
    "faster",
    "slower",
    " than ",
    "best",
    "worst",
    "holds up",
    "by roughly",
    "about ",
    "took ",
];

#[test]
fn lessons_type_no_measured_comparison() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/report/lessons");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        // The tests below `#[cfg(test)]` quote made-up numbers on purpose.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (n, line) in code.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("//") {
                continue;
            }
            let lower = line.to_lowercase();
            if has_measured_number(line) && COMPARING.iter().any(|w| lower.contains(w)) {
                found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "typed comparisons:\n{}", found.join("\n"));
}

#[test]
fn the_detector_sees_typed_numbers() {
    assert!(has_measured_number("about 50-100x slower"));
    assert!(has_measured_number("took 70 µs"));
    assert!(has_measured_number("103% efficiency"));
    assert!(!has_measured_number("lesson 5's queue"));
    assert!(!has_measured_number("0x10 is hex"));
}
