//! Lesson 3: processes. Spawn cost, the pool, close vs terminate.
//!
//! Why `process` sits above `pool` is computed from the figures
//! ([`answer_from_figures`]): the gap from the scaling page's times, the
//! spawn cost from the costs page, and the wait for the slowest worker from
//! the balance page's busy times, with the branch for a machine where the
//! spawn cost weighs more.

use super::{
    BALANCE_BENCH, COSTS_BENCH, Example, Lesson, SCALING_BENCH, Wanted, bar, missing_figures,
    point_at,
};
use crate::backends::TASKS_PER_WORKER;
use crate::costs::spawn::COMMAND_WORKER;
use crate::report::ReportInput;
use crate::report::explain::balance::{ProcessVsPool, process_vs_pool};
use crate::report::pages::balance::waiting_label;

/// The workload the lesson compares `process` and `pool` on.
const WORKLOAD: &str = "primes";

/// Why `process` is slower than `pool` on primes, from the figures
/// `time/primes`, `costs/spawn-processes` and `busy/primes`.
fn answer_from_figures(input: &ReportInput) -> Vec<String> {
    let workers = input.cores.max(2);
    let time = format!("time/{WORKLOAD}");
    let busy = format!("busy/{WORKLOAD}");
    let spawn = "costs/spawn-processes";
    let process_ms = point_at(input, &time, "process", workers as f64);
    let pool_ms = point_at(input, &time, "pool", workers as f64);
    let spawn_ms = bar(input, spawn, COMMAND_WORKER);
    let process_waiting = point_at(input, &busy, &waiting_label("process"), 1.0);
    let pool_waiting = point_at(
        input,
        &busy,
        &waiting_label("pool"),
        TASKS_PER_WORKER as f64,
    );
    match (process_ms, pool_ms, spawn_ms, process_waiting, pool_waiting) {
        (Some(process_ms), Some(pool_ms), Some(spawn_ms), Some(pw), Some(qw)) => process_vs_pool(
            WORKLOAD,
            &ProcessVsPool {
                workers,
                process_ms,
                pool_ms,
                spawn_ms,
                process_waiting: pw,
                pool_waiting: qw,
                pool_chunks: TASKS_PER_WORKER,
            },
        ),
        _ => {
            let mut missing = Vec::new();
            if process_ms.is_none() || pool_ms.is_none() {
                missing.push(time.as_str());
            }
            if spawn_ms.is_none() {
                missing.push(spawn);
            }
            if process_waiting.is_none() || pool_waiting.is_none() {
                missing.push(busy.as_str());
            }
            missing_figures(&missing)
        }
    }
}

pub const LESSON: Lesson = Lesson {
    slug: "processes",
    title: "Processes",
    question: "What does starting a process cost, why does a pool pay it only once, and what is \
               the difference between close() and terminate()?",
    idea: "<p>A process has its own memory and its own interpreter: no shared GIL, and no \
           memory shared unless you ask for it, so real parallelism in Python. What processes \
           do share (a file, a pipe, a shared-memory block) they can still race on: lesson 5's \
           queue example shows writes that tear without a lock. The price: starting one takes far longer than starting \
           a thread (a new address space, loading the program), and every argument and result \
           crosses between processes as bytes (pickled, in Python; lesson 5).</p>\n\
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
              started? Is the gap between them the spawn cost, or something else?</p>",
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
        Wanted {
            ids: &["busy/primes"],
            from: BALANCE_BENCH,
        },
    ],
    answer: "<p>Compare the units on the two charts' axes; the sentences under the process \
             chart give the ratio measured here. \
             In the primes times, two things separate <code>process</code> from \
             <code>pool</code>. <code>process</code> starts its children inside every run; and \
             it gives each child one static chunk, while <code>pool</code> cuts the job into \
             several tasks per worker and hands the next one to whichever child is free. Primes' later \
             numbers cost more to test, so one static chunk per child leaves the others waiting \
             for the last (load imbalance: the busy-time chart shows it, and the lesson \
             <em>Chunk size and load balancing</em> measures it). The sentences above weigh the two causes with this machine's numbers. The \
             shorter the job, the more the spawn cost weighs: that is why a pool is the default \
             tool for many small tasks.</p>",
    answer_from_figures: Some(answer_from_figures),
    answer_claims: None,
    exercises: &[
        "In <code>examples/pool.rs</code>, replace <code>pool.close()?</code> in the first \
         half by <code>pool.terminate()?</code> and rerun <code>cargo run --example pool</code>. \
         How many of the 6 results arrive, and what are the exit statuses?",
        "Shrink the job until spawning dominates: <code>cargo run --release -- run -w primes \
         -b threads,process,pool -s 20000</code>. At what size does <code>process</code> \
         become slower than <code>sequential</code> at every worker count?",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Figure;
    use crate::report::chart::{Bar, BarChart, LineChart, Point, Series, color};

    fn line(label: &str, points: &[(f64, f64)]) -> Series {
        let points = points.iter().map(|&(x, y)| Point::new(x, y)).collect();
        Series::solid(label, color(0), points)
    }

    fn figure(id: &str, series: Vec<Series>) -> Figure {
        let chart = LineChart {
            series,
            ..LineChart::default()
        };
        Figure::new(id, "f.svg", id, chart)
    }

    /// The three figures the answer reads, with `process` and `pool` at
    /// `process_ms` and `pool_ms`, a `spawn_ms` start, and the busy chart
    /// of the balance page's made-up run (process waits 15%, pool 1%).
    fn input(process_ms: f64, pool_ms: f64, spawn_ms: f64) -> ReportInput {
        let mut input = ReportInput::made_up(Vec::new(), Vec::new());
        let time = figure(
            "time/primes",
            vec![
                line("process", &[(1.0, 180.0), (2.0, process_ms)]),
                line("pool", &[(1.0, 170.0), (2.0, pool_ms)]),
            ],
        );
        let spawn = Figure::new(
            "costs/spawn-processes",
            "s.svg",
            "spawn",
            BarChart {
                bars: vec![Bar::new(COMMAND_WORKER, spawn_ms, color(1))],
                ..BarChart::default()
            },
        );
        input.figures = vec![time, spawn];
        input
            .figures
            .extend(crate::report::pages::balance::tests::made_up_figures());
        input
    }

    #[test]
    fn the_gap_is_put_down_to_imbalance_when_the_busy_times_say_so() {
        let text = answer_from_figures(&input(174.0, 150.0, 1.5)).join(" ");
        assert!(text.contains("The gap is 24.0 ms"), "{text}");
        assert!(text.contains("load imbalance, not spawn cost"), "{text}");
    }

    #[test]
    fn a_dear_spawn_or_a_reversed_gap_is_said_as_measured() {
        let text = answer_from_figures(&input(174.0, 150.0, 30.0)).join(" ");
        assert!(
            text.contains("the spawn cost is the larger cause"),
            "{text}"
        );
        assert!(text.contains("not as an exact account"), "{text}");
        let text = answer_from_figures(&input(140.0, 150.0, 1.5)).join(" ");
        assert!(
            text.contains("Expected process to be the slower one"),
            "{text}"
        );
    }

    #[test]
    fn missing_charts_are_named() {
        let mut input = input(174.0, 150.0, 1.5);
        input.figures.retain(|f| f.id != "busy/primes");
        let text = answer_from_figures(&input).join(" ");
        assert!(text.contains("this report lacks busy/primes"), "{text}");
    }
}
