//! Sentences written from the core sweep's numbers: the "one core" panel
//! (time slicing) and the summary under each cores chart.
//!
//! Pure functions of the measured times, so the report and `tvp cores` say
//! the same thing and tests can pin the wording to the numbers.

use crate::report::explain::words;
pub use crate::sweep::cores::Line;

/// Within this fraction, two times count as "the same".
const SAME: f64 = 0.10;

/// On one core, `line`'s workers against one worker (`sequential_secs`, the
/// sequential backend on one core): time slicing adds no speed.
pub fn time_slicing(line: &Line, sequential_secs: f64) -> Option<String> {
    let secs = line.at(1)?;
    if line.backend == "sequential" || sequential_secs <= 0.0 {
        return None;
    }
    let ratio = secs / sequential_secs;
    let start = format!(
        "on 1 core, {} ({}) took {ratio:.2}x the time of 1 worker",
        words::workers_of(&line.backend, line.workers),
        line.backend
    );
    Some(if (ratio - 1.0).abs() <= SAME {
        format!("{start}: time slicing shares one core, it adds no speed.")
    } else if ratio > 1.0 {
        format!(
            "{start}: time slicing adds no speed, and starting, switching and handing work \
             between them cost {:.0}% more.",
            100.0 * (ratio - 1.0)
        )
    } else {
        format!(
            "{start}: less than one worker on the same core, which CPU work alone cannot do; \
             suspect noise, or waits inside the workload that the turns overlapped."
        )
    })
}

/// `line` on one core against the most cores measured: how much the extra
/// cores gave the same workers.
pub fn one_core_vs_most(line: &Line) -> Option<String> {
    let one = line.at(1)?;
    let (n, most) = line.most()?;
    if n <= 1 || most <= 0.0 {
        return None;
    }
    let ratio = one / most;
    let ideal = line.ideal(n);
    let start = format!(
        "with 1 core, {} ({}) took {ratio:.2}x as long as on {n} cores (at most {ideal}x)",
        words::workers_of(&line.backend, line.workers),
        line.backend
    );
    let why = if ideal <= 1 {
        "one worker runs on one core at a time, so more cores cannot help"
    } else if ratio >= (1.0 - 1.5 * SAME) * ideal as f64 {
        "the same workers took turns on one core instead of running side by side"
    } else if ratio < 1.0 - SAME && line.backend == "gil" {
        "slower with more cores: the threads still take turns on one lock, and handing it \
         between cores can cost more than taking turns on one (or other programs were busy)"
    } else if ratio < 1.0 - SAME {
        "slower with more cores, which only other programs busy on those cores (or noise) \
         explains: measure again on a quiet machine"
    } else if ratio <= 1.0 + SAME {
        if line.backend == "gil" {
            "the extra cores sat idle: one global lock lets one thread compute at a time, \
             as CPython's GIL does"
        } else {
            "the extra cores did not help: one worker ran at a time, or the job is too short \
             for more cores to pay for the overhead"
        }
    } else {
        "more cores helped, short of ideal: uneven chunks, start-up or switching left cores \
         idle part of the time"
    };
    Some(format!("{start}: {why}."))
}

/// The "one core" panel: for each backend, time slicing on one core against
/// one worker, then one core against the most cores.
pub fn one_core_panel(lines: &[Line]) -> Vec<String> {
    let sequential = lines
        .iter()
        .find(|l| l.backend == "sequential")
        .and_then(|l| l.at(1));
    let mut sentences = Vec::new();
    for line in lines.iter().filter(|l| l.backend != "sequential") {
        if let Some(seq) = sequential
            && let Some(s) = time_slicing(line, seq)
        {
            sentences.push(words::capitalise(&s));
        }
        if let Some(s) = one_core_vs_most(line) {
            sentences.push(words::capitalise(&s));
        }
    }
    sentences
}

