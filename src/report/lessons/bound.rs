//! Lesson 8: CPU-bound vs IO-bound vs memory-bound, three ways for scaling
//! to stop.

use super::{Example, IO_BENCH, Lesson, SCALING_BENCH, Wanted, point_at};
use crate::report::ReportInput;
use crate::report::claim::{Claim, Expect, Unit, Value};
use crate::report::explain::words;

/// The waiting workload and its figure.
const WAITING: &str = "io/latency";

/// From the figure `io/latency`: whether `threads` kept gaining past the
/// cores, and whether `gil` gained at all, on a workload that only waits.
fn answer_claims(input: &ReportInput) -> Vec<Claim> {
    let Some(figure) = input.figure(WAITING) else {
        return Vec::new();
    };
    let xs = |label: &str| -> Vec<f64> {
        figure
            .line(label)
            .map(|l| l.points.iter().map(|p| p.x).collect())
            .unwrap_or_default()
    };
    let threads = xs("threads");
    let at_cores = threads
        .iter()
        .copied()
        .filter(|x| *x <= input.cores as f64)
        .reduce(f64::max);
    let gil = xs("gil");
    [
        rise(
            input,
            "threads",
            at_cores.zip(threads.iter().copied().reduce(f64::max)),
            "threads keep gaining on latency past the cores",
            "waiting needs no core, so each added worker overlaps one more wait",
            "the cost of starting and joining the extra threads, which grows with them",
        ),
        rise(
            input,
            "gil",
            gil.iter()
                .copied()
                .reduce(f64::min)
                .zip(gil.iter().copied().reduce(f64::max)),
            "gil gains on latency as workers are added",
            "the global lock is released while a worker waits, as CPython releases the GIL",
            "handing the lock over between every short wait, which costs more the more \
             workers queue for it",
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// That line `label` of `io/latency` rises from the first worker count of
/// `span` to the second, if both were measured and differ.
fn rise(
    input: &ReportInput,
    label: &str,
    span: Option<(f64, f64)>,
    expected: &str,
    because: &str,
    reason: &str,
) -> Option<Claim> {
    let (from, to) = span.filter(|(from, to)| to > from)?;
    let value = |x: f64| {
        let y = point_at(input, WAITING, label, x)?;
        let at = format!("{label} at {}", words::workers(x as usize));
        Some(Value::new(at, y, Unit::Speedup))
    };
    Some(
        Claim::new(expected, Expect::Ascending, vec![value(from)?, value(to)?])
            .because(because)
            .reason(Some(reason.into())),
    )
}

pub const LESSON: Lesson = Lesson {
    slug: "bound",
    title: "CPU-bound, memory-bound, IO-bound",
    question: "Why does scaling stop at different worker counts for different work?",
    idea: "<p>Adding workers helps until something they all need runs out. <em>Which</em> thing \
           runs out tells you what the work is bound by:</p>\n\
           <ul>\n\
           <li><strong>CPU-bound</strong> (<code>primes</code>): the cores. Speedup climbs \
           until the workers reach the core count, then flattens (lesson 1). Use threads in \
           Rust, processes in CPython (lesson 2). Within a core, its execution units can run \
           out too: a hyperthread sibling busy with other work (on a virtual machine, maybe \
           another guest's) takes some, which slows code of many independent operations and \
           hardly a chain of dependent ones.</li>\n\
           <li><strong>Memory-bound</strong> (<code>stream</code>): the path between memory \
           and the cores, shared by all of them. Once it is saturated, more workers stop \
           helping, possibly before the cores run out. Large caches can hide this on a machine \
           with few cores: the sentences say what happened here.</li>\n\
           <li><strong>IO-bound</strong> (<code>latency</code>: each item waits, like a call to \
           a remote service): waiting needs no core, so waits overlap far past the core count, \
           even under the GIL, which CPython releases while waiting. It stops at what the \
           device, the server or the memory per worker allows: a thread costs a stack, a \
           process a whole address space.</li>\n\
           </ul>",
    python: "\
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

with ThreadPoolExecutor(max_workers=64) as ex:      # IO-bound: threads overlap the waits
    pages = list(ex.map(fetch, urls))

with ProcessPoolExecutor() as ex:                   # CPU-bound: one process per core
    counts = list(ex.map(count_primes, chunks))

# memory-bound (e.g. numpy over large arrays): past the memory bandwidth, no pool helps",
    examples: &[
        Example {
            command: "cargo run --release -- run -w primes,stream -b threads,rayon",
            source: None,
            shows: "<p>The CPU-bound and the memory-bound workload on the same threads, at 1, \
                    2, 4, ... workers up to twice the cores.</p>",
            excerpt: "",
        },
        Example {
            command: "cargo run --release -- run -w latency -b threads,gil,process,pool",
            source: None,
            shows: "<p>The IO-bound workload, at 1 to 64 workers whatever the core count, with \
                    each cell's peak memory and the memory each worker adds.</p>",
            excerpt: "",
        },
    ],
    predict: "<p>At the largest worker count measured, rank <code>primes</code>, \
              <code>stream</code> and <code>latency</code> by speedup. Which of them keeps \
              gaining past this machine's core count, and does the <code>gil</code> backend \
              gain on any of them?</p>",
    figures: &[
        Wanted {
            ids: &["speedup/primes"],
            from: SCALING_BENCH,
        },
        Wanted {
            ids: &["speedup/stream"],
            from: SCALING_BENCH,
        },
        Wanted {
            ids: &["io/latency"],
            from: IO_BENCH,
        },
        Wanted {
            ids: &["memory/latency"],
            from: IO_BENCH,
        },
    ],
    answer: "<p>Expect <code>latency</code> to gain far past the cores, and <code>gil</code> \
             with it: nobody computes while waiting (the sentences above say whether it did \
             here). <code>primes</code> should flatten at the core count. <code>stream</code> \
             flattens where the memory path saturates, which on a machine with few cores and a \
             large cache can be no earlier than the cores; if it does saturate first, its \
             efficiency falls before primes' does. On <code>latency</code>, the \
             <code>process</code> backend should fall behind as workers grow: it spawns a \
             child per chunk every run, and the memory chart shows what each extra process \
             costs next to a thread. The sentences under each chart say which of these held \
             on this machine.</p>",
    answer_from_figures: None,
    answer_claims: Some(answer_claims),
    exercises: &[
        "Push the IO sweep further: <code>cargo run --release -- run -w latency -b threads -s \
         512 -n 1,16,64,256</code>. Where does it stop gaining, and what do the \
         memory columns say?",
        "Waiting for the disk is IO too: run <code>cargo run --release -- run -w \
         files,files_fsync -b threads,gil</code>. Which of the two overlaps, and why?",
    ],
};

#[cfg(test)]
mod tests {
    use super::super::tests::line_figure;
    use super::*;

    fn input(threads: [f64; 3], gil: [f64; 3]) -> ReportInput {
        let xs = [1.0, 2.0, 16.0];
        let figure = line_figure(WAITING, &xs, &[("threads", &threads), ("gil", &gil)]);
        let mut input = ReportInput::made_up(Vec::new(), Vec::new());
        input.figures = vec![figure];
        input
    }

    #[test]
    fn waits_overlapping_past_the_cores_is_said_as_measured() {
        let claims = answer_claims(&input([1.0, 2.0, 15.0], [1.0, 1.9, 14.0]));
        let text: Vec<String> = claims.iter().map(Claim::sentence).collect();
        assert!(
            text[0].starts_with("As expected, threads keep gaining"),
            "{text:?}"
        );
        assert!(text[0].contains("threads at 16 workers 15.00x"), "{text:?}");
        assert!(text[1].starts_with("As expected, gil gains"), "{text:?}");
        let claims = answer_claims(&input([1.0, 2.0, 1.5], [1.0, 0.9, 0.8]));
        for c in &claims {
            let s = c.sentence();
            assert!(s.starts_with("Expected") && s.contains("measured"), "{s}");
            c.check(&s).unwrap();
        }
        assert_eq!(claims.len(), 2);
    }
}
