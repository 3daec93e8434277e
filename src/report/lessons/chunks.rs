//! Lesson 4: chunk size and load balancing. One static chunk per worker
//! against many small ones: the wait for the slowest worker, and what
//! handing out a chunk costs.
//!
//! The answer's comparisons are computed from the figures `balance/primes`
//! and `busy/primes` ([`answer_from_figures`]).

use super::{BALANCE_BENCH, Example, Lesson, Wanted, missing_figures};
use crate::report::ReportInput;
use crate::report::explain::balance::{KCurve, KPoint, MATTERS, chunk_answer};
use crate::report::pages::balance::{outside_label, waiting_label};
use crate::sweep::balance::BACKENDS;

/// The workload the answer is computed on.
const WORKLOAD: &str = "primes";

/// The answer on primes, from the speedup and busy-time figures.
fn answer_from_figures(input: &ReportInput) -> Vec<String> {
    let speed_id = format!("balance/{WORKLOAD}");
    let busy_id = format!("busy/{WORKLOAD}");
    let (Some(speed), Some(busy)) = (input.figure(&speed_id), input.figure(&busy_id)) else {
        return missing_figures(&[&speed_id, &busy_id]);
    };
    let at = |label: &str, x: f64| {
        busy.line(label)
            .and_then(|l| l.points.iter().find(|p| (p.x - x).abs() < 1e-9))
            .map(|p| p.y)
    };
    let curves: Vec<KCurve> = BACKENDS
        .iter()
        .filter_map(|&backend| {
            let line = speed.line(backend)?;
            let points = line
                .points
                .iter()
                .map(|p| KPoint {
                    k: p.x.round() as usize,
                    speedup: p.y,
                    waiting: at(&waiting_label(backend), p.x),
                    outside: at(&outside_label(backend), p.x),
                })
                .collect();
            Some(KCurve::new(backend, points))
        })
        .collect();
    chunk_answer(WORKLOAD, &curves, MATTERS)
}