/// Two or three sentences under a cores chart: the fastest backend at the
/// most cores and its speedup from one core, and what gil did.
pub fn chart_summary(lines: &[Line]) -> Vec<String> {
    let Some(n) = lines.iter().filter_map(|l| l.most()).map(|(c, _)| c).max() else {
        return Vec::new();
    };
    let mut sentences = Vec::new();
    if n <= 1 {
        sentences.push(
            "Only 1 core was measured, so there is no scaling to show: give the run more \
             cores (a machine with more, or lift what confined it: TVP_CORES, taskset, a \
             container's CPU limit)."
                .to_string(),
        );
        return sentences;
    }
    let best = lines
        .iter()
        .filter_map(|l| Some((l, l.at(n)?)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((line, _)) = best
        && let Some(s) = line.speedup(n)
    {
        let ideal = line.ideal(n);
        sentences.push(format!(
            "At {n} cores {} was fastest, {s:.2}x its own 1-core time (ideal {ideal}x, \
             efficiency {:.0}%).",
            line.backend,
            100.0 * s / ideal as f64
        ));
    }
    let worst = lines
        .iter()
        .filter(|l| l.backend != "sequential" && l.workers > 1)
        .filter_map(|l| Some((l, l.speedup(n)?)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((line, s)) = worst
        && best.is_some_and(|(b, _)| b.backend != line.backend)
    {
        let what = if s <= 1.0 + SAME {
            "more cores gave it nothing"
        } else {
            "the least gain of any backend with more than one worker"
        };
        sentences.push(format!(
            "The {} backend ran {s:.2}x as fast on {n} cores as on 1: {what}.",
            line.backend
        ));
    }
    if let Some(w) = lines.iter().map(|l| l.workers).max() {
        sentences.push(format!(
            "The ideal line is min(cores, workers): {w} workers keep at most {w} cores busy, \
             and 1 worker (sequential) keeps one."
        ));
    }
    sentences
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(backend: &str, workers: usize, points: &[(usize, f64)]) -> Line {
        Line {
            backend: backend.into(),
            workers,
            points: points.to_vec(),
        }
    }

    #[test]
    fn nouns_follow_the_backend() {
        assert_eq!(words::workers_of("threads", 4), "4 threads");
        assert_eq!(words::workers_of("gil", 1), "1 thread");
        assert_eq!(words::workers_of("pool", 2), "2 processes");
        assert_eq!(words::workers_of("sequential", 1), "1 worker");
    }

    #[test]
    fn time_slicing_adds_no_speed() {
        let s = time_slicing(&line("threads", 2, &[(1, 1.02)]), 1.0).unwrap();
        assert_eq!(
            s,
            "on 1 core, 2 threads (threads) took 1.02x the time of 1 worker: \
             time slicing shares one core, it adds no speed."
        );
        let s = time_slicing(&line("process", 4, &[(1, 1.3)]), 1.0).unwrap();
        assert!(s.contains("1.30x") && s.contains("cost 30% more"), "{s}");
        let s = time_slicing(&line("pool", 4, &[(1, 0.5)]), 1.0).unwrap();
        assert!(s.contains("0.50x") && s.contains("cannot do"), "{s}");
        assert!(time_slicing(&line("sequential", 1, &[(1, 1.0)]), 1.0).is_none());
        assert!(time_slicing(&line("threads", 4, &[(2, 1.0)]), 1.0).is_none());
    }

    #[test]
    fn one_core_against_all_cores() {
        let s = one_core_vs_most(&line("threads", 8, &[(1, 3.9), (2, 2.0), (4, 1.0)])).unwrap();
        assert_eq!(
            s,
            "with 1 core, 8 threads (threads) took 3.90x as long as on 4 cores (at most 4x): \
             the same workers took turns on one core instead of running side by side."
        );
        let s = one_core_vs_most(&line("gil", 4, &[(1, 1.0), (2, 1.01)])).unwrap();
        assert!(s.contains("0.99x") && s.contains("GIL"), "{s}");
        let s = one_core_vs_most(&line("threads", 4, &[(1, 1.0), (2, 0.99)])).unwrap();
        assert!(s.contains("one worker ran at a time"), "{s}");
        let s = one_core_vs_most(&line("process", 4, &[(1, 1.5), (2, 1.0)])).unwrap();
        assert!(s.contains("1.50x") && s.contains("short of ideal"), "{s}");
        let s = one_core_vs_most(&line("threads", 2, &[(1, 0.8), (2, 1.0)])).unwrap();
        assert!(s.contains("0.80x") && s.contains("quiet machine"), "{s}");
        let s = one_core_vs_most(&line("gil", 2, &[(1, 0.8), (2, 1.0)])).unwrap();
        assert!(s.contains("one lock") && s.contains("between cores"), "{s}");
        let s = one_core_vs_most(&line("sequential", 1, &[(1, 1.0), (2, 1.0)])).unwrap();
        assert!(s.contains("at most 1x") && s.contains("cannot help"), "{s}");
        assert!(one_core_vs_most(&line("threads", 4, &[(1, 1.0)])).is_none());
    }

    #[test]
    fn the_ideal_is_capped_by_the_workers() {
        let l = line("threads", 2, &[(1, 2.0), (4, 1.0)]);
        assert_eq!(l.ideal(4), 2);
        assert_eq!(l.speedup(4), Some(2.0));
    }

    #[test]
    fn panel_covers_every_parallel_backend() {
        let lines = [
            line("sequential", 1, &[(1, 1.0), (2, 1.0)]),
            line("threads", 4, &[(1, 1.0), (2, 0.5)]),
            line("gil", 4, &[(1, 1.05), (2, 1.05)]),
        ];
        let panel = one_core_panel(&lines);
        assert_eq!(panel.len(), 4, "{panel:#?}");
        assert!(panel[0].starts_with("On 1 core, 4 threads (threads) took 1.00x"));
        assert!(panel[1].starts_with("With 1 core, 4 threads (threads) took 2.00x"));
        assert!(panel[3].contains("GIL"), "{}", panel[3]);
        assert!(panel.iter().all(|s| !s.contains("sequential)")));
    }

    #[test]
    fn chart_summary_names_the_best_and_the_flattest() {
        let lines = [
            line("sequential", 1, &[(1, 1.0), (2, 1.0)]),
            line("threads", 4, &[(1, 1.0), (2, 0.52)]),
            line("gil", 4, &[(1, 1.05), (2, 1.04)]),
        ];
        let s = chart_summary(&lines);
        assert!(
            s[0].starts_with("At 2 cores threads was fastest, 1.92x"),
            "{s:?}"
        );
        assert!(s[0].contains("efficiency 96%"), "{s:?}");
        assert!(
            s[1].starts_with("The gil backend ran 1.01x as fast on 2 cores as on 1")
                && s[1].contains("nothing"),
            "{s:?}"
        );
        assert!(s[2].contains("4 workers keep at most 4 cores"), "{s:?}");
        let one = chart_summary(&[line("threads", 2, &[(1, 1.0)])]);
        assert!(one[0].contains("Only 1 core"), "{one:?}");
        // A mask set by taskset confines a run as TVP_CORES does: the
        // sentence names both, not TVP_CORES alone.
        assert!(
            one[0].contains("taskset") && one[0].contains("TVP_CORES"),
            "{one:?}"
        );
        assert!(chart_summary(&[]).is_empty());
    }
}
