//! Lesson 8: CPU-bound vs IO-bound vs memory-bound, three ways for scaling
//! to stop.

use super::{Example, IO_BENCH, Lesson, SCALING_BENCH, Wanted};

pub const LESSON: Lesson = Lesson {
    slug: "bound",
    title: "CPU-bound, memory-bound, IO-bound",
    question: "Why does scaling stop at different worker counts for different work?",
    idea: "<p>Adding workers helps until something they all need runs out. <em>Which</em> thing \
           runs out tells you what the work is bound by:</p>\n\
           <ul>\n\
           <li><strong>CPU-bound</strong> (<code>primes</code>): the cores. Speedup climbs \
           until the workers reach the core count, then flattens (lesson 1). Use threads in \
           Rust, processes in CPython (lesson 2).</li>\n\
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
    answer: "<p><code>latency</code> gains far past the cores, and <code>gil</code> gains with \
             it: nobody computes while waiting. <code>primes</code> flattens at the core count. \
             <code>stream</code> flattens where the memory path saturates, which on a machine \
             with few cores and a large cache can be no earlier than the cores; its \
             efficiency falls first. On <code>latency</code>, the <code>process</code> \
             backend falls behind as workers grow: it spawns a child per chunk every run, and \
             the memory chart shows what each extra process costs next to a thread.</p>",
    answer_from_figures: None,
    exercises: &[
        "Push the IO sweep further: <code>cargo run --release -- run -w latency -b threads -s \
         512 -n 1,16,64,256</code>. Where does it stop gaining, and what do the \
         memory columns say?",
        "Waiting for the disk is IO too: run <code>cargo run --release -- run -w \
         files,files_fsync -b threads,gil</code>. Which of the two overlaps, and why?",
    ],
};
