//! Lesson 9: many waits. Threads, processes or async tasks to wait on
//! thousands of things at once, what each wait costs, and the blocked loop.

use super::{Example, Lesson, PYTHON_BENCH, WAITS_BENCH, Wanted};

pub const LESSON: Lesson = Lesson {
    slug: "many-waits",
    title: "Many waits: threads, processes or async?",
    question: "To keep thousands of waits in flight at once (sockets, timers, calls to other \
               services), should you use threads, processes or async tasks, and what does each \
               wait cost in time and memory?",
    idea: "<p>Waiting needs no core (lesson 8), so a program that waits on many things wants \
           many waits in flight at once. There are three ways to have them. <strong>A thread \
           per wait</strong>: each is a kernel thread with its own stack, and the kernel \
           switches to whichever one's wait ended. <strong>A process per wait</strong>: the \
           same, with a whole program each. <strong>A task per wait on an event loop</strong> \
           (Python's <code>asyncio</code>, Rust's tokio): one thread runs all the tasks; a task \
           that awaits a timer or a socket gives the thread back, and the loop runs another \
           until the kernel (<code>epoll</code>) or the loop's timers say the wait is over. A \
           task is one small allocation; a thread reserves a stack of address space and the \
           kernel keeps its own stack and bookkeeping for it.</p>\n\
           <p>The catch is in the word <em>cooperative</em>: the loop runs one task at a time, \
           and a task that computes without awaiting holds the thread until it is done. Every \
           other task waits, however short its timer. Computation belongs on other threads: \
           <code>loop.run_in_executor</code> in Python, \
           <code>tokio::task::spawn_blocking</code> in Rust. In this suite the knob \
           <code>--workers N</code> means N concurrent tasks for <code>async</code> (one \
           thread, asyncio's model) and <code>async-mt</code> (a thread per core), N threads \
           for <code>threads</code>, N children for <code>process</code> and \
           <code>pool</code>.</p>",
    python: "\
import asyncio, time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import Pool

async def wait(i):
    await asyncio.sleep(0.002)          # a timer: the loop runs other tasks meanwhile
    return i

async def main():
    return await asyncio.gather(*(wait(i) for i in range(10_000)))   # one thread

asyncio.run(main())
with ThreadPoolExecutor(max_workers=1_000) as ex:    # a thread per wait
    list(ex.map(lambda i: time.sleep(0.002) or i, range(10_000)))
with Pool(100) as pool:                              # a process per wait: far fewer fit
    pool.map(time.sleep, [0.002] * 1_000)",
    examples: &[Example {
        command: "cargo run --release --example async_wait",
        source: Some("async_wait"),
        shows: "<p>Starts 10,000 tasks on one thread that each await a 500 ms timer, then \
                10,000 threads (64 KiB stacks) that each sleep 500 ms, and prints each one's \
                time, the threads alive and how much this process's resident memory grew per \
                wait. Then a ticker that wants to run every millisecond shares the loop with a \
                200 ms computation: inline in a task, then moved to \
                <code>spawn_blocking</code>. It prints the ticker's longest gap both \
                times.</p>",
        excerpt: "\
tokio::spawn(async move {
    tokio::time::sleep(WAIT).await;
    i
})
// ...
compute(ms); // inline: this task holds the only thread
// ...
tokio::task::spawn_blocking(move || compute(ms))
    .await
    .unwrap();",
    }],
    predict: "<p>Ten thousand workers each wait 2 ms ten times in a row. Without any cost per \
              wait, a run would take 20 ms. How long do you expect with 10,000 async tasks on \
              one thread, and with 10,000 threads? Then memory: is a thread 8 MB (the stack \
              size <code>ulimit -s</code> shows, which C and Python threads use), 2 MB (Rust's \
              default stack), or closer to 10 kB? And a task? And how far do you expect \
              <code>process</code> to get before it stops being sane?</p>",
    figures: &[
        Wanted {
            ids: &["waits/time"],
            from: WAITS_BENCH,
        },
        Wanted {
            ids: &["waits/memory"],
            from: WAITS_BENCH,
        },
        Wanted {
            ids: &["python/latency"],
            from: PYTHON_BENCH,
        },
    ],
    answer: "<p>In the time chart the dashed line is the ideal. Expect the async lines to stay \
             near it far past the core count: adding a task costs the loop a little polling, \
             and the sentences say how far above the ideal the most tasks ended and why \
             (tokio's timers tick in whole milliseconds, so even one task is above it). Expect \
             the threads lines to climb with N: every run starts and joins N threads, one \
             after another, and at thousands that start-up can be the whole run. The process \
             line should climb the same way, a whole program per wait, and may stop early; \
             the sentences say whether, where and why (a time cap, or the open-file limit: \
             each child costs two pipes).</p>\n\
             <p>In the memory chart the slopes are the cost of one more wait, from the \
             kernel's PSS, which splits each shared page among the processes sharing it (RSS \
             would count it once in each, USS not at all): expect a task to cost least (one allocation), a thread more (the \
             stack pages it touched and the kernel's bookkeeping), a process most (an address \
             space of its own); the sentences give each slope measured here. A thread's stack \
             is <em>reserved</em> address space (2 MiB by default in Rust, 8 MiB for C and \
             Python threads), and the table shows how much of it was resident: \"8 MB per thread\" is address space, not memory. The kernel also keeps \
             a stack of its own per thread, which no RSS shows; the sentences give it where it \
             was measured. In Python the same three lines appear on the Rust vs Python page, \
             asyncio beside its threads and processes.</p>",
    answer_from_figures: None,
    answer_claims: None,
    exercises: &[
        "Run <code>cargo run --release --example async_wait -- --block-ms 500</code>. How long \
         did the ticker stall with the computation inline, and with <code>spawn_blocking</code>? \
         Then put a CPU-bound workload on the event loop: <code>cargo run --release -- run -w \
         primes -b sequential,async,async-mt -n 1,2 -s 200000 --no-memory</code>. Why is \
         <code>async</code> no faster than <code>sequential</code>, while <code>async-mt</code> \
         is?",
        "Lower the open-file limit and ask for more connections than fit: <code>(ulimit -n 512; \
         cargo run --release -- run -w tcp -b async -n 1000 --no-memory)</code>. What does \
         <code>tvp</code> say before it starts anything, and why does each connection cost two \
         open files here?",
    ],
};
