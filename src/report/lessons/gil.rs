//! Lesson 2: the GIL. Why CPython threads do not speed up CPU-bound work,
//! and what Rust threads do instead.

use super::{Example, Lesson, PYTHON_BENCH, SCALING_BENCH, Wanted};

pub const LESSON: Lesson = Lesson {
    slug: "gil",
    title: "The GIL",
    question: "Why don't CPython threads speed up CPU-bound work, and what do Rust threads do \
               instead?",
    idea: "<p>CPython runs bytecode only in the thread that holds the Global Interpreter Lock. \
           Threads take turns: the holder is asked to let go every switch interval \
           (<code>sys.getswitchinterval()</code>, 5 ms by default), so N threads doing \
           pure-Python work run one at a time. They get no speedup, and handing the lock over \
           can make them slower than one thread. CPython releases the GIL around blocking IO \
           and inside many C extensions, so threads that wait still overlap (lesson 8). Python's \
           way out for CPU work is processes (lesson 3); the free-threaded build (3.13t) \
           removes the GIL.</p>\n\
           <p>Rust has no global lock: <code>std::thread</code> threads run on separate cores \
           at the same time. What the GIL protected, the compiler checks instead: data shared \
           between threads must be <code>Sync</code>, and mutating it needs a lock or an atomic \
           (lesson 7). The suite's <code>gil</code> backend models CPython's threads: each \
           worker must hold one global lock to compute and hands it over every few \
           milliseconds.</p>",
    python: "\
from concurrent.futures import ThreadPoolExecutor

def count_primes(lo, hi): ...               # pure Python: runs only while holding the GIL

chunks = [(i * N // 4, (i + 1) * N // 4) for i in range(4)]
with ThreadPoolExecutor(max_workers=4) as ex:
    total = sum(ex.map(count_primes, *zip(*chunks)))   # 4 threads, one at a time",
    examples: &[
        Example {
            command: "cargo run --release --example gil",
            source: Some("gil"),
            shows: "<p>A toy interpreter: threads run small CPU steps, but only while holding \
                    one global <code>parking_lot::Mutex</code>, handed to a waiting thread every \
                    5 ms as CPython does. Then the same threads without the lock. It prints the \
                    speedup of N threads over 1 both ways, and how often the lock changed \
                    hands.</p>",
            excerpt: "\
let mut guard = gil.lock();
// ...
if since.elapsed() >= SWITCH_INTERVAL {
    MutexGuard::bump(&mut guard); // hand over if someone waits, then re-take
// ...
return (lo..hi).map(step).fold(0, u64::wrapping_add); // free threading",
        },
        Example {
            command: "cargo run --release -- run -w primes -b threads,rayon,gil",
            source: None,
            shows: "<p>The same question on a real workload: <code>threads</code> (like \
                    <code>threading.Thread</code> without a GIL), <code>rayon</code> (a thread \
                    pool, like <code>ThreadPoolExecutor</code>) and <code>gil</code> (threads \
                    under one global lock), at 1, 2, 4, ... workers.</p>",
            excerpt: "",
        },
    ],
    predict: "<p>On this machine, with as many workers as cores, how much faster than one \
              worker do <code>threads</code> and <code>gil</code> count primes? Does adding \
              workers past the core count help either of them?</p>",
    figures: &[
        Wanted {
            ids: &["speedup/primes"],
            from: SCALING_BENCH,
        },
        Wanted {
            ids: &["python/primes"],
            from: PYTHON_BENCH,
        },
    ],
    answer: "<p>The <code>gil</code> line is expected to stay at sequential speed at every worker count (the sentences under the chart say whether it did here): \
             one lock, one thread computing at a time, whatever the cores. <code>threads</code> and \
             <code>rayon</code> should climb towards the ideal line until the workers reach the \
             core count, then flatten (lesson 1: extra workers only take turns). A gap between \
             them and the ideal line is time the workers did not spend computing together: \
             serial work and start-up, load imbalance (lesson 4's busy times measure it), or a \
             resource they share, such as memory. The Amdahl fit in the legend reads the whole \
             gap as serial work, so it is drawn only when three or more core counts were \
             measured (the sentences say when there were too few), and even then it cannot \
             tell those causes apart. In the Python chart (dashed lines), expect CPython's threads to \
             stay flat like the <code>gil</code> model and its process pools to climb like \
             Rust's threads; each line is against its own language's sequential time, so the \
             table on that page gives the absolute times.</p>",
    answer_from_figures: None,
    answer_claims: None,
    exercises: &[
        "IO-bound work releases the GIL. Run <code>cargo run --release -- run -w latency -b \
         threads,gil -n 1,4,16</code>: why does <code>gil</code> speed up here?",
        "Make the job small and rerun: <code>cargo run --release -- run -w primes -b \
         threads,rayon,gil -s 300000</code>. What happens to the speedup of \
         <code>threads</code> and <code>rayon</code>, and why?",
    ],
};
