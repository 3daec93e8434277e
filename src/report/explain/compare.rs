//! Sentences comparing this machine with another (`tvp report --compare`):
//! what differs between the two machines and why it matters, and how the
//! best speedups of a workload compare. Every sentence is computed from the
//! numbers it names, with the expected and the not-expected branch.

use super::words;

/// What a machine is, as plain numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    pub cpu: String,
    /// Hardware threads usable.
    pub logical: usize,
    /// Physical cores, when the OS said.
    pub physical: Option<usize>,
    pub memory_gib: f64,
}

impl Machine {
    /// Hardware threads per physical core, when both are known and SMT is on.
    fn smt(&self) -> Option<usize> {
        let p = self.physical.filter(|&p| p > 0)?;
        (self.logical > p).then(|| self.logical / p)
    }
}

fn gib(gib: f64) -> String {
    words::mebibytes(gib * 1024.0)
}

fn cores(n: usize) -> String {
    format!("{n} {}", if n == 1 { "core" } else { "cores" })
}

/// What differs between `this` machine and `other` (named `other_name`),
/// and why it moves the figures.
pub fn differences(this: &Machine, other: &Machine, other_name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (a, b) = (this.logical, other.logical);
    out.push(if a == b {
        format!(
            "Both machines have {}: their speedups at the core count compare directly, and \
             differences come from the CPUs or from how quiet each machine was.",
            cores(a)
        )
    } else {
        let (more, fewer) = if a > b {
            ("this machine", other_name)
        } else {
            (other_name, "this machine")
        };
        format!(
            "This machine has {}, {other_name} {}: a CPU-bound workload can reach at most \
             {}x on {more} and {}x on {fewer}, so where the work is large enough {more} \
             should show the higher speedup.",
            cores(a),
            cores(b),
            a.max(b),
            a.min(b)
        )
    });
    for (name, m) in [("This machine", this), (other_name, other)] {
        let name = words::capitalise(name);
        out.push(match (m.smt(), m.physical) {
            (Some(k), Some(p)) => format!(
                "{name} runs {k} hardware threads per core ({} logical on {} physical): past \
                 {} workers two threads share one core's units, so speedup grows more slowly \
                 than the worker count there.",
                m.logical,
                p,
                words::workers(p)
            ),
            (None, Some(p)) => format!(
                "{name} has one hardware thread per core ({p} physical, {} logical): every \
                 worker up to the core count gets a core of its own.",
                m.logical
            ),
            (_, None) => format!(
                "{name} did not say how many physical cores it has, so whether its {} logical \
                 ones share cores (SMT) is unknown.",
                m.logical
            ),
        });
    }
    out.push(if this.cpu == other.cpu {
        format!(
            "Both have the same CPU model ({}): one core should run the sequential code equally \
             fast on both.",
            this.cpu
        )
    } else {
        format!(
            "The CPUs differ ({} here, {} there): sequential times differ with each core's \
             speed, so compare speedups (ratios on one machine), not times.",
            this.cpu, other.cpu
        )
    });
    let (ma, mb) = (this.memory_gib, other.memory_gib);
    out.push(format!(
        "Memory: {} here, {} there{}",
        gib(ma),
        gib(mb),
        if ma.min(mb) * 2.0 < ma.max(mb) {
            "; the memory page's process counts are bounded by it, not the speedups."
        } else {
            ", close enough that it changes none of these figures."
        }
    ));
    out
}

/// One machine's best speedup on a workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Best {
    pub backend: String,
    pub speedup: f64,
    pub workers: usize,
    pub cores: usize,
}

/// How `workload`'s best speedup here compares with `other`'s.
pub fn speedups(workload: &str, this: &Best, other: &Best, other_name: &str) -> String {
    let said = format!(
        "On {workload}, this machine's best was {} ({} on {}) against {} ({} on {}) on \
         {other_name}",
        words::times(this.speedup),
        this.backend,
        cores(this.cores),
        words::times(other.speedup),
        other.backend,
        cores(other.cores)
    );
    let ratio = this.speedup / other.speedup;
    if this.cores == other.cores {
        format!(
            "{said}: with equal core counts that is {} of the other's, the part the CPUs and \
             the machines' load explain.",
            words::ratio2(ratio)
        )
    } else if (this.cores > other.cores) == (this.speedup > other.speedup) {
        format!("{said}: the machine with more cores went further, as expected.")
    } else {
        format!(
            "{said}: not what the core counts predict (the one with more cores should go \
             further). Either the work is too small to keep {} busy, or that machine was busy \
             while it measured.",
            cores(this.cores.max(other.cores))
        )
    }
}

