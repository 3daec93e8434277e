//! Lesson 3: processes. Spawn cost, the pool, close vs terminate.

use super::{COSTS_BENCH, Example, Lesson, SCALING_BENCH, Wanted};

pub const LESSON: Lesson = Lesson {
    slug: "processes",
    title: "Processes",
    question: "What does starting a process cost, why does a pool pay it only once, and what is \
               the difference between close() and terminate()?",
    idea: "<p>A process has its own memory and its own interpreter: no shared GIL, and no \
           memory shared unless you ask for it, so real parallelism in Python. What processes \
           do share (a file, a pipe, a shared-memory block) they can still race on: lesson 4's \
           queue example shows writes that tear without a lock. The price: starting one takes far longer than starting \
           a thread (a new address space, loading the program), and every argument and result \
           crosses between processes as bytes (pickled, in Python; lesson 4).</p>\n\
           <p><code>multiprocessing.Process</code> per task pays the start every time. A \
           <code>Pool</code> starts its workers once and feeds them tasks; what remains per \
           task is a round trip. <code>close()</code> then <code>join()</code>: no new tasks, \
           the workers finish the queued ones and exit. <code>terminate()</code>: the workers \
           are killed now, and tasks in flight are lost. Leaving a <code>with Pool() as \
           pool:</code> block calls <code>terminate()</code>, so collect the results inside \
           it.</p>\n\
           <p>In Rust a child is a program, not a forked function: \
           <code>std::process::Command</code> starts one. The suite re-runs its own binary as \
           <code>tvp worker</code>, much as Python's <code>spawn</code> start method starts a \
           fresh interpreter. Its <code>process</code> backend spawns a child per chunk on \
           every run (spawn cost included); <code>pool</code> spawns its children before the \
           timing and feeds them over pipes.</p>",
    python: "\
from multiprocessing import Pool, Process

p = Process(target=work); p.start(); p.join(); print(p.exitcode)

pool = Pool(2)                            # 2 worker processes, started once
results = [pool.apply_async(square, (x,)) for x in range(6)]
pool.close(); pool.join()                 # no new tasks; the queued ones finish
# pool.terminate()                        # kill now: tasks in flight are lost",
    examples: &[
        Example {
            command: "cargo run --example process",
            source: Some("process"),
            shows: "<p>Starts its own executable as a child, waits for it and reads the exit \
                    code it chose; then kills a second child and shows that a killed process \
                    has a signal, not an exit code (Python's <code>exitcode == -9</code>).</p>",
            excerpt: "\
let mut c = Reaper(Command::new(&me).args([\"child\", \"3\"]).spawn()?);
let pid = c.0.id();
let status = c.0.wait()?; // p.join()",
        },
        Example {
            command: "cargo run --example pool",
            source: Some("pool"),
            shows: "<p>A pool of two worker processes fed tasks over their stdin. \
                    <code>close</code> drops each worker's stdin: the worker sees end of file, \
                    finishes its tasks and exits with 0. <code>terminate</code> kills the \
                    workers while they run 2-second tasks: it returns at once and no task \
                    finishes.</p>",
            excerpt: "\
/// `close()` + `join()`: drop every stdin (EOF), then wait for the workers to exit.
fn close(&mut self) -> std::io::Result<Vec<ExitStatus>> {
    self.workers.iter_mut().for_each(|w| drop(w.1.take()));
    self.join()
}
// ...
for w in &mut self.workers {
    let _ = w.0.kill(); // Ok(()) too if it already exited
}",
        },
    ],
    predict: "<p>How many thread starts fit in the time of one process start on this machine: \
              about 2, about 20, or hundreds? And in the primes run, which is further from \
              the threads line: <code>process</code>, which spawns a child per chunk on every \
              run, or <code>pool</code>, which spawned its children before the clock \
              started?</p>",
    figures: &[
        Wanted {
            ids: &["costs/spawn-threads"],
            from: COSTS_BENCH,
        },
        Wanted {
            ids: &["costs/spawn-processes"],
            from: COSTS_BENCH,
        },
        Wanted {
            ids: &["time/primes"],
            from: SCALING_BENCH,
        },
    ],
    answer: "<p>Compare the units: the thread chart is in microseconds, the process chart in \
             milliseconds; the sentences under the process chart give the ratio measured here. \
             In the primes times, <code>process</code> pays that start for every chunk of every \
             run, so it sits above <code>pool</code> by roughly the spawn cost (the children \
             start partly in parallel). <code>pool</code> pays a round trip per chunk, which is \
             small next to a job of this size, so it runs close to <code>threads</code>. The \
             shorter the job, the more the spawn cost weighs: that is why a pool is the default \
             tool for many small tasks.</p>",
    exercises: &[
        "In <code>examples/pool.rs</code>, replace <code>pool.close()?</code> in the first \
         half by <code>pool.terminate()?</code> and rerun <code>cargo run --example pool</code>. \
         How many of the 6 results arrive, and what are the exit statuses?",
        "Shrink the job until spawning dominates: <code>cargo run --release -- run -w primes \
         -b threads,process,pool -s 20000</code>. At what size does <code>process</code> \
         become slower than <code>sequential</code> at every worker count?",
    ],
};
