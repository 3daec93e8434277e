//! Lesson 1: one core, many tasks. Time slicing, and what more cores change.

use super::{CORES_BENCH, COSTS_BENCH, Example, Lesson, Wanted};

pub const LESSON: Lesson = Lesson {
    slug: "time-slicing",
    title: "One core, many tasks",
    question: "What happens when there are more busy threads than cores, and what do more \
               cores change?",
    idea: "<p>A core runs one thread at a time (a process runs as one or more threads). When more threads are ready to run than there \
           are cores, the kernel's scheduler gives each a slice of time in turn and switches \
           between them (a <em>context switch</em>). Every thread makes progress, none runs \
           faster: N busy threads sharing one core each need N times as long in wall time as \
           one alone, although each uses the same CPU time.</p>\n\
           <p>More cores let that many threads really run at the same moment. So there are two \
           knobs: <em>workers</em>, the threads or processes you start, and <em>cores</em>, the \
           CPUs the kernel lets them use. Past the core count, extra CPU-bound workers only \
           take turns.</p>",
    python: "\
import os
from multiprocessing import Pool

def spin(n):                        # pure CPU work
    while n:
        n -= 1

os.sched_setaffinity(0, {0})        # CPU 0 only; child processes inherit it
with Pool(3) as pool:               # 3 processes take turns on one core
    pool.map(spin, [10_000_000] * 3)",
    examples: &[Example {
        command: "cargo run --release --example time_slicing -- --cores 1",
        source: Some("time_slicing"),
        shows: "<p>Confines itself to one core with <code>sched_setaffinity</code> (threads \
                inherit it), then runs one thread alone and 2 &times; cores + 1 threads at \
                once, each printing its progress. Each thread reports its CPU time, its wall \
                time, and the share of the wall time it waited for a core. Without \
                <code>--cores 1</code> it uses every core it may.</p>",
        excerpt: "\
let cpus = confine(k); // before spawning: threads inherit the affinity
let cores = std::thread::available_parallelism().map_or(1, |n| n.get()); // sees the confinement
let threads = 2 * cores + 1;
// ...
let hs: Vec<_> = (0..threads)
    .map(|id| s.spawn(move || work(id, items, t0)))
    .collect();",
    }],
    predict: "<p>With <code>--cores 1</code> the example runs 3 threads that each need the \
              CPU time of the thread alone. How long does the batch take compared with the \
              thread alone, and what share of its wall time does each thread wait? In the core \
              sweep below the worker count stays fixed while the cores go from 1 up: what does \
              each added core do to the threads and process lines, and to the gil line?</p>",
    figures: &[
        Wanted {
            ids: &["cores/primes"],
            from: CORES_BENCH,
        },
        Wanted {
            ids: &["costs/context-switch"],
            from: COSTS_BENCH,
        },
    ],
    answer: "<p>On one core, 3 threads that each need the CPU time of one alone should take 3 \
             times as long together, each waiting two thirds of its wall time: the core is \
             shared, the work is not faster. The example prints the measured ratio and waits \
             next to that expectation (threads / cores); where they differ, switching or other \
             programs on the core took the difference.</p>\n\
             <p>In the core sweep, each added core should let one more worker run at the same \
             time, so the threads, rayon and process lines should fall (time) or climb \
             (speedup) until the cores run out, and the gil line should not move: its workers \
             take turns on one lock whatever the cores. The sentences under the chart say what \
             each line did here. The context-switch chart shows what one switch costs: as long \
             as that is small next to a time slice, taking turns wastes little; it just cannot \
             create CPU time.</p>",
    answer_from_figures: None,
    answer_claims: None,
    exercises: &[
        "Run the example with <code>--cores 1</code>, then without it. Compare the \
         \"waited for a core\" percentages and the final ratio with threads / cores.",
        "Confine a whole sweep to one core (threads and child processes inherit it) and \
         watch every backend's speedup vanish: <code>cargo run --release -- run --cores 1 -w \
         primes -b threads,process -n 1,2,4</code>.",
    ],
};