pub const LESSON: Lesson = Lesson {
    slug: "chunks",
    title: "Chunk size and load balancing",
    question: "Into how many pieces should you cut a job, and why does one piece per worker \
               leave cores idle?",
    idea: "<p>A parallel map cuts its input into <em>chunks</em> and hands them to workers. \
           One chunk per worker (<em>static</em> scheduling) is the least coordination, and \
           perfect when every item costs the same. When items cost different amounts, the \
           worker with the costliest chunk finishes last while the others sit idle: that idle \
           time is <em>load imbalance</em>. Testing <code>n</code> for primality costs about \
           <code>sqrt(n)</code> steps, so the last chunk of <code>primes</code> costs the \
           most; in <code>mandelbrot</code> the rows through the set cost the most.</p>\n\
           <p>Cut more chunks than workers and let a worker that finishes take the next one \
           (<em>dynamic</em> scheduling), and the idle time shrinks. But every chunk is handed \
           out: an atomic increment for threads sharing a counter, a steal from another \
           thread's queue for <code>rayon</code> (<em>work stealing</em>: an idle thread takes \
           work from a busy one's queue), a request and a reply through a pipe for a process \
           pool. Past some number of chunks, handing them out costs more than the balance \
           gains. Where that is depends on what a hand-out costs: the cheaper it is, the \
           smaller the chunks can be.</p>\n\
           <p>Python's <code>Pool.map(f, items, chunksize)</code> is this knob: it sends \
           <code>chunksize</code> items per task. Its default is the length divided by four \
           times the workers, rounded up: about 4 chunks per worker. \
           <code>imap_unordered</code> takes the same argument and yields results as they \
           finish. The suite's knob is <code>--chunks-per-worker K</code>: K = 1 is static, \
           more is dynamic. Each worker records its <em>busy time</em>, the time it spent \
           running chunks, so a run says how much of it went to waiting for the slowest.</p>",
    python: "\
from multiprocessing import Pool

with Pool(4) as pool:
    n = 2_000_000
    flags = pool.map(is_prime, range(n), chunksize=n // 4)   # one static chunk per worker
    flags = pool.map(is_prime, range(n))                     # default: about 4 per worker
    flags = pool.map(is_prime, range(n), chunksize=64)       # many small chunks
    for flag in pool.imap_unordered(is_prime, range(n), chunksize=1024):
        ...                                                  # results as they finish",
    examples: &[
        Example {
            command: "cargo run --release --example chunks",
            source: Some("chunks"),
            shows: "<p>Counts the primes below 2,000,000 on one thread per core, with 1, 4, \
                    16 and 256 chunks per thread, and prints each thread's busy time. With 1 \
                    chunk each thread runs its own contiguous range; with more, threads take \
                    the next chunk from a shared atomic counter.</p>",
            excerpt: "\
let i = match (dynamic, taken) {
    (true, _) => next.fetch_add(1, Ordering::Relaxed), // take the next
    (false, 0) => w,                                   // my one chunk
    (false, _) => break,
};
let Some(chunk) = chunks.get(i) else { break };
// ...
let start = Instant::now();
primes += chunk.clone().filter(|&n| is_prime(n)).count() as u64;
busy += start.elapsed();",
        },
        Example {
            command: "cargo run --release -- run -w primes -b threads,rayon,pool --chunks-per-worker 1\n\
                      cargo run --release -- run -w primes -b threads,rayon,pool --chunks-per-worker 64",
            source: None,
            shows: "<p>The suite's backends at one chunking. The <code>busy</code> column shows \
                    the idlest and the busiest worker's share of the run: far apart is load \
                    imbalance, both low is time spent outside the chunks.</p>",
            excerpt: "",
        },
    ],
    predict: "<p>On <code>primes</code> at this machine's core count: how much faster is \
              <code>threads</code> with 16 chunks per worker than with 1? And at 256 chunks \
              per worker, which backend loses speed first: <code>threads</code> (an atomic \
              counter), <code>rayon</code> (work stealing) or <code>pool</code> (a pipe round \
              trip per chunk)?</p>",
    figures: &[
        Wanted {
            ids: &["balance/primes"],
            from: BALANCE_BENCH,
        },
        Wanted {
            ids: &["busy/primes"],
            from: BALANCE_BENCH,
        },
        Wanted {
            ids: &["balance/mandelbrot"],
            from: BALANCE_BENCH,
        },
        Wanted {
            ids: &["balance/monte_carlo"],
            from: BALANCE_BENCH,
        },
    ],
    answer: "<p>Read the busy-time chart from the left: the solid lines are the share of each \
             run the workers spent waiting for the slowest one, the dashed lines the share \
             spent outside any chunk. Where the solid line falls, more chunks are buying \
             balance; where the dashed line rises past it, they cost more than they buy. \
             <code>monte_carlo</code> is the control: its items cost the same, so one chunk \
             per worker should already be balanced, and more chunks should buy nothing there; \
             its chart is the check. The rule that carries over to \
             <code>Pool.map</code>: cut several chunks per worker, more when the items are \
             more uneven, fewer when a chunk is dear to hand out.</p>",
    answer_from_figures: Some(answer_from_figures),
    answer_claims: None,
    exercises: &[
        "Run <code>cargo run --release -- run -w mandelbrot -b threads -n 2 \
         --chunks-per-worker 1</code>, then with 4 and with 64. How do the idlest and the \
         busiest worker's shares in the <code>busy</code> column move, and does the run get \
         faster?",
        "In Python, time <code>pool.map(is_prime, range(n), chunksize=1)</code> against the \
         default chunksize on this machine. How many tasks does <code>chunksize=1</code> \
         send, and what does each one cost?",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_is_computed_from_the_balance_figures() {
        let mut input = ReportInput::made_up(Vec::new(), Vec::new());
        assert!(
            answer_from_figures(&input)
                .join(" ")
                .contains("lacks balance/primes")
        );
        input.figures = crate::report::pages::balance::tests::made_up_figures();
        let text = answer_from_figures(&input).join(" ");
        // threads: busy 61 and 40 ms of a 62 ms run at K = 1.
        assert!(
            text.contains("waiting for the slowest one for 17% of the run"),
            "{text}"
        );
        assert!(text.contains("threads 8 (1.92x), pool 8 (1.89x)"), "{text}");
        assert!(
            text.contains("At 256 chunks per worker, pool had lost 24%"),
            "{text}"
        );
    }
}
