//! The whole `cargo bench` at a glance: which bench targets run, in which
//! order (cargo runs them by name), and how long each took on the 2-core
//! reference VM, so that every bench can say where the run stands and how
//! much is left. The times are measurements (see [`REFERENCE`]), used only
//! for these progress lines, never in the report.

use std::time::Duration;

/// The machine and run the times in [`BENCHES`] come from.
pub const REFERENCE: &str = "the 2-core reference VM (reports/reference/README.md)";

/// Every bench target of a plain `cargo bench`, in the order cargo runs
/// them, with its full-mode wall time on [`REFERENCE`] in seconds,
/// measured on 2026-11-29 one bench at a time (`cargo bench --bench NAME`,
/// build done) after the cuts of that night: balance in powers of four,
/// python's Rust side at the scaling sizes, io's tcp at 1,000 requests.
pub const BENCHES: &[(&str, u64)] = &[
    ("balance", 26),
    ("cores", 33),
    ("costs", 60),
    ("io", 58),
    ("python", 85),
    ("scaling", 90),
    ("waits", 39),
];

/// The line a bench prints when it starts, in full mode: its place in the
/// whole run and the time left after it; the first bench also lists the
/// whole plan. `None` for a bench not in [`BENCHES`].
pub fn announce(bench: &str) -> Option<String> {
    let at = BENCHES.iter().position(|(name, _)| *name == bench)?;
    let secs = |list: &[(&str, u64)]| Duration::from_secs(list.iter().map(|(_, s)| s).sum());
    let this = Duration::from_secs(BENCHES[at].1);
    let after = secs(&BENCHES[at + 1..]);
    let mut line = format!(
        "[bench {} of {}] {bench}: about {} on {REFERENCE}",
        at + 1,
        BENCHES.len(),
        minutes(this)
    );
    if at + 1 < BENCHES.len() {
        line.push_str(&format!(
            "; in a whole `cargo bench`, {} more after it",
            minutes(after)
        ));
    }
    if at == 0 {
        let plan: Vec<String> = BENCHES
            .iter()
            .map(|(name, s)| format!("{name} {}", minutes(Duration::from_secs(*s))))
            .collect();
        line.push_str(&format!(
            "\n`cargo bench` runs {} benches, about {} in all plus the build: {}. \
             `cargo bench --bench NAME` runs one; `-- --quick` takes about a minute.",
            BENCHES.len(),
            minutes(secs(BENCHES)),
            plan.join(", ")
        ));
    }
    Some(line)
}

/// Prints [`announce`]'s line for `bench` on stderr when it measures in
/// full mode (`--bench` without quick mode).
pub fn print_announcement(bench: &str) {
    let args: Vec<String> = std::env::args().collect();
    let measuring = args.iter().any(|a| a == "--bench");
    if measuring && !super::quick_requested(args) {
        if let Some(line) = announce(bench) {
            eprintln!("{line}");
        }
    }
}

/// "45 s", "2 min 40 s".
fn minutes(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 60, s % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_benches_are_in_cargos_order_and_each_has_a_target() {
        let names: Vec<&str> = BENCHES.iter().map(|(n, _)| *n).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "cargo runs bench targets by name");
        let manifest =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
        for name in names {
            assert!(
                manifest.contains(&format!("name = \"{name}\"")),
                "{name} is not a bench target"
            );
        }
    }

    #[test]
    fn the_first_bench_lists_the_plan_and_the_last_has_nothing_after_it() {
        let first = announce(BENCHES[0].0).unwrap();
        assert!(first.starts_with("[bench 1 of "), "{first}");
        for (name, _) in BENCHES {
            assert!(first.contains(name), "{first}");
        }
        let last = announce(BENCHES[BENCHES.len() - 1].0).unwrap();
        assert!(
            !last.contains("more after it") && !last.contains('\n'),
            "{last}"
        );
        assert_eq!(announce("mpi"), None);
        assert_eq!(minutes(Duration::from_secs(160)), "2 min 40 s");
        assert_eq!(minutes(Duration::from_secs(45)), "45 s");
    }
}