/// Within this share either way, two runs' numbers count as the same.
pub const AGREE: f64 = 0.1;

/// One quantity both runs measured: what it is, its value here and there.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub label: String,
    pub here: f64,
    pub there: f64,
}

impl Pair {
    pub fn new(label: impl Into<String>, here: f64, there: f64) -> Self {
        Pair {
            label: label.into(),
            here,
            there,
        }
    }

    /// here / there, when both are positive.
    fn ratio(&self) -> Option<f64> {
        (self.here > 0.0 && self.there > 0.0 && self.here.is_finite() && self.there.is_finite())
            .then(|| self.here / self.there)
    }
}

/// How the runs were measured, where they differ: "quick mode here, full
/// there", "primes: 1,800,000 items here, 3,000,000 there". `None` when
/// nothing recorded differs (unknown counts as alike).
pub fn unlike(quick: (Option<bool>, Option<bool>), sizes: &[(String, u64, u64)]) -> Option<String> {
    let mode = |q: bool| if q { "quick mode" } else { "full mode" };
    let mut parts = Vec::new();
    if let (Some(a), Some(b)) = quick
        && a != b
    {
        parts.push(format!("{} here, {} there", mode(a), mode(b)));
    }
    for (what, a, b) in sizes.iter().filter(|(_, a, b)| a != b) {
        parts.push(format!(
            "{what} sized {} here, {} there",
            words::thousands(*a),
            words::thousands(*b)
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Whether the two runs compare like for like, from [`unlike`]'s label.
pub fn like_for_like(unlike: Option<&str>, other_name: &str) -> String {
    match unlike {
        None => format!(
            "This run and {other_name}'s were measured alike (the same mode and, where both \
             recorded them, the same problem sizes): their figures compare directly."
        ),
        Some(how) => format!(
            "This run and {other_name}'s were not measured alike ({how}): a figure compared \
             across them is labelled \"unlike runs\", and its differences say as much about the \
             settings as about the machines."
        ),
    }
}

/// The sentence under a figure drawn beside the other run's: which of the
/// `pairs` differs most between the runs and in which direction, or that
/// they agree within [`AGREE`]; `format` writes one value. `unlike` (from
/// [`unlike`]) labels a comparison across runs measured differently.
/// `None` when no pair has two positive values.
pub fn figure(
    title: &str,
    pairs: &[Pair],
    format: &dyn Fn(f64) -> String,
    other_name: &str,
    unlike: Option<&str>,
) -> Option<String> {
    let rated: Vec<(&Pair, f64)> = pairs.iter().filter_map(|p| Some((p, p.ratio()?))).collect();
    let &(most, r) = rated
        .iter()
        .max_by(|a, b| a.1.ln().abs().total_cmp(&b.1.ln().abs()))?;
    let higher = rated.iter().filter(|(_, r)| *r > 1.0).count();
    let label = unlike.map_or_else(String::new, |u| format!("Unlike runs ({u}): "));
    let said = format!(
        "{label}of the {} values of \"{title}\" both runs measured, {} differs most: {} here \
         against {} on {other_name}, {} of it",
        rated.len(),
        most.label,
        format(most.here),
        format(most.there),
        words::ratio2(r)
    );
    let said = words::capitalise(&said);
    Some(if r.ln().abs() <= (1.0 + AGREE).ln() {
        format!(
            "{said}: the two runs agree within {}.",
            words::percent(AGREE)
        )
    } else {
        format!(
            "{said} ({higher} higher here, {} lower): the runs differ by more than {}.",
            rated.len() - higher,
            words::percent(AGREE)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(logical: usize, physical: Option<usize>, cpu: &str, gib: f64) -> Machine {
        Machine {
            cpu: cpu.into(),
            logical,
            physical,
            memory_gib: gib,
        }
    }

    #[test]
    fn differences_name_cores_smt_cpu_and_memory_both_ways() {
        let small = machine(2, Some(2), "Xeon", 23.5);
        let big = machine(64, Some(32), "EPYC", 256.0);
        let text = differences(&small, &big, "the other machine").join(" ");
        assert!(text.contains("This machine has 2 cores, the other machine 64 cores"));
        assert!(text.contains("at most 64x on the other machine and 2x on this machine"));
        assert!(text.contains("The other machine runs 2 hardware threads per core"));
        assert!(text.contains("This machine has one hardware thread per core"));
        assert!(text.contains("The CPUs differ (Xeon here, EPYC there)"));
        assert!(text.contains("bounded by it"));
        let same = differences(&small, &small, "the other machine").join(" ");
        assert!(same.contains("Both machines have 2 cores"));
        assert!(same.contains("same CPU model (Xeon)"));
        assert!(same.contains("changes none"));
        assert!(
            same.contains("Memory: 24064 MiB here, 24064 MiB there"),
            "{same}"
        );
        let unknown = differences(&machine(4, None, "x", 1.0), &small, "it").join(" ");
        assert!(unknown.contains("is unknown"));
    }

    #[test]
    fn a_ratio_of_two_speedups_keeps_two_digits() {
        let best = |speedup| Best {
            backend: "rayon".into(),
            speedup,
            workers: 2,
            cores: 2,
        };
        let said = speedups("primes", &best(1.8), &best(1.9), "there");
        assert!(said.contains("0.95x of the other's"), "{said}");
    }

    #[test]
    fn a_figure_names_the_value_that_differs_most_both_ways() {
        let f = |v: f64| words::ns(v);
        let pairs = [
            Pair::new("threads", 20_000.0, 10_000.0),
            Pair::new("processes", 500_000.0, 600_000.0),
            Pair::new("missing there", 1.0, 0.0),
        ];
        let said = figure("Spawn", &pairs, &f, "the other machine", None).unwrap();
        assert!(
            said.contains(
                "threads differs most: 20.0 µs here against 10.0 µs on the other machine, 2.0x"
            ),
            "{said}"
        );
        assert!(said.starts_with("Of the 2 values of \"Spawn\""), "{said}");
        assert!(said.contains("(1 higher here, 1 lower)"), "{said}");
        let close = [Pair::new("a", 1.06, 1.0), Pair::new("b", 0.97, 1.0)];
        let said = figure(
            "Locks",
            &close,
            &f,
            "it",
            Some("quick mode here, full mode there"),
        )
        .unwrap();
        assert!(said.starts_with("Unlike runs (quick mode here"), "{said}");
        assert!(
            said.contains("agree within 10%") && said.contains("1.1x"),
            "{said}"
        );
        assert_eq!(
            figure("x", &[Pair::new("a", 0.0, 1.0)], &f, "it", None),
            None
        );
    }

    #[test]
    fn unlike_runs_are_named_and_alike_ones_say_so() {
        assert_eq!(
            unlike((Some(false), None), &[("primes".into(), 5, 5)]),
            None
        );
        let how = unlike(
            (Some(true), Some(false)),
            &[("primes".into(), 1_800_000, 3_000_000)],
        )
        .unwrap();
        assert_eq!(
            how,
            "quick mode here, full mode there; primes sized 1,800,000 here, 3,000,000 there"
        );
        assert!(like_for_like(Some(&how), "the other machine").contains("not measured alike"));
        assert!(like_for_like(None, "the other machine").contains("compare directly"));
    }

    #[test]
    fn speedups_say_when_more_cores_did_not_go_further() {
        let best = |speedup, cores| Best {
            backend: "rayon".into(),
            speedup,
            workers: cores,
            cores,
        };
        let expected = speedups("primes", &best(1.9, 2), &best(40.0, 64), "there");
        assert!(expected.contains("as expected"), "{expected}");
        assert!(
            expected.contains("1.9x") && expected.contains("40x"),
            "{expected}"
        );
        let not = speedups("primes", &best(1.9, 2), &best(1.5, 64), "there");
        assert!(not.contains("not what the core counts predict"), "{not}");
        let equal = speedups("primes", &best(1.8, 2), &best(1.8, 2), "there");
        assert!(equal.contains("equal core counts"), "{equal}");
    }
}
